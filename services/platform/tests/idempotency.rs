//! `Idempotency-Key` through process deaths, on both databases: a key whose request died
//! before its effect is taken over once its lease ends; an effect that committed without its
//! answer being kept is answered from its event, never made again; and a request whose claim
//! was taken over cannot commit its effect any more.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::migrate::Migrator;
use synergies_platform::db::Database;
use synergies_platform::idempotency::{Begin, CLAIM_LEASE_MS, IdempotentCall};
use synergies_platform::outbox::{OutboxEvent, Transactional};
use synergies_platform::testing::{self, Backend, TestDatabase};
use synergies_proto::events::v1::{EventEnvelope, ListingChange};
use tonic::{Code, Request, Status};

static NO_SERVICE_MIGRATIONS: Migrator = Migrator::DEFAULT;

async fn open(backend: Backend) -> Option<TestDatabase> {
    testing::fresh_database(
        backend,
        "idempotency",
        &NO_SERVICE_MIGRATIONS,
        &NO_SERVICE_MIGRATIONS,
    )
    .await
}

/// The same creating request, sent again and again with one key.
fn call(key: &str) -> Option<IdempotentCall> {
    let mut request = Request::new(ListingChange {
        title: "40 palettes Europe".into(),
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("idempotency-key", key.parse().expect("ASCII key"));
    IdempotentCall::from_request(&request, "dijon", "user-1", "CreateListing").expect("a valid key")
}

/// The effect of a creating call: its row and its event, committed in one transaction, as a
/// service's store does. Answers the listing it created.
async fn create(database: &Database, title: &str) -> Result<ListingChange, Status> {
    let envelope = synergies_platform::events::envelope(
        "dijon",
        "listings",
        &synergies_proto::events::v1::ListingSubmitted {
            change: Some(ListingChange {
                listing_id: uuid::Uuid::now_v7().to_string(),
                title: title.into(),
                ..Default::default()
            }),
        },
    );
    let event = OutboxEvent::new(&envelope);
    let committed = match database {
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await.expect("transaction");
            match tx.enqueue(&event).await {
                Ok(()) => tx.commit().await,
                Err(error) => Err(error),
            }
        }
        Database::Sqlite(pool) => {
            let mut tx = pool.begin().await.expect("transaction");
            match tx.enqueue(&event).await {
                Ok(()) => tx.commit().await,
                Err(error) => Err(error),
            }
        }
    };
    committed.map_err(|error| Status::unavailable(error.to_string()))?;
    let submitted: synergies_proto::events::v1::ListingSubmitted =
        synergies_platform::events::payload(&envelope).expect("decodes");
    Ok(submitted.change.expect("a change"))
}

fn recovered(effect: &EventEnvelope) -> ListingChange {
    let submitted: synergies_proto::events::v1::ListingSubmitted =
        synergies_platform::events::payload(effect).expect("decodes");
    submitted.change.expect("a change")
}

async fn events_in_outbox(database: &Database) -> i64 {
    let query = "SELECT count(*) FROM outbox";
    match database {
        Database::Postgres(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
    }
    .expect("outbox readable")
}

/// Moves every claim's lease back past its end: the time a dead request's claim waits.
async fn lease_ends(database: &Database) {
    let query = "UPDATE idempotency_keys SET claimed_at_ms = claimed_at_ms - $1";
    let offset = CLAIM_LEASE_MS + 1_000;
    match database {
        Database::Postgres(pool) => sqlx::query(query)
            .bind(offset)
            .execute(pool)
            .await
            .map(|_| ()),
        Database::Sqlite(pool) => sqlx::query(query)
            .bind(offset)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .expect("claims updatable");
}

async fn a_key_whose_request_died_before_its_effect_is_taken_over_after_the_lease(f: TestDatabase) {
    let db = &f.database;
    // The first request claims the key and dies there: no effect, no answer.
    let Begin::New(_dead) = call("k1")
        .expect("a key")
        .begin::<ListingChange>(db)
        .await
        .expect("claimed")
    else {
        panic!("a new key is new");
    };

    let handled = AtomicUsize::new(0);
    let retry = || {
        IdempotentCall::run(
            call("k1"),
            db,
            || async {
                handled.fetch_add(1, Ordering::SeqCst);
                create(db, "40 palettes Europe").await
            },
            |effect| async move { Ok(recovered(&effect)) },
        )
    };
    let early = retry().await.expect_err("the claim is still leased");
    assert_eq!(early.code(), Code::AlreadyExists, "{early:?}");
    assert_eq!(handled.load(Ordering::SeqCst), 0);

    lease_ends(db).await;
    let first = retry().await.expect("taken over and handled");
    let again = retry().await.expect("answered again");
    assert_eq!(first, again, "the retry gets the first answer");
    assert_eq!(handled.load(Ordering::SeqCst), 1, "handled once");
    assert_eq!(events_in_outbox(db).await, 1, "one effect");
}

async fn an_effect_committed_without_its_answer_is_answered_from_its_event(f: TestDatabase) {
    let db = &f.database;
    // The effect commits, then the request fails before its answer is kept (as when its
    // process dies between the commit and keeping the answer).
    let made = std::sync::Mutex::new(None);
    let failed = IdempotentCall::run(
        call("k2"),
        db,
        || async {
            *made.lock().unwrap() = Some(create(db, "40 palettes Europe").await?);
            Err::<ListingChange, _>(Status::unavailable("the connection broke after the commit"))
        },
        |_| async { panic!("nothing to recover yet") },
    )
    .await;
    assert!(failed.is_err());
    let made = made.lock().unwrap().clone().expect("the effect committed");

    let retry = || {
        IdempotentCall::run(
            call("k2"),
            db,
            || async { panic!("a committed effect is never made again") },
            |effect| async move { Ok(recovered(&effect)) },
        )
    };
    let early = retry().await.expect_err("the claim is still leased");
    assert_eq!(early.code(), Code::AlreadyExists, "{early:?}");
    lease_ends(db).await;
    assert_eq!(
        retry().await.expect("answered from the effect"),
        made,
        "the answer names what was made"
    );
    assert_eq!(events_in_outbox(db).await, 1, "one effect");
}

async fn a_request_whose_claim_was_taken_over_cannot_commit_its_effect(f: TestDatabase) {
    let db = &f.database;
    let (resume_slow, slow_resumes) = tokio::sync::oneshot::channel::<()>();
    let (slow_claimed, claim_held) = tokio::sync::oneshot::channel::<()>();
    let slow = IdempotentCall::run(
        call("k3"),
        db,
        || async {
            slow_claimed.send(()).expect("the retry waits");
            slow_resumes.await.expect("resumed");
            create(db, "40 palettes Europe").await
        },
        |_| async { panic!("the slow request makes the effect or fails") },
    );
    let takeover = async {
        // The slow request holds the claim past its lease; a retry takes it over.
        claim_held.await.expect("the slow request claimed the key");
        lease_ends(db).await;
        let taken = IdempotentCall::run(
            call("k3"),
            db,
            || create(db, "40 palettes Europe"),
            |_| async { panic!("nothing committed before the takeover") },
        )
        .await;
        resume_slow.send(()).expect("slow request waits");
        taken
    };
    let (slow, taken) = tokio::join!(slow, takeover);
    let taken = taken.expect("the retry made the effect");
    let refused = slow.expect_err("the slow request lost its claim");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(events_in_outbox(db).await, 1, "one effect");
    let replayed: ListingChange = IdempotentCall::run(
        call("k3"),
        db,
        || async { panic!("handled already") },
        |_| async { panic!("answered already") as Result<ListingChange, Status> },
    )
    .await
    .expect("the first answer");
    assert_eq!(replayed, taken);
}

synergies_platform::store_conformance!(open;
    a_key_whose_request_died_before_its_effect_is_taken_over_after_the_lease,
    an_effect_committed_without_its_answer_is_answered_from_its_event,
    a_request_whose_claim_was_taken_over_cannot_commit_its_effect,
);
