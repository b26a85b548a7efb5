//! Sign-in counters, against PostgreSQL and SQLite: kept in the database, so two identity
//! replicas (two `Throttle`s on one database) count the same failures.

use synergies_identity::throttle::{self, Throttle};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};

struct Fixture {
    database: TestDatabase,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "identity",
        &synergies_identity::POSTGRES_MIGRATIONS,
        &synergies_identity::SQLITE_MIGRATIONS,
    )
    .await?;
    Some(Fixture { database })
}

async fn failures_on_two_replicas_add_up_and_only_slow_their_own_key(fixture: Fixture) {
    let first = Throttle::new(fixture.database.database.clone());
    let second = Throttle::new(fixture.database.database.clone());
    let guesser = throttle::account_from_client("dijon", "marie@example.fr", "203.0.113.7");
    let owner = throttle::account_from_client("dijon", "marie@example.fr", "198.51.100.9");
    let policy = throttle::ACCOUNT_FROM_CLIENT;
    for n in 0..policy.free {
        let replica = if n % 2 == 0 { &first } else { &second };
        assert!(replica.check(&guesser).await.unwrap().is_ok());
        replica.record_failure(&guesser, &policy).await.unwrap();
    }
    assert!(
        second.check(&guesser).await.unwrap().is_ok(),
        "the free failures cost nothing"
    );
    first.record_failure(&guesser, &policy).await.unwrap();
    let wait = second.check(&guesser).await.unwrap().unwrap_err();
    assert!(
        wait <= policy.first_delay && wait > policy.first_delay / 2,
        "{wait:?}"
    );
    second.record_failure(&guesser, &policy).await.unwrap();
    let longer = first.check(&guesser).await.unwrap().unwrap_err();
    assert!(longer > policy.first_delay, "the delay grows: {longer:?}");
    assert!(
        first.check(&owner).await.unwrap().is_ok(),
        "the owner, from another client, is not slowed down"
    );
    first.reset(&guesser).await.unwrap();
    assert!(second.check(&guesser).await.unwrap().is_ok());
}

synergies_platform::store_conformance!(open;
    failures_on_two_replicas_add_up_and_only_slow_their_own_key,
);
