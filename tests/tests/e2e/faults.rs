//! The fault suite: under a steady load of offers, each to be matched with one open request
//! and to land once in the requester's inbox, every part of the platform is killed or stopped
//! in turn — each service, two services together, the gateway, NATS and PostgreSQL (for longer
//! than it takes to spend an event's deliveries), the all-in-one process twice. Then, once
//! the platform is quiet again:
//! - every acknowledged offer exists exactly once (writes are retried with their
//!   `Idempotency-Key`, as a careful client does, until acknowledged);
//! - the requester's inbox holds exactly one match about each of them;
//! - no consumer dead-lettered anything, and every outbox is empty.
//!
//! The split layout runs on a PostgreSQL cluster and a NATS server of the test's own (so that
//! stopping them leaves the other tests alone). `SYNERGIES_TEST_FAULTS_PROFILE=long` runs a longer,
//! heavier profile by hand; its figures are in `docs/reliability.md`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use synergies_platform::testing::eventually;
use synergies_tests::Platform;
use synergies_tests::api::Member;
use synergies_tests::servers::OwnServers;

/// How hard and how long the suite pushes.
struct Profile {
    name: &'static str,
    writers: usize,
    /// Pause between two offers of one writer.
    pace: Duration,
    /// How long NATS and PostgreSQL stay down: longer than an event's deliveries last when
    /// every try fails (`MAX_DELIVER` below, with the consumer's backoff and the database
    /// pool's 5 s acquire timeout: about 10 s).
    outage: Duration,
    /// Offers acknowledged between two faults, so that each fault meets work in flight.
    offers_between_faults: usize,
}

fn profile() -> Profile {
    match std::env::var("SYNERGIES_TEST_FAULTS_PROFILE").as_deref() {
        Ok("long") => Profile {
            name: "long",
            writers: 4,
            pace: Duration::from_millis(250),
            outage: Duration::from_secs(30),
            offers_between_faults: 150,
        },
        _ => Profile {
            name: "ci",
            writers: 2,
            pace: Duration::from_millis(250),
            outage: Duration::from_secs(15),
            offers_between_faults: 10,
        },
    }
}

/// Deliveries an event may fail before it is dead-lettered, lowered so that the outages above
/// outlast them many times over.
const MAX_DELIVER: &str = "2";

const CATEGORY: &str = "packaging/pallets";

struct Scenario {
    requester: Member,
    offerer: Member,
}

async fn scenario(platform: &Platform) -> Scenario {
    platform.client.create_tenant("dijon").await;
    let scenario = Scenario {
        requester: platform
            .client
            .create_member("dijon", "Brasserie du Lac")
            .await,
        offerer: platform
            .client
            .create_member("dijon", "Cartonnerie de Bourgogne")
            .await,
    };
    platform
        .client
        .publish(
            &scenario.requester,
            "request",
            CATEGORY,
            "Cherche des palettes Europe",
        )
        .await;
    scenario
}

/// What the writers saw.
#[derive(Default)]
struct Counts {
    /// Offer ids, as acknowledged (201).
    acknowledged: Mutex<Vec<String>>,
    /// Tries that had to be repeated: no answer, or 409/429/502/503/504.
    retried: AtomicUsize,
    /// 500 answers: an outage reported as a server error (it must be 503).
    internal_errors: AtomicUsize,
}

impl Counts {
    fn acknowledged(&self) -> usize {
        self.acknowledged.lock().expect("not poisoned").len()
    }
}

/// Writers publishing offers until told to stop; each offer is tried again with the same
/// `Idempotency-Key` and body until it is acknowledged.
struct Load {
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
    writers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(platform: &Platform, offerer: &Member, profile: &Profile) -> Self {
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicUsize::new(1));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        let writers = (0..profile.writers)
            .map(|_| {
                let (http, counts, stop, next) =
                    (http.clone(), counts.clone(), stop.clone(), next.clone());
                let url = format!("{}/api/v1/listings", platform.base_url);
                let token = offerer.token.clone();
                let pace = profile.pace;
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let number = next.fetch_add(1, Ordering::Relaxed);
                        let id =
                            publish_until_acknowledged(&http, &url, &token, number, &counts).await;
                        counts.acknowledged.lock().expect("not poisoned").push(id);
                        tokio::time::sleep(pace).await;
                    }
                })
            })
            .collect();
        Self {
            counts,
            stop,
            writers,
        }
    }

    /// Waits until `more` offers beyond those acknowledged now are acknowledged: the platform
    /// is taking writes again after a fault.
    async fn until_more_acknowledged(&self, more: usize, after: &str) {
        let target = self.counts.acknowledged() + more;
        eventually(
            &format!("{more} more acknowledged offers after {after}"),
            Duration::from_mins(2),
            || async { (self.counts.acknowledged() >= target).then_some(()) },
        )
        .await;
    }

    /// Stops the writers once their offers in hand are acknowledged.
    async fn finish(self) -> Arc<Counts> {
        self.stop.store(true, Ordering::Relaxed);
        for writer in self.writers {
            writer.await.expect("writer did not panic");
        }
        self.counts
    }
}

