//! Storage growth per 10 000 listings, for capacity planning: members publish listings through
//! the gateway as they would (each one an event that listings indexes, matching pairs and
//! notifications turns into inbox items), the platform is left to settle, and what each
//! service's storage grew by is reported, scaled to 10 000 listings. Split layout on PostgreSQL
//! (bytes per schema, tables and indexes), then the all-in-one layout (its data directory:
//! SQLite databases, search indexes, photos).
//!
//! Then every listing published is withdrawn, and what matching still keeps is counted: the
//! proposals of listings that left go with them (the space they took is reused by the next
//! ones, neither PostgreSQL nor SQLite gives it back to the system without a `VACUUM FULL`).
//!
//!   cargo bench --profile dev --workspace --bench growth      # BENCH_GROWTH_LISTINGS=10000
//!   BENCH_GROWTH_LAYOUT=all-in-one cargo bench ...            # or `split`; both by default
//!
//! Sizes do not depend on the build profile; the dev profile reuses the test build.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use synergies_platform::testing;
use synergies_tests::Platform;
use synergies_tests::api::Member;

const CLIENTS: usize = 8;
const MEMBERS: usize = 40;

const THINGS: &[(&str, &str)] = &[
    ("packaging/pallets", "palettes Europe"),
    ("packaging/cardboard", "cartons double cannelure"),
    ("furniture/office", "bureaux et caissons"),
    ("it-electronics/screens", "écrans 24 pouces"),
    ("wood/offcuts", "chutes de chêne"),
    ("metals/ferrous", "ferraille"),
    ("plastics", "bidons plastique 30 L"),
    ("textiles", "chutes de tissu"),
    ("paper", "papier de bureau"),
    ("organic-food/biowaste", "drêches de brasserie"),
];

/// Which layouts to measure (`BENCH_GROWTH_LAYOUT`: `split`, `all-in-one`; both by default).
fn measures(layout: &str) -> bool {
    std::env::var("BENCH_GROWTH_LAYOUT")
        .map_or(true, |wanted| wanted.is_empty() || wanted == layout)
}

