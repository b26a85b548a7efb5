//! Listing search, measured: 100 000 published listings in one tenant on PostgreSQL (split
//! layout) and 10 000 on the embedded SQLite (all-in-one). For each query: latency through the
//! gateway (HTTP → gateway → gRPC → listings → SQL, token verified twice, facets included) next to
//! the same search issued directly through the store's SQL, and the gateway's throughput with
//! 8 concurrent clients. Prints p50/p90/p99.
//!
//! Then, on the same 10 000 embedded listings, the web interface: server-side render time of
//! the search page through HTTP (p50/p99) and the weight of the home and search pages (HTML,
//! CSS and JavaScript bytes, before photos).
//!
//! `cargo build --release -p synergies && cargo bench -p synergies-tests --bench search`
//! (needs the local PostgreSQL for the first half; `SYNERGIES_TEST_EMBEDDED_ONLY=1` skips it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use synergies_listings::domain::{
    Condition, ExchangeMode, Listing, ListingFields, ListingKind, Location,
};
use synergies_listings::search::engine::SearchEngine;
use synergies_listings::search::indexed_store::IndexedStore;
use synergies_listings::search::{SearchQuery, Sort};
use synergies_listings::store::{self, ListingStore};
use synergies_platform::db::{Database, StorageTarget};
use synergies_platform::testing;
use synergies_tests::Platform;
use synergies_tests::api::Member;

const ROUNDS: usize = 200;
const THROUGHPUT_FOR: Duration = Duration::from_secs(10);
const CLIENTS: usize = 8;

const THINGS: &[(&str, &str)] = &[
    ("packaging/pallets", "palettes"),
    ("packaging/cardboard", "cartons"),
    ("packaging/film", "film étirable"),
    ("furniture/office", "bureaux"),
    ("it-electronics/screens", "écrans"),
    ("it-electronics/computers", "ordinateurs portables"),
    ("lighting/fluorescent-tubes", "tubes fluorescents"),
    ("wood/offcuts", "chutes de chêne"),
    ("metals/ferrous", "ferraille"),
    ("plastics", "bidons plastique"),
    ("textiles", "chutes de tissu"),
    ("hygiene-safety/ppe", "gants de protection"),
    ("building-materials", "parpaings"),
    ("machines-equipment", "compresseur"),
];
const WORDS: &[&str] = &[
    "Europe",
    "usagés",
    "neufs",
    "lot",
    "atelier",
    "bon",
    "état",
    "Dijon",
    "Chenôve",
    "rapidement",
    "enlèvement",
    "sur",
    "place",
    "quantité",
    "importante",
    "stock",
    "fin",
    "de",
    "série",
    "qualité",
];

/// A deterministic pseudo-random corpus: titles and descriptions in French, spread over the
/// métropole, a tenth of them sold.
fn corpus(n: usize) -> Vec<Listing> {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    (0..n)
        .map(|i| {
            let (category, thing) = THINGS[(next() % THINGS.len() as u64) as usize];
            let words: Vec<&str> = (0..12)
                .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                .collect();
            let sold = i % 10 == 0;
            let fields = ListingFields {
                kind: Some(if i % 3 == 0 {
                    ListingKind::Request
                } else {
                    ListingKind::Offer
                }),
                category: category.into(),
                title: format!("{} {thing} {}", 1 + next() % 200, words[0]),
                description: format!("{thing} {}", words.join(" ")),
                exchange_mode: Some(if sold {
                    ExchangeMode::Sell
                } else {
                    ExchangeMode::Give
                }),
                price_cents: sold.then_some(500),
                condition: Some(Condition::Used),
                ..Default::default()
            };
            let content = fields.validate(ExchangeMode::ALL, today).unwrap();
            let mut listing = Listing::draft(
                "dijon",
                uuid::Uuid::now_v7(),
                uuid::Uuid::now_v7(),
                content,
                None,
            );
            listing.submit(false).unwrap();
            let jitter = |r: u64| (r % 2000) as f64 / 10_000.0 - 0.1;
            listing.location = Some(Location {
                site_id: None,
                insee_code: "21231".into(),
                coordinates: Some((47.32 + jitter(next()), 5.04 + jitter(next()))),
            });
            listing
        })
        .collect()
}

