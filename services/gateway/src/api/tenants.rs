//! Tenants, organisations and users. Creation is the platform operator's bootstrap until the
//! identity issue brings sign-up and approval.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use synergies_platform::context::{CallerContext, request};
use synergies_proto::identity::v1 as pb;
use utoipa::ToSchema;

use crate::auth::{Member, Operator};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::GatewayState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// Lowercase letters, digits and hyphens, e.g. `dijon`.
    #[schema(example = "dijon")]
    pub slug: String,
    #[schema(example = "Dijon métropole")]
    pub display_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Tenant {
    pub slug: String,
    pub display_name: String,
    pub created_at: String,
}

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    Company,
    Association,
    PublicBody,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisation {
    #[schema(example = "Cartonnerie de Bourgogne")]
    pub name: String,
    pub kind: OrganisationKind,
}

#[derive(Serialize, ToSchema)]
pub struct Organisation {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub created_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub organisation_id: String,
    #[schema(example = "marie.dupont@cartonnerie-bourgogne.fr")]
    pub email: String,
    #[schema(example = "Marie Dupont")]
    pub display_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub tenant: String,
    pub organisation_id: String,
    pub email: String,
    pub display_name: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: User,
    /// Shown once: the bearer token this user signs API calls with.
    pub api_token: String,
}

fn tenant_json(tenant: pb::Tenant) -> Tenant {
    Tenant {
        created_at: super::rfc3339(tenant.created_at.as_ref()),
        slug: tenant.slug,
        display_name: tenant.display_name,
    }
}

pub(crate) fn user_json(user: pb::User) -> User {
    User {
        created_at: super::rfc3339(user.created_at.as_ref()),
        id: user.id,
        tenant: user.tenant,
        organisation_id: user.organisation_id,
        email: user.email,
        display_name: user.display_name,
    }
}

/// Creates a tenant (territory).
#[utoipa::path(post, path = "/api/v1/tenants", request_body = CreateTenant, security(("operator" = [])),
    responses((status = 201, body = Tenant), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    _operator: Operator,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<CreateTenant>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    let caller = CallerContext::operator(body.slug.clone());
    let message = pb::CreateTenantRequest {
        slug: body.slug,
        display_name: body.display_name,
    };
    let tenant = state
        .identity
        .clone()
        .create_tenant(request(message, &caller))
        .await?
        .into_inner()
        .tenant
        .ok_or_else(ApiError::incomplete_answer)?;
    Ok((StatusCode::CREATED, Json(tenant_json(tenant))))
}

/// Registers an organisation of the tenant's territory.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/organisations", request_body = CreateOrganisation, security(("operator" = [])),
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 201, body = Organisation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_organisation(
    _operator: Operator,
    State(state): State<GatewayState>,
    Path(tenant): Path<String>,
    ApiJson(body): ApiJson<CreateOrganisation>,
) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    let kind = match body.kind {
        OrganisationKind::Company => pb::OrganisationKind::Company,
        OrganisationKind::Association => pb::OrganisationKind::Association,
        OrganisationKind::PublicBody => pb::OrganisationKind::PublicBody,
    };
    let message = pb::CreateOrganisationRequest {
        name: body.name,
        kind: kind.into(),
    };
    let created = state
        .identity
        .clone()
        .create_organisation(request(message, &CallerContext::operator(tenant)))
        .await?
        .into_inner()
        .organisation
        .ok_or_else(ApiError::incomplete_answer)?;
    Ok((
        StatusCode::CREATED,
        Json(Organisation {
            created_at: super::rfc3339(created.created_at.as_ref()),
            id: created.id,
            tenant: created.tenant,
            name: created.name,
            kind: body.kind,
        }),
    ))
}

/// Creates a user of an organisation and issues their API token.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users", request_body = CreateUser, security(("operator" = [])),
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 201, body = CreatedUser), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    _operator: Operator,
    State(state): State<GatewayState>,
    Path(tenant): Path<String>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    let message = pb::CreateUserRequest {
        organisation_id: body.organisation_id,
        email: body.email,
        display_name: body.display_name,
    };
    let created = state
        .identity
        .clone()
        .create_user(request(message, &CallerContext::operator(tenant)))
        .await?
        .into_inner();
    let user = created.user.ok_or_else(ApiError::incomplete_answer)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: user_json(user),
            api_token: created.api_token,
        }),
    ))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", security(("member" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(member: Member) -> Json<User> {
    Json(user_json(member.user))
}
