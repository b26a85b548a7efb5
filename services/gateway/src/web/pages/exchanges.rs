//! Talking and agreeing in the browser: a member contacts the organisation behind a listing,
//! both sides exchange messages, the owner reserves the listing for the other side, both
//! confirm the quantity transferred; and each organisation's impact page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_platform::i18n::Language;
use synergies_proto::listings::v1 as pb;

use super::{Feedback, form_caller, see_other};
use crate::clients::impact::impact_months;
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::directory::{OrganisationCard, organisation_cards};
use crate::web::format::{decimal, euros};
use crate::web::page::{Page, render};

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf_token: String,
}

/// "Contacter l'organisation" on a listing page: opens (or finds) the conversation.
pub async fn open(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, listing_id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let opened = state
        .exchanges
        .open_conversation(&caller, &listing_id)
        .await
        .map_err(ApiError::from)
        .and_then(|a| a.conversation.ok_or_else(ApiError::incomplete_answer));
    match opened {
        Ok(conversation) => {
            Redirect::to(&page.href(&format!("/conversations/{}", conversation.id))).into_response()
        }
        Err(error) => page.error(&error),
    }
}

/// A conversation as the list shows it.
pub struct ConversationView {
    pub id: String,
    pub listing_title: String,
    pub last_message: String,
    pub mine: bool,
    /// The organisation on the other side (empty when identity could not say).
    pub other: String,
}

/// The organisation on the other side of a conversation, seen from `own`.
fn other_side(conversation: &pb::Conversation, own: &str) -> String {
    if conversation.listing_organisation_id == own {
        conversation.asking_organisation_id.clone()
    } else {
        conversation.listing_organisation_id.clone()
    }
}

#[derive(Template)]
#[template(path = "conversations.html")]
struct Conversations {
    page: Page,
    conversations: Vec<ConversationView>,
}

