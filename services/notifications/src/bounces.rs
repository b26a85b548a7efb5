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

const FAILURE_COLUMNS: &str =
    "tenant, address, hard_failures, last_error, last_failed_at, undeliverable_since";

macro_rules! bounce_store {
    ($store:ident) => {
        #[async_trait]
        impl BounceStore for $store {
            async fn record_hard_failure(&self, tenant: &str, address: &str, error: &str, at: DateTime<Utc>) -> Result<AddressFailures, NotificationsError> {
                let address = normalise(address);
                let mut tx = self.pool.begin().await?;
                let state: AddressFailures = sqlx::query_as(&format!(
                    "INSERT INTO undeliverable_addresses ({FAILURE_COLUMNS}) VALUES ($1, $2, 1, $3, $4, NULL)
                     ON CONFLICT (tenant, address) DO UPDATE SET hard_failures = undeliverable_addresses.hard_failures + 1,
                       last_error = excluded.last_error, last_failed_at = excluded.last_failed_at
                     RETURNING {FAILURE_COLUMNS}"
                ))
                .bind(tenant)
                .bind(&address)
                .bind(error)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                let state = if state.undeliverable_since.is_none() && state.hard_failures >= HARD_FAILURES_BEFORE_UNDELIVERABLE {
                    sqlx::query("UPDATE outgoing_mail SET held = TRUE WHERE tenant = $1 AND lower(recipient) = $2 AND sent_at IS NULL")
                        .bind(tenant)
                        .bind(&address)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query_as(&format!(
                        "UPDATE undeliverable_addresses SET undeliverable_since = $3 WHERE tenant = $1 AND address = $2
                         RETURNING {FAILURE_COLUMNS}"
                    ))
                    .bind(tenant)
                    .bind(&address)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?
                } else {
                    state
                };
                tx.commit().await?;
                Ok(state)
            }

            async fn record_delivery(&self, tenant: &str, address: &str) -> Result<(), NotificationsError> {
                sqlx::query("DELETE FROM undeliverable_addresses WHERE tenant = $1 AND address = $2 AND undeliverable_since IS NULL")
                    .bind(tenant)
                    .bind(normalise(address))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn undeliverable(&self, tenant: &str, address: &str) -> Result<Option<AddressFailures>, NotificationsError> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {FAILURE_COLUMNS} FROM undeliverable_addresses
                      WHERE tenant = $1 AND address = $2 AND undeliverable_since IS NOT NULL"
                ))
                .bind(tenant)
                .bind(normalise(address))
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn hold(&self, mail_id: uuid::Uuid) -> Result<(), NotificationsError> {
                sqlx::query("UPDATE outgoing_mail SET held = TRUE WHERE id = $1")
                    .bind(mail_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn undeliverable_of_tenant(&self, tenant: &str) -> Result<Vec<AddressFailures>, NotificationsError> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {FAILURE_COLUMNS} FROM undeliverable_addresses
                      WHERE tenant = $1 AND undeliverable_since IS NOT NULL ORDER BY undeliverable_since DESC"
                ))
                .bind(tenant)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn clear(&self, tenant: &str, address: &str, at: DateTime<Utc>) -> Result<bool, NotificationsError> {
                let address = normalise(address);
                let mut tx = self.pool.begin().await?;
                let cleared = sqlx::query("DELETE FROM undeliverable_addresses WHERE tenant = $1 AND address = $2 AND undeliverable_since IS NOT NULL")
                    .bind(tenant)
                    .bind(&address)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(
                    "UPDATE outgoing_mail SET held = FALSE, next_attempt_at = $3
                      WHERE tenant = $1 AND lower(recipient) = $2 AND sent_at IS NULL AND held",
                )
                .bind(tenant)
                .bind(&address)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(cleared > 0)
            }
        }
    };
}

bounce_store!(PostgresStore);
bounce_store!(SqliteStore);
