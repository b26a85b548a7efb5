//! Tenants: creating a territory, reading it, its settings and public figures.

use synergies_platform::error::FieldError;
use synergies_platform::policy::{Action, authorize_request};
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::IdentityApi;
use crate::convert::{map_from_message, settings_from_message, tenant_message};
use crate::domain::{self, OrganisationStatus, TerritoryCommune};
use crate::error::IdentityError;

pub(super) async fn create_tenant(
    api: &IdentityApi,
    request: Request<pb::CreateTenantRequest>,
) -> Result<Response<pb::CreateTenantResponse>, Status> {
    authorize_request(&api.verifier, &request, Action::CreateTenant).await?;
    let request = request.into_inner();
    let communes: Vec<TerritoryCommune> = request
        .communes
        .into_iter()
        .map(|c| TerritoryCommune {
            insee_code: c.insee_code,
            name: c.name,
            postal_codes: c.postal_codes,
        })
        .collect();
    let tenant = match (request.epci.trim(), communes.is_empty()) {
        ("", _) => domain::new_tenant(&request.slug, &request.display_name, communes),
        (epci, true) => {
            domain::new_tenant_of_intercommunality(&request.slug, &request.display_name, epci)
        }
        (_, false) => Err(FieldError::new(
            "epci",
            "give either the intercommunality's SIREN or the list of communes, not both",
            "indiquez soit le SIREN de l'intercommunalité, soit la liste des communes, pas les deux",
        )),
    };
    let mut tenant = tenant.map_err(IdentityError::from)?;
    tenant.map = map_from_message(request.map.unwrap_or_default())
        .validated()
        .map_err(IdentityError::from)?;
    api.store.create_tenant(&tenant).await?;
    tracing::info!(tenant = %tenant.slug, "tenant created");
    Ok(Response::new(pb::CreateTenantResponse {
        tenant: Some(tenant_message(tenant)),
    }))
}

pub(super) async fn get_tenant(
    api: &IdentityApi,
    request: Request<pb::GetTenantRequest>,
) -> Result<Response<pb::GetTenantResponse>, Status> {
    let tenant = api
        .store
        .tenant(&request.get_ref().slug)
        .await?
        .ok_or(IdentityError::TenantNotFound)?;
    Ok(Response::new(pb::GetTenantResponse {
        tenant: Some(tenant_message(tenant)),
    }))
}

pub(super) async fn update_tenant_settings(
    api: &IdentityApi,
    request: Request<pb::UpdateTenantSettingsRequest>,
) -> Result<Response<pb::UpdateTenantSettingsResponse>, Status> {
    let caller = authorize_request(&api.verifier, &request, Action::ManageTenant).await?;
    let request = request.into_inner();
    let settings = settings_from_message(request.settings.unwrap_or_default())
        .validated()
        .map_err(IdentityError::from)?;
    if request.dry_run {
        let mut tenant = api
            .store
            .tenant(&caller.tenant)
            .await?
            .ok_or(IdentityError::TenantNotFound)?;
        tenant.settings = domain::TenantSettings {
            logo_digest: tenant.settings.logo_digest,
            ..settings
        };
        return Ok(Response::new(pb::UpdateTenantSettingsResponse {
            tenant: Some(tenant_message(tenant)),
        }));
    }
    if !api
        .store
        .update_tenant_settings(&caller.tenant, &settings)
        .await?
    {
        return Err(IdentityError::TenantNotFound.into());
    }
    let tenant = api
        .store
        .tenant(&caller.tenant)
        .await?
        .ok_or(IdentityError::TenantNotFound)?;
    Ok(Response::new(pb::UpdateTenantSettingsResponse {
        tenant: Some(tenant_message(tenant)),
    }))
}

