//! gRPC surface of the identity service. The service's RPCs are grouped by resource, one module
//! each; this module holds the shared state and the service's table of contents, which hands
//! each RPC to its module.

mod email_change;
mod members;
mod organisations;
mod passwords;
mod sessions;
mod sign_up;
mod tenants;
mod users;

use std::sync::Arc;

use synergies_platform::auth::Verifier;
use synergies_platform::config::Secret;
use synergies_platform::error::FieldError;
use synergies_platform::outbox::RelayWaker;
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::error::IdentityError;
use crate::keys::KeyRing;
use crate::store::IdentityStore;
use crate::throttle::Throttle;

/// The identity service: what every RPC module shares.
pub struct IdentityApi {
    store: Arc<dyn IdentityStore>,
    relay: RelayWaker,
    keys: Arc<KeyRing>,
    verifier: Verifier,
    operator_token: Secret,
    /// Failed sign-ins, per (account, client) and per client, in the database.
    throttle: Throttle,
    /// Where `Idempotency-Key`s of sign-ups are kept.
    database: synergies_platform::db::Database,
    /// Tells the gateway from other callers: only it may state the end client's address.
    transport: synergies_platform::grpc::Transport,
}

impl IdentityApi {
    pub fn new(
        store: Arc<dyn IdentityStore>,
        relay: RelayWaker,
        keys: Arc<KeyRing>,
        operator_token: Secret,
        database: synergies_platform::db::Database,
        transport: synergies_platform::grpc::Transport,
    ) -> Self {
        let verifier = Verifier::new(keys.clone());
        Self {
            store,
            relay,
            keys,
            verifier,
            operator_token,
            throttle: Throttle::new(database.clone()),
            database,
            transport,
        }
    }

    /// Checks that `password` is the user's current one; else a validation error on `field`
    /// (a signed-in user proving it is really them).
    async fn confirm_password(
        &self,
        user_id: Uuid,
        password: &str,
        field: &'static str,
    ) -> Result<(), IdentityError> {
        let credentials = self
            .store
            .credentials_by_id(user_id)
            .await?
            .ok_or(IdentityError::UserNotFound)?;
        let confirmed = credentials
            .password_hash
            .as_deref()
            .is_some_and(|stored| crate::passwords::verify(password, stored));
        if confirmed {
            Ok(())
        } else {
            Err(FieldError::new(
                field,
                "is not your current password",
                "n'est pas votre mot de passe actuel",
            )
            .into())
        }
    }
}

