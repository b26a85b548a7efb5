//! Diagnostic campaigns: the territory's facilitators plan which organisations their advisors
//! visit over a period and follow their progress; a member validates what was recorded about
//! its organisation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use synergies_proto::flows::v1 as pb;
use utoipa::ToSchema;

use crate::api::PageParams;
use crate::auth::Member;
use crate::clients::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::GatewayState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Zone Cap Nord — printemps 2026", "starts_on": "2026-03-01", "ends_on": "2026-06-30",
    "advisor_user_ids": ["0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b"],
    "organisation_ids": ["0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5c"]}))]
pub struct CampaignBody {
    #[serde(default)]
    pub name: String,
    /// ISO date, e.g. `2026-03-01`.
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    /// The advisors (users) who visit.
    #[serde(default)]
    pub advisor_user_ids: Vec<String>,
    /// The organisations to visit.
    #[serde(default)]
    pub organisation_ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"organisation_ids": ["0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5c"]}))]
pub struct TargetsBody {
    #[serde(default)]
    pub organisation_ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"state": "visited"}))]
pub struct StateBody {
    /// `to_visit`, `visited` or `validated` (members: `validated` only, for their organisation).
    #[serde(default)]
    pub state: String,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignOrganisation {
    pub organisation_id: String,
    pub organisation_name: String,
    /// `to_visit`, `visited` or `validated`.
    pub state: String,
    pub changed_by_user_id: String,
    pub changed_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct Progress {
    pub targets: u32,
    pub to_visit: u32,
    pub visited: u32,
    pub validated: u32,
}

#[derive(Serialize, ToSchema)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub advisor_user_ids: Vec<String>,
    /// The organisations targeted and where each stands (a member sees its own only).
    pub organisations: Vec<CampaignOrganisation>,
    pub progress: Progress,
    pub created_by_user_id: String,
    pub created_at: String,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignPage {
    pub campaigns: Vec<Campaign>,
    pub next_page_token: String,
}

fn campaign_json(campaign: pb::Campaign) -> Campaign {
    let progress = campaign.progress.unwrap_or_default();
    Campaign {
        created_at: rfc3339(campaign.created_at.as_ref()),
        id: campaign.id,
        name: campaign.name,
        starts_on: campaign.starts_on,
        ends_on: campaign.ends_on,
        advisor_user_ids: campaign.advisor_user_ids,
        organisations: campaign
            .targets
            .into_iter()
            .map(|target| CampaignOrganisation {
                changed_at: rfc3339(target.changed_at.as_ref()),
                organisation_id: target.organisation_id,
                organisation_name: target.organisation_name,
                state: target.state,
                changed_by_user_id: target.changed_by_user_id,
            })
            .collect(),
        progress: Progress {
            targets: progress.targets,
            to_visit: progress.to_visit,
            visited: progress.visited,
            validated: progress.validated,
        },
        created_by_user_id: campaign.created_by_user_id,
        version: campaign.version,
    }
}

/// Starts a diagnostic campaign (facilitators).
#[utoipa::path(post, path = "/api/v1/campaigns", request_body = CampaignBody, security(("member" = [])),
    responses((status = 201, body = Campaign), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<CampaignBody>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let message = pb::CreateCampaignRequest {
        name: body.name,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        advisor_user_ids: body.advisor_user_ids,
        organisation_ids: body.organisation_ids,
    };
    let campaign = state.flows.create_campaign(&member.caller, message).await?;
    Ok((StatusCode::CREATED, Json(campaign_json(campaign))))
}

/// The territory's campaigns, newest first, with their progress (facilitators).
#[utoipa::path(get, path = "/api/v1/campaigns", params(PageParams), security(("member" = [])),
    responses((status = 200, body = CampaignPage), (status = 403, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<CampaignPage>, ApiError> {
    let message = pb::ListCampaignsRequest {
        page_size: page.page_size.unwrap_or(0),
        page_token: page.page_token.unwrap_or_default(),
    };
    let page = state.flows.campaigns(&member.caller, message).await?;
    Ok(Json(CampaignPage {
        campaigns: page.campaigns.into_iter().map(campaign_json).collect(),
        next_page_token: page.next_page_token,
    }))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody)))]
pub async fn get(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Campaign>, ApiError> {
    let campaign = state.flows.campaign(&member.caller, &id).await?;
    Ok(Json(campaign_json(campaign)))
}

/// Adds organisations to visit (facilitators); those already in the campaign keep their state.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/organisations", params(("id" = uuid::Uuid, Path)), request_body = TargetsBody,
    security(("member" = [])),
    responses((status = 200, body = Campaign), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_organisations(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TargetsBody>,
) -> Result<Json<Campaign>, ApiError> {
    let message = pb::AddTargetsRequest {
        campaign_id: id,
        organisation_ids: body.organisation_ids,
    };
    let campaign = state.flows.add_targets(&member.caller, message).await?;
    Ok(Json(campaign_json(campaign)))
}

/// Where an organisation of the campaign stands: facilitators mark it visited (or back to
/// visit); a member of the organisation validates its flows.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/organisations/{organisation_id}",
    params(("id" = uuid::Uuid, Path), ("organisation_id" = uuid::Uuid, Path)), request_body = StateBody, security(("member" = [])),
    responses((status = 200, body = Campaign), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_state(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath((id, organisation_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<StateBody>,
) -> Result<Json<Campaign>, ApiError> {
    let message = pb::SetTargetStateRequest {
        campaign_id: id,
        organisation_id,
        state: body.state,
    };
    let campaign = state
        .flows
        .set_target_state(&member.caller, message)
        .await?;
    Ok(Json(campaign_json(campaign)))
}
