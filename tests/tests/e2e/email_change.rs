//! A member changes their e-mail address: a link goes to the new address (the old one still
//! signs in until it is followed), following it makes the new address theirs and tells the
//! old one, and our e-mails go to the new address from then on. An address another account of
//! the territory has is refused next to its field, in French and English; an undeliverable
//! mark the new address carried is cleared once its link is followed. Through the public API,
//! the web pages and a real SMTP server (aiosmtpd).

use serde_json::json;
use synergies_tests::Platform;
use synergies_tests::api::{PASSWORD, token_in};
use synergies_tests::smtp::SmtpSink;

/// A report that the mail to `address` failed for good (RFC 3464, as Postfix writes them).
fn bounce(message_id: &str, address: &str) -> String {
    format!(
        "From: MAILER-DAEMON@relay.example (Mail Delivery System)\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Message-Id: <{message_id}@relay.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"B1.relay\"\r\n\r\n\
         --B1.relay\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
         --B1.relay\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; relay.example\r\n\r\n\
         Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.2.2\r\n\
         Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\r\n\
         --B1.relay--\r\n"
    )
}

#[tokio::test]
async fn a_member_changes_their_address_through_a_link_sent_to_the_new_one() {
    let sink = SmtpSink::start().await;
    let platform =
        Platform::all_in_one(&[("SYNERGIES_NOTIFICATIONS__SMTP_URL", &sink.url())]).await;
    change_of_address(&platform, &sink).await;
}

/// The same with one process per service, on PostgreSQL and NATS JetStream.
#[tokio::test]
async fn a_change_of_address_is_the_same_in_the_split_layout() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let platform = sink.split_platform(&servers).await;
    change_of_address(&platform, &sink).await;
}

