//! Tenants, organisations and users. Creation is the platform operator's bootstrap until the
//! identity issue brings sign-up and approval.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use synergies_platform::error::ErrorCode;
use synergies_platform::i18n::Text;
use synergies_proto::identity::v1 as pb;
use utoipa::ToSchema;

use super::organisations::SiteBody;
use crate::auth::{Member, Operator};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::GatewayState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "dijon-metropole", "display_name": "Dijon Métropole", "map": {"centre": [47.3229, 5.0379], "bounds": [47.25, 4.93, 47.40, 5.16]}, "communes": [{"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]}, {"insee_code": "21166", "name": "Chenôve", "postal_codes": ["21300"]}]}))]
pub struct CreateTenant {
    /// Lowercase letters, digits and hyphens, e.g. `dijon`.
    #[schema(example = "dijon")]
    pub slug: String,
    /// Optional with `epci`: the intercommunality's official name by default.
    #[serde(default)]
    #[schema(example = "Dijon métropole")]
    pub display_name: String,
    /// The territory: only professionals located in these communes may join.
    #[serde(default)]
    pub communes: Vec<Commune>,
    /// Instead of `communes`: the SIREN of an intercommunality (EPCI), e.g. `242100410` for
    /// Dijon Métropole; its communes and postal codes come from the official list.
    #[serde(default)]
    #[schema(example = "242100410")]
    pub epci: String,
    /// Where maps of the territory open.
    #[serde(default)]
    pub map: Option<TerritoryMap>,
}

/// Where maps of a territory open (WGS 84).
#[derive(Deserialize, Serialize, ToSchema, Clone, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"centre": [47.3229, 5.0379], "bounds": [47.25, 4.93, 47.40, 5.16]}))]
pub struct TerritoryMap {
    /// `[latitude, longitude]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<[f64; 2]>,
    /// `[south, west, north, east]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[f64; 4]>,
}

impl From<TerritoryMap> for pb::TerritoryMap {
    fn from(map: TerritoryMap) -> Self {
        Self {
            centre_latitude: map.centre.map(|c| c[0]),
            centre_longitude: map.centre.map(|c| c[1]),
            bounds: map.bounds.map(|[south, west, north, east]| pb::Bounds {
                south,
                west,
                north,
                east,
            }),
        }
    }
}

impl From<pb::TerritoryMap> for TerritoryMap {
    fn from(map: pb::TerritoryMap) -> Self {
        Self {
            centre: map
                .centre_latitude
                .zip(map.centre_longitude)
                .map(|(lat, lon)| [lat, lon]),
            bounds: map.bounds.map(|b| [b.south, b.west, b.north, b.east]),
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Commune {
    #[schema(example = "21231")]
    pub insee_code: String,
    #[schema(example = "Dijon")]
    pub name: String,
    #[serde(default)]
    pub postal_codes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Tenant {
    pub slug: String,
    pub display_name: String,
    pub created_at: String,
    pub communes: Vec<Commune>,
    pub settings: TenantSettings,
    pub map: TerritoryMap,
}

/// Branding and rules of a territory.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"brand_name": "Synergies Dijon", "logo_url": "https://www.dijon-metropole.fr/logo.svg", "primary_colour": "#1d4f91", "secondary_colour": "#2e7d32", "listings_need_approval": false, "exchange_modes": ["give", "exchange", "lend", "rent", "sell"], "default_language": "fr", "mutualisation_radius_km": 15}))]
pub struct TenantSettings {
    #[serde(default)]
    pub brand_name: String,
    #[serde(default)]
    pub logo_url: String,
    /// `#rrggbb`: the links' text on white and the buttons' background under white text, so
    /// refused below WCAG AA's 4.5:1 against white.
    #[schema(example = "#1d4f91")]
    pub primary_colour: String,
    /// `#rrggbb`: the border of offers' tags and of notices (pale green `#e8f4ea` boxes on
    /// white), so refused below WCAG AA's 3:1 for non-text contrast against either.
    #[schema(example = "#2e7d32")]
    pub secondary_colour: String,
    #[serde(default)]
    pub listings_need_approval: bool,
    /// Among give, exchange, lend, rent, sell.
    pub exchange_modes: Vec<String>,
    /// `fr` or `en`.
    pub default_language: String,
    /// Radius within which three or more organisations are proposed a mutualisation, in km
    /// (1 to 100, default 15).
    #[serde(default = "default_mutualisation_radius_km")]
    #[schema(example = 15, minimum = 1, maximum = 100)]
    pub mutualisation_radius_km: u32,
    /// IANA time zone of the territory, where digests go at 08:00 (e.g. `Europe/Paris`);
    /// empty or absent for the platform's configured one.
    #[serde(default)]
    #[schema(example = "Europe/Paris")]
    pub time_zone: String,
    /// The address of the logo uploaded with `PUT /api/v1/tenants/{tenant}/branding/logo`
    /// (shown instead of `logo_url`), empty without one. It changes with the logo. Ignored on
    /// input.
    #[serde(default)]
    #[schema(
        read_only,
        example = "/api/v1/tenants/dijon/branding/logo?v=3f1c9a0b7d2e4f68"
    )]
    pub logo: String,
}

fn default_mutualisation_radius_km() -> u32 {
    15
}

impl From<pb::TenantSettings> for TenantSettings {
    fn from(s: pb::TenantSettings) -> Self {
        Self {
            brand_name: s.brand_name,
            logo_url: s.logo_url,
            primary_colour: s.primary_colour,
            secondary_colour: s.secondary_colour,
            listings_need_approval: s.listings_need_approval,
            exchange_modes: s.exchange_modes,
            default_language: s.default_language,
            mutualisation_radius_km: s.mutualisation_radius_km,
            time_zone: s.time_zone,
            // The address needs the territory's slug: `tenant_json` writes it.
            logo: String::new(),
        }
    }
}

impl From<TenantSettings> for pb::TenantSettings {
    fn from(s: TenantSettings) -> Self {
        Self {
            brand_name: s.brand_name,
            logo_url: s.logo_url,
            primary_colour: s.primary_colour,
            secondary_colour: s.secondary_colour,
            listings_need_approval: s.listings_need_approval,
            exchange_modes: s.exchange_modes,
            default_language: s.default_language,
            mutualisation_radius_km: s.mutualisation_radius_km,
            time_zone: s.time_zone,
            logo_digest: String::new(),
        }
    }
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
#[schema(example = json!({"name": "Cartonnerie de Bourgogne", "kind": "company", "siret": "732 829 320 00074", "naf": "17.21A",
    "site": {"address": "12 rue des Ateliers", "insee_code": "21231", "latitude": 47.3216, "longitude": 5.0415}}))]
pub struct CreateOrganisation {
    #[schema(example = "Cartonnerie de Bourgogne")]
    pub name: String,
    pub kind: OrganisationKind,
    /// Required from facilitators (the SIRET by which the firm finds its record when it signs
    /// up); optional for the operator.
    #[serde(default)]
    pub siret: String,
    #[serde(default)]
    pub rna: String,
    /// NAF/APE code; required from facilitators.
    #[serde(default)]
    pub naf: String,
    /// Where it works, in a commune of the territory; required from facilitators.
    #[serde(default)]
    pub site: Option<SiteBody>,
}

#[derive(Serialize, ToSchema)]
pub struct Organisation {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub kind: OrganisationKind,
    /// `approved` (registered by the operator) or `diagnosed` (by a facilitator).
    pub status: String,
    /// The site registered with it, if any: flows and listings are located at it.
    pub site_id: Option<String>,
    pub created_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"organisation_id": "01938f1e-7c3a-7d30-9c55-6f1f0b6a2e10", "email": "animation@cci21.fr", "display_name": "Claire Animatrice", "password": "une phrase facile à retenir", "roles": ["facilitator"]}))]
