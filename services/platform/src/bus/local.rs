//! The all-in-one mode's bus: in-process, but durable. Messages, consumer positions, pending
//! deliveries and dead letters live in one SQLite file, so an event published before a crash
//! is still delivered after the restart, exactly as with JetStream.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::{Row, SqlitePool};
use tokio::sync::Notify;

use super::{
    BusError, BusMessage, BusSettings, ConsumerSpec, DeadLetter, Delivery, DeliveryInfo, EventBus,
    Published, Settle, Subscription, subject_matches, validate_name,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bus_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    msg_id TEXT NOT NULL UNIQUE,
    payload BLOB NOT NULL,
    headers TEXT NOT NULL,
    published_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bus_consumers (
    name TEXT PRIMARY KEY,
    filter_subject TEXT NOT NULL,
    cursor INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bus_pending (
    consumer TEXT NOT NULL,
    seq INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    PRIMARY KEY (consumer, seq)
);
CREATE TABLE IF NOT EXISTS bus_dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer TEXT NOT NULL,
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at INTEGER NOT NULL
);
";

/// Messages every consumer has moved past are kept this long, then pruned at start.
const RETENTION_MILLIS: i64 = 7 * 24 * 3600 * 1000;

/// How often an idle consumer claims even when nothing woke it: it moves its cursor past the
/// messages of other subjects, which retention may then prune.
const IDLE_CLAIM_EVERY: Duration = Duration::from_secs(30);

/// A subscribed consumer of this process, woken when a message for it is published.
struct Waiter {
    filter: String,
    wake: std::sync::Weak<Notify>,
}

#[derive(Clone)]
pub struct LocalBus {
    pool: SqlitePool,
    /// Each consumer is woken only by the messages its filter takes: a claim holds the
    /// database's write lock, and every consumer claiming at every publication made the
    /// consumers on a path wait behind all the others.
    waiters: Arc<std::sync::Mutex<Vec<Waiter>>>,
    settings: BusSettings,
    /// Live messages: a broadcast to the listeners of this process (nothing stored).
    live: tokio::sync::broadcast::Sender<(String, bytes::Bytes)>,
}

impl LocalBus {
    pub async fn open(path: &Path, settings: BusSettings) -> Result<Self, BusError> {
        validate_name(&settings.prefix)?;
        let pool = crate::db::sqlite_pool(path)
            .await
            .map_err(BusError::unavailable)?;
        sqlx::raw_sql(SCHEMA)
            .execute(&pool)
            .await
            .map_err(BusError::unavailable)?;
        let bus = Self {
            pool,
            waiters: Arc::default(),
            settings,
            live: tokio::sync::broadcast::channel(1024).0,
        };
        bus.prune().await?;
        Ok(bus)
    }

    async fn prune(&self) -> Result<(), BusError> {
        sqlx::query(
            "DELETE FROM bus_messages WHERE published_at < $1
               AND seq <= (SELECT COALESCE(MIN(cursor), 0) FROM bus_consumers)
               AND seq NOT IN (SELECT seq FROM bus_pending)
               AND seq NOT IN (SELECT seq FROM bus_dead_letters)",
        )
        .bind(now_millis() - RETENTION_MILLIS)
        .execute(&self.pool)
        .await
        .map_err(BusError::unavailable)?;
        Ok(())
    }

    /// Deletes dead letters that failed before `failed_before`, then every message no consumer
    /// needs any more (delivered to all, older than the stream's week, and not dead-lettered).
    /// Returns how many dead letters were deleted.
    pub async fn prune_dead_letters(
        &self,
        failed_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, BusError> {
        let deleted = sqlx::query("DELETE FROM bus_dead_letters WHERE failed_at < $1")
            .bind(failed_before.timestamp_millis())
            .execute(&self.pool)
            .await
            .map_err(BusError::unavailable)?
            .rows_affected();
        self.prune().await?;
        Ok(deleted)
    }

    /// The all-in-one mode's retention of its bus: every `interval` until `shutdown`, the
    /// messages every consumer is done with, and dead letters older than `dead_letter_max_age`
    /// (zero keeps them). JetStream does the same with the streams' `max_age`.
    pub async fn run_retention(
        self,
        dead_letter_max_age: Duration,
        interval: Duration,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        loop {
            let result = if dead_letter_max_age.is_zero() {
                self.prune().await.map(|()| 0)
            } else {
                let age = chrono::Duration::from_std(dead_letter_max_age)
                    .unwrap_or(chrono::Duration::MAX);
                self.prune_dead_letters(chrono::Utc::now() - age).await
            };
            match result {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "old dead letters deleted"),
                Err(error) => tracing::warn!(%error, "bus retention sweep failed"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    async fn insert(&self, message: &BusMessage) -> Result<Published, BusError> {
        let headers = serde_json::to_string(&message.headers).map_err(BusError::unavailable)?;
        let inserted = sqlx::query(
            "INSERT INTO bus_messages (subject, msg_id, payload, headers, published_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (msg_id) DO NOTHING",
        )
        .bind(&message.subject)
        .bind(&message.msg_id)
        .bind(message.payload.as_ref())
        .bind(headers)
        .bind(now_millis())
        .execute(&self.pool)
        .await
        .map_err(BusError::unavailable)?
        .rows_affected();
        if inserted > 0 {
            self.wake(|waiter| subject_matches(&waiter.filter, &message.subject));
        }
        Ok(Published {
            duplicate: inserted == 0,
        })
    }

    /// Wakes the consumers `which` selects (a permit is kept for one not waiting yet, so a
    /// publication between its look and its wait is not missed); forgets those dropped.
    fn wake(&self, which: impl Fn(&Waiter) -> bool) {
        let Ok(mut waiters) = self.waiters.lock() else {
            return;
        };
        waiters.retain(|waiter| match waiter.wake.upgrade() {
            Some(wake) => {
                if which(waiter) {
                    wake.notify_one();
                }
                true
            }
            None => false,
        });
    }

    fn register(&self, filter: &str) -> Arc<Notify> {
        let wake = Arc::new(Notify::new());
        if let Ok(mut waiters) = self.waiters.lock() {
            waiters.retain(|waiter| waiter.wake.strong_count() > 0);
            waiters.push(Waiter {
                filter: filter.to_owned(),
                wake: Arc::downgrade(&wake),
            });
        }
        wake
    }

    /// Moves new matching messages into the consumer's pending set, then leases up to `max`
    /// of the pending ones that are due, for `ack_wait`.
    async fn claim(
        &self,
        consumer: &str,
        max: usize,
    ) -> Result<Vec<(i64, DeliveryInfo)>, BusError> {
        let now = now_millis();
        // IMMEDIATE: this transaction reads then writes; a deferred one would fail with
        // "database is locked" when another writer slipped in between, instead of waiting.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(BusError::unavailable)?;
        let row = sqlx::query("SELECT filter_subject, cursor FROM bus_consumers WHERE name = $1")
            .bind(consumer)
            .fetch_one(&mut *tx)
            .await
            .map_err(BusError::unavailable)?;
        let filter: String = row.get(0);
        let cursor: i64 = row.get(1);
        // A consumer woken seldom may be far behind on other subjects' messages: it reads on
        // until it has seen them all, so that a message of its own beyond the first thousand
        // does not wait for the next wake.
        let mut cursor = cursor;
        loop {
            let fresh = sqlx::query(
                "SELECT seq, subject FROM bus_messages WHERE seq > $1 ORDER BY seq LIMIT 1000",
            )
            .bind(cursor)
            .fetch_all(&mut *tx)
            .await
            .map_err(BusError::unavailable)?;
            let Some(last) = fresh.last() else { break };
            for message in &fresh {
                let subject: String = message.get(1);
                if subject_matches(&filter, &subject) {
                    sqlx::query("INSERT OR IGNORE INTO bus_pending (consumer, seq, attempts, available_at) VALUES ($1, $2, 0, 0)")
                        .bind(consumer)
                        .bind(message.get::<i64, _>(0))
                        .execute(&mut *tx)
                        .await
                        .map_err(BusError::unavailable)?;
                }
            }
            cursor = last.get::<i64, _>(0);
            sqlx::query("UPDATE bus_consumers SET cursor = $1 WHERE name = $2")
                .bind(cursor)
                .bind(consumer)
                .execute(&mut *tx)
                .await
                .map_err(BusError::unavailable)?;
            if fresh.len() < 1000 {
                break;
            }
        }
        let due = sqlx::query(
            "SELECT p.seq, p.attempts, m.subject, m.msg_id, m.payload, m.headers
               FROM bus_pending p JOIN bus_messages m ON m.seq = p.seq
              WHERE p.consumer = $1 AND p.available_at <= $2
              ORDER BY p.seq LIMIT $3",
        )
        .bind(consumer)
        .bind(now)
        .bind(max as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(BusError::unavailable)?;
        let lease_until = now + self.settings.ack_wait.as_millis() as i64;
        let mut claimed = Vec::with_capacity(due.len());
        for row in due {
            let seq: i64 = row.get(0);
            let attempt = row.get::<i64, _>(1) as u32 + 1;
            sqlx::query("UPDATE bus_pending SET attempts = $1, available_at = $2 WHERE consumer = $3 AND seq = $4")
                .bind(i64::from(attempt))
                .bind(lease_until)
                .bind(consumer)
                .bind(seq)
                .execute(&mut *tx)
                .await
                .map_err(BusError::unavailable)?;
            let headers: String = row.get(5);
            let info = DeliveryInfo {
                consumer: consumer.to_owned(),
                message: BusMessage {
                    subject: row.get(2),
                    msg_id: row.get(3),
                    payload: row.get::<Vec<u8>, _>(4).into(),
                    headers: serde_json::from_str(&headers).unwrap_or_default(),
                },
                attempt,
            };
            claimed.push((seq, info));
        }
        tx.commit().await.map_err(BusError::unavailable)?;
        Ok(claimed)
    }

    /// Milliseconds until the consumer's next pending delivery is due, if any.
    async fn next_due_in(&self, consumer: &str) -> Result<Option<i64>, BusError> {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MIN(available_at) FROM bus_pending WHERE consumer = $1")
                .bind(consumer)
                .fetch_one(&self.pool)
                .await
                .map_err(BusError::unavailable)?;
        Ok(next.map(|at| (at - now_millis()).max(0)))
    }
}

#[async_trait]
impl EventBus for LocalBus {
    fn messaging_system(&self) -> &'static str {
        // Not a registered system name: the all-in-one process's own bus, in its database.
        "synergies.embedded"
    }

    async fn publish(&self, message: BusMessage) -> Result<Published, BusError> {
        self.insert(&message).await
    }

    async fn subscribe(&self, spec: &ConsumerSpec) -> Result<Box<dyn Subscription>, BusError> {
        validate_name(&spec.name)?;
        // Like a new JetStream durable consumer, a new consumer starts at the first message.
        sqlx::query(
            "INSERT INTO bus_consumers (name, filter_subject, cursor) VALUES ($1, $2, 0)
             ON CONFLICT (name) DO UPDATE SET filter_subject = excluded.filter_subject",
        )
        .bind(&spec.name)
        .bind(&spec.filter_subject)
        .execute(&self.pool)
        .await
        .map_err(BusError::unavailable)?;
        Ok(Box::new(LocalSubscription {
            bus: self.clone(),
            name: spec.name.clone(),
            wake: self.register(&spec.filter_subject),
            must_claim: true,
            last_claim: tokio::time::Instant::now(),
        }))
    }

    async fn retire_consumers(
        &self,
        successor: &ConsumerSpec,
        retired: &[&str],
    ) -> Result<(), BusError> {
        validate_name(&successor.name)?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(BusError::unavailable)?;
        // Where each retired consumer stands: every message up to its cursor was taken, and
        // those still pending are not finished.
        let mut start: Option<i64> = None;
        let mut found = Vec::new();
        for name in retired {
            validate_name(name)?;
            let cursor: Option<i64> =
                sqlx::query_scalar("SELECT cursor FROM bus_consumers WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(BusError::unavailable)?;
            let Some(cursor) = cursor else { continue };
            let first_pending: Option<i64> =
                sqlx::query_scalar("SELECT MIN(seq) FROM bus_pending WHERE consumer = $1")
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(BusError::unavailable)?;
            let done_up_to = first_pending.map_or(cursor, |seq| cursor.min(seq - 1));
            start = Some(start.map_or(done_up_to, |start| start.min(done_up_to)));
            found.push(*name);
        }
        let Some(start) = start else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO bus_consumers (name, filter_subject, cursor) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&successor.name)
        .bind(&successor.filter_subject)
        .bind(start)
        .execute(&mut *tx)
        .await
        .map_err(BusError::unavailable)?;
        for name in found {
            sqlx::query("UPDATE bus_dead_letters SET consumer = $1 WHERE consumer = $2")
                .bind(&successor.name)
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(BusError::unavailable)?;
            sqlx::query("DELETE FROM bus_pending WHERE consumer = $1")
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(BusError::unavailable)?;
            sqlx::query("DELETE FROM bus_consumers WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(BusError::unavailable)?;
            tracing::info!(consumer = name, successor = %successor.name, "durable consumer retired");
        }
        tx.commit().await.map_err(BusError::unavailable)?;
        self.wake(|_| true);
        Ok(())
    }

    async fn dead_letters(&self, consumer: Option<&str>) -> Result<Vec<DeadLetter>, BusError> {
        let rows = sqlx::query(
            "SELECT d.id, d.reason, d.attempts, d.failed_at, m.subject, m.msg_id, m.payload, m.headers,
                    d.consumer
               FROM bus_dead_letters d JOIN bus_messages m ON m.seq = d.seq
              WHERE $1 IS NULL OR d.consumer = $1 ORDER BY d.id",
        )
        .bind(consumer)
        .fetch_all(&self.pool)
        .await
        .map_err(BusError::unavailable)?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let headers: String = row.get(7);
                DeadLetter {
                    id: row.get::<i64, _>(0) as u64,
                    consumer: row.get(8),
                    reason: row.get(1),
                    attempts: row.get::<i64, _>(2) as u32,
                    failed_at: chrono::DateTime::from_timestamp_millis(row.get(3))
                        .unwrap_or_default(),
                    message: BusMessage {
                        subject: row.get(4),
                        msg_id: row.get(5),
                        payload: row.get::<Vec<u8>, _>(6).into(),
                        headers: serde_json::from_str::<BTreeMap<String, String>>(&headers)
                            .unwrap_or_default(),
                    },
                }
            })
            .collect())
    }

    async fn replay_dead_letter(&self, consumer: &str, id: u64) -> Result<(), BusError> {
        let mut tx = self.pool.begin().await.map_err(BusError::unavailable)?;
        let seq: Option<i64> = sqlx::query_scalar(
            "DELETE FROM bus_dead_letters WHERE id = $1 AND consumer = $2 RETURNING seq",
        )
        .bind(id as i64)
        .bind(consumer)
        .fetch_optional(&mut *tx)
        .await
        .map_err(BusError::unavailable)?;
        let seq = seq.ok_or_else(|| BusError::DeadLetterNotFound {
            consumer: consumer.to_owned(),
            id,
        })?;
        // Only the consumer that gave up gets it again.
        sqlx::query("INSERT OR REPLACE INTO bus_pending (consumer, seq, attempts, available_at) VALUES ($1, $2, 0, 0)")
            .bind(consumer)
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(BusError::unavailable)?;
        tx.commit().await.map_err(BusError::unavailable)?;
        self.wake(|_| true);
        Ok(())
    }

    async fn is_healthy(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    async fn publish_live(&self, subject: &str, payload: bytes::Bytes) -> Result<(), BusError> {
        // No listener is no error: live messages are for whoever listens now.
        let _ = self.live.send((subject.to_owned(), payload));
        Ok(())
    }

    async fn listen_live(&self, filter: &str) -> Result<super::LiveMessages, BusError> {
        use futures::StreamExt;
        let filter = filter.to_owned();
        // A listener too slow to keep up loses the oldest messages, as a core NATS
        // subscriber would.
        let messages = tokio_stream::wrappers::BroadcastStream::new(self.live.subscribe())
            .filter_map(move |message| {
                let kept = message
                    .ok()
                    .filter(|(subject, _)| super::subject_matches(&filter, subject));
                async move { kept }
            });
        Ok(messages.boxed())
    }
}

struct LocalSubscription {
    bus: LocalBus,
    name: String,
    /// Notified when a message for this consumer is published (or its pending set changed).
    wake: Arc<Notify>,
    /// Woken, or holding more than the last batch took: claim before waiting.
    must_claim: bool,
    last_claim: tokio::time::Instant,
}

#[async_trait]
impl Subscription for LocalSubscription {
    async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if self.must_claim || self.last_claim.elapsed() >= IDLE_CLAIM_EVERY {
                self.must_claim = false;
                self.last_claim = tokio::time::Instant::now();
                let claimed = self.bus.claim(&self.name, max).await?;
                if !claimed.is_empty() {
                    // A full batch may have left messages behind it.
                    self.must_claim = true;
                    return Ok(claimed
                        .into_iter()
                        .map(|(seq, info)| {
                            let settle = LocalSettle {
                                bus: self.bus.clone(),
                                consumer: self.name.clone(),
                                seq,
                            };
                            Delivery::new(info, Box::new(settle))
                        })
                        .collect());
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let mut until = deadline;
            let mut due = false;
            if let Some(due_in) = self.bus.next_due_in(&self.name).await? {
                let due_at = now + Duration::from_millis(due_in as u64);
                if due_at <= until {
                    (until, due) = (due_at, true);
                }
            }
            // A publication for this consumer leaves a permit, so one made since the claim
            // wakes it at once.
            tokio::select! {
                () = self.wake.notified() => self.must_claim = true,
                () = tokio::time::sleep_until(until) => self.must_claim = due,
            }
        }
    }
}

struct LocalSettle {
    bus: LocalBus,
    consumer: String,
    seq: i64,
}

#[async_trait]
impl Settle for LocalSettle {
    async fn ack(&self) -> Result<(), BusError> {
        sqlx::query("DELETE FROM bus_pending WHERE consumer = $1 AND seq = $2")
            .bind(&self.consumer)
            .bind(self.seq)
            .execute(&self.bus.pool)
            .await
            .map_err(BusError::unavailable)?;
        Ok(())
    }

    async fn retry_after(&self, delay: Duration) -> Result<(), BusError> {
        sqlx::query("UPDATE bus_pending SET available_at = $1 WHERE consumer = $2 AND seq = $3")
            .bind(now_millis() + delay.as_millis() as i64)
            .bind(&self.consumer)
            .bind(self.seq)
            .execute(&self.bus.pool)
            .await
            .map_err(BusError::unavailable)?;
        Ok(())
    }

    async fn in_progress(&self) -> Result<(), BusError> {
        let lease_until = now_millis() + self.bus.settings.ack_wait.as_millis() as i64;
        sqlx::query("UPDATE bus_pending SET available_at = $1 WHERE consumer = $2 AND seq = $3")
            .bind(lease_until)
            .bind(&self.consumer)
            .bind(self.seq)
            .execute(&self.bus.pool)
            .await
            .map_err(BusError::unavailable)?;
        Ok(())
    }

    async fn dead_letter(&self, delivery: &DeliveryInfo, reason: &str) -> Result<(), BusError> {
        let mut tx = self.bus.pool.begin().await.map_err(BusError::unavailable)?;
        sqlx::query("INSERT INTO bus_dead_letters (consumer, seq, reason, attempts, failed_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&self.consumer)
            .bind(self.seq)
            .bind(reason)
            .bind(i64::from(delivery.attempt))
            .bind(now_millis())
            .execute(&mut *tx)
            .await
            .map_err(BusError::unavailable)?;
        sqlx::query("DELETE FROM bus_pending WHERE consumer = $1 AND seq = $2")
            .bind(&self.consumer)
            .bind(self.seq)
            .execute(&mut *tx)
            .await
            .map_err(BusError::unavailable)?;
        tx.commit().await.map_err(BusError::unavailable)
    }
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
