//! NATS JetStream bus. One stream `<PREFIX>` holds `<prefix>.>`; dead letters go to the stream
//! `<PREFIX>_DLQ` on `<prefix>_dlq.<consumer>`. Both are created idempotently at start.
//! Only NATS 2.9 features are used (one filter subject per consumer).

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::{self, AckKind, stream};
use async_trait::async_trait;
use futures::{FutureExt, StreamExt, TryStreamExt};

use super::{
    BusError, BusMessage, BusSettings, ConsumerSpec, DeadLetter, Delivery, DeliveryInfo, EventBus,
    Published, Settle, Subscription, headers, validate_name,
};

/// Re-publications of the same message id within this window are dropped by the server.
const DUPLICATE_WINDOW: Duration = Duration::from_mins(15);
/// Messages the client asks for at a time; each starts its ack wait once it is delivered.
const PULL_BATCH: usize = 32;
/// Events older than this are dropped from the stream; every consumer is far ahead by then.
const RETENTION: Duration = Duration::from_hours(7 * 24);

/// How the two streams are stored: set by operators for a clustered JetStream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// Copies of each stream in a JetStream cluster (1, 3 or 5; 1 on a single server).
    pub replicas: usize,
    /// Dead letters older than this are dropped (zero: kept until replayed or purged by hand).
    pub dead_letter_max_age: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            replicas: 1,
            dead_letter_max_age: Duration::ZERO,
        }
    }
}

/// How this client proves itself to the NATS server and checks the server: TLS (required
/// as soon as a CA or client certificate is given, or the URL is `tls://`), and user and
/// password or a credentials file. The default: what the URL says.
#[derive(Debug, Clone, Default)]
pub struct NatsAccess {
    pub require_tls: bool,
    /// PEM CA the server's certificate must be signed by (else the system's roots).
    pub ca_file: Option<std::path::PathBuf>,
    /// PEM client certificate and key, for a server that verifies its clients.
    pub client_certificate: Option<(std::path::PathBuf, std::path::PathBuf)>,
    pub user_and_password: Option<(String, crate::config::Secret)>,
    /// A `.creds` file: the user's JWT and NKey seed.
    pub credentials_file: Option<std::path::PathBuf>,
}

impl NatsAccess {
    /// From the `[bus]` section.
    pub fn from_config(config: &crate::config::BusConfig) -> Self {
        let path = |file: &str| (!file.is_empty()).then(|| std::path::PathBuf::from(file));
        Self {
            require_tls: config.tls_required(),
            ca_file: path(&config.tls_ca_file),
            client_certificate: path(&config.tls_cert_file).zip(path(&config.tls_key_file)),
            user_and_password: (!config.user.is_empty())
                .then(|| (config.user.clone(), config.password.clone())),
            credentials_file: path(&config.credentials_file),
        }
    }

    /// Connect options for one attempt; `credentials` is the credentials file's content.
    fn options(&self, credentials: Option<&str>) -> async_nats::ConnectOptions {
        let mut options = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .retry_on_initial_connect();
        if self.require_tls {
            options = options.require_tls(true);
        }
        if let Some(ca) = &self.ca_file {
            options = options.add_root_certificates(ca.clone());
        }
        if let Some((certificate, key)) = &self.client_certificate {
            options = options.add_client_certificate(certificate.clone(), key.clone());
        }
        if let Some((user, password)) = &self.user_and_password {
            options = options.user_and_password(user.clone(), password.expose().to_owned());
        }
        if let Some(credentials) = credentials {
            options = options
                .credentials(credentials)
                .expect("the credentials were checked when read");
        }
        options
    }

    /// Reads every file now, so that a wrong path stops the start with its name instead of
    /// failing each connection attempt; returns the credentials file's content.
    fn check_files(&self) -> Result<Option<String>, BusError> {
        let unreadable = |path: &std::path::Path, reason: String| BusError::File {
            path: path.display().to_string(),
            reason,
        };
        let certificates = self.ca_file.iter().chain(
            self.client_certificate
                .iter()
                .flat_map(|(certificate, key)| [certificate, key]),
        );
        for path in certificates {
            std::fs::metadata(path).map_err(|error| unreadable(path, error.to_string()))?;
        }
        let Some(path) = &self.credentials_file else {
            return Ok(None);
        };
        let credentials =
            std::fs::read_to_string(path).map_err(|error| unreadable(path, error.to_string()))?;
        // Parsed once here: a malformed file is a configuration error, not an outage.
        async_nats::ConnectOptions::new()
            .credentials(&credentials)
            .map_err(|error| unreadable(path, error.to_string()))?;
        Ok(Some(credentials))
    }
}

