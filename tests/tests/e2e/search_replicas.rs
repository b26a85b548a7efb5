//! Two listings replicas in the split layout, each with its own search index: a listing
//! published through one is found through the other within a second (the other replica follows
//! the listing events), and its withdrawal leaves both indexes.

use std::time::{Duration, Instant};

use synergies_platform::testing::{self, eventually};
use synergies_proto::listings::v1 as pb;
use synergies_tests::Platform;

/// Searches `text` on the listings replica at `url`, as the member with `token`: the titles.
async fn titles_at(url: &str, token: &str, text: &str) -> Vec<String> {
    let mut client = pb::listings_service_client::ListingsServiceClient::connect(url.to_owned())
        .await
        .expect("the replica answers");
    let mut request = tonic::Request::new(pb::SearchListingsRequest {
        filters: Some(pb::SearchFilters {
            text: text.into(),
            ..Default::default()
        }),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ASCII token"),
    );
    let page = client
        .search_listings(request)
        .await
        .expect("search answers")
        .into_inner();
    page.hits
        .into_iter()
        .filter_map(|hit| hit.listing.map(|l| l.title))
        .collect()
}

#[tokio::test]
async fn a_listing_published_through_one_replica_is_found_through_the_other_within_a_second() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let mut platform = Platform::split(&servers, |_| Vec::new()).await;
    platform.client.create_tenant("dijon").await;
    let member = platform.client.create_member("dijon", "Menuiserie").await;
    // The gateway calls the first replica; the second one is asked directly.
    let first = platform.service_url("listings").expect("split layout");
    let second_name = platform.add_replica("listings").await;
    let second = platform
        .replica_url(&second_name, "listings")
        .expect("the replica's address");
    assert_ne!(first, second);
    assert!(titles_at(&second, &member.token, "chêne").await.is_empty());

    let published = Instant::now();
    let (id, _) = platform
        .client
        .publish(&member, "offer", "wood/offcuts", "Chutes de chêne massif")
        .await;
    // The publishing replica sees it at once, the other one within a second.
    assert_eq!(
        titles_at(&first, &member.token, "chêne").await,
        ["Chutes de chêne massif"]
    );
    let within = Duration::from_secs(1).saturating_sub(published.elapsed());
    eventually("the other replica finds it", within, || {
        let (second, token) = (second.clone(), member.token.clone());
        async move {
            (titles_at(&second, &token, "chene").await == ["Chutes de chêne massif"]).then_some(())
        }
    })
    .await;
    let delay = published.elapsed();

    // Withdrawn through the first, gone from the second too.
    let (status, body) = platform
        .client
        .post(
            &format!("/api/v1/listings/{id}/withdraw"),
            &member.token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually("the other replica drops it", Duration::from_secs(1), || {
        let (second, token) = (second.clone(), member.token.clone());
        async move {
            titles_at(&second, &token, "chêne")
                .await
                .is_empty()
                .then_some(())
        }
    })
    .await;
    println!("found through the other replica {delay:?} after publishing");
}
