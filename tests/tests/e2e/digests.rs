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
        json!({"primary_colour": "#1d4f91", "secondary_colour": "#2e7d32",
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

/// Makes the territory's time zone `zone`, as its tenant admin does on the administration page.
async fn set_time_zone(client: &Client, zone: &str) {
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
    let admin = answer["access_token"].as_str().expect("a token");
    let settings = json!({"primary_colour": "#1d4f91", "secondary_colour": "#2e7d32",
        "exchange_modes": ["give", "exchange", "lend", "rent", "sell"], "default_language": "fr",
        "time_zone": zone});
    let (status, set) = client
        .put("/api/v1/tenant/settings", admin, &settings)
        .await;
    assert_eq!(status, 200, "{set}");
}

/// 08:00 in Cayenne, as an instant: French Guiana keeps UTC−03:00 all year (no summer time
/// since 1967, in the IANA database as in law), so 08:00 there is always 11:00 UTC.
const CAYENNE_EIGHT_UTC_HOUR: u32 = 11;

/// The first 08:00 in Cayenne strictly after `after`.
fn next_eight_in_cayenne(after: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    let today = after
        .date_naive()
        .and_hms_opt(CAYENNE_EIGHT_UTC_HOUR, 0, 0)
        .expect("a time")
        .and_utc();
    if today > after {
        today
    } else {
        today + chrono::TimeDelta::days(1)
    }
}

/// A territory in French Guiana (`America/Cayenne`, UTC−03:00): its members' daily digest goes
/// at 08:00 in Cayenne — hours after 08:00 in Paris — once, with the items of the day, to the
/// SMTP server; the next one tells only what is new.
///
/// The items are stored at the real time; the scheduler's clock is then started a few
/// seconds before the next 08:00 in Cayenne after them (`SYNERGIES_NOTIFICATIONS__CLOCK_START`),
/// when it is already past noon in Paris. The digest of the period the items belong to is due
/// only at that 08:00: it must not come in those first seconds, and must come right after.
#[tokio::test]
async fn a_daily_digest_goes_at_eight_in_the_territorys_own_zone_not_paris() {
    const BEFORE_EIGHT: chrono::TimeDelta = chrono::TimeDelta::seconds(8);
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let mut platform = Platform::all_in_one(&[
        ("SYNERGIES_NOTIFICATIONS__SMTP_URL", &smtp),
        ("SYNERGIES_NOTIFICATIONS__SCHEDULER_INTERVAL_SECS", "1"),
    ])
    .await;
    let client = platform.client.clone();
    client.create_tenant("dijon").await;
    set_time_zone(&client, "America/Cayenne").await;
    let giver = client.create_member("dijon", "Scierie de Kourou").await;
    let seeker = client.create_member("dijon", "Brasserie de Cayenne").await;
    known_in(&platform, &seeker, "fr").await;
    // Alerts of saved searches go in the daily digest (the default, set here to be sure).
    let (status, body) = client
        .put(
            "/api/v1/me/notification-preferences",
            &seeker.token,
            &json!({"preferences": {"alert": "daily"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, saved) = client
        .post(
            "/api/v1/saved-searches",
            &seeker.token,
            &json!({"text": "palette"}),
        )
        .await;
    assert_eq!(status, 201, "{saved}");

    let stored_from = chrono::Utc::now();
    let publish = |title: &'static str| {
        let client = client.clone();
        let giver = giver.clone();
        async move {
            let body = json!({"kind": "offer", "category": "packaging/pallets", "title": title,
                              "exchange_mode": "give", "quantity": 10, "unit": "piece"});
            let (status, listing) = client.create_listing("fr", &giver, &body).await;
            assert_eq!(status, 201, "{listing}");
        }
    };
    publish("Palettes Europe").await;
    publish("Palettes perdues").await;
    let items = unread(&client, &seeker, "alert.saved_search", 2).await;
    let eight = next_eight_in_cayenne(chrono::Utc::now());
    assert!(
        eight - chrono::TimeDelta::days(1) < stored_from,
        "the items were stored across 08:00 in Cayenne: run the test again"
    );
    assert!(
        sink.mails().iter().all(|m| !is_digest(m)),
        "no digest on the real clock"
    );

    // Restarted a few seconds before 08:00 in Cayenne: past noon in Paris.
    platform.terminate("synergies");
    let restarted = std::time::Instant::now();
    let start = (eight - BEFORE_EIGHT).to_rfc3339();
    platform
        .restart("synergies", &[(CLOCK, start.as_str())])
        .await;
    let digests = sink
        .wait_for_mails("the Cayenne digest", 1, is_digest)
        .await;
    let waited = restarted.elapsed();
    assert!(
        waited >= BEFORE_EIGHT.to_std().expect("positive"),
        "the digest went {waited:?} after the restart, before 08:00 in Cayenne"
    );
    assert_eq!(digests.len(), 1, "{digests:#?}");
    let digest = &digests[0];
    assert!(
        digest.contains(&format!("To: {}", seeker.email)),
        "{digest}"
    );
    assert!(
        digest.contains("Subject: Votre résumé du jour : 2 nouveautés"),
        "{digest}"
    );
    assert!(
        digest.contains("== Alertes de recherches enregistrées =="),
        "{digest}"
    );
    for item in &items {
        assert_eq!(digest.matches(&link_of(item)).count(), 2, "{digest}");
    }

    // A new item, and the next morning in Cayenne: only it is told, and the first digest
    // stays the only one of its day.
    publish("Palettes neuves").await;
    let now_unread = unread(&client, &seeker, "alert.saved_search", 3).await;
    platform.terminate("synergies");
    let next_morning =
        (eight + chrono::TimeDelta::days(1) + chrono::TimeDelta::seconds(1)).to_rfc3339();
    platform
        .restart("synergies", &[(CLOCK, next_morning.as_str())])
        .await;
    let digests = sink.wait_for_mails("the next digest", 2, is_digest).await;
    assert_eq!(digests.len(), 2, "{digests:#?}");
    let second = &digests[1];
    assert!(
        second.contains("Subject: Votre résumé du jour : 1 nouveauté"),
        "{second}"
    );
    let newest = now_unread
        .iter()
        .find(|item| !items.iter().any(|old| old["id"] == item["id"]))
        .expect("the new item");
    assert!(second.contains(&link_of(newest)), "{second}");
    for old in &items {
        assert!(!second.contains(&link_of(old)), "told before: {second}");
    }
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
            m["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Votre résumé du jour"))
        })
        .count();
    assert_eq!(stored_digests, 2, "{outgoing}");
}
