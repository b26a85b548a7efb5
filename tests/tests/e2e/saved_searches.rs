//! Saved searches: a member saves a search, and a listing published later that fits it alerts
//! them in their inbox (linking to the listing); one that does not fit, or their own, does not;
//! a deleted search alerts no more; nobody reads or deletes another's searches.

use std::time::Duration;

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};

async fn alerts(client: &Client, member: &Member) -> Vec<Value> {
    client
        .inbox(member)
        .await
        .into_iter()
        .filter(|item| item["kind"] == "alert.saved_search")
        .collect()
}

async fn wait_for_alerts(client: &Client, member: &Member, count: usize) -> Vec<Value> {
    let what = format!("{count} alerts");
    synergies_platform::testing::eventually(&what, Duration::from_secs(30), || async {
        let found = alerts(client, member).await;
        (found.len() >= count).then_some(found)
    })
    .await
}

async fn publish(client: &Client, member: &Member, kind: &str, title: &str) -> String {
    let body = json!({"kind": kind, "category": "packaging/pallets", "title": title,
                      "quantity": 4, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", member, &body).await;
    assert_eq!(status, 201, "{listing}");
    listing["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn a_new_listing_that_fits_a_saved_search_alerts_its_member() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let seeker = client.create_member("dijon", "Brasserie du Lac").await;
    let other = client.create_member("dijon", "Menuiserie Martin").await;

    let (status, saved) = client
        .post(
            "/api/v1/saved-searches",
            &seeker.token,
            &json!({"text": "palette", "kind": "offer", "category": "packaging"}),
        )
        .await;
    assert_eq!(status, 201, "{saved}");
    let (status, refused) = client
        .post(
            "/api/v1/saved-searches",
            &seeker.token,
            &json!({"kind": "gift"}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let (status, nothing) = client
        .post("/api/v1/saved-searches", &seeker.token, &json!({}))
        .await;
    assert_eq!(status, 400, "{nothing}");
    let (status, _) = client
        .post(
            "/api/v1/saved-searches",
            &other.token,
            &json!({"text": "bois"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, listed) = client.get("/api/v1/saved-searches", &seeker.token).await;
    assert_eq!(
        listed["saved_searches"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
    assert_eq!(listed["saved_searches"][0]["text"], "palette");

    // A request for palettes, and cardboard: neither fits. Then palettes offered: it does.
    publish(client, &giver, "request", "Cherche palettes").await;
    publish(client, &giver, "offer", "Cartons pliés").await;
    let listing = publish(client, &giver, "offer", "Palettes Europe en bois").await;
    let found = wait_for_alerts(client, &seeker, 1).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["link"], format!("/dijon/annonces/{listing}"));
    assert!(
        found[0]["title"]
            .as_str()
            .unwrap()
            .contains("Palettes Europe en bois")
    );
    // "bois" fits too: the other member is alerted by the same publication.
    wait_for_alerts(client, &other, 1).await;

    // Nobody deletes another's search; its owner does, and it alerts no more.
    let id = saved["id"].as_str().unwrap();
    let path = format!("/api/v1/saved-searches/{id}");
    let status = client
        .http
        .delete(format!("{}{path}", platform.base_url))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 404);
    let status = client
        .http
        .delete(format!("{}{path}", platform.base_url))
        .bearer_auth(&seeker.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 204);
    publish(client, &giver, "offer", "Palette de bois massif").await;
    // Once the other member's alert for it has come, the publication was checked.
    wait_for_alerts(client, &other, 2).await;
    assert_eq!(alerts(client, &seeker).await.len(), 1);
    let (_, listed) = client.get("/api/v1/saved-searches", &seeker.token).await;
    assert_eq!(listed["saved_searches"], json!([]));
}
