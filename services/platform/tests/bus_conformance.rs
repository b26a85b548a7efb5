//! One suite, run against every bus implementation, so the two run modes cannot drift.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use synergies_platform::CancellationToken;
use synergies_platform::bus::local::LocalBus;
use synergies_platform::bus::nats::NatsBus;
use synergies_platform::bus::{
    BusMessage, BusSettings, ConsumerSpec, Delivery, EventBus, Subscription,
};
use synergies_platform::consumer::{ConsumerSettings, EventHandler, HandlerError};
use synergies_platform::testing;
use synergies_proto::events::v1::EventEnvelope;

/// A bus under test and what is needed to open it again (durability checks).
struct Fixture {
    bus: Arc<dyn EventBus>,
    prefix: String,
    reopen: Box<dyn Fn() -> futures::future::BoxFuture<'static, Arc<dyn EventBus>> + Send + Sync>,
    _dir: Option<tempfile::TempDir>,
}

const ACK_WAIT: Duration = Duration::from_secs(1);

fn settings(prefix: &str) -> BusSettings {
    BusSettings {
        prefix: prefix.to_owned(),
        ack_wait: ACK_WAIT,
    }
}

async fn local() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bus.db");
    let prefix = testing::unique_prefix();
    let bus = LocalBus::open(&path, settings(&prefix)).await.unwrap();
    let reopen_prefix = prefix.clone();
    Some(Fixture {
        bus: Arc::new(bus),
        prefix,
        reopen: Box::new(move || {
            let path = path.clone();
            let prefix = reopen_prefix.clone();
            Box::pin(async move {
                Arc::new(LocalBus::open(&path, settings(&prefix)).await.unwrap())
                    as Arc<dyn EventBus>
            })
        }),
        _dir: Some(dir),
    })
}

async fn nats() -> Option<Fixture> {
    let servers = testing::servers().await?;
    let prefix = testing::unique_prefix();
    let bus = NatsBus::connect(&servers.nats_url, settings(&prefix))
        .await
        .unwrap();
    let reopen_prefix = prefix.clone();
    Some(Fixture {
        bus: Arc::new(bus),
        prefix,
        reopen: Box::new(move || {
            let url = servers.nats_url.clone();
            let prefix = reopen_prefix.clone();
            Box::pin(async move {
                Arc::new(NatsBus::connect(&url, settings(&prefix)).await.unwrap())
                    as Arc<dyn EventBus>
            })
        }),
        _dir: None,
    })
}

fn message(fixture: &Fixture, suffix: &str, id: &str) -> BusMessage {
    BusMessage {
        subject: format!("{}.{suffix}", fixture.prefix),
        msg_id: id.to_owned(),
        payload: format!("payload of {id}").into_bytes().into(),
        headers: BTreeMap::from([(
            "traceparent".to_owned(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
        )]),
    }
}

fn spec(fixture: &Fixture, name: &str, filter: &str) -> ConsumerSpec {
    ConsumerSpec {
        name: name.to_owned(),
        filter_subject: format!("{}.{filter}", fixture.prefix),
    }
}

/// Waits for `count` deliveries (the bus is asked, never a fixed sleep).
async fn receive(subscription: &mut Box<dyn Subscription>, count: usize) -> Vec<Delivery> {
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while received.len() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {count} deliveries arrived",
            received.len()
        );
        received.extend(
            subscription
                .next_batch(count - received.len(), Duration::from_millis(500))
                .await
                .unwrap(),
        );
    }
    received
}

async fn assert_nothing_more(subscription: &mut Box<dyn Subscription>) {
    let extra = subscription
        .next_batch(10, Duration::from_millis(300))
        .await
        .unwrap();
    assert!(
        extra.is_empty(),
        "unexpected deliveries: {:?}",
        extra
            .iter()
            .map(|d| &d.message().msg_id)
            .collect::<Vec<_>>()
    );
}

