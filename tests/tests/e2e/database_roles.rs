//! Per-service PostgreSQL roles in the split layout: every service connects as its own role,
//! created by `synergies migrate`, which reaches the rows of its own schema and nothing else —
//! listings' credentials cannot read identity's signing keys.

use std::str::FromStr;

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};
use synergies_platform::testing;
use synergies_tests::Platform;

/// A connection as `service`'s own role, with the password the platform was given.
async fn as_role(platform: &Platform, database_url: &str, service: &str) -> PgPool {
    let (role, password) = &platform.database_roles[service];
    let options = PgConnectOptions::from_str(database_url)
        .unwrap()
        .username(role)
        .password(password);
    PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap_or_else(|error| panic!("{service}'s role {role} connects: {error}"))
}

/// The SQLSTATE of a statement's failure, or `None` when it succeeded.
async fn refusal(pool: &PgPool, statement: &str) -> Option<String> {
    match sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(pool)
        .await
    {
        Ok(_) => None,
        Err(error) => Some(
            error
                .as_database_error()
                .and_then(|e| e.code().map(std::borrow::Cow::into_owned))
                .unwrap_or_else(|| panic!("{statement}: not a refusal: {error}")),
        ),
    }
}

#[tokio::test]
async fn split_services_run_a_journey_each_as_its_own_role_that_reaches_only_its_schema() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    let client = &platform.client;

    // A journey through every service: identity (territory, members), listings (two
    // listings), matching (their match), notifications (the requester's inbox), flows.
    client.create_tenant("dijon").await;
    let requester = client.create_member("dijon", "Brasserie du Lac").await;
    let offerer = client.create_member("dijon", "Cartonnerie").await;
    client
        .publish(
            &requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes",
        )
        .await;
    let (offer, _) = client
        .publish(&offerer, "offer", "packaging/pallets", "Palettes Europe")
        .await;
    client
        .wait_for_item(&requester, &offer, "match.found")
        .await;
    let flow = json!({"direction": "out", "resource_class": "by-product",
        "label": "Chutes de carton", "quantity": "2", "unit": "t", "period": "year"});
    let (status, body) = client.post("/api/v1/flows", &offerer.token, &flow).await;
    assert_eq!(status, 201, "{body}");

    // Every service's sessions are its own role's.
    let owner = PgPool::connect(&servers.database_url).await.unwrap();
    for (service, (role, _)) in &platform.database_roles {
        let sessions: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE usename = $1")
                .bind(role)
                .fetch_one(&owner)
                .await
                .unwrap();
        assert!(sessions > 0, "no session of {service} as its role {role}");
    }

    let schema = |service: &str| format!("\"{}{service}\"", platform.schema_prefix);
    let listings = as_role(&platform, &servers.database_url, "listings").await;
    let identity = as_role(&platform, &servers.database_url, "identity").await;

    // Listings reads its own rows (the offer is there)…
    let own = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) AS n FROM {}.listings WHERE id = $1::uuid",
        schema("listings")
    )))
    .bind(&offer)
    .fetch_one(&listings)
    .await
    .expect("listings reads its own tables");
    assert_eq!(own.get::<i64, _>("n"), 1);

    // …but not identity's signing keys, which identity's own role reads.
    let keys = format!("SELECT * FROM {}.signing_keys", schema("identity"));
    assert_eq!(refusal(&listings, &keys).await.as_deref(), Some("42501"));
    assert_eq!(refusal(&identity, &keys).await, None);
    for other in ["identity", "matching", "notifications", "flows"] {
        let outbox = format!("SELECT * FROM {}.outbox", schema(other));
        assert_eq!(
            refusal(&listings, &outbox).await.as_deref(),
            Some("42501"),
            "listings reads {other}'s outbox"
        );
    }

    // No DDL, and the migration history is the owner's to write.
    let ddl = format!("CREATE TABLE {}.intruder (id int)", schema("listings"));
    assert_eq!(refusal(&listings, &ddl).await.as_deref(), Some("42501"));
    let history = format!("DELETE FROM {}._sqlx_migrations", schema("listings"));
    assert_eq!(refusal(&listings, &history).await.as_deref(), Some("42501"));
}

#[tokio::test]
async fn split_a_service_role_that_is_the_owner_is_refused_by_migrate() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let owner = PgConnectOptions::from_str(&servers.database_url).unwrap();
    let prefix = format!("{}_", testing::unique_prefix());
    let output = std::process::Command::new(synergies_tests::binary())
        .args(["migrate", "--service", "listings"])
        .env("SYNERGIES_DATABASE__URL", &servers.database_url)
        .env("SYNERGIES_DATABASE__SCHEMA_PREFIX", &prefix)
        .env(
            "SYNERGIES_DATABASE__ROLES__LISTINGS_USER",
            owner.get_username(),
        )
        .env(
            "SYNERGIES_DATABASE__ROLES__LISTINGS_PASSWORD",
            "not-the-owner's",
        )
        .output()
        .expect("migrate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("each service needs a role of its own"),
        "{stderr}"
    );
}
