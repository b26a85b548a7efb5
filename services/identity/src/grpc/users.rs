//! Users: accounts the operator creates, invitations, roles, the people of an organisation or of
//! the tenant, and RGPD export and erasure.

use synergies_platform::auth::Role;
use synergies_platform::context::{CallerContext, authenticate};
use synergies_platform::error::FieldError;
use synergies_platform::events::timestamp;
use synergies_platform::outbox::OutboxEvent;
use synergies_platform::policy::{Action, Resource, authorize, authorize_request};
use synergies_proto::events::v1::{UserErased, UserInvited};
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::IdentityApi;
use crate::convert::{organisation_message, parse_id, user_message};
use crate::domain::{self, User};
use crate::error::IdentityError;
use crate::store::Invitation;

/// How long an invitation link works.
const INVITATION_TTL: chrono::TimeDelta = chrono::TimeDelta::days(7);

pub(super) async fn create_user(
    api: &IdentityApi,
    request: Request<pb::CreateUserRequest>,
) -> Result<Response<pb::CreateUserResponse>, Status> {
    let caller = authorize_request(&api.verifier, &request, Action::ManageAccounts).await?;
    let request = request.into_inner();
    let organisation_id = parse_id("organisation_id", &request.organisation_id)?;
    api.store
        .organisation(&caller.tenant, organisation_id)
        .await?
        .ok_or(IdentityError::OrganisationNotFound)?;
    let user = User {
        id: Uuid::now_v7(),
        tenant: caller.tenant,
        organisation_id,
        email: domain::validate_email(&request.email).map_err(IdentityError::from)?,
        display_name: domain::required_text("display_name", &request.display_name, 120)
            .map_err(IdentityError::from)?,
        created_at: synergies_platform::time::now(),
    };
    crate::passwords::validate(&request.password).map_err(IdentityError::from)?;
    let password_hash = crate::passwords::hash(&request.password);
    let roles = granted_roles(&request.roles)?;
    api.store.create_user(&user, &password_hash, &roles).await?;
    Ok(Response::new(pb::CreateUserResponse {
        user: Some(user_message(user)),
    }))
}

pub(super) async fn get_user(
    api: &IdentityApi,
    request: Request<pb::GetUserRequest>,
) -> Result<Response<pb::GetUserResponse>, Status> {
    let caller = authorize_request(&api.verifier, &request, Action::ReadUser).await?;
    let id = parse_id("user_id", &request.get_ref().user_id)?;
    let user = api
        .store
        .user(&caller.tenant, id)
        .await?
        .ok_or(IdentityError::UserNotFound)?;
    Ok(Response::new(pb::GetUserResponse {
        user: Some(user_message(user)),
    }))
}

pub(super) async fn invite_user(
    api: &IdentityApi,
    request: Request<pb::InviteUserRequest>,
) -> Result<Response<pb::InviteUserResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let inviter = caller.require_user()?;
    authorize(
        &caller,
        Action::ManageColleagues,
        &Resource::organisation(&caller.tenant, inviter.organisation_id),
    )?;
    let request = request.into_inner();
    let email = domain::validate_email(&request.email).map_err(IdentityError::from)?;
    let roles = invitable_roles(&request.roles)?;
    let tenant = api
        .store
        .tenant(&caller.tenant)
        .await?
        .ok_or(IdentityError::TenantNotFound)?;
    let organisation = api
        .store
        .organisation(&caller.tenant, inviter.organisation_id)
        .await?
        .ok_or(IdentityError::OrganisationNotFound)?;
    let inviter_name = api
        .store
        .user(&caller.tenant, inviter.user_id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let (token, token_hash) = domain::new_refresh_token();
    let expires_at = synergies_platform::time::now() + INVITATION_TTL;
    let invitation = Invitation {
        token_hash,
        tenant: tenant.slug.clone(),
        organisation_id: organisation.id,
        email: email.clone(),
        roles,
        invited_by: inviter.user_id,
        expires_at,
    };
    let event = UserInvited {
        email,
        organisation_name: organisation.name,
        inviter_name,
        invitation_token: token,
        expires_at: Some(timestamp(expires_at)),
        language: if request.language == "en" {
            "en".into()
        } else {
            "fr".into()
        },
        tenant_display_name: tenant.display_name,
    };
    let event = OutboxEvent::new(&synergies_platform::events::envelope(
        &tenant.slug,
        crate::PRODUCER,
        &event,
    ));
    api.store.invite(&invitation, &event).await?;
    api.relay.wake();
    Ok(Response::new(pb::InviteUserResponse {}))
}

pub(super) async fn accept_invitation(
    api: &IdentityApi,
    request: Request<pb::AcceptInvitationRequest>,
) -> Result<Response<pb::AcceptInvitationResponse>, Status> {
    let request = request.into_inner();
    let display_name = domain::required_text("display_name", &request.display_name, 120)
        .map_err(IdentityError::from)?;
    crate::passwords::validate(&request.password).map_err(IdentityError::from)?;
    let password_hash = crate::passwords::hash(&request.password);
    let token_hash = domain::token_hash(&request.token);
    let user = api
        .store
        .accept_invitation(
            &token_hash,
            &display_name,
            &password_hash,
            synergies_platform::time::now(),
        )
        .await?
        .ok_or(IdentityError::VerificationInvalid)?;
    tracing::info!(user_id = %user.id, organisation_id = %user.organisation_id, "invitation accepted");
    Ok(Response::new(pb::AcceptInvitationResponse {
        user: Some(user_message(user)),
    }))
}

