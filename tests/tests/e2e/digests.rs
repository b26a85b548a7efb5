//! Daily and weekly digests through a real SMTP server (aiosmtpd): at 08:00 in the territory's
//! time zone, one e-mail per member grouping the items of the categories they want at that
//! rhythm, in their language, each item linked once; an item told at once is not repeated; a
//! crash in the middle of the run and a restart send every digest and every item once.
//!
//! The scheduler's clock is started by `SYNERGIES_NOTIFICATIONS__CLOCK_START` (the items are
//! stored at the real time, before it), and `SYNERGIES_TEST_CRASH_AFTER_DIGESTS` (read by debug
//! builds only) aborts the process right after the first digest is written, as a crash would.

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};
use synergies_tests::smtp::SmtpSink;

/// Monday 7 January 2030, 07:30 UTC: 08:30 in Paris (winter time), so the day's and the
/// week's digests are due (the time-zone rules themselves are unit-tested in `schedule`).
const MONDAY_MORNING: &str = "2030-01-07T07:30:00Z";
/// The next morning: a new daily digest, no weekly one.
const TUESDAY_MORNING: &str = "2030-01-08T07:30:00Z";
const CLOCK: &str = "SYNERGIES_NOTIFICATIONS__CLOCK_START";
const CRASH: &str = "SYNERGIES_TEST_CRASH_AFTER_DIGESTS";

/// Reads the inbox once in `language`: how the service learns the member's address and language.
async fn known_in(platform: &Platform, member: &Member, language: &str) {
    platform.visit_in(member, language).await;
    let (status, _) = platform.client.get("/api/v1/inbox", &member.token).await;
    assert_eq!(status, 200);
}

async fn unread(client: &Client, member: &Member, kind: &str, count: usize) -> Vec<Value> {
    let what = format!("{count} unread {kind} items");
    synergies_platform::testing::eventually(&what, std::time::Duration::from_secs(30), || async {
        let (_, body) = client.get("/api/v1/inbox?unread=true", &member.token).await;
        let found: Vec<Value> = body["items"]
            .as_array()?
            .iter()
            .filter(|item| item["kind"] == kind)
            .cloned()
            .collect();
        (found.len() >= count).then_some(found)
    })
    .await
}

fn is_digest(mail: &str) -> bool {
    mail.contains("Subject: Your daily digest")
        || mail.contains("Subject: Votre résumé du jour")
        || mail.contains("Subject: Votre résumé de la semaine")
        || mail.contains("Subject: Your weekly digest")
}

fn digests_to(sink: &SmtpSink, member: &Member) -> Vec<String> {
    sink.mails()
        .into_iter()
        .filter(|m| is_digest(m) && m.contains(&format!("To: {}", member.email)))
        .collect()
}

fn link_of(item: &Value) -> String {
    format!(
        "/dijon/notifications/{}",
        item["id"].as_str().expect("an id")
    )
}

