//! Runs an [`EventHandler`] on a durable consumer: decode, handle, settle. Transient failures
//! of the event are retried with backoff up to `max_deliver` of them, then dead-lettered with
//! the reason; malformed payloads and permanent failures are dead-lettered at once. The consumer
//! goes on with the next event either way.
//!
//! An outage of the consumer's own dependencies (its database, a service it calls) is not the
//! event's fault: the consumer stops taking events, keeps the one in hand from being delivered
//! again (`in_progress`), waits with backoff and handles it again once they answer. Only failures
//! of the event itself count towards the dead-letter bound; deliveries repeated because the bus
//! or the process went away do not either, as the count is of this handler's failures, kept per
//! event while it fails (a restart forgets them: an event gets more tries, never fewer).
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
    /// Retrying may help (a conflict, a refusal that may change); counts towards the bound.
    #[error("{0}")]
    Transient(String),
    /// A dependency of the consumer is down (database unreachable, service unavailable): the
    /// event is held and handled again once it answers, without counting a failure.
    #[error("{0}")]
    Unavailable(String),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        if crate::db::is_outage(&error) {
            Self::Unavailable(format!("database: {error}"))
        } else {
            Self::Transient(format!("database: {error}"))
        }
    }
}

impl From<tonic::Status> for HandlerError {
    fn from(status: tonic::Status) -> Self {
        if crate::error::is_transport_failure(&status) {
            return Self::Unavailable(format!("downstream service: {status}"));
        }
        match status.code() {
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Cancelled => {
                Self::Unavailable(format!("downstream service: {}", status.message()))
            }
            tonic::Code::InvalidArgument
            | tonic::Code::NotFound
            | tonic::Code::PermissionDenied
            | tonic::Code::FailedPrecondition => Self::Permanent(status.message().to_owned()),
            _ => Self::Transient(status.message().to_owned()),
        }
    }
}

impl From<crate::events::DecodeError> for HandlerError {
    fn from(error: crate::events::DecodeError) -> Self {
        Self::Permanent(error.to_string())
    }
}

/// The UUID an event carries in `field`: an event whose UUID does not parse cannot be handled,
/// however often it is retried. (One helper for every consumer, which each had its copy.)
pub fn uuid(field: &str, value: &str) -> Result<uuid::Uuid, HandlerError> {
    uuid::Uuid::parse_str(value)
        .map_err(|_| HandlerError::Permanent(format!("{field} {value:?} is not a UUID")))
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
    let mut event_failures = EventFailures::default();
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
                        let consumer = Consumer {
                            name: &spec.name,
                            messaging_system: bus.messaging_system(),
                            handler: handler.as_ref(),
                            max_failures: settings.max_deliver,
                            shutdown: &shutdown,
                        };
                        consumer.process(delivery, &mut event_failures).await;
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

/// Failures of the events this consumer is failing on, by message id; an entry leaves when
/// its event is handled or dead-lettered.
#[derive(Default)]
struct EventFailures(HashMap<String, u32>);

impl EventFailures {
    fn record(&mut self, msg_id: &str) -> u32 {
        let count = self.0.entry(msg_id.to_owned()).or_default();
        *count += 1;
        *count
    }

    fn forget(&mut self, msg_id: &str) {
        self.0.remove(msg_id);
    }
}

struct Consumer<'a> {
    name: &'a str,
    /// `messaging.system` of the spans (the semantic conventions' name of the bus).
    messaging_system: &'static str,
    handler: &'a dyn EventHandler,
    max_failures: u32,
    shutdown: &'a CancellationToken,
}

impl Consumer<'_> {
    /// Keeps `delivery` from being delivered again for `delay`; false on shutdown.
    async fn hold(&self, delivery: &Delivery, delay: Duration) -> bool {
        let until = tokio::time::Instant::now() + delay;
        loop {
            if let Err(error) = delivery.in_progress().await {
                // The bus itself is away: it will deliver the event again, which costs it
                // nothing here (failures are counted by this consumer, not by the bus).
                tracing::warn!(%error, "could not extend the event's ack wait");
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return true;
            }
            tokio::select! {
                () = self.shutdown.cancelled() => return false,
                () = tokio::time::sleep((until - now).min(HOLD_PROGRESS_EVERY)) => {}
            }
        }
    }
}

/// What became of one delivery.
enum Outcome {
    Handled,
    Retry(Duration),
    DeadLetter(String),
    /// Shut down while waiting for a dependency: the bus delivers it again later.
    Abandoned,
}