#[derive(Clone)]
pub struct NatsBus {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    settings: BusSettings,
    streams: StreamSettings,
}

impl NatsBus {
    /// Connects (retrying with backoff while the server is unreachable) and ensures the streams,
    /// with one replica each and dead letters kept until replayed.
    pub async fn connect(url: &str, settings: BusSettings) -> Result<Self, BusError> {
        Self::connect_with_streams(url, settings, StreamSettings::default()).await
    }

    /// Like [`Self::connect`], with the streams' replicas and dead-letter age given; streams that
    /// already exist are updated to them.
    pub async fn connect_with_streams(
        url: &str,
        settings: BusSettings,
        streams: StreamSettings,
    ) -> Result<Self, BusError> {
        Self::connect_with_access(url, settings, streams, &NatsAccess::default()).await
    }

    /// Like [`Self::connect_with_streams`], with TLS and credentials.
    pub async fn connect_with_access(
        url: &str,
        settings: BusSettings,
        streams: StreamSettings,
        access: &NatsAccess,
    ) -> Result<Self, BusError> {
        validate_name(&settings.prefix)?;
        let credentials = access.check_files()?;
        let client = crate::retry::until_ok("NATS", || {
            access.options(credentials.as_deref()).connect(url)
        })
        .await;
        let bus = Self {
            jetstream: jetstream::new(client.clone()),
            client,
            settings,
            streams,
        };
        crate::retry::until_ok("JetStream", || bus.ensure_streams()).await;
        Ok(bus)
    }

    fn stream_name(&self) -> String {
        self.settings.prefix.to_uppercase()
    }

    fn dead_letter_stream_name(&self) -> String {
        format!("{}_DLQ", self.stream_name())
    }

    fn dead_letter_subject(&self, consumer: &str) -> String {
        format!("{}_dlq.{consumer}", self.settings.prefix)
    }

    async fn ensure_streams(&self) -> Result<(), BusError> {
        self.ensure_stream(stream::Config {
            name: self.stream_name(),
            subjects: vec![format!("{}.>", self.settings.prefix)],
            duplicate_window: DUPLICATE_WINDOW,
            max_age: RETENTION,
            storage: stream::StorageType::File,
            num_replicas: self.streams.replicas.max(1),
            ..Default::default()
        })
        .await?;
        self.ensure_stream(stream::Config {
            name: self.dead_letter_stream_name(),
            subjects: vec![format!("{}_dlq.>", self.settings.prefix)],
            storage: stream::StorageType::File,
            max_age: self.streams.dead_letter_max_age,
            num_replicas: self.streams.replicas.max(1),
            ..Default::default()
        })
        .await
    }

    /// Creates the stream, or brings an existing one to the configured replicas and age: an
    /// operator changes them through the configuration, not by hand on every environment.
    async fn ensure_stream(&self, wanted: stream::Config) -> Result<(), BusError> {
        let mut existing = self
            .jetstream
            .get_or_create_stream(wanted.clone())
            .await
            .map_err(BusError::unavailable)?;
        let info = existing.info().await.map_err(BusError::unavailable)?;
        let current = &info.config;
        if current.num_replicas != wanted.num_replicas || current.max_age != wanted.max_age {
            let updated = stream::Config {
                num_replicas: wanted.num_replicas,
                max_age: wanted.max_age,
                ..current.clone()
            };
            self.jetstream
                .update_stream(updated)
                .await
                .map_err(BusError::unavailable)?;
            tracing::info!(
                stream = wanted.name,
                replicas = wanted.num_replicas,
                max_age_secs = wanted.max_age.as_secs(),
                "stream settings updated"
            );
        }
        Ok(())
    }

