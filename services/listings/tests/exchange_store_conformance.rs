//! The conversations and exchanges store suite, run against PostgreSQL and SQLite.

use std::sync::Arc;

use chrono::NaiveDate;
use synergies_listings::domain::{
    ExchangeMode, Listing, ListingFields, ListingKind, ListingStatus, Unit,
};
use synergies_listings::exchanges::store::{self, Completion, Confirmed, ExchangeStore};
use synergies_listings::exchanges::{
    Agreement, Confirmation, Conversation, Exchange, Message, Reservation, Side,
};
use synergies_listings::store::{self as listing_store, ListingStore};
use synergies_platform::outbox::{OutboxEvent, unpublished_count};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use synergies_proto::events::v1::{ConversationMessagePosted, ExchangeCompleted, ListingReserved};
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn ExchangeStore>,
    listings: Arc<dyn ListingStore>,
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
        listings: listing_store::for_database(&database.database),
        database,
    })
}

async fn published(f: &Fixture, tenant: &str, kind: ListingKind) -> Listing {
    let content = ListingFields {
        kind: Some(kind),
        category: "packaging/pallets".into(),
        title: "40 palettes Europe".into(),
        quantity: "40".into(),
        unit: Some(Unit::Piece),
        ..Default::default()
    }
    .validate(
        ExchangeMode::ALL,
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    )
    .unwrap();
    let mut listing = Listing::draft(tenant, Uuid::now_v7(), Uuid::now_v7(), content, None);
    listing.submit(false).unwrap();
    f.listings.create(&listing, &[]).await.unwrap();
    listing
}

fn event<E: synergies_platform::events::Event>(tenant: &str, event: &E) -> OutboxEvent {
    OutboxEvent::new(&synergies_platform::events::envelope(
        tenant, "listings", event,
    ))
}

fn message(conversation: &Conversation, organisation: Uuid, text: &str) -> Message {
    Message {
        id: Uuid::now_v7(),
        tenant: conversation.tenant.clone(),
        conversation_id: conversation.id,
        author_user_id: Uuid::now_v7(),
        author_organisation_id: organisation,
        text: text.into(),
        created_at: now(),
        erased: false,
    }
}

/// Microsecond precision, as both backends store it.
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(synergies_platform::time::now().timestamp_micros())
        .unwrap()
}

async fn post(f: &Fixture, message: &Message) {
    let posted = ConversationMessagePosted {
        message_id: message.id.to_string(),
        ..Default::default()
    };
    f.store
        .post(message, &event(&message.tenant, &posted))
        .await
        .unwrap();
}