async fn publish_until_acknowledged(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    number: usize,
    counts: &Counts,
) -> String {
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "kind": "offer",
        "category": CATEGORY,
        "title": format!("Lot {number} de palettes Europe"),
    });
    let deadline = tokio::time::Instant::now() + Duration::from_mins(3);
    loop {
        let answer = http
            .post(url)
            .bearer_auth(token)
            .header("idempotency-key", &key)
            .json(&body)
            .send()
            .await;
        match answer {
            Ok(response) if response.status().as_u16() == 201 => {
                let created: Value = response.json().await.expect("JSON body");
                return created["id"].as_str().expect("listing id").to_owned();
            }
            Ok(response) => {
                let status = response.status().as_u16();
                match status {
                    500 => {
                        counts.internal_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    409 | 429 | 502..=504 => {}
                    _ => panic!(
                        "offer {number} refused with {status}: {}",
                        response.text().await.unwrap_or_default()
                    ),
                }
            }
            // No answer: the gateway is down or was killed mid-request.
            Err(_) => {}
        }
        counts.retried.fetch_add(1, Ordering::Relaxed);
        assert!(
            tokio::time::Instant::now() < deadline,
            "offer {number} was never acknowledged"
        );
        // A client's pause before trying again, not a wait for readiness.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every page of `path`: a list answering `field` (its entries) and `next_page_token`.
async fn all_pages(platform: &Platform, member: &Member, path: &str, field: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let (status, page) = platform
            .client
            .get(
                &format!("{path}{separator}page_size=100&page_token={token}"),
                &member.token,
            )
            .await;
        assert_eq!(status, 200, "{path}: {page}");
        items.extend(page[field].as_array().cloned().unwrap_or_default());
        page["next_page_token"]
            .as_str()
            .unwrap_or_default()
            .clone_into(&mut token);
        if token.is_empty() {
            return items;
        }
    }
}

/// Match items in the requester's inbox, by the offer they are about.
async fn matches_by_offer(platform: &Platform, requester: &Member) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for item in all_pages(platform, requester, "/api/v1/inbox", "items").await {
        if item["kind"] == "match.found" {
            let offer = item["listing_id"].as_str().unwrap_or_default().to_owned();
            *counts.entry(offer).or_default() += 1;
        }
    }
    counts
}

/// Unpublished outbox rows of every service.
async fn pending_outbox_rows(platform: &Platform, storage: &Storage) -> i64 {
    let mut pending = 0;
    for backend in synergies_tests::BACKENDS {
        let count: i64 = match storage {
            Storage::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM \"{}{}\".outbox WHERE published_at IS NULL",
                platform.schema_prefix, backend.name
            )))
            .fetch_one(pool)
            .await
            .expect("outbox readable"),
            Storage::Sqlite => {
                let path = platform
                    .dir
                    .path()
                    .join("data")
                    .join(format!("{}.db", backend.name));
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&path)
                    .read_only(true);
                let pool = sqlx::SqlitePool::connect_with(options)
                    .await
                    .expect("service database opens");
                let count =
                    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                        .fetch_one(&pool)
                        .await
                        .expect("outbox readable");
                pool.close().await;
                count
            }
        };
        pending += count;
    }
    pending
}

enum Storage {
    Postgres(sqlx::PgPool),
    Sqlite,
}

