//! Keeps this replica's index current with the writes of the other replicas: every listing
//! event names a listing, which is read again from the database and indexed as it now is.
//!
//! Each replica has its own durable consumer (named after the replica id kept with its index),
//! so every replica sees every event. Reading the listing rather than trusting the event makes
//! the handler idempotent and order-insensitive: whatever arrives last, the index ends as the
//! database is. Events older than the index's start are skipped: the build read the database
//! after them.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use prost::Message;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_proto::events::v1::{EventEnvelope, ListingPublished, ListingWithdrawn};
use uuid::Uuid;

use super::engine::SearchEngine;
use crate::error::ListingsError;
use crate::store::ListingStore;

/// The aggregate whose events the follower reads (`<prefix>.<tenant>.listing.*`).
pub const AGGREGATE: &str = "listing";
/// Events stamped this long before the index started may not be reflected in its build yet
/// (their transaction was still open): they are handled again.
const START_MARGIN: TimeDelta = TimeDelta::seconds(60);

/// The durable consumer name of the replica with this index.
pub fn consumer_name(replica_id: &str) -> String {
    format!("listings-search-{replica_id}")
}

pub struct IndexFollower {
    database: Arc<dyn ListingStore>,
    engine: Arc<dyn SearchEngine>,
    /// Events that occurred before this are already in the index.
    skip_before: DateTime<Utc>,
}

impl IndexFollower {
    pub fn new(
        database: Arc<dyn ListingStore>,
        engine: Arc<dyn SearchEngine>,
        index_started: DateTime<Utc>,
    ) -> Self {
        Self {
            database,
            engine,
            skip_before: index_started - START_MARGIN,
        }
    }
}

/// The listing an event is about: `listing.published` carries it at field 1, every other
/// listing event carries a `ListingChange` there.
fn listing_id(envelope: &EventEnvelope) -> Result<Uuid, HandlerError> {
    let id = if envelope.event_type == "listing.published" {
        ListingPublished::decode(envelope.payload.as_slice())
            .map_err(|e| HandlerError::Permanent(e.to_string()))?
            .listing_id
    } else {
        ListingWithdrawn::decode(envelope.payload.as_slice())
            .map_err(|e| HandlerError::Permanent(e.to_string()))?
            .change
            .unwrap_or_default()
            .listing_id
    };
    Uuid::parse_str(&id).map_err(|_| {
        HandlerError::Permanent(format!("{} without a listing id", envelope.event_type))
    })
}

impl From<ListingsError> for HandlerError {
    fn from(error: ListingsError) -> Self {
        match error {
            ListingsError::Storage(error) => error.into(),
            other => HandlerError::Unavailable(other.to_string()),
        }
    }
}

#[async_trait]
impl EventHandler for IndexFollower {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let occurred_at = envelope
            .occurred_at
            .as_ref()
            .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
        if occurred_at.is_some_and(|t| t < self.skip_before) {
            return Ok(());
        }
        let id = listing_id(envelope)?;
        let listing = self.database.get(&envelope.tenant, id).await?;
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || match listing {
            Some(listing) => engine.upsert(std::slice::from_ref(&listing)),
            None => engine.remove(&[id]),
        })
        .await
        .map_err(|e| HandlerError::Unavailable(e.to_string()))?
        .map_err(|e| HandlerError::Unavailable(e.to_string()))
    }
}
