//! Reports written by hand after the shape each server sends (no sample was downloaded).

use proptest::prelude::*;

use super::{DsnError, RecipientStatus, parse};

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

const POSTFIX: &str = r#"Return-Path: <>
Received: by mail.synergies.example (Postfix) id 4F1A2B3C; Sun, 29 Nov 2026 09:12:03 +0100 (CET)
Date: Sun, 29 Nov 2026 09:12:03 +0100 (CET)
From: MAILER-DAEMON@mail.synergies.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: notifications@synergies.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4F1A2B3C.1764403923/mail.synergies.example"
Message-Id: <20261129081203.7D2E1@mail.synergies.example>

This is a MIME-encapsulated message.

--4F1A2B3C.1764403923/mail.synergies.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.synergies.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<Achats@Fonderie.example>: host mx.fonderie.example[192.0.2.7] said: 550 5.1.1
    <achats@fonderie.example>: Recipient address rejected: User unknown in
    virtual mailbox table (in reply to RCPT TO command)

--4F1A2B3C.1764403923/mail.synergies.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.synergies.example
X-Postfix-Queue-ID: 4F1A2B3C
X-Postfix-Sender: rfc822; notifications@synergies.example
Arrival-Date: Sun, 29 Nov 2026 09:12:01 +0100 (CET)

Final-Recipient: rfc822; Achats@Fonderie.example
Original-Recipient: rfc822;Achats@Fonderie.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.fonderie.example
Diagnostic-Code: smtp; 550 5.1.1 <achats@fonderie.example>: Recipient address
    rejected: User unknown in virtual mailbox table

--4F1A2B3C.1764403923/mail.synergies.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <notifications@synergies.example>
From: Synergies <notifications@synergies.example>
To: Achats@Fonderie.example
Subject: Nouvelle offre : palettes

--4F1A2B3C.1764403923/mail.synergies.example--
"#;

const EXIM: &str = r"Return-path: <>
Envelope-to: bounces@synergies.example
From: Mail Delivery System <Mailer-Daemon@relay.example.net>
To: bounces@synergies.example
Subject: Mail delivery failed: returning message to sender
Content-Type: multipart/report; report-type=delivery-status; boundary=1764403923-eximdsn-1804289383
MIME-Version: 1.0
Auto-Submitted: auto-replied

--1764403923-eximdsn-1804289383
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  contact@menuiserie.example
    host mx.menuiserie.example [198.51.100.4]
    SMTP error from remote mail server after RCPT TO:<contact@menuiserie.example>:
    550 5.2.1 Mailbox disabled
  stock@menuiserie.example
    retry timeout exceeded

--1764403923-eximdsn-1804289383
Content-type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Action: failed
Final-Recipient: rfc822;contact@menuiserie.example
Status: 5.0.0
Remote-MTA: dns; mx.menuiserie.example
Diagnostic-Code: smtp; 550 5.2.1 Mailbox disabled

Action: delayed
Final-Recipient: rfc822;stock@menuiserie.example
Status: 4.0.0
Will-Retry-Until: Tue, 01 Dec 2026 09:12:03 +0100

--1764403923-eximdsn-1804289383
Content-type: message/rfc822

Return-path: <bounces@synergies.example>
From: Synergies <notifications@synergies.example>
To: contact@menuiserie.example
Subject: Votre recapitulatif du jour

Final-Recipient: rfc822; someone-else@example.org
Action: failed
Status: 5.1.1

--1764403923-eximdsn-1804289383--
";

const GMAIL: &str = r#"Delivered-To: bounces@synergies.example
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: bounces@synergies.example
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
Content-Type: multipart/report; boundary="000000000000a1b2c3d4e5f6a7b8"; report-type=delivery-status

--000000000000a1b2c3d4e5f6a7b8
Content-Type: multipart/related; boundary="000000000000a1b2c3d4e5f6a7c9"

--000000000000a1b2c3d4e5f6a7c9
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f6a7d0"

--000000000000a1b2c3d4e5f6a7d0
Content-Type: text/plain; charset="UTF-8"

** Address not found **

Your message wasn't delivered to direction@atelier.example because the address couldn't be found.

--000000000000a1b2c3d4e5f6a7d0
Content-Type: text/html; charset="UTF-8"

<html><body><p>Address not found</p></body></html>

--000000000000a1b2c3d4e5f6a7d0--
--000000000000a1b2c3d4e5f6a7c9--
--000000000000a1b2c3d4e5f6a7b8
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; notifications@synergies.example
Arrival-Date: Sun, 29 Nov 2026 00:12:03 -0800 (PST)
X-Original-Message-ID: <mail-1@synergies.example>

