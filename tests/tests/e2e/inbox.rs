//! The inbox as members use it: items name the other organisation and open the conversation
//! they are about; each is read or unread, opening one marks it read, one call marks all read,
//! and the unread count shows in the header of every page. All-in-one and split layouts.

use std::time::Duration;

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};

#[tokio::test]
async fn members_read_their_inbox_item_by_item_or_all_at_once() {
    let platform = Platform::all_in_one(&[]).await;
    journey(&platform).await;
}

/// The same with one process per service, on PostgreSQL and NATS JetStream.
#[tokio::test]
async fn the_inbox_reads_the_same_in_the_split_layout() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    journey(&platform).await;
}

async fn unread_count(client: &Client, member: &Member) -> u64 {
    let (status, body) = client
        .get("/api/v1/inbox/unread-count", &member.token)
        .await;
    assert_eq!(status, 200, "{body}");
    body["unread_count"].as_u64().expect("a count")
}

async fn unread_items(client: &Client, member: &Member) -> Vec<Value> {
    let (status, body) = client.get("/api/v1/inbox?unread=true", &member.token).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

/// Waits for an unread item of `kind` in the member's inbox.
async fn wait_for_unread(client: &Client, member: &Member, kind: &str) -> Value {
    let what = format!("an unread {kind} item");
    synergies_platform::testing::eventually(&what, Duration::from_secs(30), || async {
        unread_items(client, member)
            .await
            .into_iter()
            .find(|item| item["kind"] == kind)
    })
    .await
}

/// A web page as a signed-in browser gets it (session cookie), without following redirects:
/// the status, the `Location` header and the HTML.
async fn page(platform: &Platform, member: &Member, path: &str) -> (u16, String, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let response = http
        .get(format!("{}{path}", platform.base_url))
        .header(
            "Cookie",
            format!(
                "__Host-synergies-access={}; __Host-synergies-csrf=csrf-of-test",
                member.token
            ),
        )
        .header("Accept-Language", "fr")
        .send()
        .await
        .expect("gateway answers");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

/// The number the header's badge shows.
fn badge(html: &str) -> Option<u64> {
    let start = html.find("id=\"unread-badge\"")?;
    let value = html[start..].split("data-unread=\"").nth(1)?;
    value.split('"').next()?.parse().ok()
}

async fn journey(platform: &Platform) {
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    // Nothing yet; reading the count is also how the service learns each member's
    // organisation's name.
    for member in [&giver, &taker] {
        assert_eq!(unread_count(client, member).await, 0);
    }
    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe",
                      "quantity": 40, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &body).await;
    assert_eq!(status, 201, "{listing}");
    let listing_id = listing["id"].as_str().expect("listing id");

    // The taker writes: the giver's item names the Brasserie and opens the conversation.
    let (status, conversation) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/conversations"),
            &taker.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{conversation}");
    let conversation_id = conversation["id"].as_str().expect("conversation id");
    let messages = format!("/api/v1/conversations/{conversation_id}/messages");
    let (status, _) = client
        .post(
            &messages,
            &taker.token,
            &json!({"text": "Bonjour, toujours disponibles ?"}),
        )
        .await;
    assert_eq!(status, 201);
    let told = wait_for_unread(client, &giver, "conversation.message_posted").await;
    assert_eq!(told["read"], false);
    assert_eq!(
        told["other_organisation_id"],
        taker.organisation_id.as_str()
    );
    assert_eq!(told["other_organisation_name"], "Brasserie du Lac");
    assert_eq!(
        told["title"],
        "Nouveau message de Brasserie du Lac à propos de « 40 palettes Europe »"
    );
    assert_eq!(
        told["title_en"],
        "New message from Brasserie du Lac about “40 palettes Europe”"
    );
    assert_eq!(
        (told["subject_kind"].as_str(), told["link"].as_str()),
        (
            Some("conversation"),
            Some(format!("/dijon/conversations/{conversation_id}").as_str())
        )
    );
    assert_eq!(unread_count(client, &giver).await, 1);

    // The header shows the count on every page, the inbox marks the item new and names the
    // Brasserie.
    for path in [
        "/dijon/annonces",
        "/dijon/conversations",
        "/dijon/notifications",
    ] {
        let (status, _, html) = page(platform, &giver, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(badge(&html), Some(1), "{path}");
    }
    let (_, _, inbox) = page(platform, &giver, "/dijon/notifications").await;
    let item_id = told["id"].as_str().expect("item id");
    assert!(
        inbox.contains(&format!("id=\"item-{item_id}\" data-read=\"false\"")),
        "{inbox}"
    );
    assert!(
        inbox.contains("De la part de <strong>Brasserie du Lac</strong>"),
        "{inbox}"
    );

    // Opening it from the page marks it read and shows the conversation.
    let (status, location, _) =
        page(platform, &giver, &format!("/dijon/notifications/{item_id}")).await;
    assert_eq!(
        (status, location.as_str()),
        (
            303,
            format!("/dijon/conversations/{conversation_id}").as_str()
        )
    );
    assert_eq!(unread_count(client, &giver).await, 0);
    assert!(unread_items(client, &giver).await.is_empty());
    let all = client.inbox(&giver).await;
    assert!(
        all.iter()
            .any(|item| item["id"] == item_id && item["read"] == true),
        "{all:?}"
    );
    let (_, _, html) = page(platform, &giver, "/dijon/annonces").await;
    assert_eq!(badge(&html), Some(0));

    // The giver replies and reserves: two unread items for the taker, naming the Cartonnerie.
    let (status, _) = client
        .post(
            &messages,
            &giver.token,
            &json!({"text": "Oui, passez jeudi."}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, reserved) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/reservation"),
            &giver.token,
            &json!({"conversation_id": conversation_id}),
        )
        .await;
    assert_eq!(status, 200, "{reserved}");
    let reservation = wait_for_unread(client, &taker, "listing.reserved").await;
    assert_eq!(reservation["other_organisation_name"], "Cartonnerie Dupont");
    assert!(
        reservation["body"]
            .as_str()
            .unwrap()
            .starts_with("Cartonnerie Dupont la réserve pour votre organisation."),
        "{reservation}"
    );
    assert_eq!(
        reservation["link"],
        format!("/dijon/conversations/{conversation_id}")
    );
    let message = wait_for_unread(client, &taker, "conversation.message_posted").await;
    assert_eq!(message["other_organisation_name"], "Cartonnerie Dupont");
    assert_eq!(unread_count(client, &taker).await, 2);

    // One item by the API, then all at once.
    let (status, read) = client
        .post(
            &format!("/api/v1/inbox/{}/read", message["id"].as_str().unwrap()),
            &taker.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        (
            read["item"]["read"].as_bool(),
            read["unread_count"].as_u64()
        ),
        (Some(true), Some(1))
    );
    // Again: nothing changes.
    let (status, again) = client
        .post(
            &format!("/api/v1/inbox/{}/read", message["id"].as_str().unwrap()),
            &taker.token,
            &json!({}),
        )
        .await;
    assert_eq!((status, again["unread_count"].as_u64()), (200, Some(1)));
    let (status, all_read) = client
        .post("/api/v1/inbox/read-all", &taker.token, &json!({}))
        .await;
    assert_eq!(status, 200, "{all_read}");
    assert_eq!(
        (
            all_read["marked"].as_u64(),
            all_read["unread_count"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert!(unread_items(client, &taker).await.is_empty());

    // From the page: the form marks all read (with the CSRF token of the session).
    let (status, _) = client
        .post(
            &messages,
            &taker.token,
            &json!({"text": "Jeudi 10 h, merci !"}),
        )
        .await;
    assert_eq!(status, 201);
    wait_for_unread(client, &giver, "conversation.message_posted").await;
    let (_, _, html) = page(platform, &giver, "/dijon/notifications?lang=en").await;
    assert!(
        html.contains("Mark all as read")
            && html.contains("From <strong>Brasserie du Lac</strong>"),
        "{html}"
    );
    let (giver_cookies, giver_csrf) = client.browser_cookies("dijon", &giver.token).await;
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
        .post(format!("{}/dijon/notifications/tout-lu", platform.base_url))
        .header("Cookie", &giver_cookies)
        .form(&[("csrf_token", giver_csrf.as_str())])
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(unread_count(client, &giver).await, 0);

    // Another member's item is not found; nobody reads without signing in.
    let (status, refused) = client
        .post(
            &format!("/api/v1/inbox/{item_id}/read"),
            &taker.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 404, "{refused}");
    let (status, _) = client
        .post(
            &format!("/api/v1/inbox/{}/read", uuid::Uuid::now_v7()),
            &taker.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(client.get("/api/v1/inbox/unread-count", "").await.0, 401);
    assert_eq!(
        client
            .post("/api/v1/inbox/read-all", "", &json!({}))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn members_choose_when_they_get_e_mails_by_api_and_on_the_settings_page() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Cartonnerie Dupont").await;
    let path = "/api/v1/me/notification-preferences";

    // Defaults: messages and reservations at once, matches and alerts in the daily digest.
    let (status, defaults) = client.get(path, &member.token).await;
    assert_eq!(status, 200, "{defaults}");
    assert_eq!(
        defaults["preferences"],
        json!({"alert": "daily", "message": "immediate", "moderation": "immediate",
               "reminder": "daily", "reservation": "immediate", "synergy": "daily"})
    );
    // A member changes what they want; the rest stays.
    let (status, changed) = client
        .put(
            path,
            &member.token,
            &json!({"preferences": {"synergy": "weekly", "message": "none"}}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (
            &changed["preferences"]["synergy"],
            &changed["preferences"]["message"],
            &changed["preferences"]["reservation"]
        ),
        (&json!("weekly"), &json!("none"), &json!("immediate"))
    );
    for (body, field) in [
        (json!({"preferences": {"synergy": "hourly"}}), "frequency"),
        (json!({"preferences": {"gossip": "daily"}}), "category"),
    ] {
        let (status, refused) = client.put(path, &member.token, &body).await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (400, Some(field)),
            "{refused}"
        );
    }
    assert_eq!(client.get(path, "").await.0, 401);

    // The settings page shows the choices and saves the form.
    let (status, _, html) = page(&platform, &member, "/dijon/notifications/reglages").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("name=\"synergy\" value=\"weekly\" checked"),
        "{html}"
    );
    assert!(
        html.contains("name=\"message\" value=\"none\" checked"),
        "{html}"
    );
    assert!(html.contains("Résumé quotidien"), "{html}");
    let (cookies, csrf) = client.browser_cookies("dijon", &member.token).await;
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
        .post(format!(
            "{}/dijon/notifications/reglages",
            platform.base_url
        ))
        .header("Cookie", &cookies)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("message", "immediate"),
            ("alert", "weekly"),
        ])
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(response.status().as_u16(), 303);
    let (_, saved) = client.get(path, &member.token).await;
    assert_eq!(
        (
            &saved["preferences"]["message"],
            &saved["preferences"]["alert"],
            &saved["preferences"]["synergy"]
        ),
        (&json!("immediate"), &json!("weekly"), &json!("weekly"))
    );
}
