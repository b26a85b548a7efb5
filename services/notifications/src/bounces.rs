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
    /// A delivery status notification (RFC 3464) fed by the operator: each `(address, error)`
    /// of `failures` counts as a hard failure, as [`Self::record_hard_failure`] does, all in
    /// one transaction. A report with a `message_id` already recorded for the tenant counts
    /// nothing again: `None`. Answers each address's state otherwise.
    async fn record_report(
        &self,
        tenant: &str,
        message_id: Option<&str>,
        failures: &[(String, String)],
        at: DateTime<Utc>,
    ) -> Result<Option<Vec<AddressFailures>>, NotificationsError>;
    /// Whether the territory ever wrote a mail to `address` (a report about another address is
    /// not the territory's to count).
    async fn has_mailed(&self, tenant: &str, address: &str) -> Result<bool, NotificationsError>;
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
    /// A member's address changed from `from` to `to` (event `change`): the mails not sent yet
    /// to `from` (held ones included) go to `to` instead, due at once — but the change's own,
    /// which tells `from`. How many.
    async fn readdress_unsent(
        &self,
        tenant: &str,
        from: &str,
        to: &str,
        change: uuid::Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, NotificationsError>;
}

pub fn bounce_store(database: &Database) -> Arc<dyn BounceStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

pub(crate) const FAILURE_COLUMNS: &str =
    "tenant, address, hard_failures, last_error, last_failed_at, undeliverable_since";

/// What a delivery report did to one of its recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedRecipient {
    pub status: crate::dsn::RecipientStatus,
    /// Counted as a hard failure of the address: failed for good, and an address the
    /// territory wrote to.
    pub counted: bool,
    /// The address's state after the report, when it has failures.
    pub failures: Option<AddressFailures>,
}

/// What feeding a delivery report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOutcome {
    pub recipients: Vec<ReportedRecipient>,
    /// The report (by its `Message-ID`) was fed before: nothing was counted again.
    pub duplicate: bool,
}

/// Feeds a delivery status notification received after the SMTP server had accepted the mail:
/// its permanent failures (`Action: failed`, `Status: 5.x.x`) count against their addresses
/// as the server's own 5xx refusals do; delays and transient failures count nothing, as 4xx
/// refusals do not.
pub async fn ingest_report(
    store: &dyn BounceStore,
    tenant: &str,
    raw: &str,
    at: DateTime<Utc>,
) -> Result<ReportOutcome, NotificationsError> {
    let statuses = crate::dsn::parse(raw).map_err(|error| {
        synergies_platform::error::FieldError::new(
            "report",
            error.to_string(),
            "ce texte n'est pas un rapport de remise (RFC 3464, multipart/report; report-type=delivery-status)",
        )
    })?;
    let mut counted = Vec::with_capacity(statuses.len());
    for status in &statuses {
        counted.push(status.is_hard() && store.has_mailed(tenant, &status.address).await?);
    }
    let failures: Vec<(String, String)> = statuses
        .iter()
        .zip(&counted)
        .filter(|(_, counted)| **counted)
        .map(|(status, _)| {
            let error = format!(
                "delivery report: {} {}",
                status.status,
                status.diagnostic.trim()
            );
            (status.address.clone(), error.trim_end().to_owned())
        })
        .collect();
    let message_id = crate::dsn::message_id(raw);
    let Some(states) = store
        .record_report(tenant, message_id.as_deref(), &failures, at)
        .await?
    else {
        tracing::info!(%tenant, "delivery report already fed: nothing counted again");
        return Ok(ReportOutcome {
            recipients: statuses
                .into_iter()
                .map(|status| ReportedRecipient {
                    status,
                    counted: false,
                    failures: None,
                })
                .collect(),
            duplicate: true,
        });
    };
    let mut states = states.into_iter();
    let recipients = statuses
        .into_iter()
        .zip(counted)
        .map(|(status, counted)| {
            let failures = if counted { states.next() } else { None };
            if let Some(state) = &failures
                && state.undeliverable_since == Some(at)
            {
                tracing::warn!(%tenant, hard_failures = state.hard_failures,
                    "address undeliverable after a delivery report: its e-mails are held until the member confirms it");
            }
            ReportedRecipient {
                status,
                counted,
                failures,
            }
        })
        .collect();
    Ok(ReportOutcome {
        recipients,
        duplicate: false,
    })
}
