//! Reminders: a conversation left unanswered for 3 days reminds the member who is to answer, a
//! listing ending within 7 days its owner, a reservation not confirmed after 7 days the member
//! it is reserved for — each once, however often the scheduler looks and across a restart.
//!
//! The scheduler's clock starts 8 days ahead (`SYNERGIES_NOTIFICATIONS__CLOCK_START`), so what
//! the test does now is 8 days old to it.

use std::time::Duration;

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};

async fn reminders_of(client: &Client, member: &Member) -> Vec<Value> {
    client
        .inbox(member)
        .await
        .into_iter()
        .filter(|item| {
            item["kind"]
                .as_str()
                .unwrap_or_default()
                .starts_with("reminder.")
        })
        .collect()
}

/// Waits until the member has a reminder of `kind`; answers all their reminders. A timeout
/// shows the platform's log.
async fn wait_for_reminder(platform: &Platform, member: &Member, kind: &str) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    loop {
        ticks.tick().await;
        let reminders = reminders_of(&platform.client, member).await;
        if reminders.iter().any(|r| r["kind"] == kind) {
            return reminders;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} reminder: {reminders:#?}\n{}",
            platform.all_logs()
        );
    }
}

fn kinds(reminders: &[Value]) -> Vec<String> {
    let mut kinds: Vec<String> = reminders
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    kinds.sort();
    kinds
}

#[tokio::test]
async fn each_reminder_reaches_the_right_member_once_across_a_restart() {
    let ahead = chrono::Utc::now() + chrono::TimeDelta::days(8);
    let clock = ahead.to_rfc3339();
    let soon = (ahead + chrono::TimeDelta::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let later = (ahead + chrono::TimeDelta::days(40))
        .format("%Y-%m-%d")
        .to_string();
    let mut platform = Platform::all_in_one(&[
        ("SYNERGIES_NOTIFICATIONS__CLOCK_START", &clock),
        ("SYNERGIES_NOTIFICATIONS__SCHEDULER_INTERVAL_SECS", "1"),
    ])
    .await;
    let client = platform.client.clone();
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;

    let listing = |title: &str, until: Option<&str>| {
        let mut body = json!({"kind": "offer", "category": "packaging/pallets", "title": title,
                              "quantity": 40, "unit": "piece"});
        if let Some(until) = until {
            body["available_until"] = json!(until);
        }
        body
    };
    let mut ids = Vec::new();
    for body in [
        listing("40 palettes Europe", None),
        listing("Cartons pliés", Some(&soon)),
        listing("Bobines de papier", Some(&later)),
    ] {
        let (status, created) = client.create_listing("fr", &giver, &body).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("an id").to_owned());
    }
    let (_, conversation) = client
        .post(
            &format!("/api/v1/listings/{}/conversations", ids[0]),
            &taker.token,
            &json!({}),
        )
        .await;
    let conversation_id = conversation["id"]
        .as_str()
        .expect("conversation id")
        .to_owned();
    let messages = format!("/api/v1/conversations/{conversation_id}/messages");
    let (status, _) = client
        .post(&messages, &taker.token, &json!({"text": "Bonjour !"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) = client
        .post(
            &format!("/api/v1/listings/{}/reservation", ids[0]),
            &giver.token,
            &json!({"conversation_id": conversation_id}),
        )
        .await;
    assert_eq!(status, 200);

    // The giver is to answer the taker's message and owns the listing that ends soon.
    wait_for_reminder(&platform, &giver, "reminder.listing_expiring").await;
    let giver_reminders =
        wait_for_reminder(&platform, &giver, "reminder.conversation_unanswered").await;
    let unanswered = giver_reminders
        .iter()
        .find(|r| r["kind"] == "reminder.conversation_unanswered")
        .unwrap();
    assert_eq!(
        unanswered["link"],
        format!("/dijon/conversations/{conversation_id}"),
        "it opens the conversation: {unanswered}"
    );
    let expiring = giver_reminders
        .iter()
        .find(|r| r["kind"] == "reminder.listing_expiring")
        .unwrap();
    assert_eq!(expiring["listing_id"], ids[1].as_str(), "{expiring}");
    // The taker, for whom the listing is reserved, is to confirm the exchange.
    let taker_reminders =
        wait_for_reminder(&platform, &taker, "reminder.reservation_unconfirmed").await;
    assert!(
        taker_reminders[0]["title"]
            .as_str()
            .unwrap()
            .contains("40 palettes Europe")
    );

    // After a restart, the scheduler looks again: the giver's answer now waits for the taker,
    // and nothing already reminded is reminded twice.
    platform.terminate("synergies");
    platform.restart("synergies", &[]).await;
    let (status, _) = client
        .post(&messages, &giver.token, &json!({"text": "Passez jeudi."}))
        .await;
    assert_eq!(status, 201);
    let taker_reminders =
        wait_for_reminder(&platform, &taker, "reminder.conversation_unanswered").await;
    assert_eq!(
        kinds(&taker_reminders),
        [
            "reminder.conversation_unanswered",
            "reminder.reservation_unconfirmed"
        ]
    );
    assert_eq!(
        kinds(&reminders_of(&client, &giver).await),
        [
            "reminder.conversation_unanswered",
            "reminder.listing_expiring"
        ],
        "once each; the listing ending in 40 days is not reminded"
    );
}
