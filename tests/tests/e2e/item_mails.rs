//! E-mails about inbox items, through a real SMTP server (aiosmtpd): a member who wants a
//! category at once gets an e-mail (text and HTML) in the language they read the site in,
//! naming the other organisation and linking to the item; a category set to "none" sends none.

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};
use synergies_tests::smtp::SmtpSink;

async fn unread_item(client: &Client, member: &Member, kind: &str) -> Value {
    let what = format!("an unread {kind} item");
    synergies_platform::testing::eventually(&what, std::time::Duration::from_secs(30), || async {
        let (_, body) = client.get("/api/v1/inbox?unread=true", &member.token).await;
        body["items"]
            .as_array()?
            .iter()
            .find(|item| item["kind"] == kind)
            .cloned()
    })
    .await
}

/// Follows an e-mail's link in the member's browser: where it leads (the redirect's target).
async fn follow(link: &str, member: &Member) -> String {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
        .get(link)
        .header(
            "Cookie",
            format!("__Host-synergies-access={}", member.token),
        )
        .send()
        .await
        .expect("gateway answers");
    assert!(
        response.status().is_redirection(),
        "{link}: {}",
        response.status()
    );
    response.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned()
}

/// The URL that follows `label` in a text part.
fn url_after(mail: &str, label: &str) -> String {
    mail.split(label)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{label} in {mail}"))
        .to_owned()
}

#[tokio::test]
async fn members_get_an_e_mail_at_once_in_their_language_for_the_categories_they_chose() {
    let sink = SmtpSink::start().await;
    let platform =
        Platform::all_in_one(&[("SYNERGIES_NOTIFICATIONS__SMTP_URL", &sink.url())]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    // The giver reads the site in English, the taker in French.
    platform.visit_in(&giver, "en").await;
    platform.visit_in(&taker, "fr").await;

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

    // Messages go at once by default: in English, naming the Brasserie, linking to the item.
    let told = unread_item(client, &giver, "conversation.message_posted").await;
    let mail = sink.wait_for_mail_to(&giver.email).await;
    assert!(
        mail.contains("Subject: New message from Brasserie du Lac about “40 palettes Europe”"),
        "{mail}"
    );
    assert!(mail.contains("From: Brasserie du Lac"), "{mail}");
    let link = format!("/dijon/notifications/{}", told["id"].as_str().unwrap());
    assert!(
        mail.contains("Open: http") && mail.contains(&link),
        "{mail}"
    );
    assert!(
        mail.contains("<strong>Brasserie du Lac</strong>"),
        "an HTML part: {mail}"
    );
    // The HTML part's header carries the territory's name and colour, as its pages do.
    assert!(
        mail.contains("<div class=\"brand\" style=\"background:#1d4f91;")
            && mail.contains("<strong>dijon métropole</strong></div>"),
        "{mail}"
    );
    // Its link opens the conversation, and the item is read.
    let opened = follow(&url_after(&mail, "Open: "), &giver).await;
    assert!(
        opened.ends_with(&format!("/dijon/conversations/{conversation_id}")),
        "{opened}"
    );
    let (_, unread) = client.get("/api/v1/inbox?unread=true", &giver.token).await;
    assert!(
        unread["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|item| item["id"] != told["id"])),
        "{unread}"
    );
    assert!(
        mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{mail}"
    );

    // The settings link works without signing in; a tampered token does not.
    let settings = url_after(&mail, "Change when you receive e-mails: ");
    assert!(settings.contains("/dijon/e-mails?token="), "{settings}");
    let anonymous = reqwest::Client::new();
    let page = anonymous
        .get(&settings)
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("name=\"message\" value=\"immediate\" checked"),
        "{html}"
    );
    let tampered = settings.replace(".settings.", ".message.");
    let refused = anonymous
        .get(&tampered)
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(refused.status().as_u16(), 400);

    // One click (RFC 8058): the mail client POSTs without cookies; messages stop.
    let unsubscribe = mail
        .split("List-Unsubscribe: <")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("a List-Unsubscribe header")
        .to_owned();
    let clicked = anonymous
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
    assert_eq!(preferences["preferences"]["message"], "none");
    assert_eq!(preferences["preferences"]["reservation"], "immediate");

    // The taker wants no e-mail for messages; reservations still come at once, in French.
    let (status, _) = client
        .put(
            "/api/v1/me/notification-preferences",
            &taker.token,
            &json!({"preferences": {"message": "none"}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = client
        .post(&messages, &giver.token, &json!({"text": "Passez jeudi."}))
        .await;
    assert_eq!(status, 201);
    unread_item(client, &taker, "conversation.message_posted").await;
    let (status, _) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/reservation"),
            &giver.token,
            &json!({"conversation_id": conversation_id}),
        )
        .await;
    assert_eq!(status, 200);
    let reserved = unread_item(client, &taker, "listing.reserved").await;
    let mail = sink.wait_for_mail_to(&taker.email).await;
    assert!(
        mail.contains("Subject: L'annonce « 40 palettes Europe » est réservée pour vous"),
        "{mail}"
    );
    assert!(
        mail.contains("De la part de : Cartonnerie Dupont"),
        "{mail}"
    );
    assert!(
        mail.contains(&format!(
            "/dijon/notifications/{}",
            reserved["id"].as_str().unwrap()
        )),
        "{mail}"
    );
    assert!(
        mail.contains("<strong>Cartonnerie Dupont</strong>"),
        "{mail}"
    );
    let opened = follow(&url_after(&mail, "Ouvrir : "), &taker).await;
    assert!(opened.contains("/dijon/"), "{opened}");
    let settings = url_after(&mail, "Choisir quand recevoir des e-mails : ");
    assert!(settings.contains("/dijon/e-mails?token="), "{settings}");
    // The message written after the taker chose "none" sent them nothing.
    let operator = client.operator_token().await;
    let (_, outgoing) = client
        .get("/api/v1/tenants/dijon/outgoing-mail", &operator)
        .await;
    let to_taker: Vec<&Value> = outgoing["mails"]
        .as_array()
        .expect("mails")
        .iter()
        .filter(|m| m["recipient"] == taker.email.as_str())
        .collect();
    assert_eq!(to_taker.len(), 1, "{to_taker:?}");
}