    /// Messages a durable consumer has not finished with: not delivered yet, and delivered but
    /// not acknowledged. `(0, 0)` once every event so far is handled (tests wait on it; it is
    /// also the consumer's lag).
    pub async fn consumer_backlog(&self, consumer: &str) -> Result<(u64, usize), BusError> {
        let stream = self
            .jetstream
            .get_stream(self.stream_name())
            .await
            .map_err(BusError::unavailable)?;
        let info = stream
            .consumer_info(consumer)
            .await
            .map_err(BusError::unavailable)?;
        Ok((info.num_pending, info.num_ack_pending))
    }

    /// A durable pull consumer's settings, starting at `start` when it is created.
    fn durable_config(&self, spec: &ConsumerSpec, start: DeliverPolicy) -> pull::Config {
        pull::Config {
            durable_name: Some(spec.name.clone()),
            filter_subject: spec.filter_subject.clone(),
            ack_policy: AckPolicy::Explicit,
            ack_wait: self.settings.ack_wait,
            // Redelivery is bounded by the consumer runtime, which dead-letters with a
            // reason; the server must not silently drop messages first.
            max_deliver: -1,
            deliver_policy: start,
            ..Default::default()
        }
    }

    /// Moves the dead letters of `from` to `to`'s subject, keeping their headers.
    async fn move_dead_letters(&self, from: &str, to: &str) -> Result<(), BusError> {
        let stream = self.dead_letter_stream().await?;
        for letter in self.dead_letters(Some(from)).await? {
            let raw = stream
                .get_raw_message(letter.id)
                .await
                .map_err(BusError::unavailable)?;
            let (_, mut map) = from_nats_headers(Some(&raw.headers));
            map.insert(headers::DEAD_LETTER_CONSUMER.into(), to.to_owned());
            self.publish(BusMessage {
                subject: self.dead_letter_subject(to),
                msg_id: format!("{}:dead:{to}", letter.message.msg_id),
                payload: raw.payload,
                headers: map,
            })
            .await?;
            stream
                .delete_message(letter.id)
                .await
                .map_err(BusError::unavailable)?;
        }
        Ok(())
    }

    /// Removes both streams (test clean-up).
    pub async fn delete_streams(&self) -> Result<(), BusError> {
        for name in [self.stream_name(), self.dead_letter_stream_name()] {
            let _ = self.jetstream.delete_stream(&name).await;
        }
        Ok(())
    }

    async fn dead_letter_stream(&self) -> Result<stream::Stream, BusError> {
        self.jetstream
            .get_stream(self.dead_letter_stream_name())
            .await
            .map_err(BusError::unavailable)
    }
}

fn to_nats_headers(message: &BusMessage) -> async_nats::HeaderMap {
    let mut nats_headers = async_nats::HeaderMap::new();
    for (name, value) in &message.headers {
        nats_headers.insert(name.as_str(), value.as_str());
    }
    nats_headers.insert(async_nats::header::NATS_MESSAGE_ID, message.msg_id.as_str());
    nats_headers
}

fn from_nats_headers(
    nats_headers: Option<&async_nats::HeaderMap>,
) -> (String, BTreeMap<String, String>) {
    let mut msg_id = String::new();
    let mut map = BTreeMap::new();
    if let Some(nats_headers) = nats_headers {
        for (name, values) in nats_headers.iter() {
            let Some(value) = values.first() else {
                continue;
            };
            if name.to_string() == async_nats::header::NATS_MESSAGE_ID.to_string() {
                value.as_str().clone_into(&mut msg_id);
            } else {
                map.insert(name.to_string(), value.as_str().to_owned());
            }
        }
    }
    (msg_id, map)
}

#[async_trait]
impl EventBus for NatsBus {
    async fn publish(&self, message: BusMessage) -> Result<Published, BusError> {
        let ack = self
            .jetstream
            .publish_with_headers(
                message.subject.clone(),
                to_nats_headers(&message),
                message.payload,
            )
            .await
            .map_err(BusError::unavailable)?
            .await
            .map_err(BusError::unavailable)?;
        Ok(Published {
            duplicate: ack.duplicate,
        })
    }

