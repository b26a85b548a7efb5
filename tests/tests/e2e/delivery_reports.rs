//! Bounces that arrive after the SMTP server accepted a mail: the operator feeds the delivery
//! status notifications (RFC 3464) of the bounce mailbox in, and their permanent failures count
//! as the server's own 5xx refusals do — three make the address undeliverable, its next e-mail
//! is held, the member sees it. Delays, transient failures, other addresses and a report fed
//! twice count nothing.

use std::time::Duration;

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::smtp::SmtpSink;

/// A Postfix-style report that the mail to `address` failed with `status`.
fn report(message_id: &str, address: &str, action: &str, status: &str) -> String {
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
         Final-Recipient: rfc822; {address}\r\nAction: {action}\r\nStatus: {status}\r\n\
         Diagnostic-Code: smtp; 550 {status} mailbox unavailable\r\n\r\n\
         --B1.relay--\r\n"
    )
}

async fn feed(platform: &Platform, token: &str, content_type: &str, body: String) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/tenants/dijon/bounces",
            platform.base_url
        ))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("gateway answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn bounce_reports_fed_by_the_operator_make_an_address_undeliverable() {
    let sink = SmtpSink::start().await;
    let platform =
        Platform::all_in_one(&[("SYNERGIES_NOTIFICATIONS__SMTP_URL", &sink.url())]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    platform.visit_in(&giver, "fr").await;
    platform.visit_in(&taker, "fr").await;

    // The server accepts the message's e-mail: only a later report says it bounced.
    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe",
                      "quantity": 40, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &body).await;
    assert_eq!(status, 201, "{listing}");
    let conversation_id = client
        .open_conversation(listing["id"].as_str().expect("listing id"), &taker)
        .await;
    let messages = format!("/api/v1/conversations/{conversation_id}/messages");
    let (status, _) = client
        .post(&messages, &taker.token, &json!({"text": "Bonjour !"}))
        .await;
    assert_eq!(status, 201);
    sink.wait_for_mail_to(&giver.email).await;

    let operator = client.operator_token().await;
    let (status, refused) = feed(
        &platform,
        &giver.token,
        "message/rfc822",
        report("m0", &giver.email, "failed", "5.1.1"),
    )
    .await;
    assert_eq!(status, 403, "only the operator feeds reports: {refused}");
    let (status, wrong) = feed(&platform, &operator, "application/json", "{}".into()).await;
    assert_eq!(status, 415, "{wrong}");
    let (status, not_a_report) = feed(
        &platform,
        &operator,
        "message/rfc822",
        "Subject: Absent\r\nContent-Type: text/plain\r\n\r\nJe suis absent.\r\n".into(),
    )
    .await;
    assert_eq!(status, 400, "{not_a_report}");

    // A delay, a transient failure and an address the territory never wrote to count nothing.
    for (id, address, action, status_code) in [
        ("d1", giver.email.as_str(), "delayed", "4.4.1"),
        ("d2", giver.email.as_str(), "failed", "4.2.2"),
        ("d3", "stranger@example.org", "failed", "5.1.1"),
    ] {
        let (status, answer) = feed(
            &platform,
            &operator,
            "message/rfc822",
            report(id, address, action, status_code),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["recipients"][0]["counted"], false, "{answer}");
    }

    // Permanent failures count; the same report fed twice counts once.
    let (status, first) = feed(
        &platform,
        &operator,
        "message/rfc822",
        report("h1", &giver.email, "failed", "5.1.1"),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (
            &first["recipients"][0]["counted"],
            &first["recipients"][0]["hard_failures"]
        ),
        (&json!(true), &json!(1)),
        "{first}"
    );
    let (_, again) = feed(
        &platform,
        &operator,
        "message/rfc822",
        report("h1", &giver.email, "failed", "5.1.1"),
    )
    .await;
    assert_eq!(again["duplicate"], true, "{again}");
    let (_, second) = feed(
        &platform,
        &operator,
        "text/plain",
        report("h2", &giver.email.to_uppercase(), "failed", "5.2.1"),
    )
    .await;
    assert_eq!(second["recipients"][0]["hard_failures"], 2, "{second}");
    assert!(
        second["recipients"][0]["undeliverable_since"].is_null(),
        "{second}"
    );
    let (_, third) = feed(
        &platform,
        &operator,
        "message/rfc822",
        report("h3", &giver.email, "failed", "5.1.1"),
    )
    .await;
    assert_eq!(third["recipients"][0]["hard_failures"], 3, "{third}");
    assert!(
        third["recipients"][0]["undeliverable_since"].is_string(),
        "{third}"
    );

    let (_, listed) = client
        .get("/api/v1/tenants/dijon/undeliverable-addresses", &operator)
        .await;
    assert_eq!(
        listed["addresses"][0]["address"],
        giver.email.to_lowercase(),
        "{listed}"
    );
    assert!(
        listed["addresses"][0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("5.1.1")),
        "{listed}"
    );
    let (_, preferences) = client
        .get("/api/v1/me/notification-preferences", &giver.token)
        .await;
    assert_eq!(preferences["undeliverable_email"], giver.email.as_str());

    // Sending to it stops: the next e-mail is held, never offered to the server.
    let (status, _) = client
        .post(
            &messages,
            &taker.token,
            &json!({"text": "Toujours disponible ?"}),
        )
        .await;
    assert_eq!(status, 201);
    synergies_platform::testing::eventually(
        "the next e-mail held",
        Duration::from_secs(30),
        || async {
            let (_, outgoing) = client
                .get("/api/v1/tenants/dijon/outgoing-mail", &operator)
                .await;
            outgoing["mails"]
                .as_array()
                .expect("mails")
                .iter()
                .any(|m| m["recipient"] == giver.email.as_str() && m["held"] == true)
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        sink.mails()
            .iter()
            .filter(|m| m.contains(&giver.email))
            .count(),
        1,
        "only the first e-mail reached the server"
    );
}

/// The same, from a bounce mailbox's pipe: `synergies bounces ingest --tenant dijon --embedded`
/// reads one report on its standard input and counts it as the API does — once per report,
/// three making the address undeliverable — and refuses a text that is no report.
#[tokio::test]
async fn bounce_reports_piped_to_the_command_line_count_as_the_api_counts_them() {
    let sink = SmtpSink::start().await;
    let platform =
        Platform::all_in_one(&[("SYNERGIES_NOTIFICATIONS__SMTP_URL", &sink.url())]).await;
    piped_reports(&platform, &sink, &["--embedded"]).await;
}

/// The same on PostgreSQL, beside the split layout's processes.
#[tokio::test]
async fn bounce_reports_piped_to_the_command_line_count_on_postgresql_too() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let platform = sink.split_platform(&servers).await;
    piped_reports(&platform, &sink, &[]).await;
}

