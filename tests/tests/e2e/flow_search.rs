//! The facilitators' flow search: on the flows page of the web interface, best first; and with
//! two flows replicas in the split layout (one database, one bus), a flow recorded through one
//! is found by a text search on the other within a second (that replica follows the flow
//! events), and its removal leaves both.

use std::time::{Duration, Instant};

use serde_json::json;
use synergies_platform::testing::{self, eventually};
use synergies_proto::flows::v1 as pb;
use synergies_tests::Platform;

/// Searches `text` on the flows replica at `url`, as the facilitator with `token`: the labels.
async fn labels_at(url: &str, token: &str, text: &str) -> Vec<String> {
    let mut client = pb::flows_service_client::FlowsServiceClient::connect(url.to_owned())
        .await
        .expect("the replica answers");
    let mut request = tonic::Request::new(pb::ListFlowsRequest {
        text: text.into(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ASCII token"),
    );
    let page = client
        .list_flows(request)
        .await
        .expect("search answers")
        .into_inner();
    page.flows.into_iter().map(|flow| flow.label).collect()
}

fn flow(label: &str, description: &str) -> serde_json::Value {
    json!({"direction": "out", "resource_class": "by-product", "label": label,
        "description": description, "quantity": "2", "unit": "t", "period": "month",
        "confidentiality": "public"})
}

#[tokio::test]
async fn a_flow_recorded_through_one_replica_is_found_by_a_search_on_the_other_within_a_second() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let mut platform = Platform::split(&servers, |_| Vec::new()).await;
    platform.client.create_tenant("dijon").await;
    let member = platform
        .client
        .create_member("dijon", "Garage Central")
        .await;
    let facilitator = platform.client.create_facilitator("dijon").await;
    // The gateway calls the first replica; the second one is asked directly.
    let first = platform.service_url("flows").expect("split layout");
    let second_name = platform.add_replica("flows").await;
    let second = platform
        .replica_url(&second_name, "flows")
        .expect("the replica's address");
    assert_ne!(first, second);
    assert!(labels_at(&second, &facilitator, "vidange").await.is_empty());

    let recorded = Instant::now();
    let (status, created) = platform
        .client
        .post(
            "/api/v1/flows",
            &member.token,
            &flow("Huiles de vidange usagées", "Bidons de 200 L"),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    // The recording replica finds it at once, the other one within a second.
    assert_eq!(
        labels_at(&first, &facilitator, "huile vidange").await,
        ["Huiles de vidange usagées"]
    );
    let within = Duration::from_secs(1).saturating_sub(recorded.elapsed());
    eventually("the other replica finds it", within, || {
        let (second, token) = (second.clone(), facilitator.clone());
        async move {
            (labels_at(&second, &token, "huiles vidnage").await == ["Huiles de vidange usagées"])
                .then_some(())
        }
    })
    .await;
    let delay = recorded.elapsed();

    // Removed through the first, gone from the second too.
    let id = created["id"].as_str().expect("the flow's id");
    let response = platform
        .client
        .http
        .delete(format!("{}/api/v1/flows/{id}", platform.base_url))
        .bearer_auth(&member.token)
        .send()
        .await
        .expect("gateway answers");
    assert!(response.status().is_success(), "{}", response.status());
    eventually("the other replica drops it", Duration::from_secs(1), || {
        let (second, token) = (second.clone(), facilitator.clone());
        async move {
            labels_at(&second, &token, "vidange")
                .await
                .is_empty()
                .then_some(())
        }
    })
    .await;
    println!("found through the other replica {delay:?} after recording");
}

/// The flows page as the facilitator with `token` sees it.
async fn flows_page(platform: &Platform, token: &str, query: &str, language: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!(
            "{}/dijon/flux?{query}&lang={language}",
            platform.base_url
        ))
        .header("Cookie", format!("__Host-synergies-access={token}"))
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.expect("a page")
}

/// The facilitators' flows page searches the territory's flows: best first (the words in the
/// label before the words in a description), with typos forgiven, in French and English.
#[tokio::test]
async fn facilitators_search_the_territory_flows_from_the_flows_page() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let garage = client.create_member("dijon", "Garage Central").await;
    let facilitator = client.create_facilitator("dijon").await;
    for body in [
        flow("Bidons vides", "Restes d'huiles de vidange"),
        flow("Huiles de vidange", "Collecte mensuelle"),
        flow("Palettes cassées", ""),
    ] {
        let (status, created) = client.post("/api/v1/flows", &garage.token, &body).await;
        assert_eq!(status, 201, "{created}");
    }

    let french = flows_page(&platform, &facilitator, "q=vidnage", "fr").await;
    assert!(french.contains("Rechercher dans les flux"), "{french}");
    assert!(french.contains("value=\"vidnage\""));
    let (best, next) = (
        french.find(">Huiles de vidange<").expect("the label hit"),
        french.find(">Bidons vides<").expect("the description hit"),
    );
    assert!(best < next, "the label's hit comes first");
    assert!(!french.contains(">Palettes cassées<"));

    let english = flows_page(&platform, &facilitator, "q=introuvable", "en").await;
    assert!(english.contains("Search the flows"), "{english}");
    assert!(english.contains("No flow matches this search."));
    let without = flows_page(&platform, &facilitator, "q=", "fr").await;
    assert!(!without.contains("flows-found"));

    // The API pages a text search in the same order, one flow at a time.
    let mut labels = Vec::new();
    let mut token = String::new();
    loop {
        let (status, page) = client
            .get(
                &format!("/api/v1/flows?q=vidange&page_size=1&page_token={token}"),
                &facilitator,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        labels.extend(
            page["flows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["label"].as_str().unwrap().to_owned()),
        );
        token = page["next_page_token"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(labels, ["Huiles de vidange", "Bidons vides"]);
    // A token of a list without words does not continue a search.
    let (status, refused) = client
        .get(
            &format!(
                "/api/v1/flows?q=vidange&page_token={}",
                uuid::Uuid::now_v7()
            ),
            &facilitator,
        )
        .await;
    assert_eq!(status, 400, "{refused}");
}