fn listings() -> usize {
    std::env::var("BENCH_GROWTH_LISTINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

/// Members of one territory, each with a standing request per tenth category, so that offers
/// are matched and notified as on a live platform.
async fn members(platform: &Platform) -> Vec<Member> {
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        let member = client
            .create_member("dijon", &format!("Entreprise {i}"))
            .await;
        let (category, thing) = THINGS[i % THINGS.len()];
        client
            .publish(&member, "request", category, &format!("Cherche {thing}"))
            .await;
        members.push(member);
    }
    members
}

/// Publishes `n` offers and requests (two in three are offers) from `members`, `CLIENTS` at a
/// time; the rate they were accepted at, and each listing's id with its publisher.
async fn publish(
    platform: &Platform,
    members: &[Member],
    n: usize,
) -> (f64, Vec<(Member, String)>) {
    let started = Instant::now();
    let members = Arc::new(members.to_vec());
    let mut tasks = Vec::new();
    for worker in 0..CLIENTS {
        let (client, members) = (platform.client.clone(), Arc::clone(&members));
        tasks.push(tokio::spawn(async move {
            let mut published = Vec::new();
            for i in (worker..n).step_by(CLIENTS) {
                let (category, thing) = THINGS[(i * 7) % THINGS.len()];
                let kind = if i % 3 == 0 { "request" } else { "offer" };
                let member = &members[i % members.len()];
                let (status, body) = client
                    .post(
                        "/api/v1/listings",
                        &member.token,
                        &json!({
                            "kind": kind,
                            "category": category,
                            "title": format!("{thing}, lot {i}"),
                            "description": format!(
                                "{thing} disponibles en quantité, lot {i}, enlèvement sur place \
                                 à Dijon, du lundi au vendredi ; état correct, à voir sur place."
                            ),
                        }),
                    )
                    .await;
                assert_eq!(status, 201, "{body}");
                published.push((
                    member.clone(),
                    body["id"].as_str().expect("listing id").to_owned(),
                ));
            }
            published
        }));
    }
    let mut published = Vec::with_capacity(n);
    for task in tasks {
        published.extend(task.await.expect("publisher"));
    }
    (n as f64 / started.elapsed().as_secs_f64(), published)
}

/// Withdraws every listing of `published`, `CLIENTS` at a time.
async fn withdraw(platform: &Platform, published: Vec<(Member, String)>) {
    let published = Arc::new(published);
    let mut tasks = Vec::new();
    for worker in 0..CLIENTS {
        let (client, published) = (platform.client.clone(), Arc::clone(&published));
        tasks.push(tokio::spawn(async move {
            for (member, id) in published.iter().skip(worker).step_by(CLIENTS) {
                let (status, body) = client
                    .post(
                        &format!("/api/v1/listings/{id}/withdraw"),
                        &member.token,
                        &json!({}),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
            }
        }));
    }
    for task in tasks {
        task.await.expect("withdrawer");
    }
}

/// Waits until matching has indexed `total` items of which `open` are open: file and table
/// sizes alone do not tell when matching is done (deleting rows frees pages inside the files
/// without changing their size).
async fn matching_caught_up<F, Fut>(mut items: F, total: i64, open: i64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (i64, i64)>,
{
    let deadline = Instant::now() + Duration::from_hours(1);
    loop {
        let now = items().await;
        if now == (total, open) {
            return;
        }
        if Instant::now() > deadline {
            println!(
                "  (matching still behind after an hour: {now:?} of {total} items, {open} open)"
            );
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Matching's items, and of them the open ones.
const MATCHING_ITEMS: &str =
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'open' THEN 1 ELSE 0 END), 0) FROM items";

/// Synergies matching keeps, by status (`proposed`: proposals nobody worked on).
const SYNERGIES_BY_STATUS: &str = "SELECT status, COUNT(*) FROM synergies GROUP BY status";

/// Matching's database in the split layout (its schema).
async fn split_matching(database_url: &str, prefix: &str) -> sqlx::PgPool {
    let options = PgConnectOptions::from_str(database_url)
        .expect("database URL")
        .options([("search_path", format!("{prefix}matching"))]);
    PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("PostgreSQL")
}

/// Matching's database in the all-in-one layout (its SQLite file).
async fn all_in_one_matching(directory: &Path) -> sqlx::SqlitePool {
    let options = SqliteConnectOptions::new().filename(directory.join("matching.db"));
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("matching.db")
}

/// Bytes of every table and index, by schema of this platform.
async fn schema_sizes(database_url: &str, prefix: &str) -> BTreeMap<String, i64> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(database_url)
        .await
        .expect("PostgreSQL");
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT n.nspname::text, COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'm') AND n.nspname LIKE $1 || '%'
          GROUP BY n.nspname",
    )
    .bind(prefix)
    .fetch_all(&pool)
    .await
    .expect("sizes");
    pool.close().await;
    rows.into_iter()
        .map(|(schema, bytes)| (schema.trim_start_matches(prefix).to_owned(), bytes))
        .collect()
}

/// Bytes under `directory`, by its first-level entry, leaving out logs.
fn directory_sizes(directory: &Path) -> BTreeMap<String, i64> {
    fn size(path: &Path) -> i64 {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => std::fs::read_dir(path).map_or(0, |entries| {
                entries.flatten().map(|e| size(&e.path())).sum()
            }),
            Ok(meta) => i64::try_from(meta.len()).unwrap_or(i64::MAX),
            Err(_) => 0,
        }
    }
    let mut sizes = BTreeMap::new();
    for entry in std::fs::read_dir(directory).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if Path::new(&name)
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("log"))
        {
            continue;
        }
        sizes.insert(name, size(&entry.path()));
    }
    sizes
}