async fn piped_reports(platform: &Platform, sink: &SmtpSink, storage: &[&str]) {
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    platform.visit_in(&giver, "fr").await;
    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe",
                      "quantity": 40, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &body).await;
    assert_eq!(status, 201, "{listing}");
    let conversation_id = client
        .open_conversation(listing["id"].as_str().expect("listing id"), &taker)
        .await;
    let (status, _) = client
        .post(
            &format!("/api/v1/conversations/{conversation_id}/messages"),
            &taker.token,
            &json!({"text": "Bonjour !"}),
        )
        .await;
    assert_eq!(status, 201);
    sink.wait_for_mail_to(&giver.email).await;

    let ingest: Vec<&str> = ["bounces", "ingest", "--tenant", "dijon"]
        .into_iter()
        .chain(storage.iter().copied())
        .collect();
    let piped = |raw: String| {
        let output = platform.cli_reading(&ingest, raw.as_bytes());
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (fed, said) = piped("Subject: out of office\r\n\r\nI am away.\r\n".to_owned());
    assert!(!fed, "not a report: {said}");
    assert!(
        said.contains("RFC 3464") || said.contains("report"),
        "{said}"
    );

    let (fed, said) = piped(report("p1", &giver.email, "failed", "5.1.1"));
    assert!(fed, "{said}");
    assert!(said.contains("counted (1 hard failures)"), "{said}");
    let (fed, said) = piped(report("p1", &giver.email, "failed", "5.1.1"));
    assert!(fed && said.contains("already fed"), "{said}");
    for id in ["p2", "p3"] {
        let (fed, said) = piped(report(id, &giver.email, "failed", "5.1.1"));
        assert!(fed, "{said}");
    }
    let operator = client.operator_token().await;
    let (_, listed) = client
        .get("/api/v1/tenants/dijon/undeliverable-addresses", &operator)
        .await;
    assert_eq!(
        (
            &listed["addresses"][0]["address"],
            &listed["addresses"][0]["hard_failures"]
        ),
        (&json!(giver.email.to_lowercase()), &json!(3)),
        "{listed}"
    );
    let (_, preferences) = client
        .get("/api/v1/me/notification-preferences", &giver.token)
        .await;
    assert_eq!(preferences["undeliverable_email"], giver.email.as_str());
}
