//! Synergies: those of a listing or a flow, the tenant's board, the facilitators' pipeline and
//! the members' feedback. Who sees what is the matching service's rule; the listing's own
//! visibility is checked first, so that its synergies answer exactly as the listing does.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use synergies_proto::matching::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Member;
use crate::clients::matching::{self, Synergy, SynergyList};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::GatewayState;

/// Substitutions of a listing, best first (at most 20). A listing the caller may not read
/// answers 404, as `GET /api/v1/listings/{id}` does.
#[utoipa::path(get, path = "/api/v1/listings/{id}/matches", params(("id" = String, Path, format = "uuid")), security(("member" = [])),
    responses((status = 200, body = SynergyList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn of_listing(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SynergyList>, ApiError> {
    // A listing the caller may not read answers 404 before matching is asked.
    state.listings.get(&member.caller, &id).await?;
    Ok(Json(
        matching::of_item(&state.matching, &member.caller, "listing", &id).await?,
    ))
}

/// Substitutions of a diagnosed flow, best first (at most 20). A flow the caller may not read
/// answers 404, as `GET /api/v1/flows/{id}` does.
#[utoipa::path(get, path = "/api/v1/flows/{id}/synergies", params(("id" = String, Path, format = "uuid")), security(("member" = [])),
    responses((status = 200, body = SynergyList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn of_flow(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SynergyList>, ApiError> {
    state.flows.get(&member.caller, &id).await?;
    Ok(Json(
        matching::of_item(&state.matching, &member.caller, "flow", &id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SynergyQuery {
    /// `substitution` or `mutualisation`; both when absent.
    pub kind: Option<String>,
    /// proposed, contacted, studying, realised or abandoned.
    pub status: Option<String>,
    /// Only those involving this organisation.
    pub organisation_id: Option<String>,
}

/// The tenant's synergies: all of them for facilitators, those involving the caller's
/// organisation for members; best first.
#[utoipa::path(get, path = "/api/v1/synergies", params(SynergyQuery), security(("member" = [])),
    responses((status = 200, body = SynergyList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(query): ApiQuery<SynergyQuery>,
) -> Result<Json<SynergyList>, ApiError> {
    let message = pb::ListSynergiesRequest {
        kind: query.kind.unwrap_or_default(),
        status: query.status.unwrap_or_default(),
        organisation_id: query.organisation_id.unwrap_or_default(),
    };
    Ok(Json(
        matching::of_tenant(&state.matching, &member.caller, message).await?,
    ))
}

/// A facilitator's change to a synergy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "realised", "note": "Premier enlèvement le 12 mars", "realised_quantity": 120.0, "unit": "t"}))]
pub struct SynergyChange {
    /// proposed, contacted, studying, realised or abandoned (forward only; abandoned needs a
    /// note saying why).
    pub status: Option<String>,
    pub note: Option<String>,
    /// Yearly quantity exchanged, once realised.
    pub realised_quantity: Option<f64>,
    pub unit: Option<String>,
    /// The advisor following it (a user of the tenant).
    pub advisor_user_id: Option<String>,
}

/// A facilitator moves a synergy through proposed → contacted → studying → realised or
/// abandoned, adds a note, records the realised quantity or assigns an advisor.
#[utoipa::path(put, path = "/api/v1/synergies/{id}", params(("id" = String, Path, format = "uuid")), request_body = SynergyChange, security(("member" = [])),
    responses((status = 200, body = Synergy), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SynergyChange>,
) -> Result<Json<Synergy>, ApiError> {
    let message = pb::UpdateSynergyRequest {
        id,
        status: body.status.unwrap_or_default(),
        note: body.note.unwrap_or_default(),
        realised_quantity: body.realised_quantity,
        unit: body.unit.unwrap_or_default(),
        reason: String::new(),
        advisor_user_id: body.advisor_user_id.unwrap_or_default(),
    };
    Ok(Json(
        matching::update(&state.matching, &member.caller, message).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"relevant": false}))]
pub struct Feedback {
    /// `false` hides the synergy from the caller's organisation (kept as a signal).
    pub relevant: bool,
}

/// A member of an organisation involved says whether the synergy is relevant.
#[utoipa::path(post, path = "/api/v1/synergies/{id}/feedback", params(("id" = String, Path, format = "uuid")), request_body = Feedback, security(("member" = [])),
    responses((status = 200, body = Synergy), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn feedback(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Feedback>,
) -> Result<Json<Synergy>, ApiError> {
    let message = pb::GiveFeedbackRequest {
        id,
        relevant: body.relevant,
    };
    Ok(Json(
        matching::feedback(&state.matching, &member.caller, message).await?,
    ))
}
