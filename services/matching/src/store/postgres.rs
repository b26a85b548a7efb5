//! The matching store on PostgreSQL: the body in `backend.rs`, compiled for this database.

type Db = sqlx::Postgres;

/// Two replicas indexing two items of one tenant at once would each miss the other's item: the
/// tenant's changes are serialised by this lock, held until the transaction ends.
const TENANT_LOCK: Option<&str> = Some("SELECT pg_advisory_xact_lock(hashtext($1))");

// On purpose: the same body, compiled once for each database (sqlx binds by concrete type).
#[allow(clippy::duplicate_mod)]
#[path = "backend.rs"]
mod backend;
#[allow(clippy::duplicate_mod)]
#[path = "steps.rs"]
mod steps;

pub use backend::SqlStore as PostgresStore;
