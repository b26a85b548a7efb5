//! Names and activities of organisations, for the synergies' counterparts and the scorer.
//!
//! Flows carry them in their events; listing events do not (listings does not keep them). So
//! matching also learns them from identity on the caller's behalf when someone reads
//! synergies: a member teaches it their own organisation, a facilitator the whole territory's.
//! Once known, an organisation is not asked for again (names rarely change; a decision event
//! or a flow updates them).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use synergies_platform::context::{CallerContext, request};
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::identity::v1 as identity;
use synergies_proto::identity::v1::identity_service_client::IdentityServiceClient;
use uuid::Uuid;

use crate::store::MatchingStore;

/// Organisations read per page from identity.
const PAGE: u32 = 100;
/// Pages read at most for one facilitator's request (a territory has hundreds of
/// organisations, not tens of thousands).
const MAX_PAGES: usize = 20;

#[derive(Clone)]
pub struct Directory {
    client: IdentityServiceClient<ServiceChannel>,
    store: Arc<dyn MatchingStore>,
    /// Organisations whose name matching holds, and tenants read whole.
    known: Arc<Mutex<HashSet<Uuid>>>,
    tenants_read: Arc<Mutex<HashSet<String>>>,
}

impl Directory {
    pub fn new(channel: ServiceChannel, store: Arc<dyn MatchingStore>) -> Self {
        Self {
            client: IdentityServiceClient::new(channel),
            store,
            known: Arc::default(),
            tenants_read: Arc::default(),
        }
    }

    fn is_known(&self, organisation: Uuid) -> bool {
        self.known
            .lock()
            .is_ok_and(|known| known.contains(&organisation))
    }

    async fn remember(&self, tenant: &str, organisation: &identity::Organisation) {
        let Ok(id) = Uuid::parse_str(&organisation.id) else {
            return;
        };
        match self
            .store
            .remember_organisation(tenant, id, &organisation.name, &organisation.naf)
            .await
        {
            Ok(()) => {
                if let Ok(mut known) = self.known.lock() {
                    known.insert(id);
                }
            }
            Err(error) => tracing::warn!(%error, "could not keep an organisation's name"),
        }
    }

    /// Learns what the caller may read of organisations matching does not know yet, among
    /// `wanted`. Best effort: synergies are listed whatever identity answers.
    pub async fn learn(&self, caller: &CallerContext, facilitator: bool, wanted: &[Uuid]) {
        let unknown: Vec<Uuid> = wanted
            .iter()
            .copied()
            .filter(|o| !self.is_known(*o))
            .collect();
        if let Some(own) = caller.organisation_id
            && !self.is_known(own)
        {
            let answer = self
                .client
                .clone()
                .get_my_organisation(request(identity::GetMyOrganisationRequest {}, caller))
                .await;
            match answer {
                Ok(answer) => {
                    if let Some(organisation) = answer.into_inner().organisation {
                        self.remember(&caller.tenant, &organisation).await;
                    }
                }
                Err(status) => {
                    tracing::warn!(%status, "identity did not name the caller's organisation");
                }
            }
        }
        let already_read = self
            .tenants_read
            .lock()
            .is_ok_and(|read| read.contains(&caller.tenant));
        if !facilitator || unknown.iter().all(|o| self.is_known(*o)) || already_read {
            return;
        }
        let mut page_token = String::new();
        for _ in 0..MAX_PAGES {
            let message = identity::ListOrganisationsRequest {
                status: identity::OrganisationStatus::Unspecified.into(),
                page_size: PAGE,
                page_token: page_token.clone(),
            };
            let page = match self
                .client
                .clone()
                .list_organisations(request(message, caller))
                .await
            {
                Ok(page) => page.into_inner(),
                Err(status) => {
                    tracing::warn!(%status, "identity did not list the territory's organisations");
                    return;
                }
            };
            for organisation in &page.organisations {
                self.remember(&caller.tenant, organisation).await;
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        if let Ok(mut read) = self.tenants_read.lock() {
            read.insert(caller.tenant.clone());
        }
    }
}
