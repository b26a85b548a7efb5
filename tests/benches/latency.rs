//! Event latency, measured: publish → consume on each bus, and the whole path (offer posted
//! to the gateway → the requester's inbox shows the match) in both layouts. Prints p50/p90/p99.
//!
//! Beside them, in the same run, the floor the path stands on: a JetStream round trip and a
//! PostgreSQL commit (one row and its outbox-sized event, as a service's write does). The
//! split path crosses the bus twice and commits three times, so its last line is the ratio of
//! its p99 to 2 × bus p99 + 3 × commit p99.
//!
//! `cargo build --release -p synergies && cargo bench -p synergies-tests --bench latency`
//! (needs the local PostgreSQL and NATS for the JetStream and split-process rows).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use synergies_platform::bus::local::LocalBus;
use synergies_platform::bus::nats::NatsBus;
use synergies_platform::bus::{BusMessage, BusSettings, ConsumerSpec, EventBus};
use synergies_platform::testing::{self, unique_prefix};
use synergies_tests::Platform;
use synergies_tests::api::Member;

const BUS_ROUNDS: usize = 1000;
const PATH_ROUNDS: usize = 200;

/// Prints a table row; answers the p99.
fn report(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
        samples.len(),
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(*samples.last().unwrap())
    );
    at(0.99)
}

/// Sequential commits of one small transaction (a row and an event-sized payload) on the
/// local PostgreSQL, in a schema of the run's own.
async fn commit_latency(database_url: &str) -> Vec<Duration> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(database_url)
        .await
        .unwrap();
    let schema = unique_prefix();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {schema}.floor (id BIGSERIAL PRIMARY KEY, payload BYTEA NOT NULL)"
    )))
    .execute(&pool)
    .await
    .unwrap();
    let insert = format!("INSERT INTO {schema}.floor (payload) VALUES ($1)");
    let mut samples = Vec::with_capacity(BUS_ROUNDS);
    for round in 0..BUS_ROUNDS + 50 {
        let started = Instant::now();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(insert.as_str()))
            .bind(vec![7u8; 512])
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        if round >= 50 {
            samples.push(started.elapsed());
        }
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&pool)
        .await
        .unwrap();
    samples
}

/// Sequential round trips: publish one event, wait for its delivery, acknowledge it.
async fn bus_latency(bus: Arc<dyn EventBus>, prefix: &str) -> Vec<Duration> {
    let spec = ConsumerSpec {
        name: "bench".into(),
        filter_subject: format!("{prefix}.>"),
    };
    let mut subscription = bus.subscribe(&spec).await.unwrap();
    let mut samples = Vec::with_capacity(BUS_ROUNDS);
    for round in 0..BUS_ROUNDS + 50 {
        let message = BusMessage {
            subject: format!("{prefix}.dijon.listing.published"),
            msg_id: format!("m{round}"),
            payload: vec![7u8; 512].into(),
            headers: BTreeMap::new(),
        };
        let started = Instant::now();
        bus.publish(message).await.unwrap();
        let delivery = loop {
            let mut batch = subscription
                .next_batch(1, Duration::from_secs(5))
                .await
                .unwrap();
            if let Some(delivery) = batch.pop() {
                break delivery;
            }
        };
        let elapsed = started.elapsed();
        delivery.ack().await.unwrap();
        // The first rounds warm connections and caches up.
        if round >= 50 {
            samples.push(elapsed);
        }
    }
    samples
}

/// How the requester's side sees the match arrive.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// Reads its inbox through the gateway every 2 ms (the reads load the machine too).
    Polling,
    /// Keeps the inbox's live stream open (`GET /api/v1/inbox/stream`), as the web header does:
    /// the item is pushed once stored.
    Live,
}

/// The requester's open live stream, read until an item about `offer` arrives.
struct LiveInbox {
    response: reqwest::Response,
    buffer: String,
}

impl LiveInbox {
    async fn open(platform: &Platform, member: &Member) -> Self {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v1/inbox/stream", platform.base_url))
            .bearer_auth(&member.token)
            .send()
            .await
            .expect("gateway answers");
        assert_eq!(response.status().as_u16(), 200);
        Self {
            response,
            buffer: String::new(),
        }
    }