/// Waits for quiescence, then checks that each acknowledged offer had exactly one effect.
async fn assert_exactly_one_effect_each(
    platform: &Platform,
    scenario: &Scenario,
    counts: &Counts,
    storage: &Storage,
    layout: &str,
    profile: &Profile,
) {
    let acknowledged = counts.acknowledged.lock().expect("not poisoned").clone();

    // Each offer exists once: retried writes created nothing more.
    let offers = all_pages(
        platform,
        &scenario.offerer,
        "/api/v1/listings?mine=true&kind=offer",
        "listings",
    )
    .await;
    let mut stored: Vec<String> = offers
        .iter()
        .map(|offer| offer["id"].as_str().expect("listing id").to_owned())
        .collect();
    let mut titles: Vec<&str> = offers
        .iter()
        .map(|offer| offer["title"].as_str().expect("title"))
        .collect();
    titles.sort_unstable();
    titles.dedup();
    assert_eq!(titles.len(), offers.len(), "an offer was created twice");
    stored.sort();
    let mut expected = acknowledged.clone();
    expected.sort();
    assert_eq!(
        stored, expected,
        "stored offers are not the acknowledged ones"
    );

    // Each reaches the requester once.
    let matches = eventually(
        "a match about every acknowledged offer in the requester's inbox",
        Duration::from_mins(3),
        || async {
            let matches = matches_by_offer(platform, &scenario.requester).await;
            acknowledged
                .iter()
                .all(|offer| matches.contains_key(offer))
                .then_some(matches)
        },
    )
    .await;
    let duplicated: Vec<_> = matches.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "matches notified twice: {duplicated:?}"
    );
    assert_eq!(
        matches.len(),
        acknowledged.len(),
        "matches about unknown offers"
    );

    eventually("every outbox drained", Duration::from_mins(1), || async {
        (pending_outbox_rows(platform, storage).await == 0).then_some(())
    })
    .await;

    let embedded = matches!(storage, Storage::Sqlite);
    let mut args = vec!["dead-letters", "list"];
    if embedded {
        args.push("--embedded");
    }
    let dead_letters = platform.cli(&args);
    assert!(
        dead_letters.trim() == "no dead letters",
        "dead letters after the faults:\n{dead_letters}"
    );

    assert_eq!(
        counts.internal_errors.load(Ordering::Relaxed),
        0,
        "an outage was answered 500"
    );
    println!(
        "faults ({layout}, profile {}): acknowledged offers={} stored={} matches={} \
         retried tries={} internal errors=0 dead letters=0 outbox rows pending=0",
        profile.name,
        acknowledged.len(),
        stored.len(),
        matches.values().sum::<usize>(),
        counts.retried.load(Ordering::Relaxed),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_outages_of_every_part_lose_and_duplicate_no_acknowledged_write() {
    let Some(mut servers) = tokio::task::spawn_blocking(OwnServers::start)
        .await
        .expect("servers start")
    else {
        return;
    };
    let profile = profile();
    let mut platform = Platform::split(&servers.test_servers(), |_| {
        vec![("SYNERGIES_BUS__MAX_DELIVER".into(), MAX_DELIVER.into())]
    })
    .await;
    let scenario = scenario(&platform).await;
    let load = Load::start(&platform, &scenario.offerer, &profile);
    load.until_more_acknowledged(profile.offers_between_faults, "the start")
        .await;

    let services: Vec<&str> = synergies_tests::BACKENDS
        .iter()
        .map(|backend| backend.name)
        .chain(["gateway"])
        .collect();
    for service in &services {
        platform.kill(service);
        platform.restart(service, &[]).await;
        load.until_more_acknowledged(profile.offers_between_faults, &format!("killing {service}"))
            .await;
    }

    // Two services at once: the one holding the events and the one they go to.
    platform.kill("listings");
    platform.kill("matching");
    platform.restart_together(&["listings", "matching"]).await;
    load.until_more_acknowledged(
        profile.offers_between_faults,
        "killing listings and matching",
    )
    .await;

    servers.nats.kill();
    // The fault's duration, not a wait for readiness.
    tokio::time::sleep(profile.outage).await;
    let mut servers = tokio::task::spawn_blocking(move || {
        servers.nats.start();
        servers
    })
    .await
    .expect("NATS starts");
    load.until_more_acknowledged(profile.offers_between_faults, "NATS was killed")
        .await;

    let mut servers = tokio::task::spawn_blocking(move || {
        servers.postgres.stop();
        servers
    })
    .await
    .expect("PostgreSQL stops");
    tokio::time::sleep(profile.outage).await;
    let servers = tokio::task::spawn_blocking(move || {
        servers.postgres.start();
        servers
    })
    .await
    .expect("PostgreSQL starts");
    load.until_more_acknowledged(profile.offers_between_faults, "PostgreSQL was stopped")
        .await;

    let counts = load.finish().await;
    let pool = sqlx::PgPool::connect(&servers.postgres.url())
        .await
        .expect("the test's PostgreSQL");
    assert_exactly_one_effect_each(
        &platform,
        &scenario,
        &counts,
        &Storage::Postgres(pool),
        "split",
        &profile,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_in_one_killed_twice_loses_and_duplicates_no_acknowledged_write() {
    let profile = profile();
    let mut platform = Platform::all_in_one(&[("SYNERGIES_BUS__MAX_DELIVER", MAX_DELIVER)]).await;
    let scenario = scenario(&platform).await;
    let load = Load::start(&platform, &scenario.offerer, &profile);
    load.until_more_acknowledged(profile.offers_between_faults, "the start")
        .await;
    for kill in ["first", "second"] {
        platform.kill("synergies");
        platform.restart("synergies", &[]).await;
        load.until_more_acknowledged(
            profile.offers_between_faults,
            &format!("the {kill} kill of the all-in-one process"),
        )
        .await;
    }
    let counts = load.finish().await;
    assert_exactly_one_effect_each(
        &platform,
        &scenario,
        &counts,
        &Storage::Sqlite,
        "all-in-one",
        &profile,
    )
    .await;
}
