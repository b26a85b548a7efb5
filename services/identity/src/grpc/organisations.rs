//! Organisations: registration by the operator or by a facilitator (a diagnosed firm), reading,
//! the facilitators' decisions, and closing by their own administrator.

use synergies_platform::context::authenticate;
use synergies_platform::error::FieldError;
use synergies_platform::outbox::OutboxEvent;
use synergies_platform::policy::{Action, Resource, authorize, authorize_request};
use synergies_proto::events::v1::{OrganisationDecided, Recipient};
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::IdentityApi;
use crate::convert::{
    kind_from_message, organisation_message, parse_id, site_input, status_from_message,
};
use crate::domain::{self, Organisation, OrganisationKind, OrganisationStatus, Tenant};
use crate::error::IdentityError;
use crate::registration::{self, Identifiers, SiteInput};
use crate::store::{Contact, Decision};

pub(super) async fn create_organisation(
    api: &IdentityApi,
    request: Request<pb::CreateOrganisationRequest>,
) -> Result<Response<pb::CreateOrganisationResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let in_tenant = Resource::tenant(&caller.tenant);
    // The operator registers organisations it vouches for; facilitators (and tenant admins)
    // the firms they meet during a diagnostic.
    let by_operator = authorize(&caller, Action::ManageAccounts, &in_tenant).is_ok();
    if !by_operator {
        authorize(&caller, Action::DecideOrganisation, &in_tenant)?;
    }
    let tenant = api
        .store
        .tenant(&caller.tenant)
        .await?
        .ok_or(IdentityError::TenantNotFound)?;
    let request = request.into_inner();
    let kind = kind_from_message(request.kind)?;
    let identifiers = Identifiers {
        siret: request.siret,
        rna: request.rna,
        naf: request.naf,
    };
    let site = request.site.map(site_input);
    let organisation = if by_operator {
        vouched_organisation(&tenant, &request.name, kind, &identifiers, site)?
    } else {
        registration::diagnosed_organisation(
            &tenant,
            &request.name,
            kind,
            &identifiers,
            &site.unwrap_or_default(),
        )?
    };
    api.store.create_organisation(&organisation).await?;
    tracing::info!(organisation_id = %organisation.id, tenant = %tenant.slug, status = organisation.status.as_str(), "organisation registered");
    Ok(Response::new(pb::CreateOrganisationResponse {
        organisation: Some(organisation_message(organisation)),
    }))
}

pub(super) async fn get_organisation(
    api: &IdentityApi,
    request: Request<pb::GetOrganisationRequest>,
) -> Result<Response<pb::GetOrganisationResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let id = parse_id("organisation_id", &request.get_ref().organisation_id)?;
    let reads_any = authorize(
        &caller,
        Action::ListOrganisations,
        &Resource::tenant(&caller.tenant),
    )
    .is_ok();
    // Another organisation is not found for a member, as anything of another tenant.
    if !reads_any && caller.organisation_id != Some(id) {
        return Err(IdentityError::OrganisationNotFound.into());
    }
    let organisation = api
        .store
        .organisation(&caller.tenant, id)
        .await?
        .ok_or(IdentityError::OrganisationNotFound)?;
    Ok(Response::new(pb::GetOrganisationResponse {
        organisation: Some(organisation_message(organisation)),
    }))
}

pub(super) async fn decide_organisation(
    api: &IdentityApi,
    request: Request<pb::DecideOrganisationRequest>,
) -> Result<Response<pb::DecideOrganisationResponse>, Status> {
    let caller = authorize_request(&api.verifier, &request, Action::DecideOrganisation).await?;
    let request = request.into_inner();
    let id = parse_id("organisation_id", &request.organisation_id)?;
    let status = match pb::OrganisationDecision::try_from(request.decision) {
        Ok(pb::OrganisationDecision::Approve) => OrganisationStatus::Approved,
        Ok(pb::OrganisationDecision::Reject) => OrganisationStatus::Rejected,
        Ok(pb::OrganisationDecision::Suspend) => OrganisationStatus::Suspended,
        _ => {
            return Err(IdentityError::from(FieldError::new(
                "decision",
                "must be approve, reject or suspend",
                "doit valoir approve, reject ou suspend",
            ))
            .into());
        }
    };
    let reason =
        synergies_platform::validate::bounded_multiline_text("reason", &request.reason, 1000)
            .map_err(IdentityError::from)?;
    if status != OrganisationStatus::Approved && reason.is_empty() {
        return Err(IdentityError::from(FieldError::new(
            "reason",
            "is required to reject or suspend",
            "est obligatoire pour refuser ou suspendre",
        ))
        .into());
    }
    let current = api
        .store
        .organisation(&caller.tenant, id)
        .await?
        .ok_or(IdentityError::OrganisationNotFound)?;
    if current.status == OrganisationStatus::Diagnosed {
        return Err(IdentityError::NotSignedUpYet.into());
    }
    let decision = Decision {
        status,
        reason,
        decided_by: caller
            .user_id
            .map_or_else(|| "operator".to_owned(), |id| id.to_string()),
        decided_at: synergies_platform::time::now(),
    };
    let organisation = api.record_decision(&caller.tenant, id, &decision).await?;
    tracing::info!(organisation_id = %id, status = status.as_str(), decided_by = %decision.decided_by, "organisation decision");
    Ok(Response::new(pb::DecideOrganisationResponse {
        organisation: Some(organisation_message(organisation)),
    }))
}

