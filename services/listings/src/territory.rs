//! What listings needs to know from identity about a territory and an organisation: the
//! tenant's settings (approval, allowed exchange modes) and communes, and the caller's sites.
//!
//! Asked over gRPC on each write, without a cache: writes are rare (a territory publishes a few
//! listings an hour), and a cached setting would let a listing skip approval just after a tenant
//! admin turned it on. Searches ask only when they need a site's coordinates, and a visitor's
//! search whether its tenant exists — once per tenant and process, since tenants are created and
//! never removed (identity has no call that removes one). Carrying sites and
//! settings in events would give listings its own copy to keep in step — more moving parts for
//! no gain at this volume.

use synergies_platform::context::{CallerContext, anonymous_request, request};
use synergies_platform::error::FieldError;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::identity::v1 as identity;
use synergies_proto::identity::v1::identity_service_client::IdentityServiceClient;
use uuid::Uuid;

use crate::domain::{ExchangeMode, Location};
use crate::error::ListingsError;

/// A tenant's rules for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRules {
    pub needs_approval: bool,
    pub exchange_modes: Vec<ExchangeMode>,
    /// INSEE codes of the territory's communes.
    pub communes: Vec<String>,
}

#[derive(Clone)]
pub struct Territory {
    client: IdentityServiceClient<ServiceChannel>,
    /// Tenants identity has answered for: they exist for good. Only tenants that exist get
    /// in, so a visitor naming made-up tenants cannot grow it.
    known: std::sync::Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
}

fn unavailable(status: &tonic::Status) -> ListingsError {
    ListingsError::Identity(status.to_string())
}

impl Territory {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: IdentityServiceClient::new(channel),
            known: std::sync::Arc::default(),
        }
    }

    /// Whether `tenant` exists (`NotFound` if not): asked of identity the first time only.
    pub async fn exists(&self, tenant: &str) -> Result<(), ListingsError> {
        if self
            .known
            .read()
            .expect("known tenants lock")
            .contains(tenant)
        {
            return Ok(());
        }
        self.rules(tenant).await?;
        self.known
            .write()
            .expect("known tenants lock")
            .insert(tenant.to_owned());
        Ok(())
    }

    /// The tenant's rules; `NotFound` for an unknown tenant.
    pub async fn rules(&self, tenant: &str) -> Result<TenantRules, ListingsError> {
        let message = identity::GetTenantRequest {
            slug: tenant.to_owned(),
        };
        let answer = self
            .client
            .clone()
            .get_tenant(anonymous_request(message))
            .await;
        let tenant = match answer {
            Ok(answer) => answer.into_inner().tenant.unwrap_or_default(),
            Err(status) if status.code() == tonic::Code::NotFound => {
                return Err(ListingsError::NotFound);
            }
            Err(status) => return Err(unavailable(&status)),
        };
        let settings = tenant.settings.unwrap_or_default();
        Ok(TenantRules {
            needs_approval: settings.listings_need_approval,
            exchange_modes: settings
                .exchange_modes
                .iter()
                .filter_map(|m| ExchangeMode::parse(m))
                .collect(),
            communes: tenant.communes.into_iter().map(|c| c.insee_code).collect(),
        })
    }

    /// The sites of the caller's organisation, as locations.
    pub async fn my_sites(&self, caller: &CallerContext) -> Result<Vec<Location>, ListingsError> {
        let answer = self
            .client
            .clone()
            .get_my_organisation(request(identity::GetMyOrganisationRequest {}, caller))
            .await
            .map_err(|status| unavailable(&status))?;
        let sites = answer.into_inner().organisation.unwrap_or_default().sites;
        Ok(sites
            .into_iter()
            .filter_map(|site| {
                Some(Location {
                    site_id: Some(Uuid::parse_str(&site.id).ok()?),
                    insee_code: site.insee_code,
                    coordinates: site.latitude.zip(site.longitude),
                })
            })
            .collect())
    }

    /// One of the caller's sites, by id.
    pub async fn my_site(
        &self,
        caller: &CallerContext,
        field: &'static str,
        site_id: &str,
    ) -> Result<Location, ListingsError> {
        let not_mine = || {
            FieldError::new(
                field,
                "must be the id of one of your organisation's sites",
                "doit être l'identifiant d'un des sites de votre organisation",
            )
        };
        let id = Uuid::parse_str(site_id).map_err(|_| not_mine())?;
        let sites = self.my_sites(caller).await?;
        Ok(sites
            .into_iter()
            .find(|site| site.site_id == Some(id))
            .ok_or_else(not_mine)?)
    }

    /// Where a listing is: a site of the caller's organisation, else a commune of the territory,
    /// else nowhere stated.
    pub async fn locate(
        &self,
        caller: &CallerContext,
        rules: &TenantRules,
        site_id: &str,
        insee_code: &str,
    ) -> Result<Option<Location>, ListingsError> {
        if !site_id.trim().is_empty() {
            return Ok(Some(self.my_site(caller, "site_id", site_id.trim()).await?));
        }
        let insee_code = insee_code.trim();
        if insee_code.is_empty() {
            return Ok(None);
        }
        if !rules.communes.iter().any(|c| c == insee_code) {
            return Err(FieldError::new(
                "insee_code",
                "must be the INSEE code of a commune of the territory",
                "doit être le code INSEE d'une commune du territoire",
            )
            .into());
        }
        Ok(Some(Location {
            site_id: None,
            insee_code: insee_code.to_owned(),
            coordinates: None,
        }))
    }
}
