//! The listings store suite, run against PostgreSQL and SQLite.

use std::sync::Arc;

use synergies_listings::domain::{Listing, ListingDraft, ListingKind};
use synergies_listings::store::{self, ListingQuery, ListingStore};
use synergies_platform::db::Database;
use synergies_platform::outbox::{OutboxEvent, unpublished_count};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use synergies_proto::events::v1::ListingPublished;
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn ListingStore>,
    database: TestDatabase,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "listings",
        &synergies_listings::POSTGRES_MIGRATIONS,
        &synergies_listings::SQLITE_MIGRATIONS,
    )
    .await?;
    Some(Fixture {
        store: store::for_database(&database.database),
        database,
    })
}

fn listing(tenant: &str, kind: ListingKind, category: &str, title: &str) -> Listing {
    ListingDraft {
        kind: Some(kind),
        category: category.into(),
        title: title.into(),
        description: String::new(),
    }
    .publish(tenant, Uuid::now_v7(), Uuid::now_v7())
    .unwrap()
}

fn event_for(listing: &Listing) -> OutboxEvent {
    let event = ListingPublished {
        listing_id: listing.id.to_string(),
        ..Default::default()
    };
    OutboxEvent::new(&synergies_platform::events::envelope(
        &listing.tenant,
        "listings",
        &event,
    ))
}

async fn publish(f: &Fixture, listing: &Listing) {
    f.store.publish(listing, &event_for(listing)).await.unwrap();
}

async fn publishing_stores_the_listing_and_its_event_together(f: Fixture) {
    let offer = listing(
        "dijon",
        ListingKind::Offer,
        "packaging/pallets",
        "Palettes Europe",
    );
    publish(&f, &offer).await;
    assert_eq!(
        f.store.get("dijon", offer.id).await.unwrap().unwrap(),
        offer
    );
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
}

async fn a_failed_publication_leaves_neither_listing_nor_event(f: Fixture) {
    let offer = listing(
        "dijon",
        ListingKind::Offer,
        "packaging/pallets",
        "Palettes Europe",
    );
    publish(&f, &offer).await;
    // Same id again: the insert fails, so the second event must not be stored either.
    let again = Listing {
        title: "Other".into(),
        ..offer.clone()
    };
    assert!(f.store.publish(&again, &event_for(&again)).await.is_err());
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
    assert_eq!(
        f.store.get("dijon", offer.id).await.unwrap().unwrap().title,
        "Palettes Europe"
    );
}

async fn listings_of_another_tenant_are_invisible(f: Fixture) {
    let offer = listing("dijon", ListingKind::Offer, "furniture", "Bureaux");
    publish(&f, &offer).await;
    assert!(f.store.get("beaune", offer.id).await.unwrap().is_none());
    let beaune = f
        .store
        .list(
            "beaune",
            &ListingQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(beaune.is_empty());
}

async fn listing_filters_and_pages_newest_first(f: Fixture) {
    let mut created = Vec::new();
    for (kind, category) in [
        (ListingKind::Offer, "packaging/pallets"),
        (ListingKind::Request, "packaging/pallets"),
        (ListingKind::Offer, "packaging"),
        (ListingKind::Offer, "packaging-film"),
        (ListingKind::Offer, "furniture"),
    ] {
        let l = listing("dijon", kind, category, category);
        publish(&f, &l).await;
        created.push(l);
    }
    let ids = |listings: Vec<Listing>| listings.into_iter().map(|l| l.id).collect::<Vec<_>>();
    let offers_in_packaging = f
        .store
        .list(
            "dijon",
            &ListingQuery {
                kind: Some(ListingKind::Offer),
                category: Some("packaging".into()),
                after: None,
                owner: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(offers_in_packaging), vec![created[2].id, created[0].id]);

    let first = f
        .store
        .list(
            "dijon",
            &ListingQuery {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(first.clone()), vec![created[4].id, created[3].id]);
    let second = f
        .store
        .list(
            "dijon",
            &ListingQuery {
                after: Some(first[1].id),
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(second), vec![created[2].id, created[1].id]);
}

async fn outbox_relay_publishes_in_order(f: Fixture) {
    // The relay works on whichever backend the store uses.
    let dir = tempfile::tempdir().unwrap();
    let bus = synergies_platform::bus::local::LocalBus::open(
        &dir.path().join("bus.db"),
        synergies_platform::bus::BusSettings {
            prefix: "relaytest".into(),
            ack_wait: std::time::Duration::from_secs(5),
        },
    )
    .await
    .unwrap();
    let first = listing("dijon", ListingKind::Offer, "wood", "Chutes de bois");
    let second = listing("dijon", ListingKind::Request, "wood", "Bois de chauffage");
    publish(&f, &first).await;
    publish(&f, &second).await;
    let database: &Database = &f.database.database;
    let published = synergies_platform::outbox::relay_batch(database, &bus, "relaytest", 10)
        .await
        .unwrap();
    assert_eq!(published, 2);
    assert_eq!(unpublished_count(database).await.unwrap(), 0);
    let published_again = synergies_platform::outbox::relay_batch(database, &bus, "relaytest", 10)
        .await
        .unwrap();
    assert_eq!(published_again, 0);
}

async fn an_owner_lists_their_own_listings(f: Fixture) {
    let mine = listing("dijon", ListingKind::Offer, "wood", "Mes chutes");
    let theirs = listing("dijon", ListingKind::Offer, "wood", "Leurs chutes");
    publish(&f, &mine).await;
    publish(&f, &theirs).await;
    let query = ListingQuery {
        owner: Some(mine.owner_user_id),
        limit: 10,
        ..Default::default()
    };
    let listed = f.store.list("dijon", &query).await.unwrap();
    assert_eq!(
        listed.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![mine.id]
    );
}

synergies_platform::store_conformance!(open;
    an_owner_lists_their_own_listings,
    publishing_stores_the_listing_and_its_event_together,
    a_failed_publication_leaves_neither_listing_nor_event,
    listings_of_another_tenant_are_invisible,
    listing_filters_and_pages_newest_first,
    outbox_relay_publishes_in_order,
);
