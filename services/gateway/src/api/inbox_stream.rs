//! `GET /api/v1/inbox/stream`: the caller's new inbox items and unread count as Server-Sent
//! Events, for the web header's badge and API clients.
//!
//! - `event: unread` (`{"unread_count": n}`) first, then after every new item;
//! - `event: item` (an inbox item as `GET /api/v1/inbox` lists it), its `id:` the item's id;
//! - a comment line every 15 seconds keeps the connection open through proxies;
//! - a client reconnecting with `Last-Event-ID` first gets the items newer than that id, read
//!   from the inbox; then live items, which come from the bus (see [`crate::live`]).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use synergies_platform::context::CallerContext;
use synergies_proto::notifications::v1 as pb;
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use super::inbox::{UnreadCount, inbox_item_json};
use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::state::GatewayState;

/// How often a comment line is sent when nothing else is.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// Items sent on resumption, at most (older ones are in `GET /api/v1/inbox`).
const MAX_RESUMED: usize = 200;

/// Server-Sent Events of the caller's new inbox items (`event: item`) and unread count
/// (`event: unread`); `Last-Event-ID` resumes after that item.
#[utoipa::path(get, path = "/api/v1/inbox/stream", security(("member" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "id of the last item received: newer ones are sent first")),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
              (status = 401, body = ErrorBody)))]
pub async fn stream(
    member: Member,
    State(state): State<GatewayState>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let reader = member.caller.require_user()?;
    // Subscribed before reading the inbox, so that nothing stored meanwhile is missed.
    let live = state.live.subscribe();
    let last = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Uuid::parse_str(value.trim()).ok());
    // Checks the caller's access before answering 200.
    let unread_count = state
        .notifications
        .count_unread(&member.caller, pb::CountUnreadInboxRequest::default())
        .await?;
    let (events, received) = mpsc::channel(32);
    let connection = Connection {
        state,
        caller: member.caller,
        user_id: reader.user_id,
        organisation_id: reader.organisation_id,
        events,
        last_sent: last,
    };
    tokio::spawn(connection.run(live, unread_count));
    let stream = futures::stream::unfold(received, |mut received| async move {
        received.recv().await.map(|event| (Ok(event), received))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

/// One open stream: what it has sent, and where to.
struct Connection {
    state: GatewayState,
    caller: CallerContext,
    user_id: Uuid,
    organisation_id: Uuid,
    events: mpsc::Sender<Event>,
    /// The newest item sent (or the client had), by id: UUIDv7 ids grow with time.
    last_sent: Option<Uuid>,
}

impl Connection {
    async fn run(
        mut self,
        mut live: broadcast::Receiver<std::sync::Arc<pb::LiveInboxItem>>,
        unread: u64,
    ) {
        // A resumption ends with the count; a new stream starts with it.
        let started = if self.last_sent.is_some() {
            self.resume().await
        } else {
            self.send_count(unread).await
        };
        if started.is_err() {
            return;
        }
        loop {
            let heard = tokio::select! {
                () = self.events.closed() => return,
                heard = live.recv() => heard,
            };
            let result = match heard {
                Ok(live_item) => self.deliver(&live_item).await,
                // Too slow to keep up: read what was missed from the inbox.
                Err(broadcast::error::RecvError::Lagged(_)) => self.resume().await,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if result.is_err() {
                return;
            }
        }
    }

    /// Whether a live item is for this reader: their own, or their organisation's.
    fn is_for_me(&self, live: &pb::LiveInboxItem) -> bool {
        let recipient = Uuid::parse_str(&live.recipient_id).ok();
        live.tenant == self.caller.tenant
            && if live.for_organisation {
                recipient == Some(self.organisation_id)
            } else {
                recipient == Some(self.user_id)
            }
    }

    async fn deliver(&mut self, live: &pb::LiveInboxItem) -> Result<(), Closed> {
        let Some(item) = live.item.clone() else {
            return Ok(());
        };
        if !self.is_for_me(live) {
            return Ok(());
        }
        self.send_item(item).await?;
        let unread = self
            .state
            .notifications
            .count_unread(&self.caller, pb::CountUnreadInboxRequest::default())
            .await
            .map_err(|error| {
                // The access token expired, most likely: the client reconnects with a fresh one.
                tracing::info!(?error, "inbox stream closed: unread count refused");
                Closed
            })?;
        self.send_count(unread).await
    }

    /// Sends an item unless the client has it already (ids grow with time).
    async fn send_item(&mut self, item: pb::InboxItem) -> Result<(), Closed> {
        let Ok(id) = Uuid::parse_str(&item.id) else {
            return Ok(());
        };
        if self.last_sent.is_some_and(|last| id <= last) {
            return Ok(());
        }
        let json = inbox_item_json(&self.caller.tenant, item);
        let event = Event::default()
            .event("item")
            .id(id.to_string())
            .json_data(&json)
            .map_err(|_| Closed)?;
        self.events.send(event).await.map_err(|_| Closed)?;
        self.last_sent = Some(id);
        Ok(())
    }

    async fn send_count(&self, unread_count: u64) -> Result<(), Closed> {
        let event = Event::default()
            .event("unread")
            .json_data(UnreadCount { unread_count })
            .map_err(|_| Closed)?;
        self.events.send(event).await.map_err(|_| Closed)
    }

    /// Sends, oldest first, the items newer than the last one sent, read from the inbox.
    async fn resume(&mut self) -> Result<(), Closed> {
        let Some(last) = self.last_sent else {
            return Ok(());
        };
        let mut newer = Vec::new();
        let mut page_token = String::new();
        'pages: loop {
            let message = pb::ListInboxRequest {
                page_size: 100,
                page_token: page_token.clone(),
                unread_only: false,
            };
            let page = self
                .state
                .notifications
                .inbox(&self.caller, message)
                .await
                .map_err(|_| Closed)?;
            for item in page.items {
                let newer_than_last = Uuid::parse_str(&item.id).is_ok_and(|id| id > last);
                if !newer_than_last || newer.len() >= MAX_RESUMED {
                    break 'pages;
                }
                newer.push(item);
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        for item in newer.into_iter().rev() {
            self.send_item(item).await?;
        }
        let unread = self
            .state
            .notifications
            .count_unread(&self.caller, pb::CountUnreadInboxRequest::default())
            .await
            .map_err(|_| Closed)?;
        self.send_count(unread).await
    }
}

/// The client went away, or its access can no longer be used: the stream ends.
struct Closed;
