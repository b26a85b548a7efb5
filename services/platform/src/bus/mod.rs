//! The event bus: at-least-once delivery to durable, named consumers with explicit
//! acknowledgement, bounded redelivery and a dead-letter place an operator can list and replay.
//!
//! Two implementations keep the same contract, proved by one conformance suite
//! (`tests/bus_conformance.rs`): [`nats::NatsBus`] on NATS JetStream for microservices mode and
//! [`local::LocalBus`], a durable in-process bus on SQLite, for the all-in-one mode.

pub mod local;
pub mod nats;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

/// One message on the bus. `msg_id` de-duplicates re-publications (the outbox relay may publish
/// a row twice if it dies between publishing and stamping it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusMessage {
    pub subject: String,
    pub msg_id: String,
    pub payload: Bytes,
    pub headers: BTreeMap<String, String>,
}

/// A durable consumer: its name survives restarts, its filter selects subjects
/// (`*` one token, `>` the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSpec {
    pub name: String,
    pub filter_subject: String,
}

/// Bus-wide delivery settings.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// First subject token; names the stream.
    pub prefix: String,
    /// How long a delivery may stay unacknowledged before it is delivered again.
    pub ack_wait: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// The bus already had a message with this id: nothing new was stored.
    pub duplicate: bool,
}

/// A message a consumer gave up on, with why.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: u64,
    pub consumer: String,
    pub message: BusMessage,
    pub reason: String,
    pub attempts: u32,
    pub failed_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
    #[error("invalid bus name {0:?}: use letters, digits, '-' and '_'")]
    InvalidName(String),
    #[error("no dead letter {id} for consumer {consumer}")]
    DeadLetterNotFound { consumer: String, id: u64 },
    /// A file the connection needs (certificate, credentials) cannot be read: retrying
    /// would not help.
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
}

impl BusError {
    pub(crate) fn unavailable(error: impl std::fmt::Display) -> Self {
        Self::Unavailable(error.to_string())
    }
}

#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    async fn publish(&self, message: BusMessage) -> Result<Published, BusError>;
    /// Creates the durable consumer if needed and attaches to it. Several subscriptions to
    /// the same consumer share its messages (replicas of one service).
    async fn subscribe(&self, spec: &ConsumerSpec) -> Result<Box<dyn Subscription>, BusError>;
    /// Hands the work of the `retired` durable consumers over to `successor` (consumers merged
    /// into one, or renamed), then deletes them. A successor that does not exist yet starts at
    /// the first message one of them had not finished, not at the stream's start: an upgrade
    /// neither replays the history nor skips what was in flight (messages between that start
    /// and the others' positions come again; handlers skip what they already did by event
    /// id). Their dead letters become the successor's, listed and replayed under its name.
    /// Retired consumers that do not exist are ignored; when none exists, nothing is done.
    async fn retire_consumers(
        &self,
        successor: &ConsumerSpec,
        retired: &[&str],
    ) -> Result<(), BusError>;
    /// The dead letters of `consumer`, or of every consumer when `None`.
    async fn dead_letters(&self, consumer: Option<&str>) -> Result<Vec<DeadLetter>, BusError>;
    /// Delivers a dead letter again and removes it from the dead-letter place.
    async fn replay_dead_letter(&self, consumer: &str, id: u64) -> Result<(), BusError>;
    async fn is_healthy(&self) -> bool;
    /// The bus's `messaging.system` in traces (OpenTelemetry semantic conventions).
    fn messaging_system(&self) -> &'static str {
        "nats"
    }
    /// Live fan-out, at most once and never stored: every listener attached when a message is
    /// published gets it (each gateway replica, for its own connections). `subject` is relative
    /// (`<tenant>.inbox`); it never reaches the durable stream.
    async fn publish_live(&self, subject: &str, payload: Bytes) -> Result<(), BusError> {
        let _ = (subject, payload);
        Err(BusError::Unavailable(
            "live messages are not supported".into(),
        ))
    }
    /// The live messages whose relative subject matches `filter` (`*` and `>` wildcards),
    /// from now on, as `(subject, payload)`.
    async fn listen_live(&self, filter: &str) -> Result<LiveMessages, BusError> {
        let _ = filter;
        Err(BusError::Unavailable(
            "live messages are not supported".into(),
        ))
    }
}

