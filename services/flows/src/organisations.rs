//! What flows reads from identity about an organisation on each write: its name, its NAF/NACE
//! code and its sites (commune, coordinates), copied into the flow and its events so that
//! matching and the dashboards need not ask identity again.
//!
//! Asked on each write, without a cache, as listings does for sites: writes are rare, and a
//! copy kept in step by events would be more moving parts for no gain at this volume.

use synergies_platform::context::{CallerContext, request};
use synergies_platform::error::FieldError;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::identity::v1 as identity;
use synergies_proto::identity::v1::identity_service_client::IdentityServiceClient;
use uuid::Uuid;

use crate::domain::{OrganisationFacts, SiteFacts};
use crate::error::FlowsError;

/// Organisations a facilitator's lookup reads per page.
const PAGE: u32 = 100;

#[derive(Clone)]
pub struct Organisations {
    client: IdentityServiceClient<ServiceChannel>,
}

/// An organisation as flows needs it.
#[derive(Debug, Clone)]
pub struct Organisation {
    pub id: Uuid,
    /// 14 digits, empty for associations.
    pub siret: String,
    pub facts: OrganisationFacts,
    sites: Vec<SiteFacts>,
}

impl Organisation {
    /// The site `site_id` of this organisation; empty text: none.
    pub fn site(&self, site_id: &str) -> Result<Option<SiteFacts>, FieldError> {
        let site_id = site_id.trim();
        if site_id.is_empty() {
            return Ok(None);
        }
        let not_its_own = || {
            FieldError::new(
                "site_id",
                "must be the id of one of the organisation's sites",
                "doit être l'identifiant d'un des sites de l'organisation",
            )
        };
        let id = Uuid::parse_str(site_id).map_err(|_| not_its_own())?;
        self.sites
            .iter()
            .find(|site| site.site_id == id)
            .cloned()
            .map(Some)
            .ok_or_else(not_its_own)
    }
}

fn unavailable(status: &tonic::Status) -> FlowsError {
    FlowsError::Identity(status.to_string())
}

fn organisation(message: identity::Organisation) -> Option<Organisation> {
    Some(Organisation {
        id: Uuid::parse_str(&message.id).ok()?,
        siret: message.siret,
        facts: OrganisationFacts {
            name: message.name,
            nace: message.naf,
        },
        sites: message
            .sites
            .into_iter()
            .filter_map(|site| {
                Some(SiteFacts {
                    site_id: Uuid::parse_str(&site.id).ok()?,
                    insee_code: site.insee_code,
                    latitude: site.latitude,
                    longitude: site.longitude,
                })
            })
            .collect(),
    })
}

impl Organisations {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: IdentityServiceClient::new(channel),
        }
    }

    /// The caller's own organisation.
    pub async fn own(&self, caller: &CallerContext) -> Result<Organisation, FlowsError> {
        let answer = self
            .client
            .clone()
            .get_my_organisation(request(identity::GetMyOrganisationRequest {}, caller))
            .await
            .map_err(|status| unavailable(&status))?;
        answer
            .into_inner()
            .organisation
            .and_then(organisation)
            .ok_or(FlowsError::OrganisationNotFound)
    }

    /// Every organisation of the caller's tenant, whatever its status (facilitators).
    pub async fn all_of_tenant(
        &self,
        caller: &CallerContext,
    ) -> Result<Vec<Organisation>, FlowsError> {
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let message = identity::ListOrganisationsRequest {
                status: identity::OrganisationStatus::Unspecified.into(),
                page_size: PAGE,
                page_token: page_token.clone(),
            };
            let page = self
                .client
                .clone()
                .list_organisations(request(message, caller))
                .await
                .map_err(|status| unavailable(&status))?
                .into_inner();
            all.extend(page.organisations.into_iter().filter_map(organisation));
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            page_token = page.next_page_token;
        }
    }

    /// Any organisation of the caller's tenant, whatever its status, as a facilitator reads
    /// it (`OrganisationNotFound` when the tenant has none of that id).
    pub async fn of_tenant(
        &self,
        caller: &CallerContext,
        id: Uuid,
    ) -> Result<Organisation, FlowsError> {
        if caller.organisation_id == Some(id) {
            return self.own(caller).await;
        }
        let message = identity::GetOrganisationRequest {
            organisation_id: id.to_string(),
        };
        match self
            .client
            .clone()
            .get_organisation(request(message, caller))
            .await
        {
            Ok(answer) => answer
                .into_inner()
                .organisation
                .and_then(organisation)
                .ok_or(FlowsError::OrganisationNotFound),
            Err(status) if status.code() == tonic::Code::NotFound => {
                Err(FlowsError::OrganisationNotFound)
            }
            Err(status) => Err(unavailable(&status)),
        }
    }
}
