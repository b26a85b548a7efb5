//! Between the gRPC messages and identity's domain.

use synergies_platform::error::FieldError;
use synergies_platform::events::timestamp;
use synergies_proto::identity::v1 as pb;
use uuid::Uuid;

use crate::domain::{
    Organisation, OrganisationKind, OrganisationStatus, Tenant, TenantSettings, TerritoryMap, User,
};
use crate::error::IdentityError;
use crate::registration::SiteInput;

pub fn settings_message(settings: TenantSettings) -> pb::TenantSettings {
    pb::TenantSettings {
        brand_name: settings.brand_name,
        logo_url: settings.logo_url,
        primary_colour: settings.primary_colour,
        secondary_colour: settings.secondary_colour,
        listings_need_approval: settings.listings_need_approval,
        exchange_modes: settings.exchange_modes,
        default_language: settings.default_language,
        mutualisation_radius_km: settings.mutualisation_radius_km,
        time_zone: settings.time_zone,
        logo_digest: settings.logo_digest,
    }
}

pub fn settings_from_message(settings: pb::TenantSettings) -> TenantSettings {
    TenantSettings {
        brand_name: settings.brand_name,
        logo_url: settings.logo_url,
        primary_colour: settings.primary_colour,
        secondary_colour: settings.secondary_colour,
        listings_need_approval: settings.listings_need_approval,
        exchange_modes: settings.exchange_modes,
        default_language: settings.default_language,
        mutualisation_radius_km: settings.mutualisation_radius_km,
        time_zone: settings.time_zone,
        // Output only: the logo changes through SetTenantLogo and RemoveTenantLogo.
        logo_digest: String::new(),
    }
}

pub fn map_message(map: TerritoryMap) -> pb::TerritoryMap {
    pb::TerritoryMap {
        centre_latitude: map.centre.map(|c| c.0),
        centre_longitude: map.centre.map(|c| c.1),
        bounds: map.bounds.map(|[south, west, north, east]| pb::Bounds {
            south,
            west,
            north,
            east,
        }),
    }
}

pub fn map_from_message(map: pb::TerritoryMap) -> TerritoryMap {
    TerritoryMap {
        centre: map.centre_latitude.zip(map.centre_longitude),
        bounds: map.bounds.map(|b| [b.south, b.west, b.north, b.east]),
    }
}

pub fn tenant_message(tenant: Tenant) -> pb::Tenant {
    pb::Tenant {
        map: Some(map_message(tenant.map)),
        settings: Some(settings_message(tenant.settings)),
        slug: tenant.slug,
        display_name: tenant.display_name,
        created_at: Some(timestamp(tenant.created_at)),
        communes: tenant
            .communes
            .into_iter()
            .map(|c| pb::Commune {
                insee_code: c.insee_code,
                name: c.name,
                postal_codes: c.postal_codes,
            })
            .collect(),
    }
}

pub fn kind_message(kind: OrganisationKind) -> pb::OrganisationKind {
    match kind {
        OrganisationKind::Company => pb::OrganisationKind::Company,
        OrganisationKind::Association => pb::OrganisationKind::Association,
        OrganisationKind::PublicBody => pb::OrganisationKind::PublicBody,
    }
}

pub fn organisation_message(organisation: Organisation) -> pb::Organisation {
    let kind = kind_message(organisation.kind);
    let status = match organisation.status {
        OrganisationStatus::Pending => pb::OrganisationStatus::Pending,
        OrganisationStatus::Approved => pb::OrganisationStatus::Approved,
        OrganisationStatus::Rejected => pb::OrganisationStatus::Rejected,
        OrganisationStatus::Suspended => pb::OrganisationStatus::Suspended,
        OrganisationStatus::Closed => pb::OrganisationStatus::Closed,
        OrganisationStatus::Diagnosed => pb::OrganisationStatus::Diagnosed,
    };
    pb::Organisation {
        id: organisation.id.to_string(),
        tenant: organisation.tenant,
        name: organisation.name,
        kind: kind.into(),
        created_at: Some(timestamp(organisation.created_at)),
        siret: organisation.siret.unwrap_or_default(),
        rna: organisation.rna.unwrap_or_default(),
        naf: organisation.naf.unwrap_or_default(),
        status: status.into(),
        sites: organisation
            .sites
            .into_iter()
            .map(|site| pb::Site {
                id: site.id.to_string(),
                address: site.address,
                insee_code: site.insee_code,
                latitude: site.latitude,
                longitude: site.longitude,
            })
            .collect(),
        status_reason: organisation.status_reason,
    }
}

pub fn kind_from_message(kind: i32) -> Result<OrganisationKind, IdentityError> {
    match pb::OrganisationKind::try_from(kind) {
        Ok(pb::OrganisationKind::Company) => Ok(OrganisationKind::Company),
        Ok(pb::OrganisationKind::Association) => Ok(OrganisationKind::Association),
        Ok(pb::OrganisationKind::PublicBody) => Ok(OrganisationKind::PublicBody),
        _ => Err(FieldError::new(
            "kind",
            "must be company, association or public_body",
            "doit valoir company (entreprise), association ou public_body (organisme public)",
        )
        .into()),
    }
}

pub fn status_from_message(status: i32) -> Option<OrganisationStatus> {
    match pb::OrganisationStatus::try_from(status) {
        Ok(pb::OrganisationStatus::Pending) => Some(OrganisationStatus::Pending),
        Ok(pb::OrganisationStatus::Approved) => Some(OrganisationStatus::Approved),
        Ok(pb::OrganisationStatus::Rejected) => Some(OrganisationStatus::Rejected),
        Ok(pb::OrganisationStatus::Suspended) => Some(OrganisationStatus::Suspended),
        Ok(pb::OrganisationStatus::Closed) => Some(OrganisationStatus::Closed),
        Ok(pb::OrganisationStatus::Diagnosed) => Some(OrganisationStatus::Diagnosed),
        _ => None,
    }
}

pub fn user_message(user: User) -> pb::User {
    pb::User {
        id: user.id.to_string(),
        tenant: user.tenant,
        organisation_id: user.organisation_id.to_string(),
        email: user.email,
        display_name: user.display_name,
        created_at: Some(timestamp(user.created_at)),
    }
}

pub fn site_input(site: pb::Site) -> SiteInput {
    SiteInput {
        address: site.address,
        insee_code: site.insee_code,
        latitude: site.latitude,
        longitude: site.longitude,
    }
}

pub fn parse_id(field: &'static str, value: &str) -> Result<Uuid, IdentityError> {
    Ok(synergies_platform::validate::uuid(field, value)?)
}
