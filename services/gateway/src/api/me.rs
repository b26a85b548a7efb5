//! RGPD: everything the platform holds about the signed-in user, and erasing it.

use std::future::Future;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use synergies_proto::identity::v1 as identity;
use synergies_proto::listings::v1 as listings;
use synergies_proto::notifications::v1 as notifications;
use utoipa::ToSchema;

use super::exchanges::{ConversationMessage, message_json};
use super::flows::{Flow, flow_json};
use super::inbox::{InboxItem, inbox_item_json};
use super::listings::{Listing, listing_json};
use super::organisations::{Organisation, organisation_json};
use super::tenants::{User, user_json};
use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::GatewayState;

/// Pages read at most per collection (10 000 items), so one export stays bounded.
const MAX_PAGES: usize = 100;

#[derive(Serialize, ToSchema)]
pub struct Export {
    pub user: User,
    /// The new address of an e-mail change waiting for its link to be followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_email: Option<String>,
    pub roles: Vec<String>,
    pub organisation: Option<Organisation>,
    /// Listings the user published (and drafts).
    pub listings: Vec<Listing>,
    pub inbox: Vec<InboxItem>,
    /// Messages the user wrote in conversations about listings.
    pub messages: Vec<ConversationMessage>,
    /// The flows of the user's organisation, whether declared by its members or recorded about
    /// it by an advisor during a diagnostic (`provenance`, `recorded_by_user_id`, dates).
    pub flows: Vec<Flow>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "la brasserie du lac recycle"}))]
pub struct Erase {
    /// The current password, to confirm.
    pub password: String,
}

/// Everything the platform holds about me, gathered from every service.
#[utoipa::path(get, path = "/api/v1/me/export", security(("member" = [])), responses((status = 200, body = Export), (status = 401, body = ErrorBody)))]
pub async fn export(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<Json<Export>, ApiError> {
    let me = state
        .identity
        .export_me(&member.caller, identity::ExportMeRequest {})
        .await?;
    let caller = &member.caller;
    let listings = every_page(|page_token| {
        let message = listings::ListListingsRequest {
            page_size: 100,
            page_token,
            mine: true,
            ..Default::default()
        };
        let client = state.listings.clone();
        async move {
            let page = client.list(caller, message).await?;
            Ok((page.listings, page.next_page_token))
        }
    })
    .await?;
    let inbox = every_page(|page_token| {
        let message = notifications::ListInboxRequest {
            page_size: 100,
            page_token,
            unread_only: false,
        };
        let client = state.notifications.clone();
        async move {
            let page = client.inbox(caller, message).await?;
            Ok((page.items, page.next_page_token))
        }
    })
    .await?;
    let messages = every_page(|page_token| {
        let message = listings::ListMyMessagesRequest {
            page_size: 100,
            page_token,
        };
        let client = state.exchanges.clone();
        async move {
            let page = client.my_messages(caller, message).await?;
            Ok((page.messages, page.next_page_token))
        }
    })
    .await?;
    let organisation_id = caller
        .organisation_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    // A user of no organisation (the operator) has no flows: an empty filter would list others'.
    let flows = if organisation_id.is_empty() {
        Vec::new()
    } else {
        every_page(|page_token| {
            let message = synergies_proto::flows::v1::ListFlowsRequest {
                organisation_id: organisation_id.clone(),
                page_size: 100,
                page_token,
                ..Default::default()
            };
            let client = state.flows.clone();
            async move {
                let page = client.list(caller, message).await?;
                Ok((page.flows, page.next_page_token))
            }
        })
        .await?
    };
    Ok(Json(Export {
        user: user_json(me.user.ok_or_else(ApiError::incomplete_answer)?),
        pending_email: Some(me.pending_email).filter(|address| !address.is_empty()),
        roles: me.roles,
        organisation: me.organisation.map(organisation_json),
        listings: listings.into_iter().map(listing_json).collect(),
        inbox: inbox
            .into_iter()
            .map(|item| inbox_item_json(&caller.tenant, item))
            .collect(),
        messages: messages.into_iter().map(message_json).collect(),
        flows: flows.into_iter().map(flow_json).collect(),
    }))
}

/// Every item of a paged collection: `read` gets a page token and answers the page's items
/// and the next token (empty after the last page). At most [`MAX_PAGES`] pages.
async fn every_page<T, Read, Page>(mut read: Read) -> Result<Vec<T>, ApiError>
where
    Read: FnMut(String) -> Page,
    Page: Future<Output = Result<(Vec<T>, String), tonic::Status>>,
{
    let mut items = Vec::new();
    let mut page_token = String::new();
    for _ in 0..MAX_PAGES {
        let (page, next) = read(page_token).await?;
        items.extend(page);
        if next.is_empty() {
            break;
        }
        page_token = next;
    }
    Ok(items)
}

/// Erases my account: my personal data is deleted or anonymised in every service.
#[utoipa::path(delete, path = "/api/v1/me", request_body = Erase, security(("member" = [])),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn erase(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<Erase>,
) -> Result<StatusCode, ApiError> {
    let message = identity::EraseMeRequest {
        password: body.password,
    };
    state.identity.erase_me(&member.caller, message).await?;
    Ok(StatusCode::NO_CONTENT)
}
