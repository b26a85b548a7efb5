//! Joining a territory (public sign-up) and the facilitators' approval queue.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use synergies_platform::i18n::Text;
use synergies_proto::identity::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use super::tenants::{OrganisationKind, User, user_json};
use crate::auth::Member;
use crate::clients::identity::organisation_status_name;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::GatewayState;

#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    #[schema(example = "12 rue des Ateliers")]
    pub address: String,
    /// INSEE code of the commune, which must belong to the territory.
    #[schema(example = "21231")]
    pub insee_code: String,
    /// WGS 84; both or neither.
    #[schema(example = 47.3216)]
    pub latitude: Option<f64>,
    #[schema(example = 5.0415)]
    pub longitude: Option<f64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tenant": "dijon-metropole", "organisation_name": "Cartonnerie de Bourgogne", "kind": "company", "siret": "732 829 320 00074", "naf": "17.21A", "site": {"address": "12 rue des Ateliers", "insee_code": "21231", "latitude": 47.3216, "longitude": 5.0415}, "email": "marie.dupont@cartonnerie-bourgogne.fr", "display_name": "Marie Dupont", "password": "la brasserie du lac recycle", "language": "fr"}))]
pub struct SignUp {
    #[schema(example = "dijon")]
    pub tenant: String,
    #[schema(example = "Cartonnerie de Bourgogne")]
    pub organisation_name: String,
    pub kind: OrganisationKind,
    /// Companies and public bodies: 14 digits.
    #[serde(default)]
    pub siret: String,
    /// Associations: W + 9 digits (or a SIRET).
    #[serde(default)]
    pub rna: String,
    /// NAF/APE code, required for companies, e.g. `17.21A`.
    #[serde(default)]
    pub naf: String,
    pub site: SiteBody,
    pub email: String,
    pub display_name: String,
    pub password: String,
    /// Language of the e-mails, `fr` or `en`; by default from `Accept-Language`, else French.
    #[serde(default)]
    pub language: Option<String>,
}

impl From<SiteBody> for pb::Site {
    fn from(site: SiteBody) -> Self {
        Self {
            address: site.address,
            insee_code: site.insee_code,
            latitude: site.latitude,
            longitude: site.longitude,
            id: String::new(),
        }
    }
}

/// A site of an organisation, as stored: its id locates listings (`site_id`).
#[derive(Serialize, ToSchema)]
pub struct Site {
    pub id: String,
    pub address: String,
    pub insee_code: String,
    /// WGS 84, when the site was placed on a map.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Organisation {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub kind: String,
    pub siret: Option<String>,
    pub rna: Option<String>,
    pub naf: Option<String>,
    /// `pending`, `approved`, `rejected`, `suspended`, `closed` or `diagnosed` (registered by a
    /// facilitator during a diagnostic; nobody of it has signed up yet).
    pub status: String,
    pub status_reason: Option<String>,
    pub sites: Vec<Site>,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedUp {
    pub organisation: Organisation,
    pub user: User,
}

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    Approve,
    Reject,
    Suspend,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "reject", "reason": "Le siège est hors du territoire de la métropole"}))]
pub struct DecisionBody {
    pub decision: DecisionKind,
    /// Required to reject or suspend; shown to the organisation.
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, IntoParams)]
// Query parameters: without this, utoipa takes them for path parameters behind our own
// extractors (`ApiQuery`).
#[into_params(parameter_in = Query)]
pub struct OrganisationFilters {
    /// `pending`, `approved`, `rejected`, `suspended`, `closed` or `diagnosed`.
    pub status: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationPage {
    pub organisations: Vec<Organisation>,
    pub next_page_token: String,
}

fn non_empty(value: String) -> Option<String> {
    Some(value).filter(|v| !v.is_empty())
}

fn kind_name(kind: i32) -> &'static str {
    match pb::OrganisationKind::try_from(kind) {
        Ok(pb::OrganisationKind::Association) => "association",
        Ok(pb::OrganisationKind::PublicBody) => "public_body",
        _ => "company",
    }
}

pub(crate) fn organisation_json(organisation: pb::Organisation) -> Organisation {
    Organisation {
        created_at: crate::clients::rfc3339(organisation.created_at.as_ref()),
        status: organisation_status_name(organisation.status).to_owned(),
        kind: kind_name(organisation.kind).to_owned(),
        id: organisation.id,
        tenant: organisation.tenant,
        name: organisation.name,
        siret: non_empty(organisation.siret),
        rna: non_empty(organisation.rna),
        naf: non_empty(organisation.naf),
        status_reason: non_empty(organisation.status_reason),
        sites: organisation
            .sites
            .into_iter()
            .map(|s| Site {
                id: s.id,
                address: s.address,
                insee_code: s.insee_code,
                latitude: s.latitude,
                longitude: s.longitude,
            })
            .collect(),
    }
}