/// Waits until the storage stops growing: three samples two seconds apart that agree (the
/// relays, consumers and index commits have caught up).
async fn settled<F, Fut>(mut measure: F) -> BTreeMap<String, i64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = BTreeMap<String, i64>>,
{
    let mut last = measure().await;
    let mut agreeing = 0;
    // A debug build on a loaded machine indexes a few listings a second: matching can be tens
    // of minutes behind the publishers.
    let deadline = Instant::now() + Duration::from_hours(1);
    while agreeing < 2 {
        if Instant::now() > deadline {
            println!("  (still changing after an hour: the figures below are not final)");
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = measure().await;
        agreeing = if now == last { agreeing + 1 } else { 0 };
        last = now;
    }
    last
}

fn report(
    layout: &str,
    n: usize,
    rate: f64,
    before: &BTreeMap<String, i64>,
    after: &BTreeMap<String, i64>,
) {
    let per_10k = |bytes: i64| bytes as f64 * 10_000.0 / n as f64 / 1e6;
    println!("{layout}: {n} listings published at {rate:.0}/s; growth per 10 000 listings:");
    let mut total = 0;
    for (part, bytes) in after {
        let grown = bytes - before.get(part).copied().unwrap_or(0);
        total += grown;
        println!(
            "  {part:<28} {:>8.1} MB   (now {:.1} MB)",
            per_10k(grown),
            *bytes as f64 / 1e6
        );
    }
    println!("  {:<28} {:>8.1} MB", "total", per_10k(total));
}

fn report_withdrawal(
    layout: &str,
    n: usize,
    published: &BTreeMap<String, i64>,
    withdrawn: &BTreeMap<String, i64>,
    sizes: &BTreeMap<String, i64>,
) {
    println!("{layout}: the {n} listings withdrawn; matching's synergies by status:");
    println!("  while published: {published:?}");
    println!("  once withdrawn:  {withdrawn:?}");
    println!("  storage then (space freed is reused, not given back):");
    for (part, bytes) in sizes {
        println!("  {part:<28} {:>8.1} MB", *bytes as f64 / 1e6);
    }
}

#[tokio::main]
async fn main() {
    let n = listings();
    let indexed = (n + MEMBERS) as i64;
    let standing = MEMBERS as i64;
    if !measures("split") {
        println!("split: not measured (BENCH_GROWTH_LAYOUT)");
    } else if let Some(servers) = testing::servers().await {
        let platform = Platform::split(&servers, |_| Vec::new()).await;
        let members = members(&platform).await;
        let matching = split_matching(&servers.database_url, &platform.schema_prefix).await;
        let items = || async {
            sqlx::query_as::<_, (i64, i64)>(MATCHING_ITEMS)
                .fetch_one(&matching)
                .await
                .expect("items")
        };
        let synergies = || async {
            sqlx::query_as::<_, (String, i64)>(SYNERGIES_BY_STATUS)
                .fetch_all(&matching)
                .await
                .expect("synergies")
                .into_iter()
                .collect::<BTreeMap<_, _>>()
        };
        let measure = || schema_sizes(&servers.database_url, &platform.schema_prefix);
        matching_caught_up(items, standing, standing).await;
        let before = settled(measure).await;
        let (rate, published) = publish(&platform, &members, n).await;
        matching_caught_up(items, indexed, indexed).await;
        let after = settled(measure).await;
        report("split (PostgreSQL)", n, rate, &before, &after);
        let kept = synergies().await;
        withdraw(&platform, published).await;
        matching_caught_up(items, indexed, standing).await;
        let sizes = settled(measure).await;
        report_withdrawal("split (PostgreSQL)", n, &kept, &synergies().await, &sizes);
    } else {
        println!("split: skipped (no PostgreSQL and NATS here)");
    }

    if !measures("all-in-one") {
        println!("all-in-one: not measured (BENCH_GROWTH_LAYOUT)");
        return;
    }
    let platform = Platform::all_in_one(&[]).await;
    let members = members(&platform).await;
    // Its data directory, by file: each service's database (and WAL), the bus, search indexes.
    let directory = platform.dir.path().join("data");
    let matching = all_in_one_matching(&directory).await;
    let items = || async {
        sqlx::query_as::<_, (i64, i64)>(MATCHING_ITEMS)
            .fetch_one(&matching)
            .await
            .expect("items")
    };
    let synergies = || async {
        sqlx::query_as::<_, (String, i64)>(SYNERGIES_BY_STATUS)
            .fetch_all(&matching)
            .await
            .expect("synergies")
            .into_iter()
            .collect::<BTreeMap<_, _>>()
    };
    let measure = || {
        let directory = directory.clone();
        async move { directory_sizes(&directory) }
    };
    matching_caught_up(items, standing, standing).await;
    let before = settled(measure).await;
    let (rate, published) = publish(&platform, &members, n).await;
    matching_caught_up(items, indexed, indexed).await;
    let after = settled(measure).await;
    report("all-in-one (SQLite)", n, rate, &before, &after);
    let kept = synergies().await;
    withdraw(&platform, published).await;
    matching_caught_up(items, indexed, standing).await;
    let sizes = settled(measure).await;
    report_withdrawal("all-in-one (SQLite)", n, &kept, &synergies().await, &sizes);
}
