//! The signed-in member's in-app inbox.

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
use synergies_platform::context::request;
use synergies_platform::retry::idempotent_call;
use synergies_proto::notifications::v1 as pb;
use utoipa::ToSchema;

use super::PageParams;
use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::state::GatewayState;

#[derive(Serialize, ToSchema)]
pub struct InboxItem {
    pub id: String,
    /// Event type that caused the item, e.g. `match.found`.
    pub kind: String,
    /// In French, the territories' language.
    pub title: String,
    pub body: String,
    /// In English; empty for items stored before English was written.
    pub title_en: String,
    pub body_en: String,
    pub listing_id: Option<String>,
    pub read: bool,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next_page_token: String,
}

/// The caller's inbox, newest first.
#[utoipa::path(get, path = "/api/v1/inbox", params(PageParams), security(("member" = [])),
    responses((status = 200, body = InboxPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    Query(page): Query<PageParams>,
) -> Result<Json<InboxPage>, ApiError> {
    let message = pb::ListInboxRequest {
        page_size: page.page_size.unwrap_or(0),
        page_token: page.page_token.unwrap_or_default(),
    };
    let inbox = idempotent_call(|| {
        let mut client = state.notifications.clone();
        let call = request(message.clone(), &member.caller);
        async move { client.list_inbox(call).await }
    })
    .await?
    .into_inner();
    Ok(Json(InboxPage {
        items: inbox.items.into_iter().map(inbox_item_json).collect(),
        next_page_token: inbox.next_page_token,
    }))
}

pub(crate) fn inbox_item_json(item: pb::InboxItem) -> InboxItem {
    InboxItem {
        created_at: super::rfc3339(item.created_at.as_ref()),
        id: item.id,
        kind: item.kind,
        title: item.title,
        body: item.body,
        title_en: item.title_en,
        body_en: item.body_en,
        listing_id: Some(item.listing_id).filter(|id| !id.is_empty()),
        read: item.read,
    }
}