#[tokio::test]
async fn digests_go_at_eight_in_the_territory_once_across_a_crash_and_restarts() {
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let mut platform = Platform::all_in_one(&[
        ("SYNERGIES_NOTIFICATIONS__SMTP_URL", &smtp),
        ("SYNERGIES_NOTIFICATIONS__SCHEDULER_INTERVAL_SECS", "1"),
    ])
    .await;
    let client = platform.client.clone();
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    known_in(&platform, &giver, "en").await;
    known_in(&platform, &taker, "fr").await;
    // The giver wants messages in the daily digest, the taker in the weekly one.
    for (member, rhythm) in [(&giver, "daily"), (&taker, "weekly")] {
        let (status, body) = client
            .put(
                "/api/v1/me/notification-preferences",
                &member.token,
                &json!({"preferences": {"message": rhythm}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    let listing = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe",
                         "quantity": 40, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &listing).await;
    assert_eq!(status, 201, "{listing}");
    let listing_id = listing["id"].as_str().expect("listing id");
    let conversation_id = client.open_conversation(listing_id, &taker).await;
    let messages = format!("/api/v1/conversations/{conversation_id}/messages");
    for (from, text) in [
        (&taker, "Bonjour !"),
        (&taker, "Encore disponible ?"),
        (&giver, "Oui."),
    ] {
        let (status, _) = client
            .post(&messages, &from.token, &json!({"text": text}))
            .await;
        assert_eq!(status, 201);
    }
    // A reservation is told at once (the default): the digest must not repeat it.
    let (status, _) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/reservation"),
            &giver.token,
            &json!({"conversation_id": conversation_id}),
        )
        .await;
    assert_eq!(status, 200);
    let to_giver = unread(&client, &giver, "conversation.message_posted", 2).await;
    let to_taker = unread(&client, &taker, "conversation.message_posted", 1).await;
    let reserved = unread(&client, &taker, "listing.reserved", 1).await;
    sink.wait_for_mails("the reservation's e-mail", 1, |m| {
        m.contains("est réservée pour vous") && !is_digest(m)
    })
    .await;
    assert!(digests_to(&sink, &giver).is_empty() && digests_to(&sink, &taker).is_empty());

    // Monday 08:30 in Paris; the process dies right after writing the first digest.
    platform.kill("synergies");
    let crashed = platform
        .run_until_exit("synergies", &[(CLOCK, MONDAY_MORNING), (CRASH, "1")])
        .await;
    assert!(!crashed.success(), "the injected crash happened");
    // Restarted: the run is finished, without writing the first digest again.
    platform.restart("synergies", &[(CRASH, "0")]).await;
    sink.wait_for_mails("both digests", 2, is_digest).await;

    let giver_digests = digests_to(&sink, &giver);
    assert_eq!(giver_digests.len(), 1, "{giver_digests:#?}");
    let digest = &giver_digests[0];
    assert!(
        digest.contains("Subject: Your daily digest: 2 new items"),
        "{digest}"
    );
    assert!(digest.contains("== Messages =="), "{digest}");
    assert!(digest.contains("From: Brasserie du Lac"), "{digest}");
    for item in &to_giver {
        // Once in the text part, once in the HTML part.
        assert_eq!(digest.matches(&link_of(item)).count(), 2, "{digest}");
    }
    assert!(
        digest.contains("<h2>Messages</h2>"),
        "an HTML part: {digest}"
    );
    assert!(
        digest.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{digest}"
    );

    let taker_digests = digests_to(&sink, &taker);
    assert_eq!(taker_digests.len(), 1, "{taker_digests:#?}");
    let digest = &taker_digests[0];
    assert!(
        digest.contains("Subject: Votre résumé de la semaine : 1 nouveauté"),
        "{digest}"
    );
    assert!(
        digest.contains("De la part de : Cartonnerie Dupont"),
        "{digest}"
    );
    assert!(digest.contains(&link_of(&to_taker[0])), "{digest}");
    assert!(
        !digest.contains(&link_of(&reserved[0])),
        "told at once already: {digest}"
    );

    // Stored once each, though the first was written before the crash.
    let operator = client.operator_token().await;
    let (_, outgoing) = client
        .get(
            "/api/v1/tenants/dijon/outgoing-mail?page_size=100",
            &operator,
        )
        .await;
    let stored_digests = outgoing["mails"]
        .as_array()
        .expect("mails")
        .iter()
        .filter(|m| {
            let subject = m["subject"].as_str().unwrap_or_default();
            subject.starts_with("Your daily digest") || subject.starts_with("Votre résumé")
        })
        .count();
    assert_eq!(stored_digests, 2);

    // A new message, then Tuesday morning after another restart: the giver's new digest
    // tells only the new item; the taker's weekly digest waits for next Monday.
    let (status, _) = client
        .post(&messages, &taker.token, &json!({"text": "Je passe jeudi."}))
        .await;
    assert_eq!(status, 201);
    let now_unread = unread(&client, &giver, "conversation.message_posted", 3).await;
    platform.terminate("synergies");
    platform
        .restart("synergies", &[(CLOCK, TUESDAY_MORNING)])
        .await;
    let giver_digests = synergies_platform::testing::eventually(
        "the giver's second digest",
        std::time::Duration::from_secs(30),
        || async {
            let found = digests_to(&sink, &giver);
            (found.len() == 2).then_some(found)
        },
    )
    .await;
    let second = giver_digests
        .iter()
        .find(|m| m.contains("Subject: Your daily digest: 1 new item"))
        .unwrap_or_else(|| panic!("{giver_digests:#?}"));
    let newest = now_unread
        .iter()
        .find(|item| !to_giver.iter().any(|old| old["id"] == item["id"]))
        .expect("the new item");
    assert!(second.contains(&link_of(newest)), "{second}");
    for old in &to_giver {
        assert!(!second.contains(&link_of(old)), "told before: {second}");
    }
    assert_eq!(digests_to(&sink, &taker).len(), 1);

    // The digest's one-click unsubscribe stops the categories it groups.
    let unsubscribe = second
        .split("List-Unsubscribe: <")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("a List-Unsubscribe header")
        .to_owned();
    let clicked = reqwest::Client::new()
        .post(&unsubscribe)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(clicked.status().as_u16(), 200);
    let (_, preferences) = client
        .get("/api/v1/me/notification-preferences", &giver.token)
        .await;
    assert_eq!(
        preferences["preferences"]["message"], "none",
        "{preferences}"
    );
    // Matches were in the daily digest by default: stopped too.
    assert_eq!(
        preferences["preferences"]["synergy"], "none",
        "{preferences}"
    );
    assert_eq!(preferences["preferences"]["reservation"], "immediate");
}

/// A territory's time zone is one of its settings (the configured one applies while it sets
/// none): a zone outside the IANA database is refused next to its field.
#[tokio::test]
async fn a_territory_sets_the_time_zone_of_its_digests() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let facilitator = client.create_facilitator("dijon").await;
    let operator = client.operator_token().await;
    let (_, cci) = client.get("/api/v1/organisation", &facilitator).await;
    let body = json!({"organisation_id": cci["id"], "email": "admin@cci.fr", "display_name": "Admin",
        "password": synergies_tests::api::PASSWORD, "roles": ["tenant_admin"]});
    let (status, created) = client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, answer) = client
        .login("dijon", "admin@cci.fr", synergies_tests::api::PASSWORD)
        .await;
    let admin = answer["access_token"].as_str().expect("a token").to_owned();
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(tenant["settings"]["time_zone"], "", "{tenant}");

    let settings = |zone: &str| {
        json!({"primary_colour": "#1d4f91", "secondary_colour": "#f2a900",
            "exchange_modes": ["give"], "default_language": "fr", "time_zone": zone})
    };
    let (status, refused) = client
        .put("/api/v1/tenant/settings", &admin, &settings("Europe/Dijon"))
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("time_zone")),
        "{refused}"
    );
    let (status, set) = client
        .put(
            "/api/v1/tenant/settings",
            &admin,
            &settings("Indian/Reunion"),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(
        tenant["settings"]["time_zone"], "Indian/Reunion",
        "{tenant}"
    );
}
