//! E-mail confirmation, and the operator's view of the e-mails the platform wrote (in the
//! all-in-one mode without SMTP, that is where they are read).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use synergies_platform::i18n::Text;
use synergies_proto::identity::v1 as identity;
use synergies_proto::notifications::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use super::PageParams;
use crate::auth::Operator;
use crate::clients::notifications::UndeliverableAddress;
use crate::clients::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::GatewayState;

#[derive(Deserialize, ToSchema, IntoParams)]
#[schema(example = json!({"token": "rt_6782c3b02d715e94ebd4ad193a8e5f00c415983c023b7e7af1734f26e776c215"}))]
pub struct VerifyEmail {
    /// The token of the link sent by e-mail.
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Verified {
    pub verified: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OutgoingMail {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    /// Absent while not sent.
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    /// Sending attempts the SMTP server answered, the successful one included; an
    /// unreachable server charges none.
    pub attempts: i64,
    /// Not sent because its address is undeliverable (see `undeliverable-addresses`).
    pub held: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OutgoingMailPage {
    pub mails: Vec<OutgoingMail>,
    pub next_page_token: String,
}

async fn verify(state: &GatewayState, token: String) -> Result<Json<Verified>, ApiError> {
    state
        .identity
        .verify_email(identity::VerifyEmailRequest { token })
        .await?;
    Ok(Json(Verified { verified: true }))
}

/// Confirms an e-mail address with the token sent to it.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", request_body = VerifyEmail,
    responses((status = 200, body = Verified), (status = 404, body = ErrorBody)))]
pub async fn verify_email(
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<VerifyEmail>,
) -> Result<Json<Verified>, ApiError> {
    verify(&state, body.token).await
}

/// Operator: the e-mails written for a tenant, newest first, sent or not.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/outgoing-mail", params(("tenant" = String, Path), PageParams), security(("operator" = [])),
    responses((status = 200, body = OutgoingMailPage), (status = 403, body = ErrorBody)))]
pub async fn outgoing(
    operator: Operator,
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<OutgoingMailPage>, ApiError> {
    let message = pb::ListOutgoingMailRequest {
        page_size: page.page_size.unwrap_or(0),
        page_token: page.page_token.unwrap_or_default(),
    };
    let listed = state
        .notifications
        .outgoing_mail(&operator.caller.acting_on(&tenant), message)
        .await?;
    Ok(Json(OutgoingMailPage {
        mails: listed
            .mails
            .into_iter()
            .map(|mail| OutgoingMail {
                created_at: rfc3339(mail.created_at.as_ref()),
                sent_at: mail.sent_at.as_ref().map(|at| rfc3339(Some(at))),
                last_error: Some(mail.last_error).filter(|e| !e.is_empty()),
                attempts: mail.attempts,
                held: mail.held,
                id: mail.id,
                recipient: mail.recipient,
                subject: mail.subject,
                body: mail.body,
            })
            .collect(),
        next_page_token: listed.next_page_token,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct UndeliverableAddresses {
    pub addresses: Vec<UndeliverableAddress>,
}

/// Operator: the tenant's addresses that refused mail for good, repeatedly; nothing more is
/// sent to them until their member confirms them.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/undeliverable-addresses", params(("tenant" = String, Path)), security(("operator" = [])),
    responses((status = 200, body = UndeliverableAddresses), (status = 403, body = ErrorBody)))]
pub async fn undeliverable(
    operator: Operator,
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
) -> Result<Json<UndeliverableAddresses>, ApiError> {
    let addresses = state
        .notifications
        .undeliverable_addresses(&operator.caller.acting_on(&tenant))
        .await?;
    Ok(Json(UndeliverableAddresses { addresses }))
}

/// What a delivery report said of one recipient, and what it did.
#[derive(Serialize, ToSchema)]
pub struct ReportedRecipient {
    pub address: String,
    /// `failed`, `delayed`, `delivered`, `relayed` or `expanded`.
    pub action: String,
    /// The status code, e.g. `5.1.1`: `failed` with a 5.x.x status is a permanent failure.
    pub status: String,
    /// The receiving server's answer.
    pub diagnostic: String,
    /// Counted as a hard failure of the address (permanent, and an address the territory
    /// wrote to); delays and 4.x.x statuses never count.
    pub counted: bool,
    /// Permanent refusals in a row after this report (0 when none).
    pub hard_failures: i32,
    /// Set when the address is undeliverable: its e-mails are held.
    pub undeliverable_since: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryReport {
    pub recipients: Vec<ReportedRecipient>,
    /// The report (same `Message-ID`) was fed before: nothing was counted again.
    pub duplicate: bool,
}

/// Media types a delivery report is accepted as: the whole message, or its text.
const REPORT_TYPES: [&str; 4] = [
    "message/rfc822",
    "text/plain",
    "multipart/report",
    "message/delivery-status",
];

/// Operator: feeds a delivery status notification (RFC 3464, `multipart/report;
/// report-type=delivery-status`) received after the SMTP server had accepted a mail — the
/// raw message as the bounce mailbox holds it. Each recipient that failed for good (`Action:
/// failed`, `Status: 5.x.x`) counts as a permanent refusal of its address, as the server's
/// own 5xx answers do: three in a row make it undeliverable. The same report fed twice (same
/// `Message-ID`) counts once.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/bounces", params(("tenant" = String, Path)), security(("operator" = [])),
    // Documented as text/plain, which every OpenAPI tool can send; the message media types
    // are accepted alike (REPORT_TYPES).
    request_body(content = String, content_type = "text/plain", description = "The report as received; also accepted as message/rfc822, multipart/report or message/delivery-status"),
    responses((status = 200, body = DeliveryReport), (status = 400, body = ErrorBody, description = "Not a delivery status notification"),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn bounces(
    operator: Operator,
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<DeliveryReport>, ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !REPORT_TYPES.contains(&media_type.as_str()) {
        return Err(ApiError::with_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Text::new(
                "send the report as message/rfc822 (or text/plain)",
                "envoyez le rapport en message/rfc822 (ou text/plain)",
            ),
        ));
    }
    let answer = state
        .notifications
        .record_delivery_report(&operator.caller.acting_on(&tenant), body.to_vec())
        .await?;
    Ok(Json(DeliveryReport {
        recipients: answer
            .recipients
            .into_iter()
            .map(|r| ReportedRecipient {
                undeliverable_since: r.undeliverable_since.as_ref().map(|at| rfc3339(Some(at))),
                address: r.address,
                action: r.action,
                status: r.status,
                diagnostic: r.diagnostic,
                counted: r.counted,
                hard_failures: r.hard_failures,
            })
            .collect(),
        duplicate: answer.duplicate,
    }))
}