pub(super) async fn set_tenant_logo(
    api: &IdentityApi,
    request: Request<pb::SetTenantLogoRequest>,
) -> Result<Response<pb::SetTenantLogoResponse>, Status> {
    let caller = authorize_request(&api.verifier, &request, Action::ManageTenant).await?;
    let logo = crate::logo::prepare(request.into_inner().image, chrono::Utc::now()).await?;
    if !api.store.set_tenant_logo(&caller.tenant, &logo).await? {
        return Err(IdentityError::TenantNotFound.into());
    }
    tracing::info!(tenant = %caller.tenant, digest = %logo.digest, width = logo.width, height = logo.height, "tenant logo set");
    let tenant = api
        .store
        .tenant(&caller.tenant)
        .await?
        .ok_or(IdentityError::TenantNotFound)?;
    Ok(Response::new(pb::SetTenantLogoResponse {
        tenant: Some(tenant_message(tenant)),
    }))
}

pub(super) async fn remove_tenant_logo(
    api: &IdentityApi,
    request: Request<pb::RemoveTenantLogoRequest>,
) -> Result<Response<pb::RemoveTenantLogoResponse>, Status> {
    let caller = authorize_request(&api.verifier, &request, Action::ManageTenant).await?;
    api.store.remove_tenant_logo(&caller.tenant).await?;
    let tenant = api
        .store
        .tenant(&caller.tenant)
        .await?
        .ok_or(IdentityError::TenantNotFound)?;
    Ok(Response::new(pb::RemoveTenantLogoResponse {
        tenant: Some(tenant_message(tenant)),
    }))
}

/// Public, like the pages whose header shows it.
pub(super) async fn get_tenant_logo(
    api: &IdentityApi,
    request: Request<pb::GetTenantLogoRequest>,
) -> Result<Response<pb::GetTenantLogoResponse>, Status> {
    let logo = api
        .store
        .tenant_logo(&request.get_ref().tenant)
        .await?
        .ok_or(IdentityError::LogoNotFound)?;
    Ok(Response::new(pb::GetTenantLogoResponse {
        image: logo.image,
        content_type: logo.content_type,
        digest: logo.digest,
        width: logo.width,
        height: logo.height,
    }))
}

/// How many organisations one call may ask about.
const PUBLIC_ORGANISATIONS_MAX: usize = 100;

pub(super) async fn get_public_organisations(
    api: &IdentityApi,
    request: Request<pb::GetPublicOrganisationsRequest>,
) -> Result<Response<pb::GetPublicOrganisationsResponse>, Status> {
    let request = request.into_inner();
    if request.organisation_ids.len() > PUBLIC_ORGANISATIONS_MAX {
        return Err(IdentityError::from(FieldError::new(
            "organisation_ids",
            format!("at most {PUBLIC_ORGANISATIONS_MAX} ids"),
            format!("au plus {PUBLIC_ORGANISATIONS_MAX} identifiants"),
        ))
        .into());
    }
    let mut organisations = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in &request.organisation_ids {
        // An id that is not one is simply not answered, like an unknown organisation.
        let Ok(id) = uuid::Uuid::parse_str(id) else {
            continue;
        };
        if !seen.insert(id) {
            continue;
        }
        let Some(organisation) = api.store.organisation(&request.tenant, id).await? else {
            continue;
        };
        if organisation.status != OrganisationStatus::Approved {
            continue;
        }
        organisations.push(pb::PublicOrganisation {
            id: organisation.id.to_string(),
            name: organisation.name,
            kind: crate::convert::kind_message(organisation.kind).into(),
            insee_codes: organisation
                .sites
                .into_iter()
                .map(|site| site.insee_code)
                .collect(),
        });
    }
    Ok(Response::new(pb::GetPublicOrganisationsResponse {
        organisations,
    }))
}

pub(super) async fn get_territory_figures(
    api: &IdentityApi,
    request: Request<pb::GetTerritoryFiguresRequest>,
) -> Result<Response<pb::GetTerritoryFiguresResponse>, Status> {
    let tenant = request.into_inner().tenant;
    if api.store.tenant(&tenant).await?.is_none() {
        return Err(IdentityError::TenantNotFound.into());
    }
    let members = api
        .store
        .count_organisations(&tenant, OrganisationStatus::Approved)
        .await?;
    Ok(Response::new(pb::GetTerritoryFiguresResponse { members }))
}
