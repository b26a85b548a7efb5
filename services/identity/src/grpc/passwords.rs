//! Passwords: the reset link by e-mail and the signed-in user's change.

use synergies_platform::context::authenticate;
use synergies_platform::events::timestamp;
use synergies_platform::outbox::OutboxEvent;
use synergies_proto::events::v1::PasswordResetRequested;
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::IdentityApi;
use crate::domain::{self, Tenant};
use crate::error::IdentityError;
use crate::store::{Credentials, TokenPurpose, UserToken};

/// How long the link in a password reset e-mail works.
const PASSWORD_RESET_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(1);

pub(super) async fn request_password_reset(
    api: &IdentityApi,
    request: Request<pb::RequestPasswordResetRequest>,
) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
    let request = request.into_inner();
    let email = request.email.trim().to_lowercase();
    // Whether or not the account exists, the answer is the same: no enumeration.
    if let Some(credentials) = api.store.credentials(&request.tenant, &email).await? {
        let tenant = api
            .store
            .tenant(&request.tenant)
            .await?
            .ok_or(IdentityError::TenantNotFound)?;
        send_reset_link(api, &credentials, &tenant, false).await?;
        tracing::info!(user_id = %credentials.user.id, "password reset requested");
    }
    Ok(Response::new(pb::RequestPasswordResetResponse {}))
}

/// Stores a reset token for `credentials`' user and the event that e-mails its link — in the
/// user's language; `after_sign_up_attempt` when someone tried to sign up with the address.
pub(super) async fn send_reset_link(
    api: &IdentityApi,
    credentials: &Credentials,
    tenant: &Tenant,
    after_sign_up_attempt: bool,
) -> Result<(), IdentityError> {
    let (token, token_hash) = domain::new_refresh_token();
    let expires_at = synergies_platform::time::now() + PASSWORD_RESET_TTL;
    let user = &credentials.user;
    let reset = UserToken {
        token_hash,
        user_id: user.id,
        purpose: TokenPurpose::ResetPassword,
        expires_at,
    };
    let event = PasswordResetRequested {
        user_id: user.id.to_string(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        reset_token: token,
        expires_at: Some(timestamp(expires_at)),
        language: credentials.language.clone(),
        tenant_display_name: tenant.display_name.clone(),
        after_sign_up_attempt,
    };
    let event = OutboxEvent::new(&synergies_platform::events::envelope(
        &tenant.slug,
        crate::PRODUCER,
        &event,
    ));
    api.store.add_user_token(&reset, &event).await?;
    api.relay.wake();
    Ok(())
}

pub(super) async fn reset_password(
    api: &IdentityApi,
    request: Request<pb::ResetPasswordRequest>,
) -> Result<Response<pb::ResetPasswordResponse>, Status> {
    let request = request.into_inner();
    crate::passwords::validate(&request.new_password)
        .map_err(|e| e.for_field("new_password"))
        .map_err(IdentityError::from)?;
    let password_hash = crate::passwords::hash(&request.new_password);
    let token_hash = domain::token_hash(&request.token);
    if !api
        .store
        .reset_password(&token_hash, &password_hash, synergies_platform::time::now())
        .await?
    {
        return Err(IdentityError::VerificationInvalid.into());
    }
    Ok(Response::new(pb::ResetPasswordResponse {}))
}

pub(super) async fn change_password(
    api: &IdentityApi,
    request: Request<pb::ChangePasswordRequest>,
) -> Result<Response<pb::ChangePasswordResponse>, Status> {
    let caller = authenticate(&api.verifier, &request).await?;
    let user_id = caller.require_user()?.user_id;
    let request = request.into_inner();
    api.confirm_password(user_id, &request.current_password, "current_password")
        .await?;
    crate::passwords::validate(&request.new_password)
        .map_err(|e| e.for_field("new_password"))
        .map_err(IdentityError::from)?;
    api.store
        .set_password(user_id, &crate::passwords::hash(&request.new_password))
        .await?;
    Ok(Response::new(pb::ChangePasswordResponse {}))
}