    async fn subscribe(&self, spec: &ConsumerSpec) -> Result<Box<dyn Subscription>, BusError> {
        validate_name(&spec.name)?;
        let stream = self
            .jetstream
            .get_stream(self.stream_name())
            .await
            .map_err(BusError::unavailable)?;
        let consumer = stream
            .get_or_create_consumer(&spec.name, self.durable_config(spec, DeliverPolicy::All))
            .await
            .map_err(BusError::unavailable)?;
        // A continuous pull keeps requests outstanding at the server, so a new event is pushed
        // to us at once and an idle consumer costs nothing (a one-shot fetch would busy-poll).
        let messages = consumer
            .stream()
            .max_messages_per_batch(PULL_BATCH)
            .messages()
            .await
            .map_err(BusError::unavailable)?;
        Ok(Box::new(NatsSubscription {
            messages,
            bus: self.clone(),
            name: spec.name.clone(),
        }))
    }

    async fn retire_consumers(
        &self,
        successor: &ConsumerSpec,
        retired: &[&str],
    ) -> Result<(), BusError> {
        validate_name(&successor.name)?;
        let mut stream = self
            .jetstream
            .get_stream(self.stream_name())
            .await
            .map_err(BusError::unavailable)?;
        // Read before the consumers: one with nothing pending had then finished every message
        // up to this one.
        let last = stream
            .info()
            .await
            .map_err(BusError::unavailable)?
            .state
            .last_sequence;
        let existing: Vec<String> = stream
            .consumer_names()
            .try_collect()
            .await
            .map_err(BusError::unavailable)?;
        let mut start: Option<u64> = None;
        let mut found = Vec::new();
        for name in retired {
            validate_name(name)?;
            if !existing.iter().any(|existing| existing == name) {
                continue;
            }
            let info = stream
                .consumer_info(*name)
                .await
                .map_err(BusError::unavailable)?;
            let first_unfinished = if info.num_pending == 0 && info.num_ack_pending == 0 {
                last + 1
            } else {
                info.ack_floor.stream_sequence + 1
            };
            start = Some(start.map_or(first_unfinished, |start| start.min(first_unfinished)));
            found.push(*name);
        }
        let Some(start) = start else {
            return Ok(());
        };
        if !existing.contains(&successor.name) {
            let start = DeliverPolicy::ByStartSequence {
                start_sequence: start,
            };
            stream
                .get_or_create_consumer(&successor.name, self.durable_config(successor, start))
                .await
                .map_err(BusError::unavailable)?;
        }
        for name in found {
            self.move_dead_letters(name, &successor.name).await?;
            stream
                .delete_consumer(name)
                .await
                .map_err(BusError::unavailable)?;
            tracing::info!(consumer = name, successor = %successor.name, "durable consumer retired");
        }
        Ok(())
    }

    async fn dead_letters(&self, consumer: Option<&str>) -> Result<Vec<DeadLetter>, BusError> {
        let filter_subject = match consumer {
            Some(consumer) => {
                validate_name(consumer)?;
                self.dead_letter_subject(consumer)
            }
            None => self.dead_letter_subject(">"),
        };
        let stream = self.dead_letter_stream().await?;
        let reader = stream
            .create_consumer(pull::Config {
                filter_subject,
                ack_policy: AckPolicy::None,
                inactive_threshold: Duration::from_mins(1),
                ..Default::default()
            })
            .await
            .map_err(BusError::unavailable)?;
        let mut reader = reader;
        let pending = reader
            .info()
            .await
            .map_err(BusError::unavailable)?
            .num_pending as usize;
        let mut letters = Vec::with_capacity(pending);
        if pending == 0 {
            return Ok(letters);
        }
        let mut messages = reader
            .fetch()
            .max_messages(pending)
            .expires(Duration::from_secs(2))
            .messages()
            .await
            .map_err(BusError::unavailable)?;
        while let Some(message) = messages.next().await {
            let message = message.map_err(BusError::unavailable)?;
            let info = message.info().map_err(BusError::unavailable)?;
            let id = info.stream_sequence;
            let failed_at = chrono::DateTime::from_timestamp(info.published.unix_timestamp(), 0)
                .unwrap_or_default();
            let dead_letter_prefix = self.dead_letter_subject("");
            let consumer = message
                .subject
                .strip_prefix(dead_letter_prefix.as_str())
                .unwrap_or_default();
            letters.push(dead_letter_from(
                id,
                consumer,
                message.headers.as_ref(),
                message.payload.clone(),
                failed_at,
            ));
        }
        Ok(letters)
    }