#[tonic::async_trait]
impl pb::identity_service_server::IdentityService for IdentityApi {
    async fn create_tenant(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> Result<Response<pb::CreateTenantResponse>, Status> {
        tenants::create_tenant(self, request).await
    }

    async fn get_tenant(
        &self,
        request: Request<pb::GetTenantRequest>,
    ) -> Result<Response<pb::GetTenantResponse>, Status> {
        tenants::get_tenant(self, request).await
    }

    async fn update_tenant_settings(
        &self,
        request: Request<pb::UpdateTenantSettingsRequest>,
    ) -> Result<Response<pb::UpdateTenantSettingsResponse>, Status> {
        tenants::update_tenant_settings(self, request).await
    }

    async fn set_tenant_logo(
        &self,
        request: Request<pb::SetTenantLogoRequest>,
    ) -> Result<Response<pb::SetTenantLogoResponse>, Status> {
        tenants::set_tenant_logo(self, request).await
    }

    async fn remove_tenant_logo(
        &self,
        request: Request<pb::RemoveTenantLogoRequest>,
    ) -> Result<Response<pb::RemoveTenantLogoResponse>, Status> {
        tenants::remove_tenant_logo(self, request).await
    }

    async fn get_tenant_logo(
        &self,
        request: Request<pb::GetTenantLogoRequest>,
    ) -> Result<Response<pb::GetTenantLogoResponse>, Status> {
        tenants::get_tenant_logo(self, request).await
    }

    async fn create_organisation(
        &self,
        request: Request<pb::CreateOrganisationRequest>,
    ) -> Result<Response<pb::CreateOrganisationResponse>, Status> {
        organisations::create_organisation(self, request).await
    }

    async fn get_organisation(
        &self,
        request: Request<pb::GetOrganisationRequest>,
    ) -> Result<Response<pb::GetOrganisationResponse>, Status> {
        organisations::get_organisation(self, request).await
    }

    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::SignUpResponse>, Status> {
        // Anonymous: the key is the sign-up's own, within the territory it names.
        let tenant = request.get_ref().tenant.clone();
        let call = synergies_platform::idempotency::IdempotentCall::from_request(
            &request, &tenant, "", "SignUp",
        )?;
        synergies_platform::idempotency::IdempotentCall::run(
            call,
            &self.database,
            || async { Ok(sign_up::sign_up(self, request).await?.into_inner()) },
            |_| async { Err(synergies_platform::idempotency::answer_lost()) },
        )
        .await
        .map(Response::new)
    }

    async fn decide_organisation(
        &self,
        request: Request<pb::DecideOrganisationRequest>,
    ) -> Result<Response<pb::DecideOrganisationResponse>, Status> {
        organisations::decide_organisation(self, request).await
    }

    async fn list_member_organisations(
        &self,
        request: Request<pb::ListMemberOrganisationsRequest>,
    ) -> Result<Response<pb::ListMemberOrganisationsResponse>, Status> {
        members::list_member_organisations(self, request).await
    }

    async fn get_public_organisations(
        &self,
        request: Request<pb::GetPublicOrganisationsRequest>,
    ) -> Result<Response<pb::GetPublicOrganisationsResponse>, Status> {
        tenants::get_public_organisations(self, request).await
    }

    async fn get_territory_figures(
        &self,
        request: Request<pb::GetTerritoryFiguresRequest>,
    ) -> Result<Response<pb::GetTerritoryFiguresResponse>, Status> {
        tenants::get_territory_figures(self, request).await
    }

    async fn close_organisation(
        &self,
        request: Request<pb::CloseOrganisationRequest>,
    ) -> Result<Response<pb::CloseOrganisationResponse>, Status> {
        organisations::close_organisation(self, request).await
    }

    async fn list_organisations(
        &self,
        request: Request<pb::ListOrganisationsRequest>,
    ) -> Result<Response<pb::ListOrganisationsResponse>, Status> {
        organisations::list_organisations(self, request).await
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::CreateUserResponse>, Status> {
        users::create_user(self, request).await
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        users::get_user(self, request).await
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        sessions::login(self, request).await
    }

    async fn refresh_tokens(
        &self,
        request: Request<pb::RefreshTokensRequest>,
    ) -> Result<Response<pb::RefreshTokensResponse>, Status> {
        sessions::refresh_tokens(self, request).await
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        sessions::logout(self, request).await
    }

    async fn operator_login(
        &self,
        request: Request<pb::OperatorLoginRequest>,
    ) -> Result<Response<pb::OperatorLoginResponse>, Status> {
        sessions::operator_login(self, request).await
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
        passwords::request_password_reset(self, request).await
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        passwords::reset_password(self, request).await
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        passwords::change_password(self, request).await
    }

    async fn invite_user(
        &self,
        request: Request<pb::InviteUserRequest>,
    ) -> Result<Response<pb::InviteUserResponse>, Status> {
        users::invite_user(self, request).await
    }

    async fn accept_invitation(
        &self,
        request: Request<pb::AcceptInvitationRequest>,
    ) -> Result<Response<pb::AcceptInvitationResponse>, Status> {
        users::accept_invitation(self, request).await
    }

    async fn set_user_roles(
        &self,
        request: Request<pb::SetUserRolesRequest>,
    ) -> Result<Response<pb::SetUserRolesResponse>, Status> {
        users::set_user_roles(self, request).await
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        users::list_users(self, request).await
    }

    async fn export_me(
        &self,
        request: Request<pb::ExportMeRequest>,
    ) -> Result<Response<pb::ExportMeResponse>, Status> {
        users::export_me(self, request).await
    }

    async fn erase_me(
        &self,
        request: Request<pb::EraseMeRequest>,
    ) -> Result<Response<pb::EraseMeResponse>, Status> {
        users::erase_me(self, request).await
    }

    async fn verify_email(
        &self,
        request: Request<pb::VerifyEmailRequest>,
    ) -> Result<Response<pb::VerifyEmailResponse>, Status> {
        sign_up::verify_email(self, request).await
    }

    async fn request_email_change(
        &self,
        request: Request<pb::RequestEmailChangeRequest>,
    ) -> Result<Response<pb::RequestEmailChangeResponse>, Status> {
        email_change::request_email_change(self, request).await
    }

    async fn confirm_email_change(
        &self,
        request: Request<pb::ConfirmEmailChangeRequest>,
    ) -> Result<Response<pb::ConfirmEmailChangeResponse>, Status> {
        email_change::confirm_email_change(self, request).await
    }

    async fn get_my_organisation(
        &self,
        request: Request<pb::GetMyOrganisationRequest>,
    ) -> Result<Response<pb::GetMyOrganisationResponse>, Status> {
        organisations::get_my_organisation(self, request).await
    }

    async fn get_jwks(
        &self,
        request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        sessions::get_jwks(self, request).await
    }
}
