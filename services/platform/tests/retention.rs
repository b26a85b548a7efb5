//! Retention in both modes: published outbox rows and processed-event keys go once older than
//! their configured age, unpublished rows never do; the all-in-one bus drops old dead letters.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use sqlx::migrate::Migrator;
use synergies_platform::bus::local::LocalBus;
use synergies_platform::bus::{BusMessage, BusSettings, ConsumerSpec, EventBus};
use synergies_platform::config::RetentionConfig;
use synergies_platform::db::Database;
use synergies_platform::outbox::{
    OutboxEvent, Transactional, relay_batch, unpublished_backlog, unpublished_count,
};
use synergies_platform::retention::{Cutoffs, Pruned, prune};
use synergies_platform::testing::{self, Backend, TestDatabase};
use uuid::Uuid;

static NO_SERVICE_MIGRATIONS: Migrator = Migrator::DEFAULT;

async fn open(backend: Backend) -> Option<TestDatabase> {
    testing::fresh_database(
        backend,
        "retention",
        &NO_SERVICE_MIGRATIONS,
        &NO_SERVICE_MIGRATIONS,
    )
    .await
}

fn local_bus_settings() -> BusSettings {
    BusSettings {
        prefix: testing::unique_prefix(),
        ack_wait: Duration::from_secs(1),
    }
}

fn event() -> OutboxEvent {
    OutboxEvent {
        event_id: Uuid::now_v7(),
        subject: "tenant.listing.published".into(),
        envelope: vec![1, 2, 3],
        traceparent: String::new(),
    }
}

/// Stores `event` in the outbox, as a service does inside its transaction.
async fn enqueue(database: &Database, event: &OutboxEvent) {
    match database {
        Database::Postgres(pool) => pool.acquire().await.unwrap().enqueue(event).await,
        Database::Sqlite(pool) => pool.acquire().await.unwrap().enqueue(event).await,
    }
    .unwrap();
}

async fn first_delivery(database: &Database, consumer: &str, event_id: Uuid) -> bool {
    match database {
        Database::Postgres(pool) => {
            pool.acquire()
                .await
                .unwrap()
                .first_delivery(consumer, event_id)
                .await
        }
        Database::Sqlite(pool) => {
            pool.acquire()
                .await
                .unwrap()
                .first_delivery(consumer, event_id)
                .await
        }
    }
    .unwrap()
}

async fn outbox_rows(database: &Database) -> i64 {
    const COUNT: &str = "SELECT COUNT(*) FROM outbox";
    match database {
        Database::Postgres(pool) => sqlx::query_scalar(COUNT).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_scalar(COUNT).fetch_one(pool).await,
    }
    .unwrap()
}

async fn old_rows_go_and_the_rest_stays(backend: Backend) {
    let Some(fixture) = open(backend).await else {
        return;
    };
    let database = &fixture.database;
    let bus_dir = tempfile::tempdir().unwrap();
    let settings = local_bus_settings();
    let bus = LocalBus::open(&bus_dir.path().join("bus.db"), settings.clone())
        .await
        .unwrap();

    // Three events published, then one that stays in the outbox (its relay is down).
    for _ in 0..3 {
        enqueue(database, &event()).await;
    }
    assert_eq!(
        relay_batch(database, &bus, &settings.prefix, 100)
            .await
            .unwrap(),
        3
    );
    enqueue(database, &event()).await;
    // The backlog the relay reports in /metrics: one row, just written.
    let backlog = unpublished_backlog(database).await.unwrap();
    assert_eq!(backlog.rows, 1);
    assert!(backlog.oldest_age < Duration::from_mins(1), "{backlog:?}");
    let handled = Uuid::now_v7();
    assert!(first_delivery(database, "matching-listings", handled).await);

    let config = RetentionConfig::default();
    let now = Utc::now();
    // Today nothing is old enough.
    assert_eq!(
        prune(database, Cutoffs::of(&config, now)).await.unwrap(),
        Pruned::default()
    );
    assert_eq!(outbox_rows(database).await, 4);

    // Past the outbox's 7 days: the published rows go, the unpublished one stays (however
    // old, it is an event not yet sent); the consumer still remembers the event.
    let pruned = prune(
        database,
        Cutoffs::of(&config, now + chrono::Duration::days(8)),
    )
    .await
    .unwrap();
    assert_eq!(
        pruned,
        Pruned {
            outbox: 3,
            processed_events: 0
        }
    );
    assert_eq!(outbox_rows(database).await, 1);
    assert_eq!(unpublished_count(database).await.unwrap(), 1);
    assert!(!first_delivery(database, "matching-listings", handled).await);

    // Past the keys' 30 days, the key goes too: the event id could be recorded again.
    let pruned = prune(
        database,
        Cutoffs::of(&config, now + chrono::Duration::days(31)),
    )
    .await
    .unwrap();
    assert_eq!(pruned.processed_events, 1);
    assert!(first_delivery(database, "matching-listings", handled).await);
    assert_eq!(unpublished_count(database).await.unwrap(), 1);
}

#[tokio::test]
async fn postgres_old_rows_go_and_the_rest_stays() {
    old_rows_go_and_the_rest_stays(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_old_rows_go_and_the_rest_stays() {
    old_rows_go_and_the_rest_stays(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_embedded_bus_drops_old_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let settings = local_bus_settings();
    let bus = LocalBus::open(&dir.path().join("bus.db"), settings.clone())
        .await
        .unwrap();
    bus.publish(BusMessage {
        subject: format!("{}.tenant.listing.published", settings.prefix),
        msg_id: "poison".into(),
        payload: bytes::Bytes::from_static(b"not a listing"),
        headers: BTreeMap::new(),
    })
    .await
    .unwrap();
    let mut subscription = bus
        .subscribe(&ConsumerSpec {
            name: "reader".into(),
            filter_subject: format!("{}.>", settings.prefix),
        })
        .await
        .unwrap();
    let delivery = subscription
        .next_batch(1, Duration::from_secs(5))
        .await
        .unwrap()
        .pop()
        .expect("the message is delivered");
    delivery
        .dead_letter("payload is not a listing")
        .await
        .unwrap();
    assert_eq!(bus.dead_letters(Some("reader")).await.unwrap().len(), 1);

    // A dead letter younger than the age limit stays, an older one goes.
    let thirty_days = chrono::Duration::days(30);
    assert_eq!(
        bus.prune_dead_letters(Utc::now() - thirty_days)
            .await
            .unwrap(),
        0
    );
    assert_eq!(bus.dead_letters(Some("reader")).await.unwrap().len(), 1);
    assert_eq!(
        bus.prune_dead_letters(Utc::now() + thirty_days)
            .await
            .unwrap(),
        1
    );
    assert!(bus.dead_letters(Some("reader")).await.unwrap().is_empty());
}