pub(super) async fn close_organisation(
    api: &IdentityApi,
    request: Request<pb::CloseOrganisationRequest>,
) -> Result<Response<pb::CloseOrganisationResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let me = caller.require_user()?;
    authorize(
        &caller,
        Action::CloseOrganisation,
        &Resource::organisation(&caller.tenant, me.organisation_id),
    )?;
    let request = request.into_inner();
    api.confirm_password(me.user_id, &request.password, "password")
        .await?;
    let reason =
        synergies_platform::validate::bounded_multiline_text("reason", &request.reason, 1000)
            .map_err(IdentityError::from)?;
    let decision = Decision {
        status: OrganisationStatus::Closed,
        reason,
        decided_by: me.user_id.to_string(),
        decided_at: synergies_platform::time::now(),
    };
    let organisation = api
        .record_decision(&caller.tenant, me.organisation_id, &decision)
        .await?;
    tracing::info!(organisation_id = %me.organisation_id, closed_by = %me.user_id, "organisation closed");
    Ok(Response::new(pb::CloseOrganisationResponse {
        organisation: Some(organisation_message(organisation)),
    }))
}

pub(super) async fn list_organisations(
    api: &IdentityApi,
    request: Request<pb::ListOrganisationsRequest>,
) -> Result<Response<pb::ListOrganisationsResponse>, Status> {
    let caller = authorize_request(&api.verifier, &request, Action::ListOrganisations).await?;
    let request = request.into_inner();
    let limit =
        synergies_platform::validate::page_size(request.page_size).map_err(IdentityError::from)?;
    let after = synergies_platform::validate::page_token(&request.page_token)
        .map_err(IdentityError::from)?;
    let found = api
        .store
        .organisations(
            &caller.tenant,
            status_from_message(request.status),
            after,
            limit + 1,
        )
        .await?;
    let (found, next_page_token) = synergies_platform::validate::into_page(found, limit, |o| o.id);
    Ok(Response::new(pb::ListOrganisationsResponse {
        organisations: found.into_iter().map(organisation_message).collect(),
        next_page_token,
    }))
}

pub(super) async fn get_my_organisation(
    api: &IdentityApi,
    request: Request<pb::GetMyOrganisationRequest>,
) -> Result<Response<pb::GetMyOrganisationResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let me = caller.require_user()?;
    let organisation = api
        .store
        .organisation(&caller.tenant, me.organisation_id)
        .await?
        .ok_or(IdentityError::OrganisationNotFound)?;
    Ok(Response::new(pb::GetMyOrganisationResponse {
        organisation: Some(organisation_message(organisation)),
    }))
}

impl IdentityApi {
    /// Records a decision about an organisation and the event that tells its people.
    async fn record_decision(
        &self,
        tenant: &str,
        id: Uuid,
        decision: &Decision,
    ) -> Result<Organisation, IdentityError> {
        let tenant_name = self
            .store
            .tenant(tenant)
            .await?
            .map(|t| t.display_name)
            .unwrap_or_default();
        let reason = decision.reason.clone();
        let event_for = move |organisation: &Organisation, contacts: &[Contact]| {
            let event = OrganisationDecided {
                organisation_id: organisation.id.to_string(),
                organisation_name: organisation.name.clone(),
                status: organisation.status.as_str().to_owned(),
                reason: reason.clone(),
                tenant_display_name: tenant_name.clone(),
                recipients: contacts
                    .iter()
                    .map(|c| Recipient {
                        email: c.email.clone(),
                        display_name: c.display_name.clone(),
                        language: c.language.clone(),
                    })
                    .collect(),
            };
            OutboxEvent::new(&synergies_platform::events::envelope(
                &organisation.tenant,
                crate::PRODUCER,
                &event,
            ))
        };
        let organisation = self
            .store
            .decide(tenant, id, decision, &event_for)
            .await?
            .ok_or(IdentityError::OrganisationNotFound)?;
        self.relay.wake();
        Ok(organisation)
    }
}

/// An organisation the operator vouches for (the tenant's facilitator, for example): approved at
/// once; identifiers are optional, but checked when given, and so is its site.
fn vouched_organisation(
    tenant: &Tenant,
    name: &str,
    kind: OrganisationKind,
    identifiers: &Identifiers,
    site: Option<SiteInput>,
) -> Result<Organisation, IdentityError> {
    let sites = site
        .map(|site| registration::check_site(tenant, &site))
        .transpose()?
        .into_iter()
        .collect();
    if identifiers.siret.is_empty() && identifiers.rna.is_empty() && identifiers.naf.is_empty() {
        return Ok(Organisation {
            kind,
            sites,
            ..domain::facilitator_organisation(&tenant.slug, name)?
        });
    }
    registration::organisation(
        tenant,
        name,
        kind,
        identifiers,
        sites,
        OrganisationStatus::Approved,
    )
}
