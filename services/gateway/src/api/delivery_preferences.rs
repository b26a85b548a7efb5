//! The signed-in member's e-mail rhythm per category of notification: `immediate`, `daily`,
//! `weekly` or `none` (the inbox keeps everything whatever the rhythm).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use synergies_proto::notifications::v1 as pb;
use utoipa::ToSchema;

use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::GatewayState;

/// Every category and its rhythm, e.g. `{"message": "immediate", "synergy": "daily", …}`.
/// Categories: `synergy`, `message`, `reservation`, `moderation`, `alert`, `reminder`.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"preferences": {"message": "immediate", "synergy": "weekly", "alert": "none"}}))]
pub struct DeliveryPreferences {
    pub preferences: BTreeMap<String, String>,
    /// The member's address, present only when it refused mail repeatedly: nothing is sent
    /// to it until the member confirms it (`POST /api/v1/me/notification-preferences/confirm-email`).
    /// Ignored in a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undeliverable_email: Option<String>,
}

/// The caller's rhythm for each category (defaults where never set: messages and
/// reservations at once, matches and alerts in the daily digest).
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", security(("member" = [])),
    responses((status = 200, body = DeliveryPreferences), (status = 401, body = ErrorBody)))]
pub async fn get(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<Json<DeliveryPreferences>, ApiError> {
    Ok(Json(json(
        state
            .notifications
            .delivery_preferences(&member.caller)
            .await?,
    )))
}

/// Sets the rhythm of the categories given (the others keep theirs); answers every category's.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", request_body = DeliveryPreferences,
    security(("member" = [])),
    responses((status = 200, body = DeliveryPreferences), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn update(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<DeliveryPreferences>,
) -> Result<Json<DeliveryPreferences>, ApiError> {
    Ok(Json(json(
        state
            .notifications
            .set_delivery_preferences(&member.caller, body.preferences)
            .await?,
    )))
}

/// The caller confirms their e-mail address after it was found undeliverable: the e-mails held
/// for it are sent again (and it is marked again if the server keeps refusing them).
#[utoipa::path(post, path = "/api/v1/me/notification-preferences/confirm-email", security(("member" = [])),
    responses((status = 200, body = DeliveryPreferences), (status = 401, body = ErrorBody)))]
pub async fn confirm_email(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<Json<DeliveryPreferences>, ApiError> {
    Ok(Json(json(
        state.notifications.confirm_email(&member.caller).await?,
    )))
}

fn json(answer: pb::DeliveryPreferences) -> DeliveryPreferences {
    DeliveryPreferences {
        preferences: answer
            .preferences
            .into_iter()
            .map(|p| (p.category, p.frequency))
            .collect(),
        undeliverable_email: Some(answer.undeliverable_email).filter(|e| !e.is_empty()),
    }
}
