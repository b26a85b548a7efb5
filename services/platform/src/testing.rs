//! Helpers for tests that need the real servers. Each test gets its own PostgreSQL schemas and
//! its own bus prefix (so its own JetStream streams), so tests run in parallel.
//!
//! `SYNERGIES_TEST_DATABASE_URL` and `SYNERGIES_TEST_NATS_URL` name the servers (default: the
//! local ones). When they cannot be reached the test fails with how to start them, unless
//! `SYNERGIES_TEST_EMBEDDED_ONLY=1`, in which case [`servers`] answers `None` and the test skips.

use std::time::Duration;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

#[derive(Debug, Clone)]
pub struct TestServers {
    pub database_url: String,
    pub nats_url: String,
}

pub fn embedded_only() -> bool {
    std::env::var("SYNERGIES_TEST_EMBEDDED_ONLY").is_ok_and(|v| v == "1")
}

/// The PostgreSQL and NATS servers, or `None` when the run is embedded-only.
pub async fn servers() -> Option<TestServers> {
    if embedded_only() {
        eprintln!("SKIPPED: SYNERGIES_TEST_EMBEDDED_ONLY=1, this test needs PostgreSQL and NATS");
        return None;
    }
    let servers = TestServers {
        database_url: std::env::var("SYNERGIES_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_DATABASE_URL.into()),
        nats_url: std::env::var("SYNERGIES_TEST_NATS_URL")
            .unwrap_or_else(|_| DEFAULT_NATS_URL.into()),
    };
    assert_reachable("PostgreSQL", &servers.database_url, 5432).await;
    assert_reachable("NATS", &servers.nats_url, 4222).await;
    Some(servers)
}

async fn assert_reachable(what: &str, url: &str, default_port: u16) {
    let authority = url.split("://").nth(1).unwrap_or(url);
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host_port = host_port.split(['/', '?']).next().unwrap_or(host_port);
    let address = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:{default_port}")
    };
    let connected = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::net::TcpStream::connect(&address),
    )
    .await;
    assert!(
        matches!(connected, Ok(Ok(_))),
        "{what} is not reachable at {address}. Start it (see README, \"Running the tests\"), \
         point SYNERGIES_TEST_{}_URL at one, or set SYNERGIES_TEST_EMBEDDED_ONLY=1 to run only \
         the embedded suites.",
        if what == "NATS" { "NATS" } else { "DATABASE" }
    );
}

/// A prefix no other test uses: bus subject prefix and PostgreSQL schema prefix.
pub fn unique_prefix() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A PostgreSQL schema of its own for `service` in this test.
pub fn postgres_target(servers: &TestServers, service: &str) -> crate::db::StorageTarget {
    crate::db::StorageTarget::Postgres {
        url: servers.database_url.clone(),
        schema: format!("{}_{service}", unique_prefix()),
        max_connections: 4,
        access: crate::db::PostgresAccess::Owner,
    }
}

/// A SQLite file for `service` inside `dir`.
pub fn sqlite_target(dir: &std::path::Path, service: &str) -> crate::db::StorageTarget {
    crate::db::StorageTarget::Sqlite {
        path: dir.join(format!("{service}.db")),
    }
}

/// Database of a store conformance case, and the directory that must outlive it.
pub struct TestDatabase {
    pub database: crate::db::Database,
    /// Keeps the SQLite directory alive as long as the database.
    pub dir: Option<tempfile::TempDir>,
}

/// Connects and migrates a fresh database of each backend for a conformance case.
pub async fn fresh_database(
    backend: Backend,
    service: &str,
    postgres: &sqlx::migrate::Migrator,
    sqlite: &sqlx::migrate::Migrator,
) -> Option<TestDatabase> {
    let (target, dir) = match backend {
        Backend::Postgres => (postgres_target(&servers().await?, service), None),
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            (sqlite_target(dir.path(), service), Some(dir))
        }
    };
    let database = crate::db::Database::connect(&target).await;
    database
        .migrate(postgres, sqlite)
        .await
        .expect("migrations apply");
    Some(TestDatabase { database, dir })
}

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Generates one `#[tokio::test]` per (backend, case): `store_conformance!(open; case_a, case_b)`
/// where `open(Backend) -> Option<Fixture>` (None: skipped) and each case takes the fixture.
#[macro_export]
macro_rules! store_conformance {
    ($open:ident; $($case:ident),+ $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(fixture) = super::$open($crate::testing::Backend::Postgres).await else { return };
                    super::$case(fixture).await;
                }
            )+
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(fixture) = super::$open($crate::testing::Backend::Sqlite).await else { return };
                    super::$case(fixture).await;
                }
            )+
        }
    };
}

/// Asks `probe` until it answers `Some`, at most for `within`; panics naming `what` after.
/// Tests wait on an observable condition this way, never on a fixed delay.
pub async fn eventually<T, F, Fut>(what: &str, within: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(50));
    loop {
        ticks.tick().await;
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
    }
}