async fn delivers_matching_subjects_in_order(f: Fixture) {
    let mut listings = f
        .bus
        .subscribe(&spec(&f, "listings-reader", "*.listing.>"))
        .await
        .unwrap();
    for (i, suffix) in [
        "dijon.listing.published",
        "dijon.match.found",
        "beaune.listing.published",
    ]
    .iter()
    .enumerate()
    {
        f.bus
            .publish(message(&f, suffix, &format!("m{i}")))
            .await
            .unwrap();
    }
    let got = receive(&mut listings, 2).await;
    assert_eq!(
        got.iter()
            .map(|d| d.message().msg_id.as_str())
            .collect::<Vec<_>>(),
        ["m0", "m2"]
    );
    assert_eq!(
        got[0].message(),
        &message(&f, "dijon.listing.published", "m0")
    );
    assert_eq!(got[0].attempt(), 1);
    for delivery in got {
        delivery.ack().await.unwrap();
    }
    assert_nothing_more(&mut listings).await;
}

/// A consumer of a rare subject, idle while many messages of other subjects go by, gets its
/// own in the same wait that it is published in (not one wait later).
async fn a_consumer_behind_on_other_subjects_gets_its_message_in_one_wait(f: Fixture) {
    let mut flows = f
        .bus
        .subscribe(&spec(&f, "flows-reader", "*.flow.>"))
        .await
        .unwrap();
    assert_nothing_more(&mut flows).await;
    for i in 0..1_200 {
        f.bus
            .publish(message(&f, "dijon.listing.published", &format!("l{i}")))
            .await
            .unwrap();
    }
    f.bus
        .publish(message(&f, "dijon.flow.recorded", "flow"))
        .await
        .unwrap();
    let got = flows.next_batch(10, Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        got.iter()
            .map(|d| d.message().msg_id.as_str())
            .collect::<Vec<_>>(),
        ["flow"]
    );
    for delivery in got {
        delivery.ack().await.unwrap();
    }
}

async fn drops_a_republished_message_id(f: Fixture) {
    let mut reader = f.bus.subscribe(&spec(&f, "reader", ">")).await.unwrap();
    assert!(
        !f.bus
            .publish(message(&f, "dijon.listing.published", "same"))
            .await
            .unwrap()
            .duplicate
    );
    assert!(
        f.bus
            .publish(message(&f, "dijon.listing.published", "same"))
            .await
            .unwrap()
            .duplicate
    );
    let got = receive(&mut reader, 1).await;
    got.into_iter().next().unwrap().ack().await.unwrap();
    assert_nothing_more(&mut reader).await;
}

async fn redelivers_what_is_not_acknowledged(f: Fixture) {
    let mut reader = f.bus.subscribe(&spec(&f, "reader", ">")).await.unwrap();
    f.bus
        .publish(message(&f, "dijon.listing.published", "a"))
        .await
        .unwrap();
    let first = receive(&mut reader, 1).await;
    drop(first); // neither acked nor refused: the ack wait runs out
    let again = receive(&mut reader, 1).await;
    assert_eq!(again[0].attempt(), 2);
    let delivery = again.into_iter().next().unwrap();
    delivery
        .retry_after(Duration::from_millis(100))
        .await
        .unwrap();
    let third = receive(&mut reader, 1).await;
    assert_eq!(third[0].attempt(), 3);
    third.into_iter().next().unwrap().ack().await.unwrap();
    assert_nothing_more(&mut reader).await;
}

async fn dead_letters_can_be_listed_and_replayed(f: Fixture) {
    let mut reader = f.bus.subscribe(&spec(&f, "reader", ">")).await.unwrap();
    f.bus
        .publish(message(&f, "dijon.listing.published", "poison"))
        .await
        .unwrap();
    f.bus
        .publish(message(&f, "dijon.listing.published", "fine"))
        .await
        .unwrap();
    let mut got = receive(&mut reader, 2).await.into_iter();
    got.next()
        .unwrap()
        .dead_letter("payload is not a listing")
        .await
        .unwrap();
    got.next().unwrap().ack().await.unwrap();
    assert_nothing_more(&mut reader).await;

    let letters = f.bus.dead_letters(Some("reader")).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, "payload is not a listing");
    assert_eq!(
        letters[0].message.payload,
        message(&f, "x", "poison").payload
    );
    assert_eq!(
        letters[0].message.subject,
        format!("{}.dijon.listing.published", f.prefix)
    );
    assert!(
        f.bus
            .dead_letters(Some("someone-else"))
            .await
            .unwrap()
            .is_empty()
    );
    // The operator's view of every consumer at once names each letter's consumer.
    let every = f.bus.dead_letters(None).await.unwrap();
    assert_eq!(every.len(), 1);
    assert_eq!(every[0].consumer, "reader");
    assert_eq!(every[0].id, letters[0].id);

    f.bus
        .replay_dead_letter("reader", letters[0].id)
        .await
        .unwrap();
    let replayed = receive(&mut reader, 1).await;
    assert_eq!(
        replayed[0].message().payload,
        message(&f, "x", "poison").payload
    );
    replayed.into_iter().next().unwrap().ack().await.unwrap();
    assert!(f.bus.dead_letters(Some("reader")).await.unwrap().is_empty());
    assert!(
        f.bus
            .replay_dead_letter("reader", letters[0].id)
            .await
            .is_err()
    );
}

