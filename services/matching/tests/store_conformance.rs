//! The matching store suite, run against PostgreSQL and SQLite.

use std::sync::Arc;

use synergies_matching::domain::{IndexedListing, Side};
use synergies_matching::handler::match_found_event;
use synergies_matching::store::{self, MatchingStore};
use synergies_platform::outbox::unpublished_count;
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn MatchingStore>,
    database: TestDatabase,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "matching",
        &synergies_matching::POSTGRES_MIGRATIONS,
        &synergies_matching::SQLITE_MIGRATIONS,
    )
    .await?;
    Some(Fixture {
        store: store::for_database(&database.database),
        database,
    })
}

fn listing(tenant: &str, side: Side, category: &str) -> IndexedListing {
    IndexedListing {
        listing_id: Uuid::now_v7(),
        tenant: tenant.into(),
        side,
        category: category.into(),
        organisation_id: Uuid::now_v7(),
        owner_user_id: Uuid::now_v7(),
        title: format!("{} of {category}", side.as_str()),
    }
}

async fn index(f: &Fixture, listing: &IndexedListing) -> Option<usize> {
    publish_at(f, listing, 0).await
}

/// Indexes `listing` as published at `micros` (0: before any hold of the tests).
async fn publish_at(f: &Fixture, listing: &IndexedListing, micros: i64) -> Option<usize> {
    f.store
        .index_listing(
            "matching-listings",
            Uuid::now_v7(),
            listing,
            micros,
            &match_found_event,
        )
        .await
        .unwrap()
        .map(|found| found.len())
}

async fn a_request_then_an_offer_make_one_match_and_one_event(f: Fixture) {
    let request = listing("dijon", Side::Request, "packaging/pallets");
    assert_eq!(index(&f, &request).await, Some(0));
    let offer = listing("dijon", Side::Offer, "packaging/pallets");
    assert_eq!(index(&f, &offer).await, Some(1));
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
    let matches = f
        .store
        .matches_of("dijon", request.listing_id)
        .await
        .unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0].offer_listing_id, offer.listing_id);
    assert_eq!(
        f.store.matches_of("dijon", offer.listing_id).await.unwrap(),
        matches
    );
}

async fn an_event_handled_twice_changes_nothing(f: Fixture) {
    let request = listing("dijon", Side::Request, "wood");
    index(&f, &request).await;
    let offer = listing("dijon", Side::Offer, "wood");
    let event_id = Uuid::now_v7();
    let first = f
        .store
        .index_listing("matching-listings", event_id, &offer, 0, &match_found_event)
        .await
        .unwrap();
    assert_eq!(first.map(|m| m.len()), Some(1));
    let again = f
        .store
        .index_listing("matching-listings", event_id, &offer, 0, &match_found_event)
        .await
        .unwrap();
    assert!(again.is_none());
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
}

