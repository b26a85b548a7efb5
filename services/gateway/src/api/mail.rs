//! E-mail confirmation, and the operator's view of the e-mails the platform wrote (in the
//! all-in-one mode without SMTP, that is where they are read).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
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
