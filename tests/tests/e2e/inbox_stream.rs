//! The live inbox: `GET /api/v1/inbox/stream` (Server-Sent Events) pushes a member's new items
//! and unread count as they are stored — through NATS in the split layout — keeps the
//! connection alive with comment lines, and resumes after `Last-Event-ID`. In a real Chromium,
//! the header's badge changes while the page stays open.

use std::time::Duration;

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member, PASSWORD};
use synergies_tests::browser::Browser;

/// One Server-Sent Event, or a comment line (`event` empty, `data` the comment).
#[derive(Debug, Clone)]
struct SseEvent {
    event: String,
    id: String,
    data: String,
}

/// An open stream, read event by event.
struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    async fn open(platform: &Platform, member: &Member, last_event_id: Option<&str>) -> Self {
        let mut request = reqwest::Client::new()
            .get(format!("{}/api/v1/inbox/stream", platform.base_url))
            .bearer_auth(&member.token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("gateway answers");
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event or comment, waiting at most `within`.
    async fn next(&mut self, within: Duration) -> SseEvent {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent {
                    event: String::new(),
                    id: String::new(),
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        comment.trim().clone_into(&mut event.data);
                    } else if let Some((field, value)) = line.split_once(':') {
                        let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
                        match field {
                            "event" => event.event = value,
                            "id" => event.id = value,
                            "data" => event.data.push_str(&value),
                            _ => {}
                        }
                    }
                }
                return event;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("an event in time")
                .expect("the stream stays open")
                .expect("the stream is not over");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event named `name`, skipping heartbeats and others.
    async fn next_named(&mut self, name: &str) -> SseEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await;
            if event.event == name {
                return event;
            }
        }
    }

    async fn unread(&mut self) -> u64 {
        let event = self.next_named("unread").await;
        let body: Value = serde_json::from_str(&event.data).expect("JSON");
        body["unread_count"].as_u64().expect("a count")
    }
}

/// A listing of `owner` and a conversation `asker` opened about it: the messages' address.
async fn conversation(client: &Client, owner: &Member, asker: &Member) -> String {
    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe",
                      "quantity": 40, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", owner, &body).await;
    assert_eq!(status, 201, "{listing}");
    let listing_id = listing["id"].as_str().expect("listing id");
    let (_, conversation) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/conversations"),
            &asker.token,
            &json!({}),
        )
        .await;
    format!(
        "/api/v1/conversations/{}/messages",
        conversation["id"].as_str().expect("conversation id")
    )
}

async fn say(client: &Client, messages: &str, from: &Member, text: &str) {
    let (status, body) = client
        .post(messages, &from.token, &json!({"text": text}))
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn journey(platform: &Platform) {
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    let messages = conversation(client, &giver, &taker).await;
    // Reading their inbox once, the taker's organisation makes its name known.
    client.inbox(&taker).await;

    let mut stream = EventStream::open(platform, &giver, None).await;
    assert_eq!(stream.unread().await, 0);
    say(client, &messages, &taker, "Bonjour !").await;
    let item = stream.next_named("item").await;
    let first: Value = serde_json::from_str(&item.data).expect("an item");
    assert_eq!(first["kind"], "conversation.message_posted");
    assert_eq!(first["other_organisation_name"], "Brasserie du Lac");
    assert_eq!(
        item.id,
        first["id"].as_str().unwrap(),
        "the id resumes after it"
    );
    assert_eq!(stream.unread().await, 1);
    // The taker is not told of the giver's items.
    let mut other = EventStream::open(platform, &taker, None).await;
    assert_eq!(other.unread().await, 0);
    drop(stream);

    // Two more while the giver is away; reconnecting after the first sends exactly those.
    say(client, &messages, &taker, "Toujours disponible ?").await;
    say(client, &messages, &taker, "Je passe jeudi.").await;
    synergies_platform::testing::eventually("three items", Duration::from_secs(30), || async {
        (client.inbox(&giver).await.len() == 3).then_some(())
    })
    .await;
    let mut resumed = EventStream::open(platform, &giver, Some(&item.id)).await;
    let second = resumed.next_named("item").await;
    let third = resumed.next_named("item").await;
    assert!(second.data.contains("Toujours disponible") || second.data.contains("message"));
    assert!(
        second.id > item.id && third.id > second.id,
        "oldest first, after the first"
    );
    assert_eq!(resumed.unread().await, 3);
    // Nothing else but heartbeats: a comment line within the heartbeat period.
    let heartbeat = resumed.next(Duration::from_secs(20)).await;
    assert_eq!(
        (heartbeat.event.as_str(), heartbeat.data.as_str()),
        ("", "heartbeat")
    );
}

#[tokio::test]
async fn new_items_are_pushed_live_and_resume_after_the_last_event_id() {
    let platform = Platform::all_in_one(&[]).await;
    journey(&platform).await;
}

/// The same with one process per service: items reach the gateway over NATS.
#[tokio::test]
async fn new_items_reach_the_gateway_through_nats_in_the_split_layout() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    journey(&platform).await;
}

#[tokio::test]
async fn the_header_badge_changes_while_the_page_stays_open() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    let messages = conversation(client, &giver, &taker).await;

    let browser = Browser::start(1280, 900).await;
    let base = &platform.base_url;
    browser.goto(&format!("{base}/dijon/connexion")).await;
    browser.fill("#email", &giver.email).await;
    browser.fill("#password", PASSWORD).await;
    browser.follow("main form button[type=submit]").await;
    browser.goto(&format!("{base}/dijon/annonces")).await;
    let page = browser.url().await;
    assert_eq!(
        browser
            .attribute("#unread-badge", "data-unread")
            .await
            .as_deref(),
        Some("0")
    );

    say(client, &messages, &taker, "Bonjour !").await;
    say(client, &messages, &taker, "Toujours disponible ?").await;
    synergies_platform::testing::eventually(
        "the badge to say 2",
        Duration::from_secs(30),
        || async {
            (browser
                .attribute("#unread-badge", "data-unread")
                .await
                .as_deref()
                == Some("2"))
            .then_some(())
        },
    )
    .await;
    assert!(browser.text("#unread-badge").await.starts_with('2'));
    assert!(
        !browser.has("#unread-badge.empty").await,
        "shown once there is something"
    );
    assert_eq!(browser.url().await, page, "the page stayed open");
    browser.quit().await;
}