async fn change_of_address(platform: &Platform, sink: &SmtpSink) {
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Brasserie du Lac").await;
    let colleague = client.create_member("dijon", "Cartonnerie Dupont").await;
    platform.visit_in(&member, "fr").await;
    let (status, _) = client.get("/api/v1/inbox", &member.token).await;
    assert_eq!(status, 200);
    let new_address = format!(
        "achats-{}@brasserie-du-lac.fr",
        uuid::Uuid::new_v4().simple()
    );

    let operator = client.operator_token().await;
    let feed_bounce = |message_id: String, address: String| {
        let operator = operator.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!(
                    "{}/api/v1/tenants/dijon/bounces",
                    platform.base_url
                ))
                .bearer_auth(&operator)
                .header("Content-Type", "text/plain")
                .body(bounce(&message_id, &address))
                .send()
                .await
                .expect("gateway answers");
            assert_eq!(response.status().as_u16(), 200);
        }
    };

    // Why the member changes it: their address bounced three times, and the e-mail of the
    // next message waits, held.
    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "Fûts de bière",
                      "quantity": 10, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &member, &body).await;
    assert_eq!(status, 201, "{listing}");
    let conversation = client
        .open_conversation(listing["id"].as_str().expect("an id"), &colleague)
        .await;
    let messages = format!("/api/v1/conversations/{conversation}/messages");
    let (status, _) = client
        .post(&messages, &colleague.token, &json!({"text": "Bonjour !"}))
        .await;
    assert_eq!(status, 201);
    let to_old = format!("To: {}", member.email);
    sink.wait_for_mails("the first message's e-mail", 1, |m| {
        m.contains(&to_old) && m.contains("Fûts de bière")
    })
    .await;
    for n in 0..3 {
        feed_bounce(format!("old{n}"), member.email.clone()).await;
    }
    let (status, _) = client
        .post(
            &messages,
            &colleague.token,
            &json!({"text": "Toujours là ?"}),
        )
        .await;
    assert_eq!(status, 201);
    synergies_platform::testing::eventually(
        "the next message's e-mail held",
        std::time::Duration::from_secs(30),
        || async {
            let (_, outgoing) = client
                .get("/api/v1/tenants/dijon/outgoing-mail", &operator)
                .await;
            outgoing["mails"]
                .as_array()?
                .iter()
                .any(|m| m["recipient"] == member.email.as_str() && m["held"] == true)
                .then_some(())
        },
    )
    .await;
    let (_, preferences) = client
        .get("/api/v1/me/notification-preferences", &member.token)
        .await;
    assert_eq!(preferences["undeliverable_email"], member.email.as_str());

    // Refused: a wrong password; another account's address, in French and in English.
    let (status, refused) = client
        .post(
            "/api/v1/me/email",
            &member.token,
            &json!({"email": new_address, "password": "not my password at all"}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("password")),
        "{refused}"
    );
    let taken = json!({"email": colleague.email.to_uppercase(), "password": PASSWORD});
    let (status, refused) = client
        .post_in("fr", "/api/v1/me/email", &member.token, &taken)
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (409, Some("email")),
        "{refused}"
    );
    assert_eq!(
        refused["error"]["message"],
        "un compte existe déjà avec cette adresse e-mail sur ce territoire"
    );
    let (status, refused) = client
        .post_in("en", "/api/v1/me/email", &member.token, &taken)
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(
        refused["error"]["message"],
        "a user with this e-mail address already exists in this territory"
    );
    let (status, refused) = client
        .post(
            "/api/v1/me/email",
            &member.token,
            &json!({"email": "pas une adresse", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("email")),
        "{refused}"
    );

    // The account page's form says the same next to its field, the page in French.
    let (cookies, csrf) = client.browser_cookies("dijon", &member.token).await;
    let answered = reqwest::Client::new()
        .post(format!("{}/dijon/compte/adresse", platform.base_url))
        .header("Cookie", &cookies)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", colleague.email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("gateway answers")
        .text()
        .await
        .expect("a page");
    assert!(
        answered.contains("un compte existe déjà avec cette adresse e-mail sur ce territoire")
            && answered.contains("id=\"email-change\""),
        "{answered}"
    );

    // Asked: the link goes to the new address; the old one still signs in, the new not yet.
    let (status, requested) = client
        .post(
            "/api/v1/me/email",
            &member.token,
            &json!({"email": new_address.to_uppercase(), "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 202, "{requested}");
    assert_eq!(requested["pending_email"], new_address.as_str());
    let link_mail = sink.wait_for_mail_to(&new_address).await;
    assert!(
        link_mail.contains("Subject: Confirmez votre nouvelle adresse e-mail")
            && link_mail.contains("/dijon/change-email?token="),
        "{link_mail}"
    );
    let token = token_in(&link_mail);
    assert_eq!(client.login("dijon", &member.email, PASSWORD).await.0, 200);
    assert_eq!(client.login("dijon", &new_address, PASSWORD).await.0, 401);
    let account = reqwest::Client::new()
        .get(format!("{}/dijon/compte?lang=fr", platform.base_url))
        .header(
            "Cookie",
            format!("__Host-synergies-access={}", member.token),
        )
        .send()
        .await
        .expect("gateway answers")
        .text()
        .await
        .expect("a page");
    let (_, export) = client.get("/api/v1/me/export", &member.token).await;
    assert_eq!(
        export["pending_email"],
        new_address.as_str(),
        "RGPD: {export}"
    );
    assert!(
        account.contains("id=\"email-change\"")
            && account.contains(&format!("En attente de confirmation : {new_address}")),
        "{account}"
    );

    // Meanwhile the new address bounced three times (a full mailbox): undeliverable too.
    for n in 0..3 {
        feed_bounce(format!("full{n}"), new_address.clone()).await;
    }
    let undeliverable = || async {
        let (_, listed) = client
            .get("/api/v1/tenants/dijon/undeliverable-addresses", &operator)
            .await;
        listed["addresses"]
            .as_array()
            .expect("addresses")
            .iter()
            .any(|a| a["address"] == new_address.as_str())
    };
    assert!(undeliverable().await, "three hard bounces");

    // Confirmed from the link's page: the new address is the member's, the old one is told.
    let page = reqwest::Client::new()
        .get(format!(
            "{}/dijon/change-email?token={token}&lang=en",
            platform.base_url
        ))
        .send()
        .await
        .expect("gateway answers")
        .text()
        .await
        .expect("a page");
    assert!(page.contains("Confirm my new address"), "{page}");
    let confirmed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
        .post(format!("{}/dijon/change-email", platform.base_url))
        .header("Cookie", &cookies)
        .form(&[("csrf_token", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(confirmed.status().as_u16(), 303);
    let location = confirmed.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.ends_with("/dijon/connexion?notice=email_changed"),
        "{location}"
    );
    let (status, again) = client
        .post("/api/v1/me/email/confirm", "", &json!({"token": token}))
        .await;
    assert_eq!(status, 404, "a link works once: {again}");

    // The old address is told — written, and held like every e-mail to it while it refuses
    // mail (the operator sees it; it leaves should the member confirm that address again).
    let notice = synergies_platform::testing::eventually(
        "the notice to the old address",
        std::time::Duration::from_secs(30),
        || async {
            let (_, outgoing) = client
                .get("/api/v1/tenants/dijon/outgoing-mail", &operator)
                .await;
            outgoing["mails"].as_array()?.iter().find_map(|m| {
                (m["recipient"] == member.email.as_str()
                    && m["subject"].as_str()?.contains(
                        "Votre adresse e-mail sur Synergies dijon métropole a été changée",
                    ))
                .then(|| m.clone())
            })
        },
    )
    .await;
    assert!(
        notice["body"]
            .as_str()
            .is_some_and(|b| b.contains(&new_address)),
        "{notice}"
    );
    assert_eq!(client.login("dijon", &member.email, PASSWORD).await.0, 401);
    let (status, tokens) = client.login("dijon", &new_address, PASSWORD).await;
    assert_eq!(status, 200, "{tokens}");
    let token = tokens["access_token"].as_str().expect("a token").to_owned();
    let (_, me) = client.get("/api/v1/me", &token).await;
    assert_eq!(me["email"], new_address.as_str(), "{me}");

    // Following the link proved the mailbox works: the mark is gone, for the operator and the
    // member, and our next e-mail goes to the new address.
    synergies_platform::testing::eventually(
        "the new address's mark cleared",
        std::time::Duration::from_secs(30),
        || async { (!undeliverable().await).then_some(()) },
    )
    .await;
    let (_, preferences) = client
        .get("/api/v1/me/notification-preferences", &token)
        .await;
    assert_eq!(
        preferences["undeliverable_email"]
            .as_str()
            .unwrap_or_default(),
        "",
        "{preferences}"
    );
    // The held e-mail went to the new address; so does the next one.
    let to_new = format!("To: {new_address}");
    sink.wait_for_mails("the held e-mail, at the new address", 1, |m| {
        m.contains(&to_new) && m.contains("Fûts de bière")
    })
    .await;
    let (status, _) = client
        .post(
            &messages,
            &colleague.token,
            &json!({"text": "Je passe demain."}),
        )
        .await;
    assert_eq!(status, 201);
    let mails = sink
        .wait_for_mails("the next message's e-mail", 3, |m| {
            m.contains("Fûts de bière")
        })
        .await;
    assert_eq!(mails.len(), 3, "{mails:#?}");
    assert!(mails[0].contains(&to_old), "{mails:#?}");
    assert!(mails[1..].iter().all(|m| m.contains(&to_new)), "{mails:#?}");
}

/// An old address that still receives mail gets the notice of the change by e-mail, in the
/// member's language, naming the new address; the link's page confirms it once.
#[tokio::test]
async fn the_old_address_is_told_of_the_change_by_e_mail() {
    let sink = SmtpSink::start().await;
    let platform =
        Platform::all_in_one(&[("SYNERGIES_NOTIFICATIONS__SMTP_URL", &sink.url())]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Brasserie du Lac").await;
    let new_address = format!(
        "direction-{}@brasserie-du-lac.fr",
        uuid::Uuid::new_v4().simple()
    );
    let (status, requested) = client
        .post_in(
            "en",
            "/api/v1/me/email",
            &member.token,
            &json!({"email": new_address, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 202, "{requested}");
    let link_mail = sink.wait_for_mail_to(&new_address).await;
    let (status, changed) = client
        .post(
            "/api/v1/me/email/confirm",
            "",
            &json!({"token": token_in(&link_mail)}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["email"], new_address.as_str());
    let to_old = format!("To: {}", member.email);
    let notice = sink
        .wait_for_mails("the notice to the old address", 1, |m| m.contains(&to_old))
        .await
        .remove(0);
    assert!(
        notice
            .contains("Subject: Votre adresse e-mail sur Synergies dijon métropole a été changée")
            && notice.contains(&new_address)
            && notice.contains("/dijon/connexion"),
        "{notice}"
    );
}