Final-Recipient: rfc822; direction@atelier.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.atelier.example. (203.0.113.9, the server for the domain
 atelier.example.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does
 not exist.
Last-Attempt-Date: Sun, 29 Nov 2026 00:12:04 -0800 (PST)

--000000000000a1b2c3d4e5f6a7b8
Content-Type: message/rfc822

From: Synergies <notifications@synergies.example>
To: direction@atelier.example
Subject: Nouveau message

--000000000000a1b2c3d4e5f6a7b8--
"#;

#[test]
fn postfix_user_unknown_is_a_hard_failure() {
    let parsed = parse(&crlf(POSTFIX)).unwrap();
    assert_eq!(parsed.len(), 1);
    let recipient = &parsed[0];
    assert_eq!(recipient.address, "Achats@Fonderie.example");
    assert_eq!(recipient.action, "failed");
    assert_eq!(recipient.status, "5.1.1");
    assert!(recipient.is_hard());
    assert!(
        recipient
            .diagnostic
            .contains("Recipient address rejected: User unknown"),
        "folded diagnostic joined: {}",
        recipient.diagnostic
    );
}

#[test]
fn exim_reports_each_recipient_and_ignores_the_returned_message() {
    let parsed = parse(EXIM).unwrap();
    let summary: Vec<(&str, &str, bool)> = parsed
        .iter()
        .map(|r| (r.address.as_str(), r.status.as_str(), r.is_hard()))
        .collect();
    // The returned message quotes a report of its own: it is not read.
    assert_eq!(
        summary,
        [
            ("contact@menuiserie.example", "5.0.0", true),
            ("stock@menuiserie.example", "4.0.0", false)
        ]
    );
    assert_eq!(parsed[1].action, "delayed");
}

#[test]
fn gmail_status_part_after_nested_multiparts() {
    let parsed = parse(GMAIL).unwrap();
    assert_eq!(
        parsed,
        [RecipientStatus {
            address: "direction@atelier.example".into(),
            action: "failed".into(),
            status: "5.1.1".into(),
            diagnostic: "smtp; 550-5.1.1 The email account that you tried to reach does not exist."
                .into(),
        }]
    );
}

#[test]
fn a_failure_with_a_transient_status_is_soft() {
    let report = "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
        --b\nContent-Type: text/plain\n\nDelayed too long.\n--b\n\
        Content-Type: message/delivery-status\n\nReporting-MTA: dns; relay\n\n\
        Final-Recipient: rfc822; <quota@example.org>\nAction: Failed\nStatus: 4.2.2 (mailbox full)\n\n--b--\n";
    let parsed = parse(report).unwrap();
    assert_eq!(parsed[0].address, "quota@example.org");
    assert_eq!(parsed[0].action, "failed");
    assert_eq!(parsed[0].status, "4.2.2");
    assert!(!parsed[0].is_hard());
}

#[test]
fn the_status_part_alone_is_read() {
    let bare = "Reporting-MTA: dns; relay\n\nFinal-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 5.1.1\n";
    let parsed = parse(bare).unwrap();
    assert!(parsed[0].is_hard());
}

#[test]
fn a_quoted_printable_status_part_is_decoded() {
    let report = "Content-Type: multipart/report; report-type=delivery-status; boundary=\"q\"\n\n\
        --q\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: quoted-printable\n\n\
        Reporting-MTA: dns; relay\n\nFinal-Recipient: rfc822; qp@example.org\nAction: failed\n\
        Status: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 refus=C3=A9 par la politique du =\ndomaine\n--q--\n";
    let parsed = parse(report).unwrap();
    assert_eq!(
        parsed[0].diagnostic,
        "smtp; 550 5.7.1 refusé par la politique du domaine"
    );
}

#[test]
fn an_ordinary_mail_is_not_a_report() {
    let mail = "From: someone@example.org\nSubject: Out of office\nContent-Type: text/plain\n\n\
        I am away. Final-Recipient: rfc822; x@example.org\n";
    assert_eq!(parse(mail), Err(DsnError::NoStatusPart));
    let empty_report = "Content-Type: multipart/report; boundary=e\n\n--e\n\
        Content-Type: message/delivery-status\n\nReporting-MTA: dns; relay\n\n--e--\n";
    assert_eq!(parse(empty_report), Err(DsnError::NoRecipient));
}

proptest! {
    /// Whatever arrives in the bounce mailbox, parsing answers (no panic, no endless loop).
    #[test]
    fn any_text_is_answered(text in "(?s).{0,400}") {
        let _ = parse(&text);
    }

    /// Any report's hard failures are exactly its recipients failed with a 5.x.x status.
    #[test]
    fn hard_is_failed_with_a_permanent_status(
        action in prop::sample::select(vec!["failed", "delayed", "delivered", "Failed"]),
        class in prop::sample::select(vec!['2', '4', '5']),
        local in "[a-z]{1,12}",
    ) {
        let report = format!(
            "Content-Type: multipart/report; report-type=delivery-status; boundary=p\n\n--p\n\
             Content-Type: message/delivery-status\n\nReporting-MTA: dns; relay\n\n\
             Final-Recipient: rfc822; {local}@example.org\nAction: {action}\nStatus: {class}.1.1\n--p--\n"
        );
        let parsed = parse(&report).unwrap();
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(&parsed[0].address, &format!("{local}@example.org"));
        prop_assert_eq!(parsed[0].is_hard(), action.eq_ignore_ascii_case("failed") && class == '5');
    }
}

#[test]
fn the_report_is_known_by_its_message_id() {
    assert_eq!(
        super::message_id(POSTFIX).as_deref(),
        Some("<20261129081203.7D2E1@mail.synergies.example>")
    );
    assert_eq!(super::message_id(EXIM), None);
}
