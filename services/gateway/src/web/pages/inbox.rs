//! The inbox: what the platform told the signed-in person — counterparts for their requests,
//! messages, reservations, completed exchanges, hidden listings — newest first, page by page.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use synergies_platform::context::request;
use synergies_platform::i18n::Language;
use synergies_proto::notifications::v1 as pb;

use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::format::moment;
use crate::web::page::{Page, render};

/// Items per page.
const PAGE_SIZE: u32 = 30;

#[derive(Deserialize)]
pub struct InboxQuery {
    /// The page token of the older items ("suite" in the address).
    #[serde(default)]
    pub suite: String,
}

/// One item as the page shows it.
pub struct ItemView {
    pub title: String,
    pub body: String,
    /// Empty when the item is about no listing.
    pub listing_id: String,
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
}

pub async fn show(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<InboxQuery>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let message = pb::ListInboxRequest {
        page_size: PAGE_SIZE,
        page_token: query.suite,
    };
    match state
        .notifications
        .clone()
        .list_inbox(request(message, &caller))
        .await
    {
        Ok(answer) => {
            let answer = answer.into_inner();
            let items = answer
                .items
                .into_iter()
                .map(|item| {
                    // English when the visitor reads English and the item has it.
                    let english = page.lang == Language::En && !item.title_en.is_empty();
                    let (title, body) = if english {
                        (item.title_en, item.body_en)
                    } else {
                        (item.title, item.body)
                    };
                    ItemView {
                        at: crate::api::rfc3339(item.created_at.as_ref()),
                        when: moment(&crate::api::rfc3339(item.created_at.as_ref()), page.lang),
                        title,
                        body,
                        listing_id: item.listing_id,
                    }
                })
                .collect();
            render(&Inbox {
                page,
                items,
                older: answer.next_page_token,
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}
