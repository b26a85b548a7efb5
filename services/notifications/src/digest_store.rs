//! Storage of digests: which items no e-mail told yet, and the transaction that records a
//! digest, claims its items and queues its e-mail together.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::db::Database;
use uuid::Uuid;

use crate::error::NotificationsError;
use crate::mail::Mail;
use crate::store::{InboxItem, PostgresStore, SqliteStore};

/// A member a digest may be written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecipient {
    pub user_id: Uuid,
    pub email: String,
    /// `fr` or `en`.
    pub language: String,
}

/// One digest: a member, a rhythm (`daily`, `weekly`) and the end of its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestKey {
    pub id: Uuid,
    pub tenant: String,
    pub user_id: Uuid,
    pub frequency: &'static str,
    pub period_end: DateTime<Utc>,
}

/// Writes the e-mail of the items a digest claimed.
pub type ComposeDigest<'a> = &'a (dyn Fn(&[InboxItem]) -> Mail + Send + Sync);

#[async_trait]
pub trait DigestStore: Send + Sync {
    /// Territories with members to write to.
    async fn digest_tenants(&self) -> Result<Vec<String>, NotificationsError>;
    /// A territory's members whose address is known.
    async fn digest_recipients(
        &self,
        tenant: &str,
    ) -> Result<Vec<DigestRecipient>, NotificationsError>;
    /// Whether every digest of this period was written.
    async fn run_finished(
        &self,
        tenant: &str,
        frequency: &str,
        period_end: DateTime<Utc>,
    ) -> Result<bool, NotificationsError>;
    async fn finish_run(
        &self,
        tenant: &str,
        frequency: &str,
        period_end: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), NotificationsError>;
    /// The member's own unread items stored up to `until` that no e-mail told, oldest first.
    async fn untold_items(
        &self,
        tenant: &str,
        user_id: Uuid,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<InboxItem>, NotificationsError>;
    /// In one transaction: records the digest, claims those of `items` no other e-mail claimed
    /// meanwhile, and queues `compose(claimed)`. `false`: the digest was written before, or
    /// nothing was left to tell; nothing changed.
    async fn write_digest(
        &self,
        key: &DigestKey,
        items: &[InboxItem],
        compose: ComposeDigest<'_>,
    ) -> Result<bool, NotificationsError>;
}

pub fn digest_store(database: &Database) -> Arc<dyn DigestStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}
