//! Database pools. Microservices mode: PostgreSQL, each service in its own schema. All-in-one
//! mode: one SQLite file per service. Services pick their store implementation from [`Database`].

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgPool, SqlitePool};

mod roles;
mod sqlite_busy;

/// True when `error` says the database could not be reached or is not serving right now
/// (connection refused or broken, pool exhausted while the server is down, server shutting
/// down, SQLite locked by another writer), rather than that it refused this statement. Callers
/// treat it as an outage: answer 503, or hold the event and wait, never count it against it.
pub fn is_outage(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database) => {
            let code = database.code();
            let code = code.as_deref().unwrap_or_default();
            // PostgreSQL: class 08 connection exception, 57P01–03 shutdown / starting up,
            // 53300 too many connections. SQLite: 5 SQLITE_BUSY, 6 SQLITE_LOCKED (and their
            // extended codes, which keep the primary code in the low byte).
            code.starts_with("08")
                || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
                || code
                    .parse::<u32>()
                    .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
        }
        _ => false,
    }
}

/// A connected pool of either backend.
#[derive(Clone, Debug)]
pub enum Database {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Where a service keeps its data.
#[derive(Clone, Debug)]
pub enum StorageTarget {
    Postgres {
        url: String,
        schema: String,
        max_connections: u32,
        access: PostgresAccess,
    },
    Sqlite {
        path: std::path::PathBuf,
    },
}

/// With which role a service reaches its PostgreSQL schema.
#[derive(Clone, Debug, Default)]
pub enum PostgresAccess {
    /// As `url`'s role, which owns the schema: creates it and applies the migrations.
    #[default]
    Owner,
    /// As the owner, which also creates (or updates) the service's own role and grants it the
    /// rows of this schema and nothing else: `synergies migrate` with roles configured.
    OwnerGranting(RuntimeRole),
    /// As the service's own role, which can read and write the schema's rows but run no DDL: it
    /// applies no migration, and waits until the owner has applied them all.
    Runtime(RuntimeRole),
}

/// A service's own PostgreSQL role (`database.roles`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeRole {
    pub name: String,
    /// `None`: the role is created without one (certificate or peer authentication), and an
    /// existing one's is left as it is.
    pub password: Option<crate::config::Secret>,
}

impl StorageTarget {
    /// Names this database in metrics and logs: the PostgreSQL schema, or the SQLite file's name
    /// (each is one service's).
    pub fn label(&self) -> String {
        match self {
            Self::Postgres { schema, .. } => schema.clone(),
            Self::Sqlite { path } => path
                .file_stem()
                .map_or_else(String::new, |stem| stem.to_string_lossy().into_owned()),
        }
    }
}

/// Platform tables (outbox, processed events) shared by every service, one copy per schema.
static PLATFORM_POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
static PLATFORM_SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");

impl Database {
    /// Connects, retrying with backoff while the server is unreachable.
    pub async fn connect(target: &StorageTarget) -> Self {
        match target {
            StorageTarget::Postgres {
                url,
                schema,
                max_connections,
                access,
            } => {
                let what = format!("PostgreSQL schema {schema}");
                crate::retry::until_ok(&what, || {
                    connect_postgres(url, schema, *max_connections, access)
                })
                .await
            }
            StorageTarget::Sqlite { path } => {
                crate::retry::until_ok("SQLite database", || connect_sqlite(path)).await
            }
        }
    }

    /// Applies the platform tables, then the service's own migrations.
    ///
    /// The two sets share sqlx's history table; each ignores the other's versions (platform
    /// versions stay below 1000, services start at 1000).
    pub async fn migrate(
        &self,
        service_postgres: &Migrator,
        service_sqlite: &Migrator,
    ) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Self::Postgres(pool) => {
                run_tolerant(&PLATFORM_POSTGRES, pool).await?;
                run_tolerant(service_postgres, pool).await
            }
            Self::Sqlite(pool) => {
                run_tolerant(&PLATFORM_SQLITE, pool).await?;
                run_tolerant(service_sqlite, pool).await
            }
        }
    }

    /// Connects (retrying while the server is down) and applies platform and service migrations;
    /// with a service role, grants it the schema (owner) or waits until they are applied (the
    /// role itself).
    pub async fn open(
        target: &StorageTarget,
        postgres: &Migrator,
        sqlite: &Migrator,
    ) -> Result<Self, sqlx::migrate::MigrateError> {
        let database = Self::connect(target).await;
        // Owned copies: no borrow of `target` lives across the awaits below (the future must
        // stay `Send` for any lifetime).
        let (schema, access) = match target {
            StorageTarget::Postgres { schema, access, .. } => (schema.clone(), access.clone()),
            StorageTarget::Sqlite { .. } => (String::new(), PostgresAccess::Owner),
        };
        let pool = match &database {
            Self::Postgres(pool) => Some(pool.clone()),
            Self::Sqlite(_) => None,
        };
        match (access, pool) {
            (PostgresAccess::Runtime(role), Some(pool)) => {
                roles::wait_for_migrations(
                    &pool,
                    &schema,
                    &role.name,
                    &PLATFORM_POSTGRES,
                    postgres,
                )
                .await;
            }
            (PostgresAccess::OwnerGranting(role), Some(pool)) => {
                database.migrate(postgres, sqlite).await?;
                roles::grant_schema(&pool, &schema, &role)
                    .await
                    .map_err(sqlx::migrate::MigrateError::Execute)?;
            }
            _ => database.migrate(postgres, sqlite).await?,
        }
        Ok(database)
    }

    pub async fn ping(&self) -> bool {
        match self {
            Self::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.is_ok(),
            Self::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.is_ok(),
        }
    }

    /// Connections open, of them idle, and the most the pool may open.
    fn pool_usage(&self) -> (u32, usize, u32) {
        match self {
            Self::Postgres(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
            Self::Sqlite(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        }
    }
}

/// sqlx reports the time each acquisition took as an event at this level, which
/// [`crate::metrics::PoolAcquireTimes`] turns into a histogram (the logs filter it out unless
/// asked for `sqlx::pool::acquire=trace`). Slow ones (over 2 s) are still logged as warnings.
const ACQUIRE_TIME_LEVEL: log::LevelFilter = log::LevelFilter::Trace;

/// Samples the pool of `database` every few seconds until `shutdown`, as gauges labelled
/// `database`: connections in use and idle, and the pool's maximum. In use at the maximum means
/// requests are waiting for a connection; how long they wait is
/// [`crate::metrics::POOL_ACQUIRE_SECONDS`].
pub async fn observe_pool(label: String, database: Database, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let (open, idle, max) = database.pool_usage();
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(open);
        metrics::gauge!("synergies_db_pool_connections", "database" => label.clone(), "state" => "in_use")
            .set(f64::from(open - idle));
        metrics::gauge!("synergies_db_pool_connections", "database" => label.clone(), "state" => "idle")
            .set(f64::from(idle));
        metrics::gauge!("synergies_db_pool_max_connections", "database" => label.clone())
            .set(f64::from(max));
    }
}