/// Registers an organisation of the territory and its first user (its administrator). The
/// organisation waits for a facilitator's approval before its members may publish.
#[utoipa::path(post, path = "/api/v1/signup", request_body = SignUp,
    responses((status = 201, body = SignedUp), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign_up(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<(StatusCode, Json<SignedUp>), ApiError> {
    let language = body
        .language
        .clone()
        .unwrap_or_else(|| super::preferred_language(&headers).to_owned());
    let message = pb::SignUpRequest {
        language,
        tenant: body.tenant,
        organisation_name: body.organisation_name,
        kind: super::tenants::kind_message(body.kind).into(),
        siret: body.siret,
        rna: body.rna,
        naf: body.naf,
        site: Some(body.site.into()),
        email: body.email,
        display_name: body.display_name,
        password: body.password,
    };
    let created = state.identity.sign_up(message).await?;
    let organisation = created
        .organisation
        .ok_or_else(ApiError::incomplete_answer)?;
    let user = created.user.ok_or_else(ApiError::incomplete_answer)?;
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            organisation: organisation_json(organisation),
            user: user_json(user),
        }),
    ))
}

/// Facilitators: approve, reject or suspend an organisation of their territory.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/decision", request_body = DecisionBody, security(("member" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Organisation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn decide(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<Organisation>, ApiError> {
    let decision = match body.decision {
        DecisionKind::Approve => pb::OrganisationDecision::Approve,
        DecisionKind::Reject => pb::OrganisationDecision::Reject,
        DecisionKind::Suspend => pb::OrganisationDecision::Suspend,
    };
    let message = pb::DecideOrganisationRequest {
        organisation_id: id,
        decision: decision.into(),
        reason: body.reason,
    };
    let decided = state
        .identity
        .decide_organisation(&member.caller, message)
        .await?;
    Ok(Json(organisation_json(
        decided
            .organisation
            .ok_or_else(ApiError::incomplete_answer)?,
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "la brasserie du lac recycle", "reason": "Cessation d'activité au 31 décembre"}))]
pub struct CloseBody {
    /// The administrator's current password.
    pub password: String,
    /// Optional; kept with the decision and shown to the facilitators.
    #[serde(default)]
    pub reason: String,
}

/// Organisation admins: close their own organisation. Its listings stop being offered; its
/// people keep their accounts (to export or erase their data) but are no longer members.
#[utoipa::path(post, path = "/api/v1/organisation/close", request_body = CloseBody, security(("member" = [])),
    responses((status = 200, body = Organisation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn close(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<CloseBody>,
) -> Result<Json<Organisation>, ApiError> {
    let message = pb::CloseOrganisationRequest {
        password: body.password,
        reason: body.reason,
    };
    let closed = state
        .identity
        .close_organisation(&member.caller, message)
        .await?;
    Ok(Json(organisation_json(
        closed
            .organisation
            .ok_or_else(ApiError::incomplete_answer)?,
    )))
}

/// Facilitators: the territory's organisations, e.g. `?status=pending` for the approval queue.
#[utoipa::path(get, path = "/api/v1/organisations", params(OrganisationFilters), security(("member" = [])),
    responses((status = 200, body = OrganisationPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(filters): ApiQuery<OrganisationFilters>,
) -> Result<Json<OrganisationPage>, ApiError> {
    let status = match filters.status.as_deref() {
        None | Some("") => pb::OrganisationStatus::Unspecified,
        Some("pending") => pb::OrganisationStatus::Pending,
        Some("approved") => pb::OrganisationStatus::Approved,
        Some("rejected") => pb::OrganisationStatus::Rejected,
        Some("suspended") => pb::OrganisationStatus::Suspended,
        Some("closed") => pb::OrganisationStatus::Closed,
        Some("diagnosed") => pb::OrganisationStatus::Diagnosed,
        Some(_) => {
            return Err(ApiError::invalid(
                "status",
                Text::new(
                    "must be pending, approved, rejected, suspended, closed or diagnosed",
                    "doit valoir pending, approved, rejected, suspended, closed ou diagnosed",
                ),
            ));
        }
    };
    let message = pb::ListOrganisationsRequest {
        status: status.into(),
        page_size: filters.page_size.unwrap_or(0),
        page_token: filters.page_token.unwrap_or_default(),
    };
    let page = state
        .identity
        .list_organisations(&member.caller, message)
        .await?;
    Ok(Json(OrganisationPage {
        organisations: page
            .organisations
            .into_iter()
            .map(organisation_json)
            .collect(),
        next_page_token: page.next_page_token,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jeanne.atelier@cartonnerie-bourgogne.fr", "roles": ["organisation_admin"], "language": "fr"}))]
pub struct Invite {
    pub email: String,
    /// `organisation_admin` to make the colleague an admin too.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Language of the invitation e-mail, `fr` (default) or `en`.
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "rt_0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b", "display_name": "Jeanne Atelier", "password": "une phrase facile à retenir"}))]
pub struct AcceptInvitation {
    pub token: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"roles": ["organisation_admin"]}))]
pub struct Roles {
    /// Besides membership: `organisation_admin`; tenant admins also `facilitator`, `tenant_admin`.
    pub roles: Vec<String>,
}

/// Organisation admins: invite a colleague by e-mail.
#[utoipa::path(post, path = "/api/v1/organisation/invitations", request_body = Invite, security(("member" = [])),
    responses((status = 202), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn invite(
    member: Member,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Invite>,
) -> Result<StatusCode, ApiError> {
    let language = body
        .language
        .unwrap_or_else(|| super::preferred_language(&headers).to_owned());
    let message = pb::InviteUserRequest {
        email: body.email,
        roles: body.roles,
        language,
    };
    state.identity.invite_user(&member.caller, message).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The invited person creates their account with the token of the e-mailed link.
#[utoipa::path(post, path = "/api/v1/invitations/accept", request_body = AcceptInvitation,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn accept(
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let message = pb::AcceptInvitationRequest {
        token: body.token,
        display_name: body.display_name,
        password: body.password,
    };
    let user = state.identity.accept_invitation(message).await?.user;
    Ok((
        StatusCode::CREATED,
        Json(user_json(user.ok_or_else(ApiError::incomplete_answer)?)),
    ))
}

/// Organisation admins set their colleagues' roles; tenant admins appoint facilitators.
#[utoipa::path(put, path = "/api/v1/users/{id}/roles", request_body = Roles, security(("member" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_roles(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Roles>,
) -> Result<StatusCode, ApiError> {
    let message = pb::SetUserRolesRequest {
        user_id: id,
        roles: body.roles,
    };
    state
        .identity
        .set_user_roles(&member.caller, message)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleFilters {
    /// `organisation` (default: an organisation admin's colleagues) or `tenant` (tenant admins).
    pub scope: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"user": {"id": "01938f1e-7c3a-7d30-9c55-6f1f0b6a2e11", "tenant": "dijon",
    "organisation_id": "01938f1e-7c3a-7d30-9c55-6f1f0b6a2e10", "email": "marie.dupont@cartonnerie-bourgogne.fr",
    "display_name": "Marie Dupont", "created_at": "2026-11-28T09:30:00Z"}, "roles": ["member", "organisation_admin"]}))]