pub struct CreateUser {
    pub organisation_id: String,
    #[schema(example = "marie.dupont@cartonnerie-bourgogne.fr")]
    pub email: String,
    #[schema(example = "Marie Dupont")]
    pub display_name: String,
    /// At least 12 characters, not a common password.
    pub password: String,
    /// Besides membership: `organisation_admin`, `facilitator`, `tenant_admin`.
    #[serde(default)]
    pub roles: Vec<String>,
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

pub(crate) fn kind_message(kind: OrganisationKind) -> pb::OrganisationKind {
    match kind {
        OrganisationKind::Company => pb::OrganisationKind::Company,
        OrganisationKind::Association => pb::OrganisationKind::Association,
        OrganisationKind::PublicBody => pb::OrganisationKind::PublicBody,
    }
}

pub(crate) fn tenant_json(tenant: pb::Tenant) -> Tenant {
    let settings = tenant.settings.unwrap_or_default();
    let logo = if settings.logo_digest.is_empty() {
        String::new()
    } else {
        crate::clients::identity::logo_address(&tenant.slug, &settings.logo_digest)
    };
    Tenant {
        settings: TenantSettings {
            logo,
            ..settings.into()
        },
        map: tenant.map.unwrap_or_default().into(),
        created_at: crate::clients::rfc3339(tenant.created_at.as_ref()),
        slug: tenant.slug,
        display_name: tenant.display_name,
        communes: tenant
            .communes
            .into_iter()
            .map(|c| Commune {
                insee_code: c.insee_code,
                name: c.name,
                postal_codes: c.postal_codes,
            })
            .collect(),
    }
}

pub(crate) fn user_json(user: pb::User) -> User {
    User {
        created_at: crate::clients::rfc3339(user.created_at.as_ref()),
        id: user.id,
        tenant: user.tenant,
        organisation_id: user.organisation_id,
        email: user.email,
        display_name: user.display_name,
    }
}

/// Creates a tenant (territory), with its communes or those of an intercommunality (`epci`).
#[utoipa::path(post, path = "/api/v1/tenants", request_body = CreateTenant, security(("operator" = [])),
    responses((status = 201, body = Tenant), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    operator: Operator,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<CreateTenant>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    let caller = operator.caller.acting_on(&body.slug);
    let communes = body
        .communes
        .into_iter()
        .map(|c| pb::Commune {
            insee_code: c.insee_code,
            name: c.name,
            postal_codes: c.postal_codes,
        })
        .collect();
    let message = pb::CreateTenantRequest {
        communes,
        map: body.map.map(Into::into),
        epci: body.epci,
        slug: body.slug,
        display_name: body.display_name,
    };
    let tenant = state
        .identity
        .create_tenant(&caller, message)
        .await?
        .tenant
        .ok_or_else(ApiError::incomplete_answer)?;
    Ok((StatusCode::CREATED, Json(tenant_json(tenant))))
}

/// Registers an organisation of the tenant's territory: the operator one it vouches for
/// (approved at once); a facilitator of the territory a firm met during a diagnostic (status
/// `diagnosed`, with its SIRET, NAF code and site) whose people join it when they sign up.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/organisations", request_body = CreateOrganisation, security(("operator" = []), ("member" = [])),
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 201, body = Organisation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_organisation(
    operator: Result<Operator, ApiError>,
    member: Result<Member, ApiError>,
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
    ApiJson(body): ApiJson<CreateOrganisation>,
) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    let caller = match (operator, member) {
        (Ok(operator), _) => operator.caller.acting_on(&tenant),
        // A member's tenant is the one of their token: another territory does not exist for
        // them.
        (Err(_), Ok(member)) if member.caller.tenant != tenant => {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                Text::new("not found", "introuvable"),
            ));
        }
        (Err(_), Ok(member)) => member.caller,
        (Err(error), Err(_)) => return Err(error),
    };
    let kind = kind_message(body.kind);
    let message = pb::CreateOrganisationRequest {
        siret: body.siret,
        rna: body.rna,
        naf: body.naf,
        name: body.name,
        kind: kind.into(),
        site: body.site.map(Into::into),
    };
    let created = state
        .identity
        .create_organisation(&caller, message)
        .await?
        .organisation
        .ok_or_else(ApiError::incomplete_answer)?;
    Ok((
        StatusCode::CREATED,
        Json(Organisation {
            created_at: crate::clients::rfc3339(created.created_at.as_ref()),
            status: crate::clients::identity::organisation_status_name(created.status).to_owned(),
            site_id: created.sites.into_iter().next().map(|site| site.id),
            id: created.id,
            tenant: created.tenant,
            name: created.name,
            kind: body.kind,
        }),
    ))
}

