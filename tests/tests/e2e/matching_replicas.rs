//! Two matching replicas in the split layout: they share the durable consumers, so each event
//! is handled by one of them, and the territory gets the same proposals as with one replica,
//! each told once.

use std::collections::BTreeMap;
use std::time::Duration;

use synergies_platform::bus::BusSettings;
use synergies_platform::bus::nats::NatsBus;
use synergies_platform::testing::{self, TestServers, eventually};
use synergies_tests::Platform;
use synergies_tests::api::Member;

/// What the territory ends up with: each substitution (its two listings' titles, its score)
/// and, per member, the listings they were told of.
#[derive(Debug, PartialEq)]
struct Outcome {
    synergies: Vec<(String, String, String)>,
    /// Per firm, in the order of [`FIRMS`].
    told: Vec<Vec<String>>,
}

const FIRMS: [&str; 3] = [
    "Menuiserie Bernard",
    "Brasserie du Lac",
    "Imprimerie Darantière",
];

/// Offers and requests of three firms; several meet, some do not.
const LISTINGS: [(usize, &str, &str, &str); 9] = [
    (0, "offer", "packaging/pallets", "40 palettes Europe"),
    (0, "offer", "wood/offcuts", "Chutes de chêne massif"),
    (0, "offer", "packaging/cardboard", "Cartons de déménagement"),
    (
        1,
        "request",
        "packaging/pallets",
        "Cherche des palettes Europe",
    ),
    (1, "request", "packaging/cardboard", "Cartons pour expédier"),
    (2, "request", "wood/offcuts", "Bois pour la chaufferie"),
    (
        2,
        "request",
        "packaging/pallets",
        "Palettes pour le stockage",
    ),
    (
        2,
        "request",
        "it-electronics/screens",
        "Écrans d'ordinateur",
    ),
    (1, "offer", "furniture/office", "Chaises de bureau"),
];

/// The durable consumers of listing events in matching, and of its proposals in notifications
/// (the services' own constants; this crate drives the binary and does not link them).
const MATCHING_LISTING_CONSUMER: &str = "matching-listing";
const NOTIFICATIONS_MATCH_CONSUMER: &str = "notifications-match";

async fn unpublished(pool: &sqlx::PgPool, schema: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM \"{schema}\".outbox WHERE published_at IS NULL"
    )))
    .fetch_one(pool)
    .await
    .expect("the outbox")
}

/// Waits until every event so far has gone through: listings' outbox drained, matching's
/// consumer caught up, matching's outbox drained, notifications' consumer caught up.
async fn settled(platform: &Platform, servers: &TestServers) {
    let pool = sqlx::PgPool::connect(&servers.database_url).await.unwrap();
    let prefix = platform.schema_prefix.trim_end_matches('_').to_owned();
    let bus = NatsBus::connect(
        &servers.nats_url,
        BusSettings {
            prefix: prefix.clone(),
            ack_wait: Duration::from_secs(30),
        },
    )
    .await
    .expect("NATS");
    let caught_up = |consumer: &'static str| {
        let bus = &bus;
        async move { bus.consumer_backlog(consumer).await.ok() == Some((0, 0)) }
    };
    let schema = |service: &str| format!("{}{service}", platform.schema_prefix);
    eventually("every event handled", Duration::from_mins(1), || async {
        (unpublished(&pool, &schema("listings")).await == 0
            && caught_up(MATCHING_LISTING_CONSUMER).await
            && unpublished(&pool, &schema("matching")).await == 0
            && caught_up(NOTIFICATIONS_MATCH_CONSUMER).await)
            .then_some(())
    })
    .await;
    pool.close().await;
}

async fn run_the_territory(platform: &Platform, servers: &TestServers) -> Outcome {
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let mut members: Vec<Member> = Vec::new();
    for name in FIRMS {
        members.push(client.create_member("dijon", name).await);
    }
    let mut titles = BTreeMap::new();
    for (member, kind, category, title) in LISTINGS {
        let (id, _) = client
            .publish(&members[member], kind, category, title)
            .await;
        titles.insert(id, title.to_owned());
    }
    settled(platform, servers).await;

    let (status, board) = client
        .get("/api/v1/synergies?kind=substitution", &members[0].token)
        .await;
    assert_eq!(status, 200, "{board}");
    let mut synergies: Vec<(String, String, String)> = board["synergies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut labels: Vec<String> = s["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["label"].as_str().unwrap().to_owned())
                .collect();
            labels.sort();
            (
                labels[0].clone(),
                labels[1].clone(),
                format!("{:.4}", s["score"].as_f64().unwrap()),
            )
        })
        .collect();
    synergies.sort();
    let mut told = Vec::new();
    for member in &members {
        let mut about: Vec<String> = client
            .inbox(member)
            .await
            .iter()
            .filter(|i| i["kind"] == "match.found")
            .map(|i| titles[i["listing_id"].as_str().unwrap()].clone())
            .collect();
        about.sort();
        told.push(about);
    }
    Outcome { synergies, told }
}

#[tokio::test]
async fn split_two_matching_replicas_propose_what_one_does_and_tell_each_firm_once() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let one = {
        let platform = Platform::split(&servers, |_| Vec::new()).await;
        run_the_territory(&platform, &servers).await
    };
    let mut platform = Platform::split(&servers, |_| Vec::new()).await;
    platform.add_replica("matching").await;
    let two = run_the_territory(&platform, &servers).await;

    assert!(one.synergies.len() >= 4, "{one:?}");
    assert_eq!(two, one);
    // Both sides of each proposal are told of it, once.
    let told: usize = one.told.iter().map(Vec::len).sum();
    assert_eq!(told, 2 * one.synergies.len(), "{one:?}");
}
