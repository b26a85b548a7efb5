//! Joining a territory: the public sign-up and the confirmation of the e-mail address.

use synergies_platform::auth::Role;
use synergies_platform::events::timestamp;
use synergies_platform::outbox::OutboxEvent;
use synergies_proto::events::v1::UserVerificationRequested;
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::IdentityApi;
use crate::convert::{kind_from_message, organisation_message, site_input, user_message};
use crate::domain::{self, OrganisationStatus, User};
use crate::error::{IdentityError, Refusals};
use crate::registration::{self, Identifiers};
use crate::store::{SignUp, TokenPurpose, UserToken};

/// How long the link in a verification e-mail works.
const EMAIL_VERIFICATION_TTL: chrono::TimeDelta = chrono::TimeDelta::days(3);

pub(super) async fn sign_up(
    api: &IdentityApi,
    request: Request<pb::SignUpRequest>,
) -> Result<Response<pb::SignUpResponse>, Status> {
    let request = request.into_inner();
    let tenant = api
        .store
        .tenant(&request.tenant)
        .await?
        .ok_or(IdentityError::TenantNotFound)?;
    let kind = kind_from_message(request.kind)?;
    // Every field is checked before answering, so that a person fixes all mistakes at once.
    let mut refusals = Refusals::default();
    let site = refusals.check(registration::check_site(
        &tenant,
        &site_input(request.site.unwrap_or_default()),
    ));
    let identifiers = Identifiers {
        siret: request.siret,
        rna: request.rna,
        naf: request.naf,
    };
    let organisation = refusals.check(registration::organisation(
        &tenant,
        &request.organisation_name,
        kind,
        &identifiers,
        Vec::new(),
        OrganisationStatus::Pending,
    ));
    let display_name = refusals.check(domain::required_text(
        "display_name",
        &request.display_name,
        120,
    ));
    let email = refusals.check(domain::validate_email(&request.email));
    refusals.check(crate::passwords::validate(&request.password));
    refusals.finish()?;
    let (Some(site), Some(mut organisation), Some(display_name), Some(email)) =
        (site, organisation, display_name, email)
    else {
        unreachable!("refusals.finish() returned every refusal");
    };
    organisation.sites.push(site);
    // A firm diagnosed before finds its record (and the flows recorded for it) again. Any
    // other organisation holding the SIRET makes the store refuse the sign-up, as before.
    let diagnosed = match &organisation.siret {
        Some(siret) => api
            .store
            .organisation_by_siret(&tenant.slug, siret)
            .await?
            .filter(|o| o.status == OrganisationStatus::Diagnosed),
        None => None,
    };
    let joins_diagnosed = diagnosed.is_some();
    let organisation = match diagnosed {
        Some(diagnosed) => registration::join_diagnosed(diagnosed, organisation),
        None => organisation,
    };
    let user = User {
        id: Uuid::now_v7(),
        tenant: tenant.slug.clone(),
        organisation_id: organisation.id,
        email,
        display_name,
        created_at: synergies_platform::time::now(),
    };
    let password_hash = crate::passwords::hash(&request.password);
    let language = if request.language == "en" { "en" } else { "fr" };
    let (token, token_hash) = domain::new_refresh_token();
    let expires_at = synergies_platform::time::now() + EMAIL_VERIFICATION_TTL;
    let verification = UserToken {
        token_hash,
        user_id: user.id,
        purpose: TokenPurpose::VerifyEmail,
        expires_at,
    };
    let event = UserVerificationRequested {
        user_id: user.id.to_string(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        verification_token: token,
        expires_at: Some(timestamp(expires_at)),
        language: language.to_owned(),
        organisation_name: organisation.name.clone(),
        tenant_display_name: tenant.display_name.clone(),
    };
    let event = OutboxEvent::new(&synergies_platform::events::envelope(
        &tenant.slug,
        crate::PRODUCER,
        &event,
    ));
    let stored = api
        .store
        .sign_up(&SignUp {
            organisation: &organisation,
            joins_diagnosed,
            user: &user,
            password_hash: &password_hash,
            roles: &[Role::OrganisationAdmin],
            language,
            verification: &verification,
            event: &event,
        })
        .await;
    match stored {
        Ok(()) => {
            api.relay.wake();
            tracing::info!(organisation_id = %organisation.id, tenant = %tenant.slug, joins_diagnosed, "organisation signed up, awaiting approval");
        }
        // The address has an account already. Saying so would tell anyone which addresses
        // are registered: the answer is the one a new address gets (nothing was stored), and
        // the address's owner is told by e-mail instead. Every other check (the SIRET above
        // all) came first, so the answer differs from a new address's in nothing.
        Err(IdentityError::EmailTaken) => {
            if let Some(existing) = api.store.credentials(&tenant.slug, &user.email).await? {
                super::passwords::send_reset_link(api, &existing, &tenant, true).await?;
            }
            tracing::info!(tenant = %tenant.slug, "sign-up with an address that has an account: its owner is told");
        }
        Err(other) => return Err(other.into()),
    }
    Ok(Response::new(pb::SignUpResponse {
        organisation: Some(organisation_message(organisation)),
        user: Some(user_message(user)),
    }))
}

pub(super) async fn verify_email(
    api: &IdentityApi,
    request: Request<pb::VerifyEmailRequest>,
) -> Result<Response<pb::VerifyEmailResponse>, Status> {
    let token_hash = domain::token_hash(&request.get_ref().token);
    if !api
        .store
        .verify_email(&token_hash, synergies_platform::time::now())
        .await?
    {
        return Err(IdentityError::VerificationInvalid.into());
    }
    Ok(Response::new(pb::VerifyEmailResponse {}))
}
