//! The signed-in member's in-app inbox: items, their read state, the unread count.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use synergies_proto::notifications::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
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
    /// What the item opens: `conversation`, `listing`, `flow` or `synergy`; absent when nothing.
    pub subject_kind: Option<String>,
    pub subject_id: Option<String>,
    /// The page that opens it, e.g. `/dijon/conversations/…` (absent when nothing).
    pub link: Option<String>,
    /// The other organisation the item is about, and its name when known.
    pub other_organisation_id: Option<String>,
    pub other_organisation_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next_page_token: String,
}

#[derive(Debug, Deserialize, IntoParams)]
// Query parameters: without this, utoipa takes them for path parameters behind our own
// extractors (`ApiQuery`).
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// 1 to 100, default 20.
    pub page_size: Option<u32>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
    /// `true`: only the items not read yet.
    #[serde(default)]
    pub unread: bool,
}

#[derive(Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread_count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ItemRead {
    pub item: InboxItem,
    pub unread_count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct AllRead {
    /// Items this call marked read.
    pub marked: u64,
    pub unread_count: u64,
}

/// The caller's inbox, newest first; `unread=true` lists only the items not read yet.
#[utoipa::path(get, path = "/api/v1/inbox", params(InboxParams), security(("member" = [])),
    responses((status = 200, body = InboxPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(page): ApiQuery<InboxParams>,
) -> Result<Json<InboxPage>, ApiError> {
    let message = pb::ListInboxRequest {
        page_size: page.page_size.unwrap_or(0),
        page_token: page.page_token.unwrap_or_default(),
        unread_only: page.unread,
    };
    let inbox = state.notifications.inbox(&member.caller, message).await?;
    let tenant = &member.caller.tenant;
    Ok(Json(InboxPage {
        items: inbox
            .items
            .into_iter()
            .map(|item| inbox_item_json(tenant, item))
            .collect(),
        next_page_token: inbox.next_page_token,
    }))
}

/// How many of the caller's items are unread.
#[utoipa::path(get, path = "/api/v1/inbox/unread-count", security(("member" = [])),
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody)))]
pub async fn unread_count(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<Json<UnreadCount>, ApiError> {
    let unread_count = state
        .notifications
        .count_unread(&member.caller, pb::CountUnreadInboxRequest::default())
        .await?;
    Ok(Json(UnreadCount { unread_count }))
}

/// Marks one item read (again: no change); answers it and the unread count left.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = ItemRead), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ItemRead>, ApiError> {
    let answer = state.notifications.mark_read(&member.caller, &id).await?;
    let item = answer.item.ok_or_else(ApiError::incomplete_answer)?;
    Ok(Json(ItemRead {
        item: inbox_item_json(&member.caller.tenant, item),
        unread_count: answer.unread_count,
    }))
}

/// Marks every item of the caller's inbox read.
#[utoipa::path(post, path = "/api/v1/inbox/read-all", security(("member" = [])),
    responses((status = 200, body = AllRead), (status = 401, body = ErrorBody)))]
pub async fn read_all(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<Json<AllRead>, ApiError> {
    let answer = state.notifications.mark_all_read(&member.caller).await?;
    Ok(Json(AllRead {
        marked: answer.marked,
        unread_count: answer.unread_count,
    }))
}

pub(crate) fn inbox_item_json(tenant: &str, item: pb::InboxItem) -> InboxItem {
    let non_empty = |value: String| Some(value).filter(|v| !v.is_empty());
    InboxItem {
        created_at: crate::clients::rfc3339(item.created_at.as_ref()),
        link: crate::clients::notifications::link(tenant, &item.subject_kind, &item.subject_id),
        id: item.id,
        kind: item.kind,
        title: item.title,
        body: item.body,
        title_en: item.title_en,
        body_en: item.body_en,
        listing_id: non_empty(item.listing_id),
        read: item.read,
        subject_kind: non_empty(item.subject_kind),
        subject_id: non_empty(item.subject_id),
        other_organisation_id: non_empty(item.other_organisation_id),
        other_organisation_name: non_empty(item.other_organisation_name),
    }
}