/// Live messages as they come: `(relative subject, payload)`.
pub type LiveMessages = futures::stream::BoxStream<'static, (String, Bytes)>;

#[async_trait]
pub trait Subscription: Send {
    /// Up to `max` deliveries, waiting at most `wait` for the first one.
    async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError>;
}

/// How a delivery is settled; implemented by each bus.
#[async_trait]
pub trait Settle: Send + Sync {
    async fn ack(&self) -> Result<(), BusError>;
    async fn retry_after(&self, delay: Duration) -> Result<(), BusError>;
    async fn dead_letter(&self, delivery: &DeliveryInfo, reason: &str) -> Result<(), BusError>;
    /// Still working on it: restart the ack wait without counting a delivery.
    async fn in_progress(&self) -> Result<(), BusError>;
}

/// What a consumer knows of one delivery.
#[derive(Debug, Clone)]
pub struct DeliveryInfo {
    pub consumer: String,
    pub message: BusMessage,
    /// 1 on first delivery.
    pub attempt: u32,
}

pub struct Delivery {
    pub info: DeliveryInfo,
    settle: Box<dyn Settle>,
}

impl Delivery {
    pub(crate) fn new(info: DeliveryInfo, settle: Box<dyn Settle>) -> Self {
        Self { info, settle }
    }
    pub fn message(&self) -> &BusMessage {
        &self.info.message
    }
    pub fn attempt(&self) -> u32 {
        self.info.attempt
    }
    /// Done: never deliver again.
    pub async fn ack(self) -> Result<(), BusError> {
        self.settle.ack().await
    }
    /// Failed for now: deliver again after `delay`.
    pub async fn retry_after(self, delay: Duration) -> Result<(), BusError> {
        self.settle.retry_after(delay).await
    }
    /// Failed for good: move to the dead-letter place with `reason`.
    pub async fn dead_letter(self, reason: &str) -> Result<(), BusError> {
        self.settle.dead_letter(&self.info, reason).await
    }
    /// Held on purpose (the consumer waits for its own dependencies): keep it from being
    /// delivered again meanwhile, without spending one of its deliveries.
    pub async fn in_progress(&self) -> Result<(), BusError> {
        self.settle.in_progress().await
    }
}

/// NATS subject matching: `*` matches one token, `>` one or more trailing tokens.
pub fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    for filter_token in filter.split('.') {
        match (filter_token, subject_tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (expected, Some(actual)) if expected == actual => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

/// Names used as stream, consumer or subject tokens.
pub(crate) fn validate_name(name: &str) -> Result<(), BusError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(BusError::InvalidName(name.to_owned()))
    }
}

/// Header names used on every bus message.
pub mod headers {
    pub const ORIGINAL_SUBJECT: &str = "Synergies-Original-Subject";
    pub const ORIGINAL_MSG_ID: &str = "Synergies-Original-Msg-Id";
    pub const DEAD_LETTER_REASON: &str = "Synergies-Dead-Letter-Reason";
    pub const DEAD_LETTER_ATTEMPTS: &str = "Synergies-Dead-Letter-Attempts";
    pub const DEAD_LETTER_CONSUMER: &str = "Synergies-Dead-Letter-Consumer";
}

#[cfg(test)]
mod tests {
    use super::subject_matches;

    #[test]
    fn wildcards_follow_nats_rules() {
        assert!(subject_matches(
            "s.*.listing.published",
            "s.dijon.listing.published"
        ));
        assert!(subject_matches(
            "s.*.listing.>",
            "s.dijon.listing.published"
        ));
        assert!(!subject_matches("s.*.listing.>", "s.dijon.listing"));
        assert!(!subject_matches(
            "s.*.match.found",
            "s.dijon.listing.published"
        ));
        assert!(!subject_matches("s.dijon", "s.dijon.listing"));
        assert!(subject_matches("s.>", "s.a.b.c"));
    }
}
