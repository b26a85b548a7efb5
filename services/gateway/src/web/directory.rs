//! Who is on the other side of a listing or a conversation: the public card of the territory's
//! member organisations (name and communes), asked of identity once per page.

use std::collections::HashMap;

use synergies_proto::identity::v1 as pb;

use super::page::Page;
use crate::state::GatewayState;

/// An organisation as pages name it.
#[derive(Debug, Clone, Default)]
pub struct OrganisationCard {
    pub name: String,
    /// The communes of its sites, by name, e.g. "Dijon, Chenôve".
    pub communes: String,
}

/// The cards of `ids` (unknown and not approved organisations are left out). Best effort: a
/// page is shown without names rather than not at all when identity cannot answer.
pub async fn organisation_cards(
    state: &GatewayState,
    page: &Page,
    ids: impl IntoIterator<Item = String>,
) -> HashMap<String, OrganisationCard> {
    let mut organisation_ids: Vec<String> = ids.into_iter().filter(|id| !id.is_empty()).collect();
    organisation_ids.sort();
    organisation_ids.dedup();
    organisation_ids.truncate(100);
    if organisation_ids.is_empty() {
        return HashMap::new();
    }
    let message = pb::GetPublicOrganisationsRequest {
        tenant: page.tenant.slug.clone(),
        organisation_ids,
    };
    let found = match state.identity.get_public_organisations(message).await {
        Ok(answer) => answer.organisations,
        Err(status) => {
            tracing::warn!(%status, "organisation names unavailable for a page");
            return HashMap::new();
        }
    };
    found
        .into_iter()
        .map(|o| {
            let mut communes: Vec<&str> = o
                .insee_codes
                .iter()
                .filter_map(|code| {
                    page.tenant
                        .communes
                        .iter()
                        .find(|c| &c.insee_code == code)
                        .map(|c| c.name.as_str())
                })
                .collect();
            communes.dedup();
            let card = OrganisationCard {
                name: o.name,
                communes: communes.join(", "),
            };
            (o.id, card)
        })
        .collect()
}
