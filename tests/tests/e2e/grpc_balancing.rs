//! Two replicas of a service share its calls: the gateway, given both addresses, spreads a
//! member's searches over them rather than keeping one connection to one replica. Each
//! replica's own metrics listener says how many calls it served.

use synergies_platform::testing;
use synergies_tests::Platform;

/// Searches `process` served, from its `/metrics`.
async fn searches_served(platform: &Platform, process: &str) -> u64 {
    let address = platform
        .address(process, "metrics")
        .expect("a metrics listener");
    synergies_tests::grpc_calls_served(&address.to_string(), "SearchListings").await
}

#[tokio::test]
async fn split_gateway_spreads_searches_over_two_listings_replicas() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let mut platform = Platform::split(&servers, |_| {
        vec![(
            "SYNERGIES_TELEMETRY__METRICS_LISTEN".into(),
            "127.0.0.1:0".into(),
        )]
    })
    .await;
    let replica = platform.add_replica("listings").await;
    let both = format!(
        "{},{}",
        platform.service_url("listings").expect("listings"),
        platform
            .replica_url(&replica, "listings")
            .expect("the replica")
    );
    platform.terminate("gateway");
    platform
        .restart("gateway", &[("SYNERGIES_SERVICES__LISTINGS_URL", &both)])
        .await;

    platform.client.create_tenant("dijon").await;
    let member = platform
        .client
        .create_member("dijon", "Brasserie du Lac")
        .await;
    let before =
        searches_served(&platform, "listings").await + searches_served(&platform, &replica).await;
    for _ in 0..40 {
        let (status, body) = platform
            .client
            .get("/api/v1/listings?q=palettes", &member.token)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let first = searches_served(&platform, "listings").await;
    let second = searches_served(&platform, &replica).await;
    assert_eq!(first + second - before, 40, "every search was served once");
    // Each replica is as likely as the other: none at all on one side has odds of 2 in a
    // trillion.
    assert!(
        first > 0 && second > 0,
        "searches served: {first} by the first replica, {second} by the second"
    );
}
