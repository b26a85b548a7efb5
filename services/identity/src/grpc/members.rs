//! The territory's members as its members see them: approved organisations with the communes
//! and map coordinates of their sites, for the members' map. Kept apart from the
//! facilitators' `ListOrganisations`, which shows everything of every status.

use synergies_platform::context::authenticate;
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::IdentityApi;
use crate::domain::{Organisation, OrganisationStatus};
use crate::error::IdentityError;

pub(super) async fn list_member_organisations(
    api: &IdentityApi,
    request: Request<pb::ListMemberOrganisationsRequest>,
) -> Result<Response<pb::ListMemberOrganisationsResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    // Members only: a site's coordinates say more than the commune that visitors see.
    caller.require_user()?;
    let request = request.into_inner();
    let limit =
        synergies_platform::validate::page_size(request.page_size).map_err(IdentityError::from)?;
    let after = synergies_platform::validate::page_token(&request.page_token)
        .map_err(IdentityError::from)?;
    let found = api
        .store
        .organisations(
            &caller.tenant,
            Some(OrganisationStatus::Approved),
            after,
            limit + 1,
        )
        .await?;
    let (found, next_page_token) = synergies_platform::validate::into_page(found, limit, |o| o.id);
    Ok(Response::new(pb::ListMemberOrganisationsResponse {
        organisations: found.into_iter().map(member_message).collect(),
        next_page_token,
    }))
}

/// The member's card: its sites without their street addresses.
fn member_message(organisation: Organisation) -> pb::MemberOrganisation {
    pb::MemberOrganisation {
        id: organisation.id.to_string(),
        name: organisation.name,
        kind: crate::convert::kind_message(organisation.kind).into(),
        sites: organisation
            .sites
            .into_iter()
            .map(|site| pb::Site {
                id: site.id.to_string(),
                address: String::new(),
                insee_code: site.insee_code,
                latitude: site.latitude,
                longitude: site.longitude,
            })
            .collect(),
    }
}