async fn no_match_across_tenants_or_categories(f: Fixture) {
    index(&f, &listing("beaune", Side::Request, "wood")).await;
    index(&f, &listing("dijon", Side::Request, "metals")).await;
    let offer = listing("dijon", Side::Offer, "wood");
    assert_eq!(index(&f, &offer).await, Some(0));
    assert!(
        f.store
            .matches_of("beaune", offer.listing_id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_closed_listing_is_no_longer_paired(f: Fixture) {
    let request = listing("dijon", Side::Request, "wood");
    index(&f, &request).await;
    let event_id = Uuid::now_v7();
    assert!(
        f.store
            .unindex_listing("matching-withdrawn", event_id, request.listing_id)
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .unindex_listing("matching-withdrawn", event_id, request.listing_id)
            .await
            .unwrap(),
        "the same event twice"
    );
    assert_eq!(
        index(&f, &listing("dijon", Side::Offer, "wood")).await,
        Some(0)
    );
}

async fn a_listing_closed_before_its_publication_arrives_is_never_indexed(f: Fixture) {
    let request = listing("dijon", Side::Request, "wood");
    assert!(
        f.store
            .unindex_listing("matching-hidden", Uuid::now_v7(), request.listing_id)
            .await
            .unwrap()
    );
    assert_eq!(index(&f, &request).await, Some(0));
    assert_eq!(
        index(&f, &listing("dijon", Side::Offer, "wood")).await,
        Some(0)
    );
}

async fn hold(f: &Fixture, listing: &IndexedListing, held: bool, at_micros: i64) -> bool {
    let consumer = if held {
        "matching-reserved"
    } else {
        "matching-reservation-cancelled"
    };
    f.store
        .hold_listing(
            consumer,
            Uuid::now_v7(),
            listing.listing_id,
            held,
            at_micros,
        )
        .await
        .unwrap()
}

async fn a_reserved_listing_is_paired_again_once_released(f: Fixture) {
    let request = listing("dijon", Side::Request, "furniture");
    index(&f, &request).await;
    assert!(hold(&f, &request, true, 1_000).await);
    assert_eq!(
        index(&f, &listing("dijon", Side::Offer, "furniture")).await,
        Some(0),
        "a reserved request is not offered to new counterparts"
    );
    assert!(hold(&f, &request, false, 2_000).await);
    assert_eq!(
        index(&f, &listing("dijon", Side::Offer, "furniture")).await,
        Some(1),
        "its reservation was cancelled: open again"
    );
}

async fn a_cancellation_handled_before_its_reservation_wins(f: Fixture) {
    let request = listing("dijon", Side::Request, "furniture");
    index(&f, &request).await;
    // Delivered out of order: the cancellation (newer) first, then the reservation (older).
    assert!(hold(&f, &request, false, 2_000).await);
    assert!(hold(&f, &request, true, 1_000).await);
    assert_eq!(
        index(&f, &listing("dijon", Side::Offer, "furniture")).await,
        Some(1)
    );
    // A later reservation holds it again.
    assert!(hold(&f, &request, true, 3_000).await);
    assert_eq!(
        index(&f, &listing("dijon", Side::Offer, "furniture")).await,
        Some(0)
    );
}

async fn a_listing_reserved_before_its_publication_arrives_is_paired_once_released(f: Fixture) {
    let offer = listing("dijon", Side::Offer, "wood");
    index(&f, &listing("dijon", Side::Request, "wood")).await;
    assert!(hold(&f, &offer, true, 1_000).await);
    assert_eq!(
        index(&f, &offer).await,
        Some(0),
        "held: indexed, not paired"
    );
    assert!(hold(&f, &offer, false, 2_000).await);
    assert_eq!(
        index(&f, &listing("dijon", Side::Request, "wood")).await,
        Some(1),
        "released: a new request meets it"
    );
}

async fn a_listing_edited_back_into_approval_is_paired_once_approved_again(f: Fixture) {
    let offer = listing("dijon", Side::Offer, "metals");
    assert_eq!(publish_at(&f, &offer, 1_000).await, Some(0));
    // Edited: submitted again at 2 000, waiting for a facilitator.
    assert!(hold(&f, &offer, true, 2_000).await);
    assert_eq!(
        index(&f, &listing("dijon", Side::Request, "metals")).await,
        Some(0)
    );
    // Approved again at 3 000, edited into another category: paired under that one.
    let mut edited = offer.clone();
    edited.category = "wood".into();
    index(&f, &listing("dijon", Side::Request, "wood")).await;
    assert_eq!(publish_at(&f, &edited, 3_000).await, Some(1));
}

async fn an_older_version_delivered_late_changes_nothing(f: Fixture) {
    let offer = listing("dijon", Side::Offer, "metals");
    let mut edited = offer.clone();
    edited.category = "wood".into();
    // The edit (at 2 000) is handled before the publication (at 1 000) it follows.
    assert_eq!(publish_at(&f, &edited, 2_000).await, Some(0));
    index(&f, &listing("dijon", Side::Request, "metals")).await;
    assert_eq!(
        publish_at(&f, &offer, 1_000).await,
        Some(0),
        "the stale publication neither re-indexes as metals nor pairs"
    );
    assert_eq!(
        index(&f, &listing("dijon", Side::Request, "wood")).await,
        Some(1),
        "the edit's category stands"
    );
}

synergies_platform::store_conformance!(open;
    an_older_version_delivered_late_changes_nothing,
    a_listing_edited_back_into_approval_is_paired_once_approved_again,
    a_cancellation_handled_before_its_reservation_wins,
    a_listing_reserved_before_its_publication_arrives_is_paired_once_released,
    a_reserved_listing_is_paired_again_once_released,
    a_listing_closed_before_its_publication_arrives_is_never_indexed,
    a_closed_listing_is_no_longer_paired,
    a_request_then_an_offer_make_one_match_and_one_event,
    an_event_handled_twice_changes_nothing,
    no_match_across_tenants_or_categories,
);
