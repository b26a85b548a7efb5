//! Changing one's e-mail address (see [`crate::email_change`]): the request, proving the
//! password, and the confirmation with the token of the link sent to the new address.

use synergies_platform::context::authenticate;
use synergies_platform::error::FieldError;
use synergies_platform::events::timestamp;
use synergies_platform::outbox::OutboxEvent;
use synergies_proto::events::v1::{UserEmailChangeRequested, UserEmailChanged};
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::IdentityApi;
use crate::domain;
use crate::email_change::{ConfirmedEmailChange, EMAIL_CHANGE_TTL, PendingEmailChange};
use crate::error::IdentityError;

pub(super) async fn request_email_change(
    api: &IdentityApi,
    request: Request<pb::RequestEmailChangeRequest>,
) -> Result<Response<pb::RequestEmailChangeResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let user_id = caller.require_user()?.user_id;
    let request = request.into_inner();
    let new_email = domain::validate_email(&request.email).map_err(IdentityError::from)?;
    api.confirm_password(user_id, &request.password, "password")
        .await?;
    let credentials = api
        .store
        .credentials_by_id(user_id)
        .await?
        .ok_or(IdentityError::UserNotFound)?;
    let user = &credentials.user;
    if user.email == new_email {
        return Err(IdentityError::from(FieldError::new(
            "email",
            "is already your address",
            "est déjà votre adresse",
        ))
        .into());
    }
    // Checked again at confirmation: the address may be taken in between.
    if api
        .store
        .credentials(&user.tenant, &new_email)
        .await?
        .is_some()
    {
        return Err(IdentityError::EmailTaken.into());
    }
    let tenant = api
        .store
        .tenant(&user.tenant)
        .await?
        .ok_or(IdentityError::TenantNotFound)?;
    let (token, token_hash) = domain::new_refresh_token();
    let expires_at = synergies_platform::time::now() + EMAIL_CHANGE_TTL;
    let change = PendingEmailChange {
        token_hash,
        user_id,
        new_email: new_email.clone(),
        expires_at,
    };
    let event = OutboxEvent::new(&synergies_platform::events::envelope(
        &tenant.slug,
        crate::PRODUCER,
        &UserEmailChangeRequested {
            user_id: user_id.to_string(),
            old_email: user.email.clone(),
            new_email: new_email.clone(),
            display_name: user.display_name.clone(),
            change_token: token,
            expires_at: Some(timestamp(expires_at)),
            language: credentials.language.clone(),
            tenant_display_name: tenant.display_name.clone(),
        },
    ));
    api.store.request_email_change(&change, &event).await?;
    api.relay.wake();
    tracing::info!(%user_id, "e-mail address change requested");
    Ok(Response::new(pb::RequestEmailChangeResponse {
        pending_email: new_email,
        expires_at: Some(timestamp(expires_at)),
    }))
}

pub(super) async fn confirm_email_change(
    api: &IdentityApi,
    request: Request<pb::ConfirmEmailChangeRequest>,
) -> Result<Response<pb::ConfirmEmailChangeResponse>, Status> {
    let token_hash = domain::token_hash(&request.into_inner().token);
    let event_for = |changed: &ConfirmedEmailChange| {
        OutboxEvent::new(&synergies_platform::events::envelope(
            &changed.tenant,
            crate::PRODUCER,
            &UserEmailChanged {
                user_id: changed.user_id.to_string(),
                old_email: changed.old_email.clone(),
                new_email: changed.new_email.clone(),
                display_name: changed.display_name.clone(),
                language: changed.language.clone(),
                tenant_display_name: changed.tenant_display_name.clone(),
            },
        ))
    };
    let changed = api
        .store
        .confirm_email_change(&token_hash, synergies_platform::time::now(), &event_for)
        .await?
        .ok_or(IdentityError::VerificationInvalid)?;
    api.relay.wake();
    tracing::info!(user_id = %changed.user_id, "e-mail address changed");
    Ok(Response::new(pb::ConfirmEmailChangeResponse {
        email: changed.new_email,
    }))
}