    async fn item_about(&mut self, offer: &str) {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if block.lines().any(|line| line == "event: item") && block.contains(offer) {
                    return;
                }
            }
            let chunk = tokio::time::timeout(Duration::from_secs(30), self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("offer {offer} never reached the live inbox"))
                .expect("the stream stays open")
                .expect("the stream is not over");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Offer posted → item seen by the requester (`watch`); and, apart, how long the POST itself
/// took to be answered.
async fn path_latency(platform: &Platform, watch: Watch) -> (Vec<Duration>, Vec<Duration>) {
    let client = &platform.client;
    // A territory per way of watching, so that both runs start alike on one platform.
    let tenant = match watch {
        Watch::Polling => "dijon",
        Watch::Live => "beaune",
    };
    client.create_tenant(tenant).await;
    let requester: Member = client.create_member(tenant, "Brasserie").await;
    let offerer: Member = client.create_member(tenant, "Cartonnerie").await;
    client
        .publish(
            &requester,
            "request",
            "packaging/pallets",
            "Cherche palettes",
        )
        .await;
    let mut live = match watch {
        Watch::Live => Some(LiveInbox::open(platform, &requester).await),
        Watch::Polling => None,
    };
    let mut samples = Vec::with_capacity(PATH_ROUNDS);
    let mut posts = Vec::with_capacity(PATH_ROUNDS);
    let mut poll = tokio::time::interval(Duration::from_millis(2));
    for round in 0..PATH_ROUNDS + 10 {
        let started = Instant::now();
        let (offer, _) = client
            .publish(
                &offerer,
                "offer",
                "packaging/pallets",
                &format!("Palettes lot {round}"),
            )
            .await;
        let posted = started.elapsed();
        if let Some(live) = &mut live {
            live.item_about(&offer).await;
        }
        while live.is_none() {
            let (_, page) = client
                .get("/api/v1/inbox?page_size=1", &requester.token)
                .await;
            let newest: Option<&Value> = page["items"].as_array().and_then(|items| items.first());
            if newest.is_some_and(|item| item["listing_id"] == offer.as_str()) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "offer {offer} never reached the inbox"
            );
            poll.tick().await;
        }
        if round >= 10 {
            samples.push(started.elapsed());
            posts.push(posted);
        }
    }
    (samples, posts)
}

#[tokio::main]
async fn main() {
    println!("| measurement | samples | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    let settings = |prefix: &str| BusSettings {
        prefix: prefix.to_owned(),
        ack_wait: Duration::from_secs(30),
    };

    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix();
    let local = LocalBus::open(&dir.path().join("bus.db"), settings(&prefix))
        .await
        .unwrap();
    report(
        "in-process bus (SQLite), publish → consume",
        bus_latency(Arc::new(local), &prefix).await,
    );

    let servers = testing::servers().await;
    let mut floor = None;
    if let Some(servers) = &servers {
        let prefix = unique_prefix();
        let nats = NatsBus::connect(&servers.nats_url, settings(&prefix))
            .await
            .unwrap();
        let bus = report(
            "NATS JetStream, publish → consume",
            bus_latency(Arc::new(nats.clone()), &prefix).await,
        );
        nats.delete_streams().await.unwrap();
        let commit = report(
            "PostgreSQL, one small transaction committed",
            commit_latency(&servers.database_url).await,
        );
        floor = Some(2 * bus + 3 * commit);
    }

    let platform = Platform::all_in_one(&[]).await;
    let (path, posts) = path_latency(&platform, Watch::Polling).await;
    report("whole path, all-in-one (offer POST → inbox)", path);
    report("its offer POST alone, all-in-one", posts);
    drop(platform);
    let platform = Platform::all_in_one(&[]).await;
    let (path, _) = path_latency(&platform, Watch::Live).await;
    report("whole path, all-in-one (offer POST → live inbox)", path);
    drop(platform);

    if let (Some(servers), Some(floor)) = (&servers, floor) {
        // `BENCH_LATENCY_PROFILE=<dir>`: every SQL statement of the split run is logged with
        // its duration, and each process's log is left in `<dir>` (see docs/benchmarks.md);
        // the logging slows the path, so the figures of such a run are not the bench's.
        let profile = std::env::var_os("BENCH_LATENCY_PROFILE").map(std::path::PathBuf::from);
        let profile_env = |_: &str| match profile {
            Some(_) => vec![
                ("RUST_LOG".to_owned(), "info,sqlx::query=debug".to_owned()),
                ("SYNERGIES_TELEMETRY__FORMAT".to_owned(), "json".to_owned()),
            ],
            None => Vec::new(),
        };
        let platform = Platform::split(servers, profile_env).await;
        let (path, posts) = path_latency(&platform, Watch::Polling).await;
        let (live, _) = path_latency(&platform, Watch::Live).await;
        if let Some(dir) = &profile {
            std::fs::create_dir_all(dir).unwrap();
            for name in platform.process_names() {
                std::fs::write(dir.join(format!("{name}.log")), platform.logs(&name)).unwrap();
            }
        }
        let split = report("whole path, split processes (offer POST → inbox)", path);
        report("its offer POST alone, split processes", posts);
        let live = report(
            "whole path, split processes (offer POST → live inbox)",
            live,
        );
        println!(
            "\nlatency: split_p99_ms={:.2} floor_p99_ms={:.2} (2 × bus + 3 × commit) ratio={:.1} live_p99_ms={:.2} live_ratio={:.1}",
            split.as_secs_f64() * 1000.0,
            floor.as_secs_f64() * 1000.0,
            split.as_secs_f64() / floor.as_secs_f64(),
            live.as_secs_f64() * 1000.0,
            live.as_secs_f64() / floor.as_secs_f64()
        );
    }
}
