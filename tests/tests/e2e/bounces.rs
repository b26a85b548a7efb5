//! An address that refuses mail for good, through a real SMTP server (aiosmtpd) answering `550`
//! at `RCPT TO`: after three hard failures it is undeliverable, nothing more is offered to the
//! server, the operator sees it beside the outgoing mail and the member on their e-mail
//! settings page (French and English); the member's confirmation sends the held mails.

use std::time::Duration;

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};
use synergies_tests::smtp::SmtpSink;

/// The tenant's e-mails to `member`, as the operator lists them.
async fn mails_to(client: &Client, operator: &str, member: &Member) -> Vec<Value> {
    let (status, outgoing) = client
        .get("/api/v1/tenants/dijon/outgoing-mail", operator)
        .await;
    assert_eq!(status, 200, "{outgoing}");
    outgoing["mails"]
        .as_array()
        .expect("mails")
        .iter()
        .filter(|m| m["recipient"] == member.email.as_str())
        .cloned()
        .collect()
}

/// A page of Dijon as the member's browser gets it, in `language`.
async fn page(platform: &Platform, member_token: &str, path: &str, language: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{}/dijon{path}?lang={language}", platform.base_url))
        .header("Cookie", format!("__Host-synergies-access={member_token}"))
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.expect("a page")
}

#[tokio::test]
async fn an_address_refused_three_times_is_undeliverable_until_its_member_confirms_it() {
    let sink = SmtpSink::start().await;
    let platform =
        Platform::all_in_one(&[("SYNERGIES_NOTIFICATIONS__SMTP_URL", &sink.url())]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    platform.visit_in(&giver, "fr").await;
    platform.visit_in(&taker, "fr").await;
    sink.refuse(&giver.email);

    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe",
                      "quantity": 40, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &body).await;
    assert_eq!(status, 201, "{listing}");
    let listing_id = listing["id"].as_str().expect("listing id");
    let conversation_id = client.open_conversation(listing_id, &taker).await;
    let messages = format!("/api/v1/conversations/{conversation_id}/messages");
    let (status, _) = client
        .post(&messages, &taker.token, &json!({"text": "Bonjour !"}))
        .await;
    assert_eq!(status, 201);

    // The message's e-mail is refused, retried with backoff, refused again: after the third
    // refusal the operator sees the address as undeliverable.
    let operator = client.operator_token().await;
    let addresses = synergies_platform::testing::eventually(
        "the address marked undeliverable",
        Duration::from_mins(1),
        || async {
            let (_, body) = client
                .get("/api/v1/tenants/dijon/undeliverable-addresses", &operator)
                .await;
            body["addresses"]
                .as_array()
                .filter(|a| !a.is_empty())
                .cloned()
        },
    )
    .await;
    assert_eq!(addresses.len(), 1, "{addresses:?}");
    assert_eq!(addresses[0]["address"], giver.email.to_lowercase());
    assert_eq!(addresses[0]["hard_failures"], 3);
    assert!(
        addresses[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("550")),
        "{addresses:?}"
    );
    assert_eq!(sink.refusals_of(&giver.email), 3);
    let held = mails_to(client, &operator, &giver).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        (&held[0]["held"], &held[0]["sent_at"]),
        (&json!(true), &Value::Null)
    );

    // A later e-mail is held at once: never offered to the server again.
    let (status, _) = client
        .post(
            &messages,
            &taker.token,
            &json!({"text": "Toujours disponible ?"}),
        )
        .await;
    assert_eq!(status, 201);
    synergies_platform::testing::eventually(
        "the second e-mail held",
        Duration::from_secs(30),
        || async {
            let mails = mails_to(client, &operator, &giver).await;
            (mails.len() == 2 && mails.iter().all(|m| m["held"] == true)).then_some(())
        },
    )
    .await;
    assert_eq!(sink.refusals_of(&giver.email), 3);

    // The operator's page names it; the member's settings page says it, in French and English.
    let outgoing = page(&platform, &operator, "/operateur/courriels", "fr").await;
    assert!(
        outgoing.contains("Adresses non distribuables")
            && outgoing.contains(&giver.email.to_lowercase()),
        "{outgoing}"
    );
    let (_, preferences) = client
        .get("/api/v1/me/notification-preferences", &giver.token)
        .await;
    assert_eq!(preferences["undeliverable_email"], giver.email.as_str());
    let french = page(&platform, &giver.token, "/notifications/reglages", "fr").await;
    assert!(
        french.contains("Nos e-mails ne vous parviennent pas") && french.contains(&giver.email),
        "{french}"
    );
    let english = page(&platform, &giver.token, "/notifications/reglages", "en").await;
    assert!(
        english.contains("Our e-mails do not reach you")
            && english.contains("My address is right: resume sending"),
        "{english}"
    );
    let others = page(&platform, &taker.token, "/notifications/reglages", "fr").await;
    assert!(!others.contains("undeliverable-email"), "{others}");
    let (_, preferences) = client
        .get("/api/v1/me/notification-preferences", &taker.token)
        .await;
    assert!(
        preferences.get("undeliverable_email").is_none(),
        "{preferences}"
    );

    // The mailbox works again; the member confirms the address from the page: both held
    // e-mails go out and the mark is gone.
    sink.accept(&giver.email);
    let (cookies, csrf) = client.browser_cookies("dijon", &giver.token).await;
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
        .post(format!(
            "{}/dijon/notifications/reglages/adresse",
            platform.base_url
        ))
        .header("Cookie", &cookies)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(response.status().as_u16(), 303);
    let delivered = sink
        .wait_for_mails("the two held e-mails", 2, |m| m.contains(&giver.email))
        .await;
    assert!(
        delivered.iter().any(|m| m.contains("Brasserie du Lac")),
        "{delivered:?}"
    );
    let (_, preferences) = client
        .get("/api/v1/me/notification-preferences", &giver.token)
        .await;
    assert!(
        preferences.get("undeliverable_email").is_none(),
        "{preferences}"
    );
    let (_, body) = client
        .get("/api/v1/tenants/dijon/undeliverable-addresses", &operator)
        .await;
    assert_eq!(body["addresses"], json!([]), "{body}");
    let confirmed = page(&platform, &giver.token, "/notifications/reglages", "fr").await;
    assert!(!confirmed.contains("undeliverable-email"), "{confirmed}");
}