async fn run_tolerant<'a, A>(
    migrator: &Migrator,
    pool: A,
) -> Result<(), sqlx::migrate::MigrateError>
where
    A: sqlx::Acquire<'a>,
    <A::Connection as std::ops::Deref>::Target: sqlx::migrate::Migrate,
{
    // A copy with the same migrations (and sqlx's defaults otherwise, as `migrate!` sets them)
    // that tolerates the other set's versions in the shared history table.
    let mut migrator = Migrator::with_migrations(migrator.iter().cloned().collect());
    migrator.set_ignore_missing(true);
    migrator.run(pool).await
}

async fn connect_postgres(
    url: &str,
    schema: &str,
    max_connections: u32,
    access: &PostgresAccess,
) -> Result<Database, sqlx::Error> {
    let mut options = PgConnectOptions::from_str(url)?;
    if let PostgresAccess::Runtime(role) = access {
        options = roles::as_role(options, role);
        // The owner creates the schema; the role may not, and only uses it.
        return postgres_pool(options, schema, max_connections).await;
    }
    // Create the schema on a lone connection before the pool pins its search_path.
    let mut connection = sqlx::PgConnection::connect_with(&options).await?;
    // The schema's name is quoted as an identifier: nothing else is spliced in.
    let create = format!("CREATE SCHEMA IF NOT EXISTS {}", quote_identifier(schema));
    if let Err(error) = sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(&mut connection)
        .await
    {
        // Two services creating the same schema at once: the loser sees a unique violation.
        let raced = error
            .as_database_error()
            .is_some_and(|e| e.code().as_deref() == Some("23505"));
        if !raced {
            return Err(error);
        }
    }
    connection.close().await?;
    postgres_pool(options, schema, max_connections).await
}

async fn postgres_pool(
    options: PgConnectOptions,
    schema: &str,
    max_connections: u32,
) -> Result<Database, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .acquire_time_level(ACQUIRE_TIME_LEVEL)
        .connect_with(options.options([("search_path", schema)]))
        .await?;
    Ok(Database::Postgres(pool))
}

async fn connect_sqlite(path: &Path) -> Result<Database, sqlx::Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    Ok(Database::Sqlite(sqlite_pool(path).await?))
}

/// A SQLite pool in WAL mode: readers never block the single writer, and a busy writer is
/// waited for rather than failed, in steps of 50 µs ([`sqlite_busy`]).
pub async fn sqlite_pool(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(4)
        .after_connect(|connection, _| Box::pin(sqlite_busy::install(connection)))
        .acquire_time_level(ACQUIRE_TIME_LEVEL)
        .connect_with(options)
        .await
}

/// Double-quotes a PostgreSQL identifier.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Declares a service's migrations (`migrations/postgres` and `migrations/sqlite` of the calling
/// crate) as `POSTGRES_MIGRATIONS` / `SQLITE_MIGRATIONS`, and `database(target)` that connects
/// and applies them after the platform's own.
#[macro_export]
macro_rules! service_database {
    () => {
        pub static POSTGRES_MIGRATIONS: ::sqlx::migrate::Migrator =
            ::sqlx::migrate!("./migrations/postgres");
        pub static SQLITE_MIGRATIONS: ::sqlx::migrate::Migrator =
            ::sqlx::migrate!("./migrations/sqlite");

        /// Connects (retrying while the server is down) and migrates the service's database.
        pub async fn database(
            target: &$crate::db::StorageTarget,
        ) -> ::anyhow::Result<$crate::db::Database> {
            Ok(
                $crate::db::Database::open(target, &POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS)
                    .await?,
            )
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_server_is_an_outage_and_a_refused_statement_is_not() {
        // Nothing listens on port 1: connecting fails the way a stopped server does.
        let down = PgPoolOptions::new()
            .acquire_timeout(Duration::from_millis(500))
            .connect_lazy("postgres://postgres@127.0.0.1:1/none")
            .unwrap();
        let error = sqlx::query("SELECT 1").execute(&down).await.unwrap_err();
        assert!(is_outage(&error), "{error:?}");
        assert!(is_outage(&sqlx::Error::PoolTimedOut));

        let sqlite = SqlitePoolOptions::new()
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .execute(&sqlite)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&sqlite)
            .await
            .unwrap();
        let duplicate = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&sqlite)
            .await
            .unwrap_err();
        assert!(!is_outage(&duplicate), "{duplicate:?}");
        assert!(!is_outage(&sqlx::Error::RowNotFound));
    }
}
