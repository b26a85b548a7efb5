//! The notifications store on SQLite: the body in `backend.rs`, compiled for this database.

type Db = sqlx::Sqlite;

// On purpose: the same body, compiled once for each database (sqlx binds by concrete type).
#[allow(clippy::duplicate_mod)]
#[path = "backend.rs"]
mod backend;
#[allow(clippy::duplicate_mod)]
#[path = "bounces.rs"]
mod bounces;
#[allow(clippy::duplicate_mod)]
#[path = "digests.rs"]
mod digests;
#[allow(clippy::duplicate_mod)]
#[path = "mail.rs"]
mod mail;
#[allow(clippy::duplicate_mod)]
#[path = "preferences.rs"]
mod preferences;
#[allow(clippy::duplicate_mod)]
#[path = "reminders.rs"]
mod reminders;
#[allow(clippy::duplicate_mod)]
#[path = "saved_searches.rs"]
mod saved_searches;

pub use backend::SqlStore as SqliteStore;
