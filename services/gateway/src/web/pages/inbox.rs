//! The inbox: what the platform told the signed-in person — counterparts for their requests,
//! messages, reservations, completed exchanges, hidden listings — newest first, page by page,
//! unread ones marked. Opening an item marks it read and shows what it is about; one form marks
//! them all read.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::i18n::Language;
use synergies_proto::notifications::v1 as pb;

use super::{form_caller, notice, see_other};
use crate::clients::notifications::link;
use crate::clients::rfc3339;
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// Items per page.
const PAGE_SIZE: u32 = 30;

#[derive(Deserialize)]
pub struct InboxQuery {
    /// The page token of the older items ("suite" in the address).
    #[serde(default)]
    pub suite: String,
    /// `1`: only the unread items.
    #[serde(default, rename = "non-lues")]
    pub unread_only: String,
}

/// One item as the page shows it.
pub struct ItemView {
    pub id: String,
    pub title: String,
    pub body: String,
    pub read: bool,
    /// The other organisation's name; empty when none or unknown.
    pub from: String,
    /// Whether opening it leads somewhere.
    pub opens: bool,
    /// RFC 3339, for the `datetime` attribute.
    pub at: String,
    /// As the visitor reads it.
    pub when: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Inbox {
    page: Page,
    items: Vec<ItemView>,
    /// The token of the next (older) page; empty on the last one.
    older: String,
    unread_only: bool,
    notice: Option<&'static str>,
}

pub async fn show(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<InboxQuery>,
    uri: axum::http::Uri,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let unread_only = query.unread_only == "1";
    let message = pb::ListInboxRequest {
        page_size: PAGE_SIZE,
        page_token: query.suite,
        unread_only,
    };
    match state.notifications.inbox(&caller, message).await {
        Ok(answer) => {
            let items = answer
                .items
                .into_iter()
                .map(|item| item_view(&page, item))
                .collect();
            let notice = notice(&page, uri.query());
            render(&Inbox {
                page,
                items,
                older: answer.next_page_token,
                unread_only,
                notice,
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

fn item_view(page: &Page, item: pb::InboxItem) -> ItemView {
    // English when the visitor reads English and the item has it.
    let english = page.lang == Language::En && !item.title_en.is_empty();
    let (title, body) = if english {
        (item.title_en, item.body_en)
    } else {
        (item.title, item.body)
    };
    let opens = link(&page.tenant.slug, &item.subject_kind, &item.subject_id).is_some()
        || !item.listing_id.is_empty();
    ItemView {
        at: rfc3339(item.created_at.as_ref()),
        when: page.moment(&rfc3339(item.created_at.as_ref())),
        id: item.id,
        title,
        body,
        read: item.read,
        from: item.other_organisation_name,
        opens,
    }
}

/// Opening an item: marked read, then on to what it is about (the inbox when nothing).
pub async fn open(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    match state.notifications.mark_read(&caller, &id).await {
        Ok(answer) => {
            let item = answer.item.unwrap_or_default();
            let target = link(&page.tenant.slug, &item.subject_kind, &item.subject_id)
                .or_else(|| {
                    (!item.listing_id.is_empty())
                        .then(|| page.href(&format!("/annonces/{}", item.listing_id)))
                })
                .unwrap_or_else(|| page.href("/notifications"));
            Redirect::to(&target).into_response()
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

#[derive(Deserialize)]
pub struct ReadAllForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// "Mark all as read".
pub async fn read_all(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<ReadAllForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    match state.notifications.mark_all_read(&caller).await {
        Ok(_) => see_other(&page, "/notifications", "inbox_read"),
        Err(status) => page.error(&ApiError::from(status)),
    }
}
