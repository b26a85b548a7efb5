//! Conversations about listings, reservations, confirmations and recorded exchanges.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt::Write as _;

use axum::response::IntoResponse;
use synergies_platform::i18n::{Language, Text};
use synergies_proto::listings::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use super::PageParams;
use super::listings::{Listing, listing_json};
use crate::auth::Member;
use crate::clients::impact::{MonthImpact, TerritorySummary, impact_months, territory_figures};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::GatewayState;

#[derive(Serialize, ToSchema)]
pub struct ConversationMessage {
    pub id: String,
    pub conversation_id: String,
    pub author_user_id: String,
    pub author_organisation_id: String,
    /// Empty when the message is erased.
    pub text: String,
    pub created_at: String,
    /// Its author erased their account (RGPD): the text is gone.
    pub erased: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Conversation {
    pub id: String,
    pub listing_id: String,
    pub listing_title: String,
    /// The listing's organisation.
    pub listing_organisation_id: String,
    /// The organisation that opened the conversation.
    pub asking_organisation_id: String,
    pub created_at: String,
    pub last_activity_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message: Option<ConversationMessage>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationPage {
    pub conversations: Vec<Conversation>,
    /// Empty on the last page.
    pub next_page_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct MessagePage {
    /// Newest first.
    pub messages: Vec<ConversationMessage>,
    pub next_page_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Bonjour, les palettes sont-elles encore disponibles ? Nous pouvons passer jeudi."}))]
pub struct NewMessage {
    /// 1 to 4000 characters.
    #[schema(example = "Bonjour, les palettes sont-elles toujours disponibles ?")]
    pub text: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"conversation_id": "01938f1e-7c3a-7d30-9c55-6f1f0b6a2e42"}))]
pub struct NewReservation {
    /// A conversation about this listing: the listing is reserved for its other organisation.
    pub conversation_id: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quantity": "38", "unit": "piece", "kg_per_unit": "25"}))]
pub struct ExchangeConfirmation {
    /// The quantity actually transferred (a number or its text), e.g. `38` or `12.5`.
    #[schema(value_type = String, example = "38")]
    pub quantity: Value,
    /// Defaults to the listing's unit; required when the listing states no quantity.
    #[serde(default)]
    pub unit: String,
    /// Mass of one unit in kg, when the unit is not a mass: replaces the category's default
    /// in this exchange's impact (the latest confirmation stating one wins).
    #[schema(value_type = Option<String>, example = "20")]
    pub kg_per_unit: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct Confirmation {
    pub quantity: String,
    pub unit: String,
    pub by_user_id: String,
    pub at: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kg_per_unit: String,
}

#[derive(Serialize, ToSchema)]
pub struct Reservation {
    pub conversation_id: String,
    /// The organisation the listing is reserved for.
    pub counterpart_organisation_id: String,
    pub reserved_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_confirmation: Option<Confirmation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterpart_confirmation: Option<Confirmation>,
}

#[derive(Serialize, ToSchema)]
pub struct Exchange {
    pub id: String,
    pub listing_id: String,
    pub conversation_id: String,
    pub giver_organisation_id: String,
    pub receiver_organisation_id: String,
    pub exchange_mode: String,
    pub category: String,
    pub quantity: String,
    pub unit: String,
    pub completed_at: String,
    /// Kilograms diverted, when the unit is a mass or pieces of known mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kg_diverted: Option<f64>,
    /// kg CO2e avoided: an estimate from ADEME Base Carbone factors (each cited in
    /// `services/codes/data/impact-factors.tsv`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub co2e_kg: Option<f64>,
    /// Euros saved, in cents: the listing's price for the quantity when one was declared,
    /// otherwise an estimate for goods given or exchanged (see `value_estimated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_cents: Option<i64>,
    /// `value_cents` is an estimate (a reference second-hand value, or the waste tax the giver
    /// did not pay), not a declared price.
    pub value_estimated: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ExchangeState {
    pub listing: Listing,
    /// While the listing is reserved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation: Option<Reservation>,
    /// Once both sides confirmed the same quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Exchange>,
    /// When the two confirmations differ: what to do, in the caller's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ExchangePage {
    pub exchanges: Vec<Exchange>,
    pub next_page_token: String,
}

pub fn message_json(message: pb::Message) -> ConversationMessage {
    ConversationMessage {
        created_at: crate::clients::rfc3339(message.created_at.as_ref()),
        id: message.id,
        conversation_id: message.conversation_id,
        author_user_id: message.author_user_id,
        author_organisation_id: message.author_organisation_id,
        text: message.text,
        erased: message.erased,
    }
}

fn conversation_json(conversation: pb::Conversation) -> Conversation {
    Conversation {
        created_at: crate::clients::rfc3339(conversation.created_at.as_ref()),
        last_activity_at: crate::clients::rfc3339(conversation.last_activity_at.as_ref()),
        id: conversation.id,
        listing_id: conversation.listing_id,
        listing_title: conversation.listing_title,
        listing_organisation_id: conversation.listing_organisation_id,
        asking_organisation_id: conversation.asking_organisation_id,
        last_message: conversation.last_message.map(message_json),
    }
}

fn confirmation_json(confirmation: pb::Confirmation) -> Confirmation {
    Confirmation {
        at: crate::clients::rfc3339(confirmation.at.as_ref()),
        quantity: confirmation.quantity,
        unit: confirmation.unit,
        by_user_id: confirmation.by_user_id,
        kg_per_unit: confirmation.kg_per_unit,
    }
}

fn exchange_json(exchange: pb::Exchange) -> Exchange {
    Exchange {
        completed_at: crate::clients::rfc3339(exchange.completed_at.as_ref()),
        id: exchange.id,
        listing_id: exchange.listing_id,
        conversation_id: exchange.conversation_id,
        giver_organisation_id: exchange.giver_organisation_id,
        receiver_organisation_id: exchange.receiver_organisation_id,
        exchange_mode: exchange.exchange_mode,
        category: exchange.category,
        quantity: exchange.quantity,
        unit: exchange.unit,
        kg_diverted: exchange.kg_diverted,
        co2e_kg: exchange.co2e_kg,
        value_cents: exchange.value_cents,
        value_estimated: exchange.value_estimated,
    }
}

fn state_json(
    answer: pb::ReservationResponse,
    headers: &HeaderMap,
) -> Result<ExchangeState, ApiError> {
    let language = Language::negotiate(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
        Language::En,
    );
    let notice = Text::new(answer.notice_en, answer.notice_fr);
    Ok(ExchangeState {
        listing: listing_json(answer.listing.ok_or_else(ApiError::incomplete_answer)?),
        reservation: answer.reservation.map(|r| Reservation {
            reserved_at: crate::clients::rfc3339(r.reserved_at.as_ref()),
            conversation_id: r.conversation_id,
            counterpart_organisation_id: r.counterpart_organisation_id,
            owner_confirmation: r.owner_confirmation.map(confirmation_json),
            counterpart_confirmation: r.counterpart_confirmation.map(confirmation_json),
        }),
        exchange: answer.exchange.map(exchange_json),
        notice: Some(notice.get(language).to_owned()).filter(|n| !n.is_empty()),
    })
}

/// Opens the conversation of the caller's organisation about another organisation's listing
/// (201), or returns the one it already has (200).
#[utoipa::path(post, path = "/api/v1/listings/{id}/conversations", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 201, body = Conversation), (status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<Conversation>), ApiError> {
    let opened = state
        .exchanges
        .open_conversation(&member.caller, &id)
        .await?;
    let status = if opened.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let conversation = opened
        .conversation
        .ok_or_else(ApiError::incomplete_answer)?;
    Ok((status, Json(conversation_json(conversation))))
}

/// The conversations of the caller's organisation, on both sides, most recently active first,
/// each with its newest message.
#[utoipa::path(get, path = "/api/v1/conversations", params(PageParams), security(("member" = [])),
    responses((status = 200, body = ConversationPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<ConversationPage>, ApiError> {
    let message = pb::ListConversationsRequest {
        page_size: page.page_size.unwrap_or(0),
        page_token: page.page_token.unwrap_or_default(),
    };
    let found = state
        .exchanges
        .conversations(&member.caller, message)
        .await?;
    Ok(Json(ConversationPage {
        conversations: found
            .conversations
            .into_iter()
            .map(conversation_json)
            .collect(),
        next_page_token: found.next_page_token,
    }))
}

/// One conversation (its two organisations only).
#[utoipa::path(get, path = "/api/v1/conversations/{id}", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Conversation>, ApiError> {
    let conversation = state.exchanges.conversation(&member.caller, &id).await?;
    Ok(Json(conversation_json(conversation)))
}

/// The messages of a conversation, newest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", params(("id" = uuid::Uuid, Path), PageParams), security(("member" = [])),
    responses((status = 200, body = MessagePage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn messages(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<MessagePage>, ApiError> {
    let message = pb::ListMessagesRequest {
        conversation_id: id,
        page_size: page.page_size.unwrap_or(0),
        page_token: page.page_token.unwrap_or_default(),
    };
    let found = state.exchanges.messages(&member.caller, message).await?;
    Ok(Json(MessagePage {
        messages: found.messages.into_iter().map(message_json).collect(),
        next_page_token: found.next_page_token,
    }))
}

/// Posts a message (members of the conversation's two organisations).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", params(("id" = uuid::Uuid, Path)), request_body = NewMessage, security(("member" = [])),
    responses((status = 201, body = ConversationMessage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn post(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<ConversationMessage>), ApiError> {
    let posted = state
        .exchanges
        .post_message(&member.caller, &id, body.text)
        .await?;
    Ok((StatusCode::CREATED, Json(message_json(posted))))
}

/// The listing's reservation and exchange, as its two organisations see them.
#[utoipa::path(get, path = "/api/v1/listings/{id}/reservation", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = ExchangeState), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reservation(
    member: Member,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ExchangeState>, ApiError> {
    let answer = state.exchanges.reservation(&member.caller, &id).await?;
    Ok(Json(state_json(answer, &headers)?))
}

/// The listing's organisation reserves it for the other organisation of one of its
/// conversations (published → reserved).
#[utoipa::path(post, path = "/api/v1/listings/{id}/reservation", params(("id" = uuid::Uuid, Path)), request_body = NewReservation, security(("member" = [])),
    responses((status = 200, body = ExchangeState), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reserve(
    member: Member,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewReservation>,
) -> Result<Json<ExchangeState>, ApiError> {
    let answer = state
        .exchanges
        .reserve(&member.caller, &id, body.conversation_id)
        .await?;
    Ok(Json(state_json(answer, &headers)?))
}

/// The listing's organisation cancels the reservation (reserved → published).
#[utoipa::path(delete, path = "/api/v1/listings/{id}/reservation", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = ExchangeState), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    member: Member,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ExchangeState>, ApiError> {
    let answer = state
        .exchanges
        .cancel_reservation(&member.caller, &id)
        .await?;
    Ok(Json(state_json(answer, &headers)?))
}

/// One side confirms the quantity actually transferred. When both sides have confirmed the
/// same quantity the listing is completed and the exchange recorded; when they differ the
/// answer's `notice` says so and the listing stays reserved until they agree.
#[utoipa::path(post, path = "/api/v1/listings/{id}/confirmation", params(("id" = uuid::Uuid, Path)), request_body = ExchangeConfirmation, security(("member" = [])),
    responses((status = 200, body = ExchangeState), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    member: Member,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ExchangeConfirmation>,
) -> Result<Json<ExchangeState>, ApiError> {
    let number = |field: &'static str, value: Value| match value {
        Value::Null => Ok(String::new()),
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s),
        _ => Err(ApiError::invalid(
            field,
            Text::new(
                format!("{field}: must be a number such as 12.5"),
                format!("{field} : doit être un nombre tel que 12,5"),
            ),
        )),
    };
    let message = pb::ConfirmExchangeRequest {
        listing_id: id,
        quantity: number("quantity", body.quantity)?,
        unit: body.unit,
        kg_per_unit: number("kg_per_unit", body.kg_per_unit.unwrap_or(Value::Null))?,
    };
    let answer = state.exchanges.confirm(&member.caller, message).await?;
    Ok(Json(state_json(answer, &headers)?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExchangeParams {
    /// 1 to 100, default 20.
    pub page_size: Option<u32>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
    /// The exchanges recorded against this listing (several for a recurring one): all of them
    /// for its organisation and the facilitators, those it took part in for another.
    pub listing_id: Option<String>,
}

/// Exchanges the caller's organisation gave or received, newest first; or those recorded
/// against one listing (`listing_id`).
#[utoipa::path(get, path = "/api/v1/exchanges", params(ExchangeParams), security(("member" = [])),
    responses((status = 200, body = ExchangePage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn exchanges(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(page): ApiQuery<ExchangeParams>,
) -> Result<Json<ExchangePage>, ApiError> {
    let message = pb::ListExchangesRequest {
        page_size: page.page_size.unwrap_or(0),
        page_token: page.page_token.unwrap_or_default(),
        listing_id: page.listing_id.unwrap_or_default(),
    };
    let found = state.exchanges.exchanges(&member.caller, message).await?;
    Ok(Json(ExchangePage {
        exchanges: found.exchanges.into_iter().map(exchange_json).collect(),
        next_page_token: found.next_page_token,
    }))
}

#[derive(Deserialize, IntoParams)]
// Query parameters: without this, utoipa takes them for path parameters behind our own
// extractors (`ApiQuery`).
#[into_params(parameter_in = Query)]
pub struct ImpactScope {
    /// `organisation` (default: my organisation's exchanges) or `tenant` (facilitators).
    pub scope: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImpactReport {
    /// Oldest first.
    pub months: Vec<MonthImpact>,
}

/// Impact totals per month: my organisation's exchanges, or the whole territory's
/// (`scope=tenant`, facilitators).
#[utoipa::path(get, path = "/api/v1/impact", params(ImpactScope), security(("member" = [])),
    responses((status = 200, body = ImpactReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn impact(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(scope): ApiQuery<ImpactScope>,
) -> Result<Json<ImpactReport>, ApiError> {
    let months = impact_months(
        &state.exchanges,
        &state.matching,
        &member.caller,
        scope.scope.unwrap_or_default(),
    )
    .await?;
    Ok(Json(ImpactReport { months }))
}

/// The territory's impact per month as CSV, for facilitators' reports: the figures count
/// exchanges and realised synergies together (the columns are those reports already read; the
/// number of realised synergies is in `GET /api/v1/impact`).
#[utoipa::path(get, path = "/api/v1/impact/export.csv", security(("member" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody)))]
pub async fn impact_csv(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<impl IntoResponse, ApiError> {
    let months = impact_months(
        &state.exchanges,
        &state.matching,
        &member.caller,
        "tenant".to_owned(),
    )
    .await?;
    let mut csv = String::from(
        "month,exchanges,kg_diverted,co2e_kg_estimate,value_eur_declared_or_estimated\n",
    );
    for m in months {
        let _ = writeln!(
            csv,
            "{},{},{:.3},{:.3},{}.{:02}",
            m.month,
            m.exchanges,
            m.kg_diverted,
            m.co2e_kg,
            m.value_cents / 100,
            m.value_cents % 100
        );
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"synergies-impact.csv\"",
            ),
        ],
        csv,
    ))
}

/// A territory's public figures: members, listings online, exchanges completed, synergies
/// realised, tonnes diverted and CO2e avoided by both. No account needed.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/impact", params(("tenant" = String, Path)),
    responses((status = 200, body = TerritorySummary), (status = 404, body = ErrorBody)))]
pub async fn territory_summary(
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
) -> Result<Json<TerritorySummary>, ApiError> {
    Ok(Json(
        territory_figures(&state.identity, &state.exchanges, &state.matching, &tenant).await?,
    ))
}