/// Creates a user of an organisation, who then signs in with their e-mail and password.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users", request_body = CreateUser, security(("operator" = [])),
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    operator: Operator,
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let message = pb::CreateUserRequest {
        organisation_id: body.organisation_id,
        email: body.email,
        display_name: body.display_name,
        password: body.password,
        roles: body.roles,
    };
    let created = state
        .identity
        .create_user(&operator.caller.acting_on(&tenant), message)
        .await?;
    let user = created.user.ok_or_else(ApiError::incomplete_answer)?;
    Ok((StatusCode::CREATED, Json(user_json(user))))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", security(("member" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(member: Member, State(state): State<GatewayState>) -> Result<Json<User>, ApiError> {
    let user_id = member
        .caller
        .user_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let message = pb::GetUserRequest { user_id };
    let user = state.identity.get_user(&member.caller, message).await?.user;
    Ok(Json(user_json(
        user.ok_or_else(ApiError::incomplete_answer)?,
    )))
}

/// A territory: its name, communes, branding and settings (public).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}", params(("tenant" = String, Path)),
    responses((status = 200, body = Tenant), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
) -> Result<Json<Tenant>, ApiError> {
    let message = pb::GetTenantRequest { slug: tenant };
    let tenant = state.identity.get_tenant(message).await?.tenant;
    Ok(Json(tenant_json(
        tenant.ok_or_else(ApiError::incomplete_answer)?,
    )))
}

/// Tenant admins: the branding and settings of their territory.
#[utoipa::path(put, path = "/api/v1/tenant/settings", request_body = TenantSettings, security(("member" = [])),
    responses((status = 200, body = Tenant), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_settings(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<TenantSettings>,
) -> Result<Json<Tenant>, ApiError> {
    let message = pb::UpdateTenantSettingsRequest {
        settings: Some(body.into()),
        dry_run: false,
    };
    let tenant = state
        .identity
        .update_tenant_settings(&member.caller, message)
        .await?
        .tenant;
    Ok(Json(tenant_json(
        tenant.ok_or_else(ApiError::incomplete_answer)?,
    )))
}
