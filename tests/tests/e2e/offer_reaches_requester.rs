//! The end-to-end path, in both layouts: a member publishes an offer through the gateway →
//! listings commits it with its event → the relay publishes → matching pairs it with an open
//! request of the same category → notifications stores an inbox item for the requester → the
//! gateway returns it. Then the same path across a SIGKILL of the process holding the event.

use serde_json::{Value, json};
use synergies_platform::testing;
use synergies_tests::Platform;
use synergies_tests::api::Member;

struct Scenario {
    requester: Member,
    offerer: Member,
    outsider: Member,
}

async fn scenario(platform: &Platform) -> Scenario {
    platform.client.create_tenant("dijon").await;
    platform.client.create_tenant("beaune").await;
    Scenario {
        requester: platform
            .client
            .create_member("dijon", "Brasserie du Lac")
            .await,
        offerer: platform
            .client
            .create_member("dijon", "Cartonnerie de Bourgogne")
            .await,
        outsider: platform
            .client
            .create_member("beaune", "Tonnellerie de Beaune")
            .await,
    }
}

fn items_about<'a>(items: &'a [Value], listing_id: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|item| item["listing_id"] == listing_id)
        .collect()
}

/// Returns the offer id and the trace id of its publication.
async fn offer_reaches_the_requester(platform: &Platform, s: &Scenario) -> (String, String) {
    let client = &platform.client;
    let (request, _) = client
        .publish(
            &s.requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    client
        .publish(
            &s.outsider,
            "request",
            "packaging/pallets",
            "Palettes pour Beaune",
        )
        .await;
    let (offer, trace_id) = client
        .publish(
            &s.offerer,
            "offer",
            "packaging/pallets",
            "40 palettes Europe",
        )
        .await;

    let items = client.wait_for_item_about(&s.requester, &offer).await;
    let about_offer = items_about(&items, &offer);
    assert_eq!(about_offer.len(), 1, "{items:?}");
    assert_eq!(about_offer[0]["kind"], "match.found");
    assert!(
        about_offer[0]["title"]
            .as_str()
            .unwrap()
            .contains("Cherche des palettes Europe")
    );
    assert!(
        about_offer[0]["body"]
            .as_str()
            .unwrap()
            .contains("40 palettes Europe")
    );

    // The same offer is matched and reported through the API.
    let (status, matches) = client
        .get(
            &format!("/api/v1/listings/{offer}/matches"),
            &s.offerer.token,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        matches["synergies"].as_array().unwrap().len(),
        1,
        "{matches}"
    );

    // The offer's owner learns who could use it.
    let told = client
        .wait_for_item(&s.offerer, &request, "match.found")
        .await;
    assert!(
        told["body"]
            .as_str()
            .unwrap()
            .contains("Cherche des palettes Europe"),
        "{told}"
    );

    // Another tenant's request is never matched, and its member is told nothing.
    assert!(client.inbox(&s.outsider).await.is_empty());
    assert_eq!(client.inbox(&s.offerer).await.len(), 1);
    (offer, trace_id)
}

#[tokio::test]
async fn all_in_one_offer_reaches_the_requester() {
    let platform = Platform::all_in_one(&[]).await;
    let s = scenario(&platform).await;
    let (_, trace_id) = offer_reaches_the_requester(&platform, &s).await;
    let logs = platform.logs("synergies");
    for span in ["http.request", "grpc.call", "outbox.relay", "event.consume"] {
        assert!(
            logs.lines()
                .any(|line| line.contains(span) && line.contains(&trace_id)),
            "no {span} log line carries trace {trace_id}"
        );
    }
}

#[tokio::test]
async fn all_in_one_an_offer_edited_into_the_requested_category_reaches_the_requester() {
    let platform = Platform::all_in_one(&[]).await;
    let s = scenario(&platform).await;
    let client = &platform.client;
    client
        .publish(&s.requester, "request", "wood", "Cherche chutes de chêne")
        .await;
    let (offer, _) = client
        .publish(&s.offerer, "offer", "metals", "Chutes de chêne")
        .await;
    // Published in the wrong category, then corrected: matching reads the edit.
    let (status, edited) = client
        .put(
            &format!("/api/v1/listings/{offer}"),
            &s.offerer.token,
            &json!({"kind": "offer", "category": "wood", "title": "Chutes de chêne"}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let item = client
        .wait_for_item(&s.requester, &offer, "match.found")
        .await;
    assert_eq!(
        item["title"],
        "Une offre peut répondre à votre demande « Cherche chutes de chêne »"
    );
}

#[tokio::test]
async fn split_offer_reaches_the_requester_with_one_trace_across_processes() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    let s = scenario(&platform).await;
    let (_, trace_id) = offer_reaches_the_requester(&platform, &s).await;
    assert_eq!(trace_id.len(), 32);
    // gateway → listings → (bus) → matching → (bus) → notifications: one trace id in each log.
    for (process, span) in [
        ("gateway", "http.request"),
        ("listings", "grpc.call"),
        ("listings", "outbox.relay"),
        ("matching", "event.consume"),
        ("matching", "outbox.relay"),
        ("notifications", "event.consume"),
    ] {
        let logs = platform.logs(process);
        assert!(
            logs.lines()
                .any(|line| line.contains(span) && line.contains(&trace_id)),
            "no {span} log line of {process} carries trace {trace_id}:\n{logs}"
        );
    }
}

/// Publishes a request and an offer while the listings relay is held, so both events sit
/// committed but unpublished in the outbox; returns the offer id.
async fn publish_while_relay_is_held(platform: &Platform, s: &Scenario) -> String {
    let client = &platform.client;
    client
        .publish(
            &s.requester,
            "request",
            "wood",
            "Cherche des chutes de bois",
        )
        .await;
    let (offer, _) = client
        .publish(&s.offerer, "offer", "wood", "Chutes de chêne")
        .await;
    offer
}

/// After the restart, the held events flow: the item appears exactly once. A later pair is
/// the fence: the consumer handles events in order, so once the fence's item is there, any
/// duplicate of the first would be too.
async fn item_appears_exactly_once(platform: &Platform, s: &Scenario, offer: &str) {
    let client = &platform.client;
    client.wait_for_item_about(&s.requester, offer).await;
    client
        .publish(&s.requester, "request", "metals", "Cherche de la ferraille")
        .await;
    let (fence, _) = client
        .publish(&s.offerer, "offer", "metals", "Chutes d'acier")
        .await;
    let items = client.wait_for_item_about(&s.requester, &fence).await;
    assert_eq!(items_about(&items, offer).len(), 1, "{items:?}");
    assert_eq!(items.len(), 2, "{items:?}");
}

#[tokio::test]
async fn all_in_one_event_committed_before_a_crash_is_delivered_once_after_restart() {
    let mut platform = Platform::all_in_one(&[("SYNERGIES_OUTBOX__RELAY_ENABLED", "false")]).await;
    let s = scenario(&platform).await;
    let offer = publish_while_relay_is_held(&platform, &s).await;
    assert!(platform.client.inbox(&s.requester).await.is_empty());
    platform.kill("synergies");
    platform
        .restart("synergies", &[("SYNERGIES_OUTBOX__RELAY_ENABLED", "true")])
        .await;
    item_appears_exactly_once(&platform, &s, &offer).await;
}

#[tokio::test]
async fn split_event_committed_before_a_crash_is_delivered_once_after_restart() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let mut platform = Platform::split(&servers, |service| {
        if service == "listings" {
            vec![("SYNERGIES_OUTBOX__RELAY_ENABLED".into(), "false".into())]
        } else {
            Vec::new()
        }
    })
    .await;
    let s = scenario(&platform).await;
    let offer = publish_while_relay_is_held(&platform, &s).await;
    assert!(platform.client.inbox(&s.requester).await.is_empty());
    platform.kill("listings");
    platform
        .restart("listings", &[("SYNERGIES_OUTBOX__RELAY_ENABLED", "true")])
        .await;
    item_appears_exactly_once(&platform, &s, &offer).await;
}

#[tokio::test]
async fn all_in_one_refuses_bad_requests_clearly() {
    let platform = Platform::all_in_one(&[("SYNERGIES_GATEWAY__BODY_LIMIT_BYTES", "1024")]).await;
    let s = scenario(&platform).await;
    let client = &platform.client;

    let (status, body) = client.get("/no/such/route", &s.offerer.token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    let (status, body) = client
        .post(
            "/api/v1/listings",
            &s.offerer.token,
            &json!({"kind": "gift", "category": "wood", "title": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("kind")),
        "{body}"
    );
    let (status, body) = client
        .post(
            "/api/v1/listings",
            &s.offerer.token,
            &json!({"kind": "offer", "category": "wood"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("title")),
        "{body}"
    );
    let (status, body) = client
        .post(
            "/api/v1/listings",
            &s.offerer.token,
            &json!({"kind": "offer", "category": "Bois !", "title": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("category")),
        "{body}"
    );

    let malformed = client
        .http
        .post(format!("{}/api/v1/listings", platform.base_url))
        .bearer_auth(&s.offerer.token)
        .header("content-type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);

    let huge =
        json!({"kind": "offer", "category": "wood", "title": "x", "description": "é".repeat(2000)});
    let (status, body) = client
        .post("/api/v1/listings", &s.offerer.token, &huge)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );

    let (status, _) = client.get("/api/v1/inbox", "not-a-token").await;
    assert_eq!(status, 401);
    let anonymous = client
        .http
        .get(format!("{}/api/v1/inbox", platform.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let (status, _) = client
        .post(
            "/api/v1/tenants",
            &s.offerer.token,
            &json!({"slug": "evil", "display_name": "x"}),
        )
        .await;
    assert_eq!(status, 403);

    // Another tenant's listing does not exist for this caller.
    let (offer, _) = client
        .publish(&s.offerer, "offer", "wood", "Palettes")
        .await;
    let (status, body) = client
        .get(&format!("/api/v1/listings/{offer}"), &s.outsider.token)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = client
        .get(&format!("/api/v1/listings/{offer}"), &s.requester.token)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn all_in_one_serves_health_metrics_and_openapi() {
    // Any free port: the process says which one it got.
    let platform =
        Platform::all_in_one(&[("SYNERGIES_TELEMETRY__METRICS_LISTEN", "127.0.0.1:0")]).await;
    let metrics_address = platform
        .address("synergies", "metrics")
        .expect("the metrics listener's address");
    let http = &platform.client.http;
    let health = http
        .get(format!("{}/healthz", platform.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let openapi: Value = http
        .get(format!("{}/api/v1/openapi.json", platform.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(openapi["openapi"], "3.1.0");
    for path in ["/api/v1/listings", "/api/v1/inbox", "/api/v1/tenants"] {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} is not documented"
        );
    }
    // Metrics are served on their own listener, not on the public port.
    let public = http
        .get(format!("{}/metrics", platform.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status().as_u16(), 404);
    // Something to measure: an offer through every service and the bus.
    let s = scenario(&platform).await;
    offer_reaches_the_requester(&platform, &s).await;
    let metrics = http
        .get(format!("http://{metrics_address}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Histograms (buckets, not quantiles) of requests, calls between services and event
    // handling, and the connection pools' gauges.
    for series in [
        "synergies_http_requests_total",
        "synergies_http_request_duration_seconds_bucket",
        "synergies_grpc_server_duration_seconds_bucket{service=\"synergies.listings.v1.ListingsService\",method=\"CreateListing\",code=\"Ok\"",
        "synergies_grpc_client_duration_seconds_bucket{service=\"synergies.listings.v1.ListingsService\",method=\"CreateListing\",code=\"Ok\"",
        "synergies_event_processing_duration_seconds_bucket{consumer=",
        "synergies_db_pool_connections{database=",
        "synergies_db_pool_max_connections{database=",
        "synergies_db_pool_acquire_duration_seconds_bucket{le=",
    ] {
        assert!(metrics.contains(series), "no {series} in:\n{metrics}");
    }
    assert!(!metrics.contains("quantile="), "{metrics}");
}

/// Whatever is wrong with a request — a query string that does not parse, a path segment that
/// is not UTF-8, a static file that does not exist — the answer is the one JSON error shape, in
/// the caller's language, with nothing English inside a French message.
#[tokio::test]
async fn refusals_come_in_the_one_json_shape_in_the_callers_language() {
    let platform = Platform::all_in_one(&[]).await;
    let http = &platform.client.http;
    for (path, status, field) in [
        (
            "/api/v1/tenants/dijon/listings?page_size=many",
            400,
            Some("page_size"),
        ),
        ("/api/v1/tenants/%FF%FE/listings", 400, Some("path")),
        ("/static/nothing-here.css", 404, None),
    ] {
        let answer = http
            .get(format!("{}{path}", platform.base_url))
            .header("accept-language", "fr")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), status, "{path}");
        assert_eq!(answer.headers()["content-language"], "fr", "{path}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"]["field"].as_str(), field, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        for english in ["invalid", "expected", "Failed", "not found", "UTF"] {
            assert!(!message.contains(english), "{path}: {message}");
        }
    }
}

#[tokio::test]
async fn split_readiness_follows_the_services_and_shutdown_is_clean() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let mut platform = Platform::split(&servers, |_| Vec::new()).await;
    let readyz = format!("{}/readyz", platform.base_url);
    assert_eq!(
        platform
            .client
            .http
            .get(&readyz)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let status = platform.terminate("matching");
    assert!(
        status.success(),
        "matching did not stop cleanly on SIGTERM: {status:?}\n{}",
        platform.logs("matching")
    );
    // The gateway stays in rotation, reporting the missing service; only the stricter question
    // (every service answering) fails.
    let degraded = platform.client.http.get(&readyz).send().await.unwrap();
    assert_eq!(degraded.status().as_u16(), 200);
    let body: Value = degraded.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["matching"], "unavailable");
    let every_service = format!("{readyz}?services=all");
    let not_ready = platform
        .client
        .http
        .get(&every_service)
        .send()
        .await
        .unwrap();
    assert_eq!(not_ready.status().as_u16(), 503);
    platform.restart("matching", &[]).await;
}

/// A service that is down is an outage the client may wait out, not a server error: the
/// gateway answers 503 with `Retry-After` and the one JSON error shape, in the caller's
/// language, and the same call succeeds once the service is back.
#[tokio::test]
async fn split_a_service_down_answers_503_with_retry_after() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let mut platform = Platform::split(&servers, |_| Vec::new()).await;
    platform.client.create_tenant("dijon").await;
    let member = platform
        .client
        .create_member("dijon", "Menuiserie Vernier")
        .await;
    let status = platform.terminate("notifications");
    assert!(status.success(), "{}", platform.logs("notifications"));

    let inbox = format!("{}/api/v1/inbox", platform.base_url);
    let answer = platform
        .client
        .http
        .get(&inbox)
        .bearer_auth(&member.token)
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 503);
    assert_eq!(
        answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        !message.is_empty() && !message.contains("transport"),
        "{body}"
    );

    platform.restart("notifications", &[]).await;
    let (status, body) = platform.client.get("/api/v1/inbox", &member.token).await;
    assert_eq!(status, 200, "{body}");
}
