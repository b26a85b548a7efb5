//! Keeps this replica's index current with the writes of the other replicas: every flow event
//! (`flow.recorded`, `flow.changed`, `flow.removed`) names a flow, which is read again from the
//! database and indexed as it now is — or dropped when it is gone.
//!
//! Each replica has its own durable consumer (named after the replica id kept with its index),
//! so every replica sees every event, its own included (harmless: the index skips a version it
//! already holds). Reading the flow rather than trusting the event makes the handler idempotent
//! and order-insensitive: whatever arrives last, the index ends as the database is. Events
//! older than the index's start are skipped: the build read the database after them.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use prost::Message;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_proto::events::v1::{EventEnvelope, FlowChanged};
use uuid::Uuid;

use super::engine::FlowSearchEngine;
use super::indexed_store::as_revision;
use crate::error::FlowsError;
use crate::store::FlowStore;

/// The aggregate whose events the follower reads (`<prefix>.<tenant>.flow.*`).
pub const AGGREGATE: &str = "flow";
/// Events stamped this long before the index started may not be reflected in its build yet
/// (their transaction was still open): they are handled again.
const START_MARGIN: TimeDelta = TimeDelta::seconds(60);

/// The durable consumer name of the replica with this index.
pub fn consumer_name(replica_id: &str) -> String {
    format!("flows-search-{replica_id}")
}

pub struct FlowIndexFollower {
    database: Arc<dyn FlowStore>,
    engine: Arc<dyn FlowSearchEngine>,
    /// Events that occurred before this are already in the index.
    skip_before: DateTime<Utc>,
}

impl FlowIndexFollower {
    pub fn new(
        database: Arc<dyn FlowStore>,
        engine: Arc<dyn FlowSearchEngine>,
        index_started: DateTime<Utc>,
    ) -> Self {
        Self {
            database,
            engine,
            skip_before: index_started - START_MARGIN,
        }
    }
}

/// The flow an event is about, and its version then: every flow event carries its snapshot at
/// field 1 (`FlowChanged` reads the recorded and removed ones alike).
fn flow_version(envelope: &EventEnvelope) -> Result<(Uuid, i64), HandlerError> {
    let snapshot = FlowChanged::decode(envelope.payload.as_slice())
        .map_err(|e| HandlerError::Permanent(e.to_string()))?
        .flow
        .unwrap_or_default();
    let id = Uuid::parse_str(&snapshot.flow_id).map_err(|_| {
        HandlerError::Permanent(format!("{} without a flow id", envelope.event_type))
    })?;
    Ok((id, snapshot.version))
}

impl From<FlowsError> for HandlerError {
    fn from(error: FlowsError) -> Self {
        match error {
            FlowsError::Storage(error) => error.into(),
            other => HandlerError::Unavailable(other.to_string()),
        }
    }
}

#[async_trait]
impl EventHandler for FlowIndexFollower {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        if !envelope.event_type.starts_with("flow.") {
            return Ok(());
        }
        let occurred_at = envelope
            .occurred_at
            .as_ref()
            .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
        if occurred_at.is_some_and(|t| t < self.skip_before) {
            return Ok(());
        }
        let (id, version) = flow_version(envelope)?;
        // This replica's own writes (indexed when made) and replays: nothing to read.
        if version > 0 && self.engine.holds(id, version) {
            return Ok(());
        }
        let flow = self.database.get(&envelope.tenant, id).await?;
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || match flow {
            Some(flow) => engine.apply(&[as_revision(flow)]),
            None => engine.remove(id),
        })
        .await
        .map_err(|e| HandlerError::Unavailable(e.to_string()))?
        .map_err(|e| HandlerError::Unavailable(e.to_string()))
    }
}