async fn an_organisation_has_one_conversation_per_listing(f: Fixture) {
    let listing = published(&f, "dijon", ListingKind::Offer).await;
    let asking = Uuid::now_v7();
    let first = Conversation::open(&listing, asking, Uuid::now_v7());
    let (stored, created) = f.store.open_conversation(&first).await.unwrap();
    assert!(created);
    assert_eq!(stored.id, first.id);
    assert_eq!(stored.listing_title, "40 palettes Europe");
    let (again, created) = f
        .store
        .open_conversation(&Conversation::open(&listing, asking, Uuid::now_v7()))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, first.id);
    let (other, created) = f
        .store
        .open_conversation(&Conversation::open(
            &listing,
            Uuid::now_v7(),
            Uuid::now_v7(),
        ))
        .await
        .unwrap();
    assert!(created);
    assert_ne!(other.id, first.id);
    assert!(
        f.store
            .conversation("beaune", first.id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn conversations_of_both_sides_come_most_recently_active_first(f: Fixture) {
    let listing = published(&f, "dijon", ListingKind::Offer).await;
    let (asking_a, asking_b) = (Uuid::now_v7(), Uuid::now_v7());
    let (a, _) = f
        .store
        .open_conversation(&Conversation::open(&listing, asking_a, Uuid::now_v7()))
        .await
        .unwrap();
    let (b, _) = f
        .store
        .open_conversation(&Conversation::open(&listing, asking_b, Uuid::now_v7()))
        .await
        .unwrap();
    let hello = message(&a, asking_a, "Bonjour");
    post(&f, &hello).await;
    // The owner sees both, the one with the newest message first.
    let owner = f
        .store
        .conversations("dijon", listing.organisation_id, None, 10)
        .await
        .unwrap();
    let ids: Vec<_> = owner.iter().map(|(c, _)| c.id).collect();
    assert_eq!(ids, vec![a.id, b.id]);
    assert_eq!(owner[0].1.as_ref(), Some(&hello));
    assert_eq!(owner[1].1, None);
    // Each asking organisation sees its own only.
    let mine = f
        .store
        .conversations("dijon", asking_b, None, 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].0.id, b.id);
    // Pages follow the activity order.
    let second = f
        .store
        .conversations(
            "dijon",
            listing.organisation_id,
            Some(owner[0].0.activity_id),
            10,
        )
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].0.id, b.id);
    assert!(
        f.store
            .conversations("beaune", listing.organisation_id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn messages_come_newest_first_each_with_its_event(f: Fixture) {
    let listing = published(&f, "dijon", ListingKind::Offer).await;
    let asking = Uuid::now_v7();
    let (c, _) = f
        .store
        .open_conversation(&Conversation::open(&listing, asking, Uuid::now_v7()))
        .await
        .unwrap();
    let before = unpublished_count(&f.database.database).await.unwrap();
    let mut posted = Vec::new();
    for (i, organisation) in [asking, listing.organisation_id, asking]
        .into_iter()
        .enumerate()
    {
        let m = message(&c, organisation, &format!("message {i}"));
        post(&f, &m).await;
        posted.push(m);
    }
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        before + 3
    );
    let page = f.store.messages("dijon", c.id, None, 2).await.unwrap();
    assert_eq!(page, vec![posted[2].clone(), posted[1].clone()]);
    let rest = f
        .store
        .messages("dijon", c.id, Some(posted[1].id), 2)
        .await
        .unwrap();
    assert_eq!(rest, vec![posted[0].clone()]);
    assert!(
        f.store
            .messages("beaune", c.id, None, 2)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn an_erased_author_s_messages_lose_their_text_and_no_one_else_s(f: Fixture) {
    let listing = published(&f, "dijon", ListingKind::Offer).await;
    let asking = Uuid::now_v7();
    let (c, _) = f
        .store
        .open_conversation(&Conversation::open(&listing, asking, Uuid::now_v7()))
        .await
        .unwrap();
    let author = Uuid::now_v7();
    let mut mine = Vec::new();
    for text in ["Bonjour, Marie au 06 12 34 56 78", "Je passe jeudi"] {
        let mut m = message(&c, asking, text);
        m.author_user_id = author;
        post(&f, &m).await;
        mine.push(m);
    }
    let reply = message(&c, listing.organisation_id, "Entendu");
    post(&f, &reply).await;

    // The export reads them, newest first, page by page.
    let first_page = f
        .store
        .messages_by_author("dijon", author, None, 1)
        .await
        .unwrap();
    assert_eq!(first_page, vec![mine[1].clone()]);
    let rest = f
        .store
        .messages_by_author("dijon", author, Some(mine[1].id), 10)
        .await
        .unwrap();
    assert_eq!(rest, vec![mine[0].clone()]);

    let event_id = Uuid::now_v7();
    let erased = f
        .store
        .erase_messages_of("listings-erasures", event_id, author)
        .await
        .unwrap();
    assert_eq!(erased, Some(2));
    assert_eq!(
        f.store
            .erase_messages_of("listings-erasures", event_id, author)
            .await
            .unwrap(),
        None,
        "the same event twice"
    );
    let left = f.store.messages("dijon", c.id, None, 10).await.unwrap();
    let texts: Vec<(&str, bool)> = left.iter().map(|m| (m.text.as_str(), m.erased)).collect();
    assert_eq!(texts, [("Entendu", false), ("", true), ("", true)]);
    // The conversation's newest message is listed as it now is.
    let (_, last) = f
        .store
        .conversations("dijon", asking, None, 10)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(last.map(|m| m.text), Some("Entendu".to_owned()));
}

async fn reserving_and_cancelling_move_the_listing_with_their_events(f: Fixture) {
    let listing = published(&f, "dijon", ListingKind::Offer).await;
    let (c, _) = f
        .store
        .open_conversation(&Conversation::open(
            &listing,
            Uuid::now_v7(),
            Uuid::now_v7(),
        ))
        .await
        .unwrap();
    let reserved = event("dijon", &ListingReserved::default());
    let before = unpublished_count(&f.database.database).await.unwrap();
    let reservation = Reservation {
        reserved_at: now(),
        ..Reservation::for_conversation(&c)
    };
    assert!(
        f.store
            .reserve(&reservation, now(), std::slice::from_ref(&reserved))
            .await
            .unwrap()
    );
    let status = |f: &Fixture| {
        let listings = f.listings.clone();
        async move {
            listings
                .get("dijon", listing.id)
                .await
                .unwrap()
                .unwrap()
                .status
        }
    };
    assert_eq!(status(&f).await, ListingStatus::Reserved);
    assert_eq!(
        f.store.reservation("dijon", listing.id).await.unwrap(),
        Some(reservation.clone())
    );
    // Reserved already: nothing written, no event.
    assert!(
        !f.store
            .reserve(&reservation, now(), std::slice::from_ref(&reserved))
            .await
            .unwrap()
    );
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        before + 1
    );
    assert!(
        f.store
            .cancel("dijon", listing.id, now(), &[])
            .await
            .unwrap()
    );
    assert_eq!(status(&f).await, ListingStatus::Published);
    assert!(
        f.store
            .reservation("dijon", listing.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !f.store
            .cancel("dijon", listing.id, now(), &[])
            .await
            .unwrap()
    );
    assert!(f.store.reserve(&reservation, now(), &[]).await.unwrap());
    assert!(
        !f.store
            .cancel("beaune", listing.id, now(), &[])
            .await
            .unwrap()
    );
    assert_eq!(status(&f).await, ListingStatus::Reserved);
}

fn confirmation(thousandths: i64) -> Confirmation {
    Confirmation {
        thousandths,
        unit: Unit::Piece,
        by_user_id: Uuid::now_v7(),
        at: now(),
        kg_per_unit_grams: None,
    }
}

async fn matching_confirmations_complete_the_listing_once(f: Fixture) {
    let listing = published(&f, "dijon", ListingKind::Request).await;
    let asking = Uuid::now_v7();
    let (c, _) = f
        .store
        .open_conversation(&Conversation::open(&listing, asking, Uuid::now_v7()))
        .await
        .unwrap();
    assert!(
        f.store
            .reserve(&Reservation::for_conversation(&c), now(), &[])
            .await
            .unwrap()
    );
    let decide = |r: &Reservation| -> Option<Completion> {
        match r.agreement() {
            Agreement::Agreed { thousandths, unit } => {
                let exchange = Exchange {
                    completed_at: now(),
                    ..Exchange::of(&listing, r, thousandths, unit)
                };
                let completed = event(
                    "dijon",
                    &ExchangeCompleted {
                        exchange_id: exchange.id.to_string(),
                        ..Default::default()
                    },
                );
                Some(Completion {
                    exchange,
                    events: vec![completed],
                    listing_status: ListingStatus::Completed,
                })
            }
            _ => None,
        }
    };
    let owner = f
        .store
        .confirm(
            "dijon",
            listing.id,
            Side::Owner,
            &confirmation(40_000),
            &decide,
        )
        .await
        .unwrap();
    assert!(matches!(owner, Some(Confirmed::Open(ref r)) if r.agreement() == Agreement::Waiting));
    let differ = f
        .store
        .confirm(
            "dijon",
            listing.id,
            Side::Counterpart,
            &confirmation(38_000),
            &decide,
        )
        .await
        .unwrap();
    assert!(matches!(differ, Some(Confirmed::Open(ref r)) if r.agreement() == Agreement::Differ));
    let before = unpublished_count(&f.database.database).await.unwrap();
    let Some(Confirmed::Completed(exchange)) = f
        .store
        .confirm(
            "dijon",
            listing.id,
            Side::Counterpart,
            &confirmation(40_000),
            &decide,
        )
        .await
        .unwrap()
    else {
        panic!("the second matching confirmation completes");
    };
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        before + 1
    );
    // A request: its organisation receives.
    assert_eq!(exchange.receiver_organisation_id, listing.organisation_id);
    assert_eq!(exchange.giver_organisation_id, asking);
    assert_eq!(exchange.amount(), "40");
    let stored = f.listings.get("dijon", listing.id).await.unwrap().unwrap();
    assert_eq!(stored.status, ListingStatus::Completed);
    assert!(
        f.store
            .reservation("dijon", listing.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        f.store
            .exchange_of_listing("dijon", listing.id)
            .await
            .unwrap(),
        Some(exchange.clone())
    );
    for organisation in [asking, listing.organisation_id] {
        assert_eq!(
            f.store
                .exchanges("dijon", organisation, None, 10)
                .await
                .unwrap(),
            vec![exchange.clone()]
        );
    }
    assert!(
        f.store
            .exchanges("beaune", asking, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // 40 EUR-pallets of about 25 kg: a tonne; wooden packaging avoids 0.7 kg CO2e per kg. Given
    // without a price: estimated at 10 EUR a pallet, and said to be an estimate.
    assert_eq!(exchange.impact.kg_diverted_grams, Some(1_000_000));
    assert_eq!(exchange.impact.co2e_grams, Some(700_000));
    assert_eq!(
        (exchange.impact.value_cents, exchange.impact.value_estimated),
        (Some(40_000), true)
    );
    let months = f
        .store
        .impact_by_month("dijon", Some(asking))
        .await
        .unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!(
        (
            months[0].month.clone(),
            months[0].exchanges,
            months[0].kg_diverted_grams
        ),
        (exchange.month(), 1, 1_000_000)
    );
    assert_eq!(
        f.store.impact_by_month("dijon", None).await.unwrap(),
        months
    );
    assert!(
        f.store
            .impact_by_month("dijon", Some(Uuid::now_v7()))
            .await
            .unwrap()
            .is_empty()
    );
    let summary = f.store.territory_summary("dijon").await.unwrap();
    assert_eq!(
        (
            summary.listings_online,
            summary.exchanges_completed,
            summary.co2e_grams
        ),
        (0, 1, 700_000)
    );
    assert_eq!(
        f.store
            .territory_summary("beaune")
            .await
            .unwrap()
            .exchanges_completed,
        0
    );
    // Nothing left to confirm.
    assert!(
        f.store
            .confirm(
                "dijon",
                listing.id,
                Side::Owner,
                &confirmation(40_000),
                &decide
            )
            .await
            .unwrap()
            .is_none()
    );
}

async fn confirmations_at_the_same_time_complete_exactly_once(f: Fixture) {
    let listing = published(&f, "dijon", ListingKind::Offer).await;
    let (c, _) = f
        .store
        .open_conversation(&Conversation::open(
            &listing,
            Uuid::now_v7(),
            Uuid::now_v7(),
        ))
        .await
        .unwrap();
    assert!(
        f.store
            .reserve(&Reservation::for_conversation(&c), now(), &[])
            .await
            .unwrap()
    );
    let decide = |r: &Reservation| -> Option<Completion> {
        match r.agreement() {
            Agreement::Agreed { thousandths, unit } => Some(Completion {
                exchange: Exchange::of(&listing, r, thousandths, unit),
                events: vec![],
                listing_status: ListingStatus::Completed,
            }),
            _ => None,
        }
    };
    let (owner, counterpart) = (confirmation(40_000), confirmation(40_000));
    let (a, b) = tokio::join!(
        f.store
            .confirm("dijon", listing.id, Side::Owner, &owner, &decide),
        f.store.confirm(
            "dijon",
            listing.id,
            Side::Counterpart,
            &counterpart,
            &decide
        ),
    );
    let completed = [a.unwrap(), b.unwrap()]
        .into_iter()
        .filter(|c| matches!(c, Some(Confirmed::Completed(_))))
        .count();
    // Whichever commits second reads the first's figure: one completion, never none or two.
    assert_eq!(completed, 1);
    assert_eq!(
        f.listings
            .get("dijon", listing.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        ListingStatus::Completed
    );
    assert!(
        f.store
            .exchange_of_listing("dijon", listing.id)
            .await
            .unwrap()
            .is_some()
    );
}

/// A recurring listing goes back to published with each exchange, all recorded against it;
/// `exchanges_of_listing` lists them newest first, or those one organisation took part in.
async fn a_recurring_listing_records_each_exchange_and_stays_published(f: Fixture) {
    let listing = published(&f, "dijon", ListingKind::Offer).await;
    let decide = |r: &Reservation| -> Option<Completion> {
        match r.agreement() {
            Agreement::Agreed { thousandths, unit } => Some(Completion {
                exchange: Exchange::of(&listing, r, thousandths, unit),
                events: vec![],
                listing_status: ListingStatus::Published,
            }),
            _ => None,
        }
    };
    let takers = [Uuid::now_v7(), Uuid::now_v7()];
    let mut recorded = Vec::new();
    for taker in takers {
        let (c, _) = f
            .store
            .open_conversation(&Conversation::open(&listing, taker, Uuid::now_v7()))
            .await
            .unwrap();
        assert!(
            f.store
                .reserve(&Reservation::for_conversation(&c), now(), &[])
                .await
                .unwrap()
        );
        for side in [Side::Owner, Side::Counterpart] {
            if let Some(Confirmed::Completed(exchange)) = f
                .store
                .confirm("dijon", listing.id, side, &confirmation(2_000), &decide)
                .await
                .unwrap()
            {
                recorded.push(exchange.id);
            }
        }
        let stored = f.listings.get("dijon", listing.id).await.unwrap().unwrap();
        assert_eq!(stored.status, ListingStatus::Published);
    }
    recorded.reverse();
    let all: Vec<Uuid> = f
        .store
        .exchanges_of_listing("dijon", listing.id, None, None, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(all, recorded, "both, newest first");
    let first_taker = f
        .store
        .exchanges_of_listing("dijon", listing.id, Some(takers[0]), None, 10)
        .await
        .unwrap();
    assert_eq!(first_taker.len(), 1);
    assert_eq!(first_taker[0].receiver_organisation_id, takers[0]);
    let older = f
        .store
        .exchanges_of_listing("dijon", listing.id, None, Some(all[0]), 10)
        .await
        .unwrap();
    assert_eq!(older.iter().map(|e| e.id).collect::<Vec<_>>(), &all[1..]);
}

synergies_platform::store_conformance!(open;
    a_recurring_listing_records_each_exchange_and_stays_published,
    confirmations_at_the_same_time_complete_exactly_once,
    an_organisation_has_one_conversation_per_listing,
    conversations_of_both_sides_come_most_recently_active_first,
    messages_come_newest_first_each_with_its_event,
    an_erased_author_s_messages_lose_their_text_and_no_one_else_s,
    reserving_and_cancelling_move_the_listing_with_their_events,
    matching_confirmations_complete_the_listing_once,
);
