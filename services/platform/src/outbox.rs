//! Transactional outbox. A service writes its state change and [`OutboxEvent`] rows in one
//! database transaction ([`Transactional::enqueue`]); the relay ([`run_relay`]) publishes the
//! rows to the bus with `Nats-Msg-Id` = event id and stamps them. No event leaves for a change
//! that rolled back; none is lost if the process dies after commit (the row is still there);
//! one published twice (death between publish and stamp) is dropped by the bus's de-duplication
//! and, past its window, by the consumers' idempotency.
//!
//! Several relay replicas may run against one PostgreSQL schema: rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so each row is published by one replica at a time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use prost::Message;
use sqlx::{PgConnection, Row, SqliteConnection};
use synergies_proto::events::v1::EventEnvelope;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::bus::{BusError, BusMessage, EventBus};
use crate::config::OutboxConfig;
use crate::db::Database;

/// An event ready to be stored in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEvent {
    pub event_id: Uuid,
    /// `<tenant>.<aggregate>.<event>`; the relay prepends the bus prefix.
    pub subject: String,
    pub envelope: Vec<u8>,
    pub traceparent: String,
}

impl OutboxEvent {
    pub fn new(envelope: &EventEnvelope) -> Self {
        Self {
            event_id: Uuid::parse_str(&envelope.event_id)
                .expect("envelopes are built with a UUIDv7"),
            subject: format!("{}.{}", envelope.tenant, envelope.event_type),
            envelope: envelope.encode_to_vec(),
            traceparent: envelope.traceparent.clone(),
        }
    }
}

/// Outbox and idempotency operations available inside a service's transaction, on either
/// backend.
#[async_trait]
pub trait Transactional: Send {
    /// Stores `event` for the relay, as part of the current transaction. Within an idempotent
    /// call ([`crate::idempotency::IdempotentCall::run`]), also marks the call's key as done by
    /// this effect, in the same transaction.
    async fn enqueue(&mut self, event: &OutboxEvent) -> sqlx::Result<()>;
    /// Records that `consumer` handles `event_id` in this transaction. `false`: it already did,
    /// and the caller must skip its effects.
    async fn first_delivery(&mut self, consumer: &str, event_id: Uuid) -> sqlx::Result<bool>;
}

const ENQUEUE: &str =
    "INSERT INTO outbox (event_id, subject, envelope, traceparent) VALUES ($1, $2, $3, $4)";
const FIRST_DELIVERY: &str =
    "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";

macro_rules! impl_transactional {
    ($connection:ty) => {
        #[async_trait]
        impl Transactional for $connection {
            async fn enqueue(&mut self, event: &OutboxEvent) -> sqlx::Result<()> {
                sqlx::query(ENQUEUE)
                    .bind(event.event_id)
                    .bind(&event.subject)
                    .bind(&event.envelope)
                    .bind(&event.traceparent)
                    .execute(&mut *self)
                    .await?;
                if let Some(claim) = crate::idempotency::current_claim() {
                    let mut mark = sqlx::query(crate::idempotency::MARK_EFFECT)
                        .bind(event.event_id.to_string());
                    for value in claim {
                        mark = mark.bind(value);
                    }
                    if mark.execute(&mut *self).await?.rows_affected() == 0 {
                        return Err(crate::idempotency::claim_lost());
                    }
                }
                Ok(())
            }

            async fn first_delivery(
                &mut self,
                consumer: &str,
                event_id: Uuid,
            ) -> sqlx::Result<bool> {
                let inserted = sqlx::query(FIRST_DELIVERY)
                    .bind(consumer)
                    .bind(event_id)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                Ok(inserted == 1)
            }
        }
    };
}

impl_transactional!(PgConnection);
impl_transactional!(SqliteConnection);

/// Wakes the relay right after a commit, so events leave without waiting for the next poll.
#[derive(Clone, Default, Debug)]
pub struct RelayWaker(Arc<Notify>);