impl Consumer<'_> {
    async fn process(&self, delivery: Delivery, failures: &mut EventFailures) {
        let consumer = self.name;
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
        let subject = &delivery.message().subject;
        // The tracing name stays `event.consume` (the logs' word); exporters get the
        // semantic conventions' `process <destination>`, kind consumer.
        let span = tracing::info_span!(
            "event.consume",
            otel.name = %format_args!("process {subject}"),
            otel.kind = "consumer",
            otel.status_code = tracing::field::Empty,
            messaging.system = self.messaging_system,
            messaging.operation = "process",
            messaging.destination.name = %subject,
            messaging.consumer.group.name = consumer,
            messaging.message.id = %envelope.event_id,
            consumer,
            event_type = %envelope.event_type,
            event_id = %envelope.event_id,
            tenant = %envelope.tenant,
            attempt = delivery.attempt(),
            trace_id = tracing::field::Empty,
        );
        if delivery.attempt() > 1 {
            metrics::counter!("synergies_events_redelivered_total", "consumer" => consumer.to_owned())
                .increment(1);
        }
        let started = std::time::Instant::now();
        let trace = HashMap::from([
            ("traceparent".to_owned(), envelope.traceparent.clone()),
            ("tracestate".to_owned(), envelope.tracestate.clone()),
        ]);
        crate::telemetry::adopt_parent(&span, crate::telemetry::context_from_headers(&trace));
        async {
            let msg_id = delivery.message().msg_id.clone();
            let outcome = self.handle(&delivery, &envelope, &msg_id, failures).await;
            let (name, settled) = match outcome {
                Outcome::Handled => {
                    failures.forget(&msg_id);
                    ("handled", delivery.ack().await)
                }
                Outcome::Retry(delay) => ("retry", delivery.retry_after(delay).await),
                Outcome::DeadLetter(reason) => {
                    failures.forget(&msg_id);
                    ("dead_letter", delivery.dead_letter(&reason).await)
                }
                Outcome::Abandoned => ("abandoned", Ok(())),
            };
            settle_result(consumer, name, settled);
            if name == "dead_letter" {
                span.record("otel.status_code", "ERROR");
            }
            metrics::counter!("synergies_events_consumed_total", "consumer" => consumer.to_owned(), "outcome" => name).increment(1);
            metrics::histogram!("synergies_event_processing_duration_seconds", "consumer" => consumer.to_owned(), "outcome" => name)
                .record(started.elapsed().as_secs_f64());
        }
        .instrument(span.clone())
        .await;
    }

    /// Handles the event, waiting through outages of the consumer's dependencies.
    async fn handle(
        &self,
        delivery: &Delivery,
        envelope: &EventEnvelope,
        msg_id: &str,
        failures: &mut EventFailures,
    ) -> Outcome {
        let mut outage_waits = 0;
        loop {
            match self.handler.handle(envelope).await {
                Ok(()) => {
                    if outage_waits > 0 {
                        tracing::info!(outage_waits, "dependencies answer again, event handled");
                    } else {
                        tracing::info!("event handled");
                    }
                    return Outcome::Handled;
                }
                Err(HandlerError::Unavailable(reason)) => {
                    outage_waits += 1;
                    let delay = crate::retry::backoff(outage_waits, OUTAGE_WAIT_MAX);
                    tracing::warn!(%reason, outage_waits, retry_in_ms = delay.as_millis() as u64,
                        "a dependency is down: holding the event and waiting (no delivery spent)");
                    metrics::counter!("synergies_consumer_outage_waits_total", "consumer" => self.name.to_owned()).increment(1);
                    if !self.hold(delivery, delay).await {
                        return Outcome::Abandoned;
                    }
                }
                Err(HandlerError::Transient(reason)) => {
                    let failed = failures.record(msg_id);
                    if failed >= self.max_failures {
                        tracing::error!(%reason, failed, "event dead-lettered");
                        return Outcome::DeadLetter(format!("{reason} (after {failed} failures)"));
                    }
                    let delay = crate::retry::backoff(failed, Duration::from_secs(30));
                    tracing::warn!(%reason, failed, retry_in_ms = delay.as_millis() as u64, "event handling failed, will retry");
                    return Outcome::Retry(delay);
                }
                Err(HandlerError::Permanent(reason)) => {
                    tracing::error!(%reason, "event dead-lettered");
                    return Outcome::DeadLetter(reason);
                }
            }
        }
    }
}

/// Longest pause between two tries of an event held through an outage.
const OUTAGE_WAIT_MAX: Duration = Duration::from_secs(5);
/// How often a held event's ack wait is restarted: under the shortest ack wait (1 s) allowed.
const HOLD_PROGRESS_EVERY: Duration = Duration::from_millis(500);

fn settle_result(consumer: &str, outcome: &str, result: Result<(), crate::bus::BusError>) {
    if let Err(error) = result {
        // The bus will deliver the event again after its ack wait; handlers are idempotent.
        tracing::warn!(consumer, outcome, %error, "could not settle delivery");
    }
}
