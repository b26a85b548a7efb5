//! Changing the signed-in member's e-mail address: a link goes to the new address, the old one
//! stays theirs until it is followed, then the old one is told of the change.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use synergies_proto::identity::v1 as identity;
use utoipa::ToSchema;

use super::mail::VerifyEmail;
use crate::auth::Member;
use crate::clients::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::GatewayState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "achats@brasserie-du-lac.fr", "password": "la brasserie du lac recycle"}))]
pub struct EmailChange {
    /// The new address.
    pub email: String,
    /// The current password, to confirm.
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct EmailChangeRequested {
    /// The address waiting for confirmation: a link was sent to it.
    pub pending_email: String,
    /// Until when the link works.
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct EmailChanged {
    /// The member's address now.
    pub email: String,
}

/// Asks to change my e-mail address: a link is sent to the new one, which becomes mine once
/// it is followed; until then the current address stays mine. An address that another account
/// of the territory has is refused (409, field `email`).
#[utoipa::path(post, path = "/api/v1/me/email", request_body = EmailChange, security(("member" = [])),
    responses((status = 202, body = EmailChangeRequested), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<EmailChange>,
) -> Result<(StatusCode, Json<EmailChangeRequested>), ApiError> {
    let message = identity::RequestEmailChangeRequest {
        email: body.email,
        password: body.password,
    };
    let requested = state
        .identity
        .request_email_change(&member.caller, message)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(EmailChangeRequested {
            pending_email: requested.pending_email,
            expires_at: rfc3339(requested.expires_at.as_ref()),
        }),
    ))
}

/// Confirms a new e-mail address with the token of the link sent to it: it becomes the
/// member's, and the former address is told.
#[utoipa::path(post, path = "/api/v1/me/email/confirm", request_body = VerifyEmail,
    responses((status = 200, body = EmailChanged), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<VerifyEmail>,
) -> Result<Json<EmailChanged>, ApiError> {
    let changed = state
        .identity
        .confirm_email_change(identity::ConfirmEmailChangeRequest { token: body.token })
        .await?;
    Ok(Json(EmailChanged {
        email: changed.email,
    }))
}
