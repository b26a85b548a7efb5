//! gRPC surface of the identity service.

use std::sync::Arc;

use synergies_platform::context::caller;
use synergies_platform::events::timestamp;
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::{self, Organisation, OrganisationKind, Tenant, User};
use crate::error::IdentityError;
use crate::store::IdentityStore;

pub struct IdentityApi {
    store: Arc<dyn IdentityStore>,
}

impl IdentityApi {
    pub fn new(store: Arc<dyn IdentityStore>) -> Self {
        Self { store }
    }
}

fn tenant_message(tenant: Tenant) -> pb::Tenant {
    pb::Tenant {
        slug: tenant.slug,
        display_name: tenant.display_name,
        created_at: Some(timestamp(tenant.created_at)),
    }
}

fn organisation_message(organisation: Organisation) -> pb::Organisation {
    let kind = match organisation.kind {
        OrganisationKind::Company => pb::OrganisationKind::Company,
        OrganisationKind::Association => pb::OrganisationKind::Association,
        OrganisationKind::PublicBody => pb::OrganisationKind::PublicBody,
    };
    pb::Organisation {
        id: organisation.id.to_string(),
        tenant: organisation.tenant,
        name: organisation.name,
        kind: kind.into(),
        created_at: Some(timestamp(organisation.created_at)),
    }
}

fn user_message(user: User) -> pb::User {
    pb::User {
        id: user.id.to_string(),
        tenant: user.tenant,
        organisation_id: user.organisation_id.to_string(),
        email: user.email,
        display_name: user.display_name,
        created_at: Some(timestamp(user.created_at)),
    }
}

fn parse_id(field: &'static str, value: &str) -> Result<Uuid, IdentityError> {
    Ok(synergies_platform::validate::uuid(field, value)?)
}

#[tonic::async_trait]
impl pb::identity_service_server::IdentityService for IdentityApi {
    async fn create_tenant(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> Result<Response<pb::CreateTenantResponse>, Status> {
        caller(&request)?.require_operator()?;
        let request = request.into_inner();
        domain::validate_slug(&request.slug).map_err(IdentityError::from)?;
        let tenant = Tenant {
            slug: request.slug,
            display_name: domain::required_text("display_name", &request.display_name, 120)
                .map_err(IdentityError::from)?,
            created_at: synergies_platform::time::now(),
        };
        self.store.create_tenant(&tenant).await?;
        tracing::info!(tenant = %tenant.slug, "tenant created");
        Ok(Response::new(pb::CreateTenantResponse {
            tenant: Some(tenant_message(tenant)),
        }))
    }

    async fn get_tenant(
        &self,
        request: Request<pb::GetTenantRequest>,
    ) -> Result<Response<pb::GetTenantResponse>, Status> {
        let tenant = self
            .store
            .tenant(&request.get_ref().slug)
            .await?
            .ok_or(IdentityError::TenantNotFound)?;
        Ok(Response::new(pb::GetTenantResponse {
            tenant: Some(tenant_message(tenant)),
        }))
    }

    async fn create_organisation(
        &self,
        request: Request<pb::CreateOrganisationRequest>,
    ) -> Result<Response<pb::CreateOrganisationResponse>, Status> {
        let caller = caller(&request)?;
        caller.require_operator()?;
        self.store
            .tenant(&caller.tenant)
            .await?
            .ok_or(IdentityError::TenantNotFound)?;
        let request = request.into_inner();
        let kind = match pb::OrganisationKind::try_from(request.kind) {
            Ok(pb::OrganisationKind::Company) => OrganisationKind::Company,
            Ok(pb::OrganisationKind::Association) => OrganisationKind::Association,
            Ok(pb::OrganisationKind::PublicBody) => OrganisationKind::PublicBody,
            _ => {
                return Err(
                    IdentityError::from(synergies_platform::error::FieldError::new(
                        "kind",
                        "must be company, association or public_body",
                    ))
                    .into(),
                );
            }
        };
        let organisation = Organisation {
            id: Uuid::now_v7(),
            tenant: caller.tenant,
            name: domain::required_text("name", &request.name, 200).map_err(IdentityError::from)?,
            kind,
            created_at: synergies_platform::time::now(),
        };
        self.store.create_organisation(&organisation).await?;
        Ok(Response::new(pb::CreateOrganisationResponse {
            organisation: Some(organisation_message(organisation)),
        }))
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::CreateUserResponse>, Status> {
        let caller = caller(&request)?;
        caller.require_operator()?;
        let request = request.into_inner();
        let organisation_id = parse_id("organisation_id", &request.organisation_id)?;
        self.store
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
        let (api_token, token_hash) = domain::new_api_token();
        self.store.create_user(&user, &token_hash).await?;
        Ok(Response::new(pb::CreateUserResponse {
            user: Some(user_message(user)),
            api_token,
        }))
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        let caller = caller(&request)?;
        let id = parse_id("user_id", &request.get_ref().user_id)?;
        let user = self
            .store
            .user(&caller.tenant, id)
            .await?
            .ok_or(IdentityError::UserNotFound)?;
        Ok(Response::new(pb::GetUserResponse {
            user: Some(user_message(user)),
        }))
    }

    async fn authenticate(
        &self,
        request: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::AuthenticateResponse>, Status> {
        let token = &request.get_ref().api_token;
        let user = self
            .store
            .user_by_token(&domain::token_hash(token))
            .await?
            .ok_or(IdentityError::InvalidToken)?;
        Ok(Response::new(pb::AuthenticateResponse {
            user: Some(user_message(user)),
        }))
    }
}