/// Consumers merged into one (an upgrade): the successor takes over where the least advanced
/// stopped, with their dead letters, instead of replaying the stream from its start.
async fn retired_consumers_hand_over_to_their_successor(f: Fixture) {
    let mut hidden = f
        .bus
        .subscribe(&spec(&f, "old-hidden", "*.listing.hidden"))
        .await
        .unwrap();
    let mut every = f
        .bus
        .subscribe(&spec(&f, "old-listing", "*.listing.*"))
        .await
        .unwrap();
    for (id, event) in [
        ("d0", "hidden"),
        ("h1", "hidden"),
        ("p2", "published"),
        ("h3", "hidden"),
        ("p4", "published"),
    ] {
        f.bus
            .publish(message(&f, &format!("dijon.listing.{event}"), id))
            .await
            .unwrap();
    }
    for delivery in receive(&mut every, 5).await {
        delivery.ack().await.unwrap();
    }
    let mut got = receive(&mut hidden, 3).await.into_iter();
    got.next().unwrap().dead_letter("poison").await.unwrap();
    got.next().unwrap().ack().await.unwrap();
    let in_flight = got.next().unwrap();
    assert_eq!(in_flight.message().msg_id, "h3");
    drop((in_flight, hidden, every));

    let successor = spec(&f, "new-listing", "*.listing.*");
    f.bus
        .retire_consumers(&successor, &["old-hidden", "old-listing", "never-existed"])
        .await
        .unwrap();
    f.bus
        .publish(message(&f, "dijon.listing.published", "p5"))
        .await
        .unwrap();
    let mut reader = f.bus.subscribe(&successor).await.unwrap();
    let mut ids = Vec::new();
    while !ids.iter().any(|id| id == "p5") {
        for delivery in receive(&mut reader, 1).await {
            ids.push(delivery.message().msg_id.clone());
            delivery.ack().await.unwrap();
        }
    }
    // What was in flight comes again; what every retired consumer had finished does not.
    assert!(ids.contains(&"h3".to_owned()), "{ids:?}");
    assert!(!ids.iter().any(|id| id == "d0" || id == "h1"), "{ids:?}");
    assert_nothing_more(&mut reader).await;

    assert!(
        f.bus
            .dead_letters(Some("old-hidden"))
            .await
            .unwrap()
            .is_empty()
    );
    let letters = f.bus.dead_letters(Some("new-listing")).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (
            letters[0].message.msg_id.as_str(),
            letters[0].reason.as_str()
        ),
        ("d0", "poison")
    );
    f.bus
        .replay_dead_letter("new-listing", letters[0].id)
        .await
        .unwrap();
    let replayed = receive(&mut reader, 1).await;
    assert_eq!(
        replayed[0].message().payload,
        message(&f, "x", "d0").payload
    );
    // Retiring again (the next start) changes nothing.
    f.bus
        .retire_consumers(&successor, &["old-hidden", "old-listing"])
        .await
        .unwrap();
}

