//! The identity service as the gateway calls it: territories, organisations, people, sign-in
//! and tokens. One method per RPC, named as the RPC: reads are retried while the service is
//! briefly unavailable; writes — sign-ins and token refreshes among them, which rotate
//! tokens — are sent once. Conversions the API and the pages share are at the end.

use synergies_platform::context::CallerContext;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::identity::v1 as pb;
use synergies_proto::identity::v1::identity_service_client::IdentityServiceClient;
use tonic::Status;

use super::{once, retried};

type Client = IdentityServiceClient<ServiceChannel>;

#[derive(Clone)]
pub struct IdentityClient {
    client: Client,
}

impl IdentityClient {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: IdentityServiceClient::new(channel),
        }
    }

    /// Operator: creates a territory.
    pub async fn create_tenant(
        &self,
        caller: &CallerContext,
        message: pb::CreateTenantRequest,
    ) -> Result<pb::CreateTenantResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.create_tenant(call).await },
        )
        .await
    }

    /// A territory: its name, communes, branding and settings (public).
    pub async fn get_tenant(
        &self,
        message: pb::GetTenantRequest,
    ) -> Result<pb::GetTenantResponse, Status> {
        retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.get_tenant(call).await },
        )
        .await
    }

    /// Tenant admins: the branding and settings of their territory.
    pub async fn update_tenant_settings(
        &self,
        caller: &CallerContext,
        message: pb::UpdateTenantSettingsRequest,
    ) -> Result<pb::UpdateTenantSettingsResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.update_tenant_settings(call).await },
        )
        .await
    }

    /// Tenant admins: upload the territory's logo (identity checks and re-encodes it). Putting
    /// the same file twice stores the same logo: safe to retry.
    pub async fn set_tenant_logo(
        &self,
        caller: &CallerContext,
        message: pb::SetTenantLogoRequest,
    ) -> Result<pb::SetTenantLogoResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.set_tenant_logo(call).await },
        )
        .await
    }

    /// Tenant admins: remove the territory's logo.
    pub async fn remove_tenant_logo(
        &self,
        caller: &CallerContext,
    ) -> Result<pb::RemoveTenantLogoResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            pb::RemoveTenantLogoRequest {},
            |mut c: Client, call| async move { c.remove_tenant_logo(call).await },
        )
        .await
    }

    /// Anyone: the territory's logo, as stored.
    pub async fn get_tenant_logo(&self, tenant: &str) -> Result<pb::GetTenantLogoResponse, Status> {
        retried(
            &self.client,
            None,
            pb::GetTenantLogoRequest {
                tenant: tenant.to_owned(),
            },
            |mut c: Client, call| async move { c.get_tenant_logo(call).await },
        )
        .await
    }

    /// Registers an organisation (operator, or a facilitator's diagnostic).
    pub async fn create_organisation(
        &self,
        caller: &CallerContext,
        message: pb::CreateOrganisationRequest,
    ) -> Result<pb::CreateOrganisationResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.create_organisation(call).await },
        )
        .await
    }

    pub async fn get_organisation(
        &self,
        caller: &CallerContext,
        message: pb::GetOrganisationRequest,
    ) -> Result<pb::GetOrganisationResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.get_organisation(call).await },
        )
        .await
    }

    /// A new organisation and its first user.
    pub async fn sign_up(&self, message: pb::SignUpRequest) -> Result<pb::SignUpResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.sign_up(call).await },
        )
        .await
    }

    /// Facilitators approve, reject or suspend an organisation.
    pub async fn decide_organisation(
        &self,
        caller: &CallerContext,
        message: pb::DecideOrganisationRequest,
    ) -> Result<pb::DecideOrganisationResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.decide_organisation(call).await },
        )
        .await
    }

    pub async fn list_organisations(
        &self,
        caller: &CallerContext,
        message: pb::ListOrganisationsRequest,
    ) -> Result<pb::ListOrganisationsResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_organisations(call).await },
        )
        .await
    }

    /// The territory's approved organisations with their sites' communes and coordinates,
    /// for its members.
    pub async fn list_member_organisations(
        &self,
        caller: &CallerContext,
        message: pb::ListMemberOrganisationsRequest,
    ) -> Result<pb::ListMemberOrganisationsResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_member_organisations(call).await },
        )
        .await
    }

    /// Names and public details of organisations, for anyone.
    pub async fn get_public_organisations(
        &self,
        message: pb::GetPublicOrganisationsRequest,
    ) -> Result<pb::GetPublicOrganisationsResponse, Status> {
        retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.get_public_organisations(call).await },
        )
        .await
    }

    /// A territory's public figures (its members).
    pub async fn get_territory_figures(
        &self,
        message: pb::GetTerritoryFiguresRequest,
    ) -> Result<pb::GetTerritoryFiguresResponse, Status> {
        retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.get_territory_figures(call).await },
        )
        .await
    }

    pub async fn close_organisation(
        &self,
        caller: &CallerContext,
        message: pb::CloseOrganisationRequest,
    ) -> Result<pb::CloseOrganisationResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.close_organisation(call).await },
        )
        .await
    }

    pub async fn create_user(
        &self,
        caller: &CallerContext,
        message: pb::CreateUserRequest,
    ) -> Result<pb::CreateUserResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.create_user(call).await },
        )
        .await
    }

    pub async fn get_user(
        &self,
        caller: &CallerContext,
        message: pb::GetUserRequest,
    ) -> Result<pb::GetUserResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.get_user(call).await },
        )
        .await
    }

    pub async fn login(&self, message: pb::LoginRequest) -> Result<pb::LoginResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.login(call).await },
        )
        .await
    }

    /// Sent once: a refresh token is rotated when used.
    pub async fn refresh_tokens(
        &self,
        message: pb::RefreshTokensRequest,
    ) -> Result<pb::RefreshTokensResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.refresh_tokens(call).await },
        )
        .await
    }

    pub async fn logout(&self, message: pb::LogoutRequest) -> Result<pb::LogoutResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.logout(call).await },
        )
        .await
    }

    pub async fn operator_login(
        &self,
        message: pb::OperatorLoginRequest,
    ) -> Result<pb::OperatorLoginResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.operator_login(call).await },
        )
        .await
    }

    pub async fn request_password_reset(
        &self,
        message: pb::RequestPasswordResetRequest,
    ) -> Result<pb::RequestPasswordResetResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.request_password_reset(call).await },
        )
        .await
    }

    pub async fn reset_password(
        &self,
        message: pb::ResetPasswordRequest,
    ) -> Result<pb::ResetPasswordResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.reset_password(call).await },
        )
        .await
    }

    pub async fn change_password(
        &self,
        caller: &CallerContext,
        message: pb::ChangePasswordRequest,
    ) -> Result<pb::ChangePasswordResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.change_password(call).await },
        )
        .await
    }

    pub async fn invite_user(
        &self,
        caller: &CallerContext,
        message: pb::InviteUserRequest,
    ) -> Result<pb::InviteUserResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.invite_user(call).await },
        )
        .await
    }

    pub async fn accept_invitation(
        &self,
        message: pb::AcceptInvitationRequest,
    ) -> Result<pb::AcceptInvitationResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.accept_invitation(call).await },
        )
        .await
    }

    pub async fn set_user_roles(
        &self,
        caller: &CallerContext,
        message: pb::SetUserRolesRequest,
    ) -> Result<pb::SetUserRolesResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.set_user_roles(call).await },
        )
        .await
    }

    pub async fn list_users(
        &self,
        caller: &CallerContext,
        message: pb::ListUsersRequest,
    ) -> Result<pb::ListUsersResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_users(call).await },
        )
        .await
    }

    /// Everything identity holds about the caller.
    pub async fn export_me(
        &self,
        caller: &CallerContext,
        message: pb::ExportMeRequest,
    ) -> Result<pb::ExportMeResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.export_me(call).await },
        )
        .await
    }

    pub async fn erase_me(
        &self,
        caller: &CallerContext,
        message: pb::EraseMeRequest,
    ) -> Result<pb::EraseMeResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.erase_me(call).await },
        )
        .await
    }

    pub async fn verify_email(
        &self,
        message: pb::VerifyEmailRequest,
    ) -> Result<pb::VerifyEmailResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.verify_email(call).await },
        )
        .await
    }

    /// Not retried: a retry would send a second link (the first then stops working).
    pub async fn request_email_change(
        &self,
        caller: &CallerContext,
        message: pb::RequestEmailChangeRequest,
    ) -> Result<pb::RequestEmailChangeResponse, Status> {
        once(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.request_email_change(call).await },
        )
        .await
    }

    pub async fn confirm_email_change(
        &self,
        message: pb::ConfirmEmailChangeRequest,
    ) -> Result<pb::ConfirmEmailChangeResponse, Status> {
        once(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.confirm_email_change(call).await },
        )
        .await
    }

    /// The caller's organisation, with its sites.
    pub async fn get_my_organisation(
        &self,
        caller: &CallerContext,
        message: pb::GetMyOrganisationRequest,
    ) -> Result<pb::GetMyOrganisationResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.get_my_organisation(call).await },
        )
        .await
    }

    /// The keys access tokens are signed with.
    pub async fn get_jwks(
        &self,
        message: pb::GetJwksRequest,
    ) -> Result<pb::GetJwksResponse, Status> {
        retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.get_jwks(call).await },
        )
        .await
    }
}

/// An organisation's status as the API and the pages name it.
pub fn organisation_status_name(status: i32) -> &'static str {
    match pb::OrganisationStatus::try_from(status) {
        Ok(pb::OrganisationStatus::Pending) => "pending",
        Ok(pb::OrganisationStatus::Diagnosed) => "diagnosed",
        Ok(pb::OrganisationStatus::Approved) => "approved",
        Ok(pb::OrganisationStatus::Rejected) => "rejected",
        Ok(pb::OrganisationStatus::Closed) => "closed",
        _ => "suspended",
    }
}

/// The address of a territory's uploaded logo, naming its version (the digest of the stored
/// image): a new logo is a new address, so pages show it at once and each version is cached for
/// good. Shared by the API (`settings.logo`) and the pages' header.
pub fn logo_address(tenant: &str, digest: &str) -> String {
    format!("/api/v1/tenants/{tenant}/branding/logo?v={digest}")
}
