//! The matching store on SQLite: the body in `backend.rs`, compiled for this database.

type Db = sqlx::Sqlite;

// On purpose: the same body, compiled once for each database (sqlx binds by concrete type).
#[allow(clippy::duplicate_mod)]
#[path = "backend.rs"]
mod backend;
#[allow(clippy::duplicate_mod)]
#[path = "steps.rs"]
mod steps;

pub use backend::SqlStore as SqliteStore;