    async fn replay_dead_letter(&self, consumer: &str, id: u64) -> Result<(), BusError> {
        validate_name(consumer)?;
        let stream = self.dead_letter_stream().await?;
        let not_found = || BusError::DeadLetterNotFound {
            consumer: consumer.to_owned(),
            id,
        };
        let raw = stream.get_raw_message(id).await.map_err(|_| not_found())?;
        if raw.subject.as_str() != self.dead_letter_subject(consumer) {
            return Err(not_found());
        }
        let letter = dead_letter_from(
            id,
            consumer,
            Some(&raw.headers),
            raw.payload,
            chrono::Utc::now(),
        );
        // A fresh message id gets past the duplicate window; consumers that already handled
        // the event skip it by its event id.
        let replay = BusMessage {
            msg_id: format!("{}:replay:{id}", letter.message.msg_id),
            ..letter.message
        };
        self.publish(replay).await?;
        stream
            .delete_message(id)
            .await
            .map_err(BusError::unavailable)?;
        Ok(())
    }

    async fn is_healthy(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Core NATS, outside the stream's subjects (`<prefix>_live.…`): nothing is stored.
    async fn publish_live(&self, subject: &str, payload: bytes::Bytes) -> Result<(), BusError> {
        self.client
            .publish(self.live_subject(subject), payload)
            .await
            .map_err(BusError::unavailable)
    }

    async fn listen_live(&self, filter: &str) -> Result<super::LiveMessages, BusError> {
        let prefix = self.live_subject("");
        let subscriber = self
            .client
            .subscribe(self.live_subject(filter))
            .await
            .map_err(BusError::unavailable)?;
        Ok(subscriber
            .map(move |message| {
                let subject = message
                    .subject
                    .as_str()
                    .strip_prefix(&prefix)
                    .unwrap_or_default()
                    .to_owned();
                (subject, message.payload)
            })
            .boxed())
    }
}

impl NatsBus {
    fn live_subject(&self, relative: &str) -> String {
        format!("{}_live.{relative}", self.settings.prefix)
    }
}

fn dead_letter_from(
    id: u64,
    consumer: &str,
    nats_headers: Option<&async_nats::HeaderMap>,
    payload: bytes::Bytes,
    failed_at: chrono::DateTime<chrono::Utc>,
) -> DeadLetter {
    let (_, mut map) = from_nats_headers(nats_headers);
    let subject = map.remove(headers::ORIGINAL_SUBJECT).unwrap_or_default();
    let msg_id = map.remove(headers::ORIGINAL_MSG_ID).unwrap_or_default();
    let reason = map.remove(headers::DEAD_LETTER_REASON).unwrap_or_default();
    let attempts = map
        .remove(headers::DEAD_LETTER_ATTEMPTS)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    map.remove(headers::DEAD_LETTER_CONSUMER);
    DeadLetter {
        id,
        consumer: consumer.to_owned(),
        message: BusMessage {
            subject,
            msg_id,
            payload,
            headers: map,
        },
        reason,
        attempts,
        failed_at,
    }
}

struct NatsSubscription {
    messages: pull::Stream,
    bus: NatsBus,
    name: String,
}

impl NatsSubscription {
    fn delivery(&self, message: jetstream::Message) -> Delivery {
        let attempt = message.info().map_or(1, |i| i.delivered).max(1) as u32;
        let (msg_id, map) = from_nats_headers(message.headers.as_ref());
        let info = DeliveryInfo {
            consumer: self.name.clone(),
            message: BusMessage {
                subject: message.subject.to_string(),
                msg_id,
                payload: message.payload.clone(),
                headers: map,
            },
            attempt,
        };
        Delivery::new(
            info,
            Box::new(NatsSettle {
                message,
                bus: self.bus.clone(),
            }),
        )
    }
}

#[async_trait]
impl Subscription for NatsSubscription {
    async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError> {
        let first = match tokio::time::timeout(wait, self.messages.next()).await {
            Err(_) => return Ok(Vec::new()),
            Ok(None) => return Err(BusError::Unavailable("the message stream ended".into())),
            Ok(Some(message)) => message.map_err(BusError::unavailable)?,
        };
        let mut deliveries = vec![self.delivery(first)];
        // Whatever else has already arrived, without waiting for more.
        while deliveries.len() < max {
            match self.messages.next().now_or_never() {
                Some(Some(Ok(message))) => deliveries.push(self.delivery(message)),
                _ => break,
            }
        }
        Ok(deliveries)
    }
}

struct NatsSettle {
    message: jetstream::Message,
    bus: NatsBus,
}

#[async_trait]
impl Settle for NatsSettle {
    async fn ack(&self) -> Result<(), BusError> {
        self.message
            .double_ack()
            .await
            .map_err(BusError::unavailable)
    }