async fn seed(store: Arc<dyn ListingStore>, n: usize, writers: usize) {
    let started = Instant::now();
    let listings = Arc::new(corpus(n));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (store, listings) = (store.clone(), listings.clone());
        tasks.push(tokio::spawn(async move {
            for listing in listings.iter().skip(w).step_by(writers) {
                store.create(listing, &[]).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    println!(
        "seeded {n} listings in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| {
        samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.90), at(0.99))
}

/// (query string for the gateway, the same search for the store)
fn queries() -> Vec<(&'static str, &'static str, SearchQuery)> {
    let text = |q: &str| SearchQuery {
        limit: 21,
        ..SearchQuery::with_text(q)
    };
    let mut near = text("");
    near.near = Some(synergies_listings::search::Near::validate(47.32, 5.04, 2.0).unwrap());
    near.sort = Sort::Nearest;
    let mut category = text("");
    category.category = Some("packaging".into());
    vec![
        ("text, one word", "q=palette", text("palette")),
        ("text, two words", "q=chutes%20chene", text("chutes chene")),
        (
            "category, newest",
            "category=packaging&sort=newest",
            category,
        ),
        (
            "nearest within 2 km",
            "latitude=47.32&longitude=5.04&radius_km=2&sort=nearest",
            near,
        ),
    ]
}

/// The worst figures over the queries measured: (gateway p99 ms, gateway req/s, p50 ratio).
#[derive(Debug, Clone, Copy)]
struct Worst {
    p99_ms: f64,
    requests_per_second: f64,
    ratio: f64,
}

impl Worst {
    fn new() -> Self {
        Self {
            p99_ms: 0.0,
            requests_per_second: f64::INFINITY,
            ratio: 0.0,
        }
    }
}

async fn measure(
    label: &str,
    platform: &Platform,
    member: &Member,
    store: &Arc<dyn ListingStore>,
    worst: &mut Worst,
) {
    for (name, params, query) in queries() {
        let path = format!("/api/v1/listings?{params}&page_size=20");
        let (status, page) = platform.client.get(&path, &member.token).await;
        assert_eq!(status, 200, "{page}");
        let mut via_gateway = Vec::new();
        let mut direct = Vec::new();
        for round in 0..ROUNDS + 20 {
            let started = Instant::now();
            let (status, _) = platform.client.get(&path, &member.token).await;
            let gateway = started.elapsed();
            assert_eq!(status, 200);
            let started = Instant::now();
            store.search("dijon", &query, true).await.unwrap();
            let index = started.elapsed();
            if round >= 20 {
                via_gateway.push(gateway);
                direct.push(index);
            }
        }
        let (g50, g90, g99) = percentiles(via_gateway);
        let (d50, d90, d99) = percentiles(direct);
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let deadline = Instant::now() + THROUGHPUT_FOR;
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let (client, token, path, done) = (
                platform.client.clone(),
                member.token.clone(),
                path.clone(),
                done.clone(),
            );
            clients.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    client.get(&path, &token).await;
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }));
        }
        for client in clients {
            client.await.unwrap();
        }
        let per_second =
            done.load(std::sync::atomic::Ordering::Relaxed) as f64 / THROUGHPUT_FOR.as_secs_f64();
        println!(
            "| {label} | {name} | {g50:.2} / {g90:.2} / {g99:.2} | {d50:.2} / {d90:.2} / {d99:.2} | {:.1} | {per_second:.0} |",
            g50 / d50
        );
        worst.p99_ms = worst.p99_ms.max(g99);
        worst.requests_per_second = worst.requests_per_second.min(per_second);
        worst.ratio = worst.ratio.max(g50 / d50);
    }
}

