//! Retention: what the platform tables keep only for a while. Published outbox rows have done
//! their work once the bus holds the event; processed-event keys only need to outlive every
//! redelivery of the event they name (the bus keeps events 7 days). Without pruning both grow by
//! one row per event for ever.
//!
//! Each service sweeps its own database (PostgreSQL schema or SQLite file) every
//! `retention.sweep_interval_secs`. Deletions go in batches so that no sweep holds long locks
//! on a busy table; several replicas sweeping the same schema at once only delete the same
//! rows once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::RetentionConfig;
use crate::db::Database;

/// Rows deleted per statement.
const BATCH: i64 = 5_000;

/// What is old enough to delete: rows stamped strictly before these instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Outbox rows published before this. Unpublished rows are never deleted, however old.
    pub outbox_published_before: DateTime<Utc>,
    /// Processed-event keys recorded before this.
    pub processed_before: DateTime<Utc>,
}

impl Cutoffs {
    /// The cutoffs of `config` as of `now`.
    pub fn of(config: &RetentionConfig, now: DateTime<Utc>) -> Self {
        let days = |days: u64| chrono::Duration::days(i64::try_from(days).unwrap_or(i64::MAX));
        Self {
            outbox_published_before: now - days(config.outbox_days),
            processed_before: now - days(config.processed_events_days),
        }
    }
}

/// How many rows one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub outbox: u64,
    pub processed_events: u64,
}

/// SQLite keeps timestamps as text in this format, which sorts like the instants it names.
fn sqlite_timestamp(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Deletes published outbox rows and processed-event keys older than `cutoffs`.
pub async fn prune(database: &Database, cutoffs: Cutoffs) -> sqlx::Result<Pruned> {
    let mut pruned = Pruned::default();
    match database {
        Database::Postgres(pool) => {
            pruned.outbox = delete_in_batches(|| {
                sqlx::query(
                    "DELETE FROM outbox WHERE id IN (
                         SELECT id FROM outbox
                          WHERE published_at IS NOT NULL AND published_at < $1 LIMIT $2)",
                )
                .bind(cutoffs.outbox_published_before)
                .bind(BATCH)
                .execute(pool)
            })
            .await?;
            pruned.processed_events = delete_in_batches(|| {
                sqlx::query(
                    "DELETE FROM processed_events WHERE ctid IN (
                         SELECT ctid FROM processed_events WHERE processed_at < $1 LIMIT $2)",
                )
                .bind(cutoffs.processed_before)
                .bind(BATCH)
                .execute(pool)
            })
            .await?;
        }
        Database::Sqlite(pool) => {
            let outbox_before = sqlite_timestamp(cutoffs.outbox_published_before);
            let processed_before = sqlite_timestamp(cutoffs.processed_before);
            pruned.outbox = delete_in_batches(|| {
                sqlx::query(
                    "DELETE FROM outbox WHERE id IN (
                         SELECT id FROM outbox
                          WHERE published_at IS NOT NULL AND published_at < $1 LIMIT $2)",
                )
                .bind(&outbox_before)
                .bind(BATCH)
                .execute(pool)
            })
            .await?;
            pruned.processed_events = delete_in_batches(|| {
                sqlx::query(
                    "DELETE FROM processed_events WHERE rowid IN (
                         SELECT rowid FROM processed_events WHERE processed_at < $1 LIMIT $2)",
                )
                .bind(&processed_before)
                .bind(BATCH)
                .execute(pool)
            })
            .await?;
        }
    }
    Ok(pruned)
}

/// Runs `delete` (one batch) until a batch comes back short.
async fn delete_in_batches<F, Fut, R>(mut delete: F) -> sqlx::Result<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = sqlx::Result<R>>,
    R: RowsAffected,
{
    let mut total = 0;
    loop {
        let deleted = delete().await?.rows_affected();
        total += deleted;
        if deleted < BATCH as u64 {
            return Ok(total);
        }
    }
}

/// The two backends' query results, for [`delete_in_batches`].
trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// Sweeps `database` now and then every `config.sweep_interval_secs` until `shutdown`. A failed
/// sweep (database down) is logged and tried again at the next interval: nothing depends on it
/// but disk space.
pub async fn run(database: Database, config: RetentionConfig, shutdown: CancellationToken) {
    if !config.enabled {
        tracing::info!("retention disabled by configuration: outbox rows and event keys are kept");
        return;
    }
    let interval = Duration::from_secs(config.sweep_interval_secs.max(1));
    loop {
        match prune(&database, Cutoffs::of(&config, Utc::now())).await {
            Ok(pruned) => {
                metrics::counter!("synergies_retention_pruned_total", "table" => "outbox")
                    .increment(pruned.outbox);
                metrics::counter!("synergies_retention_pruned_total", "table" => "processed_events")
                    .increment(pruned.processed_events);
                if pruned != Pruned::default() {
                    tracing::info!(
                        outbox = pruned.outbox,
                        processed_events = pruned.processed_events,
                        "retention sweep deleted old rows"
                    );
                }
            }
            Err(error) => tracing::warn!(%error, "retention sweep failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