    async fn retry_after(&self, delay: Duration) -> Result<(), BusError> {
        self.message
            .ack_with(AckKind::Nak(Some(delay)))
            .await
            .map_err(BusError::unavailable)
    }

    async fn in_progress(&self) -> Result<(), BusError> {
        self.message
            .ack_with(AckKind::Progress)
            .await
            .map_err(BusError::unavailable)
    }

    async fn dead_letter(&self, delivery: &DeliveryInfo, reason: &str) -> Result<(), BusError> {
        let mut map = delivery.message.headers.clone();
        map.insert(
            headers::ORIGINAL_SUBJECT.into(),
            delivery.message.subject.clone(),
        );
        map.insert(
            headers::ORIGINAL_MSG_ID.into(),
            delivery.message.msg_id.clone(),
        );
        map.insert(headers::DEAD_LETTER_REASON.into(), sanitize_header(reason));
        map.insert(
            headers::DEAD_LETTER_ATTEMPTS.into(),
            delivery.attempt.to_string(),
        );
        map.insert(
            headers::DEAD_LETTER_CONSUMER.into(),
            delivery.consumer.clone(),
        );
        let letter = BusMessage {
            subject: self.bus.dead_letter_subject(&delivery.consumer),
            msg_id: format!("{}:dead:{}", delivery.message.msg_id, delivery.consumer),
            payload: delivery.message.payload.clone(),
            headers: map,
        };
        // Stored first, then terminated: a crash in between redelivers rather than loses.
        self.bus.publish(letter).await?;
        self.message
            .ack_with(AckKind::Term)
            .await
            .map_err(BusError::unavailable)
    }
}

/// Header values are one line of printable text.
fn sanitize_header(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(1000)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BusSettings {
        BusSettings {
            prefix: "synergies".into(),
            ack_wait: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn a_missing_certificate_or_malformed_credentials_stop_the_start_with_the_file_named() {
        // Nothing listens on port 1: were the files not checked first, this would retry forever.
        let missing = NatsAccess {
            require_tls: true,
            ca_file: Some("/nonexistent/nats-ca.crt".into()),
            ..NatsAccess::default()
        };
        let error = NatsBus::connect_with_access(
            "tls://127.0.0.1:1",
            settings(),
            StreamSettings::default(),
            &missing,
        )
        .await
        .err()
        .expect("refused");
        assert!(
            error.to_string().contains("/nonexistent/nats-ca.crt"),
            "{error}"
        );

        let dir = tempfile::tempdir().unwrap();
        let credentials = dir.path().join("synergies.creds");
        std::fs::write(&credentials, "not a credentials file").unwrap();
        let malformed = NatsAccess {
            credentials_file: Some(credentials.clone()),
            ..NatsAccess::default()
        };
        let error = NatsBus::connect_with_access(
            "nats://127.0.0.1:1",
            settings(),
            StreamSettings::default(),
            &malformed,
        )
        .await
        .err()
        .expect("refused");
        assert!(
            error
                .to_string()
                .contains(&credentials.display().to_string()),
            "{error}"
        );
    }

    #[test]
    fn the_bus_section_says_when_tls_is_required() {
        assert!(!NatsAccess::from_config(&crate::config::BusConfig::default()).require_tls);
        let config = crate::config::BusConfig {
            tls_ca_file: "/etc/synergies/nats/ca.crt".into(),
            user: "synergies".into(),
            ..crate::config::BusConfig::default()
        };
        let access = NatsAccess::from_config(&config);
        assert!(access.require_tls && access.user_and_password.is_some());
        let config = crate::config::BusConfig {
            nats_url: "tls://nats:4222".into(),
            ..crate::config::BusConfig::default()
        };
        assert!(NatsAccess::from_config(&config).require_tls);
    }
}