pub(super) async fn set_user_roles(
    api: &IdentityApi,
    request: Request<pb::SetUserRolesRequest>,
) -> Result<Response<pb::SetUserRolesResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let request = request.into_inner();
    let user_id = parse_id("user_id", &request.user_id)?;
    let roles = granted_roles(&request.roles)?;
    let appoints = roles
        .iter()
        .any(|r| matches!(r, Role::Facilitator | Role::TenantAdmin));
    // Facilitators and tenant admins are appointed (and dismissed) tenant-wide by tenant
    // admins; colleagues' roles stay within one's own organisation.
    let tenant_wide = appoints
        || authorize(
            &caller,
            Action::AppointFacilitators,
            &Resource::tenant(&caller.tenant),
        )
        .is_ok();
    let organisation = people_scope(&caller, tenant_wide)?;
    if !api
        .store
        .set_roles(&caller.tenant, organisation, user_id, &roles)
        .await?
    {
        return Err(IdentityError::UserNotFound.into());
    }
    tracing::info!(%user_id, roles = ?roles, "roles changed");
    Ok(Response::new(pb::SetUserRolesResponse {}))
}

pub(super) async fn list_users(
    api: &IdentityApi,
    request: Request<pb::ListUsersRequest>,
) -> Result<Response<pb::ListUsersResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let request = request.into_inner();
    let organisation = people_scope(&caller, request.whole_tenant)?;
    let limit =
        synergies_platform::validate::page_size(request.page_size).map_err(IdentityError::from)?;
    let after = synergies_platform::validate::page_token(&request.page_token)
        .map_err(IdentityError::from)?;
    let found = api
        .store
        .people(&caller.tenant, organisation, after, limit + 1)
        .await?;
    let (found, next_page_token) =
        synergies_platform::validate::into_page(found, limit, |p| p.user.id);
    Ok(Response::new(pb::ListUsersResponse {
        people: found
            .into_iter()
            .map(|person| pb::Person {
                roles: person.roles.iter().map(|r| r.as_str().to_owned()).collect(),
                user: Some(user_message(person.user)),
            })
            .collect(),
        next_page_token,
    }))
}

pub(super) async fn export_me(
    api: &IdentityApi,
    request: Request<pb::ExportMeRequest>,
) -> Result<Response<pb::ExportMeResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let me = caller.require_user()?;
    let credentials = api
        .store
        .credentials_by_id(me.user_id)
        .await?
        .ok_or(IdentityError::UserNotFound)?;
    let organisation = api
        .store
        .organisation(&caller.tenant, me.organisation_id)
        .await?;
    let pending_email = api
        .store
        .pending_email_change(me.user_id, synergies_platform::time::now())
        .await?
        .map(|(address, _)| address)
        .unwrap_or_default();
    Ok(Response::new(pb::ExportMeResponse {
        pending_email,
        roles: credentials
            .effective_roles()
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        user: Some(user_message(credentials.user)),
        organisation: organisation.map(organisation_message),
    }))
}

pub(super) async fn erase_me(
    api: &IdentityApi,
    request: Request<pb::EraseMeRequest>,
) -> Result<Response<pb::EraseMeResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let me = caller.require_user()?;
    api.confirm_password(me.user_id, &request.get_ref().password, "password")
        .await?;
    let tenant = caller.tenant.clone();
    let event_for = move |email: &str| {
        let event = UserErased {
            user_id: me.user_id.to_string(),
            email: email.to_owned(),
        };
        OutboxEvent::new(&synergies_platform::events::envelope(
            &tenant,
            crate::PRODUCER,
            &event,
        ))
    };
    api.store.erase_user(me.user_id, &event_for).await?;
    api.relay.wake();
    tracing::info!(user_id = %me.user_id, "account erased");
    Ok(Response::new(pb::EraseMeResponse {}))
}

/// Whose people a call reaches: the whole tenant (tenant admins: `None`), or the caller's own
/// organisation (its admins).
fn people_scope(caller: &CallerContext, whole_tenant: bool) -> Result<Option<Uuid>, Status> {
    if whole_tenant {
        authorize(
            caller,
            Action::AppointFacilitators,
            &Resource::tenant(&caller.tenant),
        )?;
        return Ok(None);
    }
    let own = caller.require_user()?.organisation_id;
    authorize(
        caller,
        Action::ManageColleagues,
        &Resource::organisation(&caller.tenant, own),
    )?;
    Ok(Some(own))
}

/// Roles an organisation admin may give an invited colleague.
fn invitable_roles(names: &[String]) -> Result<Vec<Role>, IdentityError> {
    names
        .iter()
        .map(|name| match Role::parse(name) {
            Some(Role::OrganisationAdmin) => Ok(Role::OrganisationAdmin),
            _ => Err(FieldError::new(
                "roles",
                "may only contain organisation_admin",
                "ne peut contenir que organisation_admin",
            )
            .into()),
        })
        .collect()
}

/// Roles the operator may grant besides membership, which follows approval.
fn granted_roles(names: &[String]) -> Result<Vec<Role>, IdentityError> {
    names
        .iter()
        .map(|name| match Role::parse(name) {
            Some(role @ (Role::OrganisationAdmin | Role::Facilitator | Role::TenantAdmin)) => {
                Ok(role)
            }
            _ => Err(FieldError::new(
                "roles",
                "each must be organisation_admin, facilitator or tenant_admin",
                "chacun doit valoir organisation_admin, facilitator ou tenant_admin",
            )
            .into()),
        })
        .collect()
}
