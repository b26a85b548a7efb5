//! What a search costs besides the search: calls between services that do not change from one
//! search to the next are made once, not per request. Counted from the process's own
//! `/metrics` (every gRPC call served is a histogram count).

use synergies_tests::{Platform, grpc_calls_served as calls_served};

#[tokio::test]
async fn a_visitors_search_asks_identity_about_its_territory_once_and_categories_are_kept() {
    let platform =
        Platform::all_in_one(&[("SYNERGIES_TELEMETRY__METRICS_LISTEN", "127.0.0.1:0")]).await;
    let metrics = platform
        .address("synergies", "metrics")
        .expect("the metrics listener's address")
        .to_string();
    platform.client.create_tenant("dijon").await;
    let path = "/api/v1/tenants/dijon/listings?category=packaging&sort=newest";

    let (status, first) = platform.client.get(path, "").await;
    assert_eq!(status, 200, "{first}");
    let tenants_before = calls_served(&metrics, "GetTenant").await;
    for _ in 0..10 {
        let (status, page) = platform.client.get(path, "").await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page, first, "the same answer each time");
    }
    assert_eq!(
        calls_served(&metrics, "GetTenant").await - tenants_before,
        0,
        "a known territory is not asked about again"
    );
    // An unknown territory is still refused, every time.
    for _ in 0..2 {
        let (status, body) = platform
            .client
            .get("/api/v1/tenants/nowhere/listings", "")
            .await;
        assert_eq!(status, 404, "{body}");
    }

    let (status, categories) = platform.client.get("/api/v1/categories", "").await;
    assert_eq!(status, 200, "{categories}");
    let listed_before = calls_served(&metrics, "ListCategories").await;
    for _ in 0..10 {
        let (_, again) = platform.client.get("/api/v1/categories", "").await;
        assert_eq!(again, categories);
    }
    assert_eq!(
        calls_served(&metrics, "ListCategories").await - listed_before,
        0,
        "the category tree is kept, not asked for at each page"
    );
}