async fn every_consumer_gets_every_message_and_replicas_share(f: Fixture) {
    let mut matching = f.bus.subscribe(&spec(&f, "matching", ">")).await.unwrap();
    let mut replica_one = f
        .bus
        .subscribe(&spec(&f, "notifications", ">"))
        .await
        .unwrap();
    let mut replica_two = f
        .bus
        .subscribe(&spec(&f, "notifications", ">"))
        .await
        .unwrap();
    for i in 0..6 {
        f.bus
            .publish(message(&f, "dijon.listing.published", &format!("e{i}")))
            .await
            .unwrap();
    }
    for delivery in receive(&mut matching, 6).await {
        delivery.ack().await.unwrap();
    }
    let mut shared = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while shared.len() < 6 && tokio::time::Instant::now() < deadline {
        for replica in [&mut replica_one, &mut replica_two] {
            for delivery in replica
                .next_batch(2, Duration::from_millis(200))
                .await
                .unwrap()
            {
                shared.push(delivery.message().msg_id.clone());
                delivery.ack().await.unwrap();
            }
        }
    }
    shared.sort();
    assert_eq!(shared, (0..6).map(|i| format!("e{i}")).collect::<Vec<_>>());
}

async fn unacknowledged_messages_survive_a_restart(f: Fixture) {
    let mut reader = f.bus.subscribe(&spec(&f, "reader", ">")).await.unwrap();
    f.bus
        .publish(message(&f, "dijon.listing.published", "kept"))
        .await
        .unwrap();
    drop(receive(&mut reader, 1).await);
    drop(reader);
    let reopened = (f.reopen)().await;
    let mut reader = reopened.subscribe(&spec(&f, "reader", ">")).await.unwrap();
    let got = receive(&mut reader, 1).await;
    assert_eq!(got[0].message().msg_id, "kept");
    got.into_iter().next().unwrap().ack().await.unwrap();
}

/// Records what the consumer runtime hands it; fails while `failures_left` > 0, and reports
/// its database down while `outages_left` > 0.
struct RecordingHandler {
    handled: tokio::sync::Mutex<Vec<String>>,
    failures_left: std::sync::atomic::AtomicU32,
    outages_left: std::sync::atomic::AtomicU32,
    notify: tokio::sync::Notify,
}

impl RecordingHandler {
    fn failing(failures: u32, outages: u32) -> Arc<Self> {
        Arc::new(Self {
            handled: tokio::sync::Mutex::new(Vec::new()),
            failures_left: std::sync::atomic::AtomicU32::new(failures),
            outages_left: std::sync::atomic::AtomicU32::new(outages),
            notify: tokio::sync::Notify::new(),
        })
    }
}

#[async_trait::async_trait]
impl EventHandler for RecordingHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let failures_left = self.failures_left.load(std::sync::atomic::Ordering::SeqCst);
        if envelope.event_type == "listing.flaky" && failures_left > 0 {
            self.failures_left
                .store(failures_left - 1, std::sync::atomic::Ordering::SeqCst);
            return Err(HandlerError::Transient(
                "database briefly unavailable".into(),
            ));
        }
        let outages_left = self.outages_left.load(std::sync::atomic::Ordering::SeqCst);
        if envelope.event_type == "listing.during_outage" && outages_left > 0 {
            self.outages_left
                .store(outages_left - 1, std::sync::atomic::Ordering::SeqCst);
            return Err(HandlerError::Unavailable("database: pool timed out".into()));
        }
        self.handled.lock().await.push(envelope.event_id.clone());
        self.notify.notify_one();
        Ok(())
    }
}

fn envelope_message(f: &Fixture, event_type: &str) -> (String, BusMessage) {
    let mut envelope = synergies_platform::events::envelope(
        "dijon",
        "test",
        &synergies_proto::events::v1::MatchFound::default(),
    );
    event_type.clone_into(&mut envelope.event_type);
    let id = envelope.event_id.clone();
    let message = BusMessage {
        subject: format!("{}.dijon.{event_type}", f.prefix),
        msg_id: id.clone(),
        payload: prost::Message::encode_to_vec(&envelope).into(),
        headers: BTreeMap::new(),
    };
    (id, message)
}