pub struct Person {
    pub user: User,
    pub roles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PeoplePage {
    pub people: Vec<Person>,
    pub next_page_token: String,
}

/// Organisation admins: their colleagues and roles; tenant admins (`?scope=tenant`): everyone.
#[utoipa::path(get, path = "/api/v1/users", params(PeopleFilters), security(("member" = [])),
    responses((status = 200, body = PeoplePage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn people(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(filters): ApiQuery<PeopleFilters>,
) -> Result<Json<PeoplePage>, ApiError> {
    let whole_tenant = match filters.scope.as_deref() {
        None | Some("" | "organisation") => false,
        Some("tenant") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "scope",
                Text::new(
                    "must be organisation or tenant",
                    "doit valoir organisation ou tenant",
                ),
            ));
        }
    };
    let message = pb::ListUsersRequest {
        whole_tenant,
        page_size: filters.page_size.unwrap_or(0),
        page_token: filters.page_token.unwrap_or_default(),
    };
    let page = state.identity.list_users(&member.caller, message).await?;
    Ok(Json(PeoplePage {
        people: page
            .people
            .into_iter()
            .filter_map(|person| {
                Some(Person {
                    user: user_json(person.user?),
                    roles: person.roles,
                })
            })
            .collect(),
        next_page_token: page.next_page_token,
    }))
}

/// Facilitators: one organisation of their territory, diagnosed ones included; members: their
/// own. Any other answers 404.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", security(("member" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Organisation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Organisation>, ApiError> {
    let message = pb::GetOrganisationRequest {
        organisation_id: id,
    };
    let organisation = state
        .identity
        .get_organisation(&member.caller, message)
        .await?
        .organisation
        .ok_or_else(ApiError::incomplete_answer)?;
    Ok(Json(organisation_json(organisation)))
}

/// The signed-in member's organisation, with its sites (their ids place listings).
#[utoipa::path(get, path = "/api/v1/organisation", security(("member" = [])),
    responses((status = 200, body = Organisation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn mine(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<Json<Organisation>, ApiError> {
    let organisation = state
        .identity
        .get_my_organisation(&member.caller, pb::GetMyOrganisationRequest {})
        .await?
        .organisation
        .ok_or_else(ApiError::incomplete_answer)?;
    Ok(Json(organisation_json(organisation)))
}