pub async fn list(page: Page, State(state): State<GatewayState>) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let message = pb::ListConversationsRequest {
        page_size: 100,
        page_token: String::new(),
    };
    match state.exchanges.conversations(&caller, message).await {
        Ok(answer) => {
            let own = own_organisation(&caller);
            let conversations = answer.conversations;
            let cards = organisation_cards(
                &state,
                &page,
                conversations.iter().map(|c| other_side(c, &own)),
            )
            .await;
            let conversations = conversations
                .into_iter()
                .map(|c| ConversationView {
                    other: cards
                        .get(&other_side(&c, &own))
                        .map(|card| card.name.clone())
                        .unwrap_or_default(),
                    mine: c.listing_organisation_id == own,
                    last_message: c.last_message.map(|m| m.text).unwrap_or_default(),
                    listing_title: c.listing_title,
                    id: c.id,
                })
                .collect();
            render(&Conversations {
                page,
                conversations,
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

fn own_organisation(caller: &CallerContext) -> String {
    caller
        .organisation_id
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// One message as the thread shows it.
pub struct MessageView {
    pub text: String,
    /// RFC 3339, for the `datetime` attribute.
    pub at: String,
    /// As the visitor reads it.
    pub when: String,
    pub ours: bool,
    /// Its author erased their account: the text is gone.
    pub erased: bool,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct Thread {
    page: Page,
    notice: Option<String>,
    feedback: Feedback,
    conversation: pb::Conversation,
    messages: Vec<MessageView>,
    /// The caller's organisation owns the listing.
    owner: bool,
    /// `published`, `reserved`, `completed`…
    listing_status: String,
    /// The listing is reserved for this conversation's asking organisation.
    reserved_here: bool,
    /// What the caller's side confirmed, if it did.
    confirmed: String,
    unit: String,
    /// The organisation on the other side, and where it is.
    other: OrganisationCard,
}

impl Thread {
    fn status_label(&self) -> &'static str {
        self.page
            .t(&format!("listing.status.{}", self.listing_status))
    }

    fn unit_label(&self) -> &'static str {
        self.page.t(&format!("listing.unit.{}", self.unit))
    }
}

async fn thread(
    page: Page,
    state: &GatewayState,
    id: &str,
    feedback: Feedback,
    notice: Option<String>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let exchanges = &state.exchanges;
    let conversation = match exchanges.conversation(&caller, id).await {
        Ok(conversation) => conversation,
        Err(status) => return page.error(&ApiError::from(status)),
    };
    let message = pb::ListMessagesRequest {
        conversation_id: id.to_owned(),
        page_size: 100,
        page_token: String::new(),
    };
    let messages = match exchanges.messages(&caller, message).await {
        Ok(answer) => answer.messages,
        Err(status) => return page.error(&ApiError::from(status)),
    };
    let own = own_organisation(&caller);
    let reservation = exchanges
        .reservation(&caller, &conversation.listing_id)
        .await
        .unwrap_or_default();
    let listing = reservation.listing.clone().unwrap_or_default();
    let owner = conversation.listing_organisation_id == own;
    let other_id = other_side(&conversation, &own);
    let other = organisation_cards(state, &page, [other_id.clone()])
        .await
        .remove(&other_id)
        .unwrap_or_default();
    let reserved_here = reservation
        .reservation
        .as_ref()
        .is_some_and(|r| r.conversation_id == conversation.id);
    let confirmed = reservation
        .reservation
        .as_ref()
        .and_then(|r| {
            if owner {
                r.owner_confirmation.as_ref()
            } else {
                r.counterpart_confirmation.as_ref()
            }
        })
        .map(|c| format!("{} {}", c.quantity, c.unit))
        .unwrap_or_default();
    let messages = messages
        .into_iter()
        .rev()
        .map(|m| MessageView {
            ours: m.author_organisation_id == own,
            at: crate::clients::rfc3339(m.created_at.as_ref()),
            when: page.moment(&crate::clients::rfc3339(m.created_at.as_ref())),
            erased: m.erased,
            text: m.text,
        })
        .collect();
    render(&Thread {
        listing_status: crate::clients::listings::status_name(listing.status).to_owned(),
        unit: listing.unit,
        page,
        notice,
        feedback,
        conversation,
        messages,
        owner,
        reserved_here,
        confirmed,
        other,
    })
}

pub async fn show(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<super::auth::NoticeQuery>,
) -> Response {
    let notice = super::notice(
        &page,
        query.notice.map(|n| format!("notice={n}")).as_deref(),
    )
    .map(str::to_owned);
    thread(page, &state, &id, Feedback::none(), notice).await
}

#[derive(Deserialize)]
pub struct ThreadForm {
    pub csrf_token: String,
    /// `message`, `reserve`, `cancel` or `confirm`.
    pub action: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub kg_per_unit: String,
    /// One per rendered form (see `Page::fresh_idempotency_key`): a message or a confirmation
    /// sent twice counts once.
    #[serde(default)]
    pub idempotency_key: String,
}

/// The forms of a conversation page.
pub async fn act(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ThreadForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let exchanges = &state.exchanges;
    let listing_id = match exchanges.conversation(&caller, &id).await {
        Ok(conversation) => conversation.listing_id,
        Err(status) => return page.error(&ApiError::from(status)),
    };
    let key = Some(form.idempotency_key.clone()).filter(|k| !k.is_empty());
    // The calls build their requests inside the scope: that is where they pick up the key.
    let done: Result<(&str, Option<pb::ReservationResponse>), tonic::Status> =
        synergies_platform::idempotency::scope(key, async {
            match form.action.as_str() {
                "message" => exchanges
                    .post_message(&caller, &id, form.text)
                    .await
                    .map(|_| ("message_sent", None)),
                "reserve" => exchanges
                    .reserve(&caller, &listing_id, id.clone())
                    .await
                    .map(|a| ("reserved", Some(a))),
                "cancel" => exchanges
                    .cancel_reservation(&caller, &listing_id)
                    .await
                    .map(|a| ("reservation_cancelled", Some(a))),
                _ => {
                    let message = pb::ConfirmExchangeRequest {
                        listing_id,
                        quantity: form.quantity.trim().replace(',', "."),
                        unit: String::new(),
                        kg_per_unit: form.kg_per_unit.trim().replace(',', "."),
                    };
                    exchanges
                        .confirm(&caller, message)
                        .await
                        .map(|a| ("confirmed", Some(a)))
                }
            }
        })
        .await;
    match done {
        Ok((_, Some(answer))) if !answer.notice_fr.is_empty() => {
            // Both sides confirmed different quantities: say so on the page.
            let notice = match page.lang {
                Language::Fr => answer.notice_fr,
                Language::En => answer.notice_en,
            };
            thread(page, &state, &id, Feedback::none(), Some(notice)).await
        }
        Ok((_, Some(answer))) if answer.exchange.is_some() => {
            see_other(&page, &format!("/conversations/{id}"), "exchange_completed")
        }
        Ok((notice, _)) => see_other(&page, &format!("/conversations/{id}"), notice),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            thread(page, &state, &id, feedback, None).await
        }
    }
}

/// One month of impact as the page shows it.
pub struct MonthView {
    pub month: String,
    pub exchanges: i64,
    pub synergies_realised: i64,
    pub kg: String,
    pub co2e: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "impact.html")]
struct Impact {
    page: Page,
    months: Vec<MonthView>,
    tenant_scope: bool,
}

/// "Mon impact": the organisation's monthly figures; facilitators see the territory's, with
/// the CSV export.
pub async fn impact(page: Page, State(state): State<GatewayState>) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let tenant_scope = page.viewer_is("facilitator");
    let scope = if tenant_scope {
        "tenant"
    } else {
        "organisation"
    };
    match impact_months(&state.exchanges, &state.matching, &caller, scope.to_owned()).await {
        Ok(months) => {
            let months = months
                .into_iter()
                .map(|m| MonthView {
                    kg: decimal(m.kg_diverted, 1, page.lang),
                    co2e: decimal(m.co2e_kg, 1, page.lang),
                    value: euros(m.value_cents, page.lang),
                    exchanges: m.exchanges,
                    synergies_realised: m.synergies_realised,
                    month: m.month,
                })
                .collect();
            render(&Impact {
                page,
                months,
                tenant_scope,
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}