/// Waits until the handler has recorded `count` events.
async fn handled(handler: &RecordingHandler, count: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let notified = handler.notify.notified();
        {
            let handled = handler.handled.lock().await;
            if handled.len() >= count {
                return handled.clone();
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "events were not handled"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
    }
}

async fn consumers_dead_letter_poison_and_carry_on(f: Fixture) {
    let handler = RecordingHandler::failing(10, 0);
    let spec = spec(&f, "runtime", "*.listing.>");
    let shutdown = CancellationToken::new();
    let settings = ConsumerSettings {
        max_deliver: 3,
        batch: 8,
    };
    let task = tokio::spawn(synergies_platform::consumer::run(
        f.bus.clone(),
        spec.clone(),
        handler.clone(),
        settings,
        shutdown.clone(),
    ));
    // Not an envelope at all, then an event that keeps failing, then a good one.
    f.bus
        .publish(message(&f, "dijon.listing.published", "garbage"))
        .await
        .unwrap();
    let (_, flaky) = envelope_message(&f, "listing.flaky");
    f.bus.publish(flaky).await.unwrap();
    let (good_id, good) = envelope_message(&f, "listing.published");
    f.bus.publish(good).await.unwrap();

    assert_eq!(handled(&handler, 1).await, vec![good_id.clone()]);
    // The flaky event is retried with backoff, then dead-lettered after 3 deliveries.
    let letters = testing::eventually("two dead letters", Duration::from_secs(30), || async {
        Some(f.bus.dead_letters(Some("runtime")).await.unwrap())
            .filter(|letters| letters.len() == 2)
    })
    .await;
    assert!(
        letters[0].reason.contains("malformed event envelope"),
        "{}",
        letters[0].reason
    );
    assert!(
        letters[1].reason.contains("database briefly unavailable"),
        "{}",
        letters[1].reason
    );
    assert!(
        letters[1].reason.contains("after 3 failures"),
        "{}",
        letters[1].reason
    );
    assert_eq!(
        handler
            .failures_left
            .load(std::sync::atomic::Ordering::SeqCst),
        7
    );

    // Replayed once the cause is gone, it is handled.
    handler
        .failures_left
        .store(0, std::sync::atomic::Ordering::SeqCst);
    f.bus
        .replay_dead_letter("runtime", letters[1].id)
        .await
        .unwrap();
    let handled = handled(&handler, 2).await;
    assert_eq!(handled[0], good_id);
    shutdown.cancel();
    task.await.unwrap();
}

/// The consumer's own database is down for longer than `max_deliver` tries would last: the
/// event is held and handled once it answers, never dead-lettered, and the next waits for it.
async fn consumers_hold_events_through_an_outage(f: Fixture) {
    let handler = RecordingHandler::failing(0, 5);
    let spec = spec(&f, "outage", "*.listing.>");
    let shutdown = CancellationToken::new();
    let settings = ConsumerSettings {
        max_deliver: 2,
        batch: 8,
    };
    let task = tokio::spawn(synergies_platform::consumer::run(
        f.bus.clone(),
        spec.clone(),
        handler.clone(),
        settings,
        shutdown.clone(),
    ));
    let (held_id, held) = envelope_message(&f, "listing.during_outage");
    f.bus.publish(held).await.unwrap();
    let (next_id, next) = envelope_message(&f, "listing.published");
    f.bus.publish(next).await.unwrap();

    // In order: the held event first, once the outage is over, then the next one.
    assert_eq!(handled(&handler, 2).await, vec![held_id, next_id]);
    assert_eq!(
        handler
            .outages_left
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert!(f.bus.dead_letters(Some("outage")).await.unwrap().is_empty());
    shutdown.cancel();
    task.await.unwrap();
}

macro_rules! conformance_suite {
    ($implementation:ident) => {
        mod $implementation {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test]
                    async fn $name() {
                        let Some(fixture) = super::$implementation().await else {
                            return;
                        };
                        super::$name(fixture).await;
                    }
                };
            }
            case!(delivers_matching_subjects_in_order);
            case!(drops_a_republished_message_id);
            case!(a_consumer_behind_on_other_subjects_gets_its_message_in_one_wait);
            case!(redelivers_what_is_not_acknowledged);
            case!(dead_letters_can_be_listed_and_replayed);
            case!(retired_consumers_hand_over_to_their_successor);
            case!(every_consumer_gets_every_message_and_replicas_share);
            case!(unacknowledged_messages_survive_a_restart);
            case!(consumers_dead_letter_poison_and_carry_on);
            case!(consumers_hold_events_through_an_outage);
        }
    };
}

conformance_suite!(local);
conformance_suite!(nats);