/// Listings seeded in each layout.
fn corpus_size() -> usize {
    std::env::var("BENCH_SEARCH_LISTINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// Resident memory of a child process of this bench whose command line contains `name`, MB.
fn child_memory_mb(name: &str) -> Option<f64> {
    let me = std::process::id().to_string();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let path = entry.path();
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …: the parent is the second field after the comm.
        let after_comm = stat.rsplit(')').next().unwrap_or_default();
        if after_comm.split_whitespace().nth(1) != Some(me.as_str()) {
            continue;
        }
        let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains(name) {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).ok()?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        return Some(kb / 1024.0);
    }
    None
}

/// Restarts `process` (it builds its index from the database) and reports how long that took.
async fn restart_and_build(platform: &mut Platform, process: &str) -> f64 {
    platform.kill(process);
    let started = Instant::now();
    platform.restart(process, &[]).await;
    started.elapsed().as_secs_f64()
}

/// Builds the bench's own index over `database`: the direct store, and a line of figures.
async fn direct_index(
    database: Arc<dyn ListingStore>,
    label: &str,
) -> (Arc<dyn ListingStore>, tempfile::TempDir) {
    let directory = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (store, engine) = IndexedStore::open(database, directory.path(), label)
        .await
        .unwrap();
    println!(
        "{label}: index of {} listings built in {:.1} s, {:.1} MB on disk",
        engine.len(),
        started.elapsed().as_secs_f64(),
        engine.size_on_disk() as f64 / 1e6
    );
    (Arc::new(store), directory)
}

#[tokio::main]
async fn main() {
    let n = corpus_size();
    let mut worst = Worst::new();
    let mut lines = Vec::new();
    if let Some(servers) = testing::servers().await {
        let mut platform = Platform::split(&servers, |_| Vec::new()).await;
        platform.client.create_tenant("dijon").await;
        let member = platform.client.create_member("dijon", "Cartonnerie").await;
        let database = Database::connect(&StorageTarget::Postgres {
            url: servers.database_url.clone(),
            schema: format!("{}listings", platform.schema_prefix),
            max_connections: 8,
            access: synergies_platform::db::PostgresAccess::Owner,
        })
        .await;
        let sql = store::for_database(&database);
        seed(sql.clone(), n, 8).await;
        if let Database::Postgres(pool) = &database {
            // What autovacuum does after a bulk load.
            sqlx::query("VACUUM ANALYZE listings")
                .execute(pool)
                .await
                .unwrap();
        }
        let restart = restart_and_build(&mut platform, "listings").await;
        let label = format!("PostgreSQL, {n}");
        let (store, _directory) = direct_index(sql, &label).await;
        let memory = child_memory_mb("listings").unwrap_or(f64::NAN);
        lines.push(format!(
            "{label}: listings service restarted with its index built in {restart:.1} s; {memory:.0} MB resident after the build"
        ));
        print_header();
        measure(&label, &platform, &member, &store, &mut worst).await;
        let memory = child_memory_mb("listings").unwrap_or(f64::NAN);
        lines.push(format!(
            "{label}: listings service {memory:.0} MB resident after the run"
        ));
    } else {
        println!("PostgreSQL unreachable: its rows are skipped");
    }
    let mut platform = Platform::all_in_one(&[]).await;
    platform.client.create_tenant("dijon").await;
    let member = platform.client.create_member("dijon", "Cartonnerie").await;
    let database = Database::connect(&StorageTarget::Sqlite {
        path: platform.dir.path().join("data/listings.db"),
    })
    .await;
    let sql = store::for_database(&database);
    seed(sql.clone(), n, 1).await;
    let restart = restart_and_build(&mut platform, "synergies").await;
    let label = format!("SQLite, {n}");
    let (store, _directory) = direct_index(sql, &label).await;
    lines.push(format!(
        "{label}: whole platform restarted with the listings index built in {restart:.1} s"
    ));
    print_header();
    measure(&label, &platform, &member, &store, &mut worst).await;
    let memory = child_memory_mb("--data-dir").unwrap_or(f64::NAN);
    lines.push(format!(
        "{label}: all-in-one process {memory:.0} MB resident after the run"
    ));
    measure_pages(&platform, n).await;
    println!();
    for line in lines {
        println!("{line}");
    }
    println!(
        "search: p99_ms={:.2} rps={:.0} ratio={:.2}",
        worst.p99_ms, worst.requests_per_second, worst.ratio
    );
}

fn print_header() {
    println!(
        "| storage | query | gateway p50 / p90 / p99 ms | direct index p50 / p90 / p99 ms | p50 ratio | gateway req/s (8 clients) |"
    );
    println!("|---|---|---|---|---|---|");
}

/// The search page rendered for a visitor, and what the home and search pages weigh.
async fn measure_pages(platform: &Platform, n: usize) {
    let http = &platform.client.http;
    let fetch = |path: String| async move {
        let response = http
            .get(format!("{}{path}", platform.base_url))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}");
        response.bytes().await.unwrap().len()
    };
    println!();
    println!(
        "| page (SQLite, {n} listings) | render p50 / p90 / p99 ms | HTML bytes | + CSS + JS bytes |"
    );
    println!("|---|---|---|---|");
    let assets = fetch("/static/synergies.css".into()).await
        + fetch("/static/synergies.js".into()).await
        + fetch("/dijon/theme.css".into()).await;
    for (name, path) in [
        ("home", "/dijon/"),
        ("search, \"palette\"", "/dijon/annonces?q=palette"),
        (
            "search, category, newest",
            "/dijon/annonces?category=packaging&sort=newest",
        ),
    ] {
        let mut samples = Vec::new();
        let mut html = 0;
        for round in 0..ROUNDS + 20 {
            let started = Instant::now();
            html = fetch(path.to_owned()).await;
            if round >= 20 {
                samples.push(started.elapsed());
            }
        }
        let (p50, p90, p99) = percentiles(samples);
        println!(
            "| {name} | {p50:.2} / {p90:.2} / {p99:.2} | {html} | {} |",
            html + assets
        );
    }
}
