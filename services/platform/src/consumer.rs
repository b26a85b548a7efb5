//! Runs an [`EventHandler`] on a durable consumer: decode, handle, settle. Transient failures
//! are retried with backoff up to `max_deliver` deliveries, then dead-lettered with the reason;
//! malformed payloads and permanent failures are dead-lettered at once. The consumer goes on
//! with the next event either way.
//!
//! Handlers are idempotent by recording the event with
//! [`crate::outbox::Transactional::first_delivery`] in the transaction of their effects.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use synergies_proto::events::v1::EventEnvelope;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::bus::{ConsumerSpec, Delivery, EventBus};

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Retrying cannot help (the event makes no sense to this handler).
    #[error("{0}")]
    Permanent(String),
    /// Retrying may help (database briefly unavailable, ...).
    #[error("{0}")]
    Transient(String),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        Self::Transient(format!("database: {error}"))
    }
}

impl From<crate::events::DecodeError> for HandlerError {
    fn from(error: crate::events::DecodeError) -> Self {
        Self::Permanent(error.to_string())
    }
}

#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError>;
}

#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    pub max_deliver: u32,
    pub batch: usize,
}

/// Consumes until `shutdown`; survives bus outages by re-subscribing with backoff.
pub async fn run(
    bus: Arc<dyn EventBus>,
    spec: ConsumerSpec,
    handler: Arc<dyn EventHandler>,
    settings: ConsumerSettings,
    shutdown: CancellationToken,
) {
    let mut failures = 0;
    let what = format!("consumer {}", spec.name);
    'subscribe: while !shutdown.is_cancelled() {
        let mut subscription = tokio::select! {
            () = shutdown.cancelled() => return,
            subscription = crate::retry::until_ok(&what, || bus.subscribe(&spec)) => subscription,
        };
        tracing::info!(consumer = %spec.name, filter = %spec.filter_subject, "consuming");
        loop {
            let batch = tokio::select! {
                () = shutdown.cancelled() => return,
                batch = subscription.next_batch(settings.batch, Duration::from_secs(1)) => batch,
            };
            match batch {
                Ok(deliveries) => {
                    failures = 0;
                    for delivery in deliveries {
                        process(&spec.name, delivery, handler.as_ref(), settings.max_deliver).await;
                    }
                }
                Err(error) => {
                    failures += 1;
                    let delay = crate::retry::backoff(failures, Duration::from_secs(10));
                    tracing::warn!(consumer = %spec.name, %error, "fetching events failed");
                    tokio::time::sleep(delay).await;
                    continue 'subscribe;
                }
            }
        }
    }
}

async fn process(consumer: &str, delivery: Delivery, handler: &dyn EventHandler, max_deliver: u32) {
    let envelope = match crate::events::decode_envelope(&delivery.message().payload) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::error!(consumer, subject = %delivery.message().subject, %error, "dead-lettering malformed event");
            settle_result(
                consumer,
                "outcome",
                delivery.dead_letter(&error.to_string()).await,
            );
            metrics::counter!("synergies_events_consumed_total", "consumer" => consumer.to_owned(), "outcome" => "dead_letter").increment(1);
            return;
        }
    };
    let span = tracing::info_span!(
        "event.consume",
        consumer,
        event_type = %envelope.event_type,
        event_id = %envelope.event_id,
        tenant = %envelope.tenant,
        attempt = delivery.attempt(),
        trace_id = tracing::field::Empty,
    );
    let trace = HashMap::from([
        ("traceparent".to_owned(), envelope.traceparent.clone()),
        ("tracestate".to_owned(), envelope.tracestate.clone()),
    ]);
    crate::telemetry::adopt_parent(&span, crate::telemetry::context_from_headers(&trace));
    async {
        let attempt = delivery.attempt();
        let (outcome, settled) = match handler.handle(&envelope).await {
            Ok(()) => {
                tracing::info!("event handled");
                ("handled", delivery.ack().await)
            }
            Err(HandlerError::Transient(reason)) if attempt < max_deliver => {
                let delay = crate::retry::backoff(attempt, Duration::from_secs(30));
                tracing::warn!(%reason, retry_in_ms = delay.as_millis() as u64, "event handling failed, will retry");
                ("retry", delivery.retry_after(delay).await)
            }
            Err(error) => {
                tracing::error!(%error, attempt, "event dead-lettered");
                let reason = format!("{error} (after {attempt} deliveries)");
                ("dead_letter", delivery.dead_letter(&reason).await)
            }
        };
        settle_result(consumer, outcome, settled);
        metrics::counter!("synergies_events_consumed_total", "consumer" => consumer.to_owned(), "outcome" => outcome).increment(1);
    }
    .instrument(span)
    .await;
}

fn settle_result(consumer: &str, outcome: &str, result: Result<(), crate::bus::BusError>) {
    if let Err(error) = result {
        // The bus will deliver the event again after its ack wait; handlers are idempotent.
        tracing::warn!(consumer, outcome, %error, "could not settle delivery");
    }
}
