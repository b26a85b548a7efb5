//! Addresses that refuse mail. Each permanent refusal by the SMTP server (a 5xx answer, or an
//! address that cannot even be written) is a hard failure of that address in that territory;
//! after [`HARD_FAILURES_BEFORE_UNDELIVERABLE`] in a row the address is undeliverable: its
//! unsent mails are held and no more are sent to it, the operator sees it beside the outgoing
//! mail, and the member sees it on their e-mail settings page. A delivery resets the count; the
//! member confirming the address (or the mark being cleared otherwise) releases the held mails.
//!
//! Transient refusals (4xx) and an unreachable server are not hard failures: the sender retries
//! those with backoff and never blames the address for them.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::db::Database;

use crate::error::NotificationsError;
use crate::store::{PostgresStore, SqliteStore};

/// Hard failures in a row after which an address is undeliverable. One refusal may be a
/// mistake of the receiving server; three are not.
pub const HARD_FAILURES_BEFORE_UNDELIVERABLE: i32 = 3;

/// An address with hard failures, undeliverable or not yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AddressFailures {
    pub tenant: String,
    pub address: String,
    pub hard_failures: i32,
    pub last_error: String,
    pub last_failed_at: DateTime<Utc>,
    /// Set once the address is undeliverable.
    pub undeliverable_since: Option<DateTime<Utc>>,
}

/// Addresses compare without case (servers treat the domain so, and users type both).
pub fn normalise(address: &str) -> String {
    address.trim().to_lowercase()
}

#[async_trait]
pub trait BounceStore: Send + Sync {
    /// Counts a hard failure of `address`; at the threshold, marks it undeliverable and holds
    /// its unsent mails. Answers the address's state after this failure.
    async fn record_hard_failure(
        &self,
        tenant: &str,
        address: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<AddressFailures, NotificationsError>;
    /// A mail reached `address`: its count of failures starts again.
    async fn record_delivery(&self, tenant: &str, address: &str) -> Result<(), NotificationsError>;
    /// The address's state when it is undeliverable.
    async fn undeliverable(
        &self,
        tenant: &str,
        address: &str,
    ) -> Result<Option<AddressFailures>, NotificationsError>;
    /// Keeps one queued mail from being sent (its address is undeliverable).
    async fn hold(&self, mail_id: uuid::Uuid) -> Result<(), NotificationsError>;
    /// A territory's undeliverable addresses, most recent first.
    async fn undeliverable_of_tenant(
        &self,
        tenant: &str,
    ) -> Result<Vec<AddressFailures>, NotificationsError>;
    /// The member confirmed (or changed) the address: the mark and count are cleared and its
    /// held mails are due again. `false`: the address was not undeliverable.
    async fn clear(
        &self,
        tenant: &str,
        address: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, NotificationsError>;
}

pub fn bounce_store(database: &Database) -> Arc<dyn BounceStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

pub(crate) const FAILURE_COLUMNS: &str =
    "tenant, address, hard_failures, last_error, last_failed_at, undeliverable_since";