impl RelayWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Publishes outbox rows until `shutdown`. `label` names the database in metrics (its schema
/// or file: one per service).
pub async fn run_relay(
    label: String,
    database: Database,
    bus: Arc<dyn EventBus>,
    prefix: String,
    config: OutboxConfig,
    waker: RelayWaker,
    shutdown: CancellationToken,
) {
    if !config.relay_enabled {
        tracing::warn!("outbox relay disabled by configuration: events stay in the outbox");
        return;
    }
    let poll = Duration::from_millis(config.poll_interval_ms.max(10));
    let batch = i64::from(config.batch_size.max(1));
    let mut failures = 0;
    let mut backlog_measured_at: Option<tokio::time::Instant> = None;
    while !shutdown.is_cancelled() {
        if backlog_measured_at.is_none_or(|at| at.elapsed() >= BACKLOG_EVERY) {
            record_backlog(&database, &label).await;
            backlog_measured_at = Some(tokio::time::Instant::now());
        }
        match relay_batch(&database, bus.as_ref(), &prefix, batch).await {
            Ok(published) if published as i64 == batch => continue,
            Ok(_) => failures = 0,
            Err(error) => {
                failures += 1;
                let delay = crate::retry::backoff(failures, Duration::from_secs(10));
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "outbox relay failed");
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(delay) => {}
                }
                continue;
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = waker.0.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// How often the relay measures its backlog for `/metrics` (a count on a partial index).
const BACKLOG_EVERY: Duration = Duration::from_secs(15);

/// Publishes the outbox backlog as gauges: rows waiting, and the age of the oldest. A growing
/// age means events are not leaving (bus down, relay stuck): the alert rules watch it.
async fn record_backlog(database: &Database, label: &str) {
    match unpublished_backlog(database).await {
        Ok(backlog) => {
            metrics::gauge!("synergies_outbox_unpublished", "database" => label.to_owned())
                .set(backlog.rows as f64);
            metrics::gauge!("synergies_outbox_oldest_unpublished_age_seconds", "database" => label.to_owned())
                .set(backlog.oldest_age.as_secs_f64());
        }
        Err(error) => tracing::debug!(%error, "outbox backlog not measured"),
    }
}

/// What the outbox holds that has not left yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub rows: i64,
    /// Age of the oldest unpublished row (zero when there is none).
    pub oldest_age: Duration,
}

/// The outbox's unpublished rows: how many, and how old the oldest is.
pub async fn unpublished_backlog(database: &Database) -> sqlx::Result<Backlog> {
    let (rows, oldest): (i64, Option<chrono::DateTime<chrono::Utc>>) = match database {
        Database::Postgres(pool) => {
            sqlx::query_as(
                "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE published_at IS NULL",
            )
            .fetch_one(pool)
            .await?
        }
        Database::Sqlite(pool) => {
            let (rows, oldest): (i64, Option<String>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE published_at IS NULL",
            )
            .fetch_one(pool)
            .await?;
            let oldest = oldest
                .and_then(|text| chrono::DateTime::parse_from_rfc3339(&text).ok())
                .map(|instant| instant.with_timezone(&chrono::Utc));
            (rows, oldest)
        }
    };
    let oldest_age = oldest
        .and_then(|instant| (chrono::Utc::now() - instant).to_std().ok())
        .unwrap_or_default();
    Ok(Backlog { rows, oldest_age })
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Bus(#[from] BusError),
}

struct PendingRow {
    id: i64,
    subject: String,
    envelope: Vec<u8>,
    traceparent: String,
    event_id: Uuid,
}

/// Publishes one batch of unpublished rows, oldest first. Returns how many were published.
pub async fn relay_batch(
    database: &Database,
    bus: &dyn EventBus,
    prefix: &str,
    batch: i64,
) -> Result<usize, RelayError> {
    match database {
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let rows = sqlx::query(
                "SELECT id, subject, envelope, traceparent, event_id FROM outbox
                  WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            )
            .bind(batch)
            .fetch_all(&mut *tx)
            .await?;
            let rows: Vec<PendingRow> = rows.iter().map(pending_row).collect::<Result<_, _>>()?;
            let published = publish_rows(bus, prefix, &rows).await;
            let ids: Vec<i64> = rows.iter().take(published.count).map(|r| r.id).collect();
            sqlx::query("UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1)")
                .bind(&ids)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            published.into_result()
        }
        Database::Sqlite(pool) => {
            // One process owns a SQLite file, so there is no concurrent relay to skip past.
            let rows = sqlx::query(
                "SELECT id, subject, envelope, traceparent, event_id FROM outbox
                  WHERE published_at IS NULL ORDER BY id LIMIT $1",
            )
            .bind(batch)
            .fetch_all(pool)
            .await?;
            let rows: Vec<PendingRow> = rows.iter().map(pending_row).collect::<Result<_, _>>()?;
            let published = publish_rows(bus, prefix, &rows).await;
            let mut tx = pool.begin().await?;
            for row in rows.iter().take(published.count) {
                sqlx::query(
                    "UPDATE outbox SET published_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                            attempts = attempts + 1 WHERE id = $1",
                )
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            published.into_result()
        }
    }
}

fn pending_row<R>(row: &R) -> Result<PendingRow, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Uuid: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(PendingRow {
        id: row.try_get(0)?,
        subject: row.try_get(1)?,
        envelope: row.try_get(2)?,
        traceparent: row.try_get(3)?,
        event_id: row.try_get(4)?,
    })
}

struct Published {
    count: usize,
    error: Option<BusError>,
}

impl Published {
    fn into_result(self) -> Result<usize, RelayError> {
        match self.error {
            Some(error) if self.count == 0 => Err(error.into()),
            _ => Ok(self.count),
        }
    }
}

/// Publishes rows in order and stops at the first failure, so order is kept per relay.
async fn publish_rows(bus: &dyn EventBus, prefix: &str, rows: &[PendingRow]) -> Published {
    let mut count = 0;
    for row in rows {
        let mut headers = HashMap::new();
        headers.insert("traceparent".to_owned(), row.traceparent.clone());
        let subject = format!("{prefix}.{}", row.subject);
        // The tracing name stays `outbox.relay` (the logs' word); exporters get the semantic
        // conventions' `publish <destination>`, kind producer.
        let span = tracing::info_span!(
            "outbox.relay",
            otel.name = %format_args!("publish {subject}"),
            otel.kind = "producer",
            messaging.system = bus.messaging_system(),
            messaging.operation = "publish",
            messaging.destination.name = %subject,
            messaging.message.id = %row.event_id,
            event_id = %row.event_id,
            subject = %row.subject,
            trace_id = tracing::field::Empty,
        );
        crate::telemetry::adopt_parent(&span, crate::telemetry::context_from_headers(&headers));
        let message = BusMessage {
            subject,
            msg_id: row.event_id.to_string(),
            payload: row.envelope.clone().into(),
            headers: headers.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
        };
        let result = async {
            let published = bus.publish(message).await;
            if published.is_ok() {
                tracing::info!("event published");
                metrics::counter!("synergies_events_published_total").increment(1);
            }
            published
        }
        .instrument(span)
        .await;
        if let Err(error) = result {
            return Published {
                count,
                error: Some(error),
            };
        }
        count += 1;
    }
    Published { count, error: None }
}

/// Outbox rows not yet published (readiness and tests).
pub async fn unpublished_count(database: &Database) -> sqlx::Result<i64> {
    const COUNT: &str = "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL";
    match database {
        Database::Postgres(pool) => sqlx::query_scalar(COUNT).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_scalar(COUNT).fetch_one(pool).await,
    }
}
