//! gRPC surface of the identity service.

use std::sync::Arc;

use synergies_platform::auth::{ACCESS_TOKEN_TTL, Claims, Role, Verifier};
use synergies_platform::config::Secret;
use synergies_platform::context::{CallerContext, authenticate};
use synergies_platform::events::timestamp;
use synergies_platform::policy::{Action, Resource, authorize, authorize_request};
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use synergies_platform::error::FieldError;

use crate::domain::{
    self, Organisation, OrganisationKind, OrganisationStatus, Tenant, TenantSettings,
    TerritoryCommune, TerritoryMap, User,
};
use crate::error::IdentityError;
use crate::keys::KeyRing;
use crate::registration::{self, Identifiers, SiteInput};
use synergies_platform::outbox::{OutboxEvent, RelayWaker};
use synergies_proto::events::v1::{
    OrganisationDecided, PasswordResetRequested, Recipient, UserErased, UserInvited,
    UserVerificationRequested,
};

use crate::store::{
    Contact, Decision, IdentityStore, Invitation, RefreshToken, Rotation, SignUp, TokenPurpose,
    UserToken,
};
use crate::throttle::{Throttle, minutes};

/// How long an invitation link works.
const INVITATION_TTL: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// How long the link in a password reset e-mail works.
const PASSWORD_RESET_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// How long the link in a verification e-mail works.
const EMAIL_VERIFICATION_TTL: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// How long a session lasts without being used.
const REFRESH_TOKEN_TTL: chrono::TimeDelta = chrono::TimeDelta::days(30);

pub struct IdentityApi {
    store: Arc<dyn IdentityStore>,
    relay: RelayWaker,
    keys: Arc<KeyRing>,
    verifier: Verifier,
    operator_token: Secret,
    /// Failed sign-ins per account: a password guesser is slowed down on each account...
    account_failures: Throttle,
    /// ...and per client address: or across accounts.
    address_failures: Throttle,
}

const THROTTLE_WINDOW: std::time::Duration = std::time::Duration::from_mins(15);

impl IdentityApi {
    pub fn new(
        store: Arc<dyn IdentityStore>,
        relay: RelayWaker,
        keys: Arc<KeyRing>,
        operator_token: Secret,
    ) -> Self {
        let verifier = Verifier::new(keys.clone());
        Self {
            store,
            relay,
            keys,
            verifier,
            operator_token,
            account_failures: Throttle::new(5, THROTTLE_WINDOW),
            address_failures: Throttle::new(30, THROTTLE_WINDOW),
        }
    }

    /// A new access token for `user`, and a refresh token starting a new session.
    async fn open_session(
        &self,
        user: &User,
        roles: Vec<Role>,
    ) -> Result<pb::TokenPair, IdentityError> {
        let (refresh_token, token_hash) = domain::new_refresh_token();
        let now = synergies_platform::time::now();
        self.store
            .add_refresh_token(&RefreshToken {
                token_hash,
                family: Uuid::now_v7(),
                user_id: user.id,
                created_at: now,
                expires_at: now + REFRESH_TOKEN_TTL,
            })
            .await?;
        let access_token = self.access_token(user, roles).await?;
        Ok(pb::TokenPair {
            access_token,
            refresh_token,
            expires_in_seconds: ttl_seconds(),
        })
    }

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

    async fn access_token(&self, user: &User, roles: Vec<Role>) -> Result<String, IdentityError> {
        let organisation = Some(user.organisation_id.to_string());
        let claims = Claims::new(
            user.id.to_string(),
            user.tenant.clone(),
            organisation,
            roles,
        );
        Ok(self.keys.signer().await?.sign(&claims))
    }
}

fn ttl_seconds() -> u32 {
    u32::try_from(ACCESS_TOKEN_TTL.as_secs()).unwrap_or(u32::MAX)
}

/// Compares secrets without leaking, through timing, how many leading bytes matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn settings_message(settings: TenantSettings) -> pb::TenantSettings {
    pb::TenantSettings {
        brand_name: settings.brand_name,
        logo_url: settings.logo_url,
        primary_colour: settings.primary_colour,
        secondary_colour: settings.secondary_colour,
        listings_need_approval: settings.listings_need_approval,
        exchange_modes: settings.exchange_modes,
        default_language: settings.default_language,
    }
}

fn settings_from_message(settings: pb::TenantSettings) -> TenantSettings {
    TenantSettings {
        brand_name: settings.brand_name,
        logo_url: settings.logo_url,
        primary_colour: settings.primary_colour,
        secondary_colour: settings.secondary_colour,
        listings_need_approval: settings.listings_need_approval,
        exchange_modes: settings.exchange_modes,
        default_language: settings.default_language,
    }
}

fn map_message(map: TerritoryMap) -> pb::TerritoryMap {
    pb::TerritoryMap {
        centre_latitude: map.centre.map(|c| c.0),
        centre_longitude: map.centre.map(|c| c.1),
        bounds: map.bounds.map(|[south, west, north, east]| pb::Bounds {
            south,
            west,
            north,
            east,
        }),
    }
}

fn map_from_message(map: pb::TerritoryMap) -> TerritoryMap {
    TerritoryMap {
        centre: map.centre_latitude.zip(map.centre_longitude),
        bounds: map.bounds.map(|b| [b.south, b.west, b.north, b.east]),
    }
}

fn tenant_message(tenant: Tenant) -> pb::Tenant {
    pb::Tenant {
        map: Some(map_message(tenant.map)),
        settings: Some(settings_message(tenant.settings)),
        slug: tenant.slug,
        display_name: tenant.display_name,
        created_at: Some(timestamp(tenant.created_at)),
        communes: tenant
            .communes
            .into_iter()
            .map(|c| pb::Commune {
                insee_code: c.insee_code,
                name: c.name,
                postal_codes: c.postal_codes,
            })
            .collect(),
    }
}

fn organisation_message(organisation: Organisation) -> pb::Organisation {
    let kind = match organisation.kind {
        OrganisationKind::Company => pb::OrganisationKind::Company,
        OrganisationKind::Association => pb::OrganisationKind::Association,
        OrganisationKind::PublicBody => pb::OrganisationKind::PublicBody,
    };
    let status = match organisation.status {
        OrganisationStatus::Pending => pb::OrganisationStatus::Pending,
        OrganisationStatus::Approved => pb::OrganisationStatus::Approved,
        OrganisationStatus::Rejected => pb::OrganisationStatus::Rejected,
        OrganisationStatus::Suspended => pb::OrganisationStatus::Suspended,
        OrganisationStatus::Closed => pb::OrganisationStatus::Closed,
        OrganisationStatus::Diagnosed => pb::OrganisationStatus::Diagnosed,
    };
    pb::Organisation {
        id: organisation.id.to_string(),
        tenant: organisation.tenant,
        name: organisation.name,
        kind: kind.into(),
        created_at: Some(timestamp(organisation.created_at)),
        siret: organisation.siret.unwrap_or_default(),
        rna: organisation.rna.unwrap_or_default(),
        naf: organisation.naf.unwrap_or_default(),
        status: status.into(),
        sites: organisation
            .sites
            .into_iter()
            .map(|site| pb::Site {
                id: site.id.to_string(),
                address: site.address,
                insee_code: site.insee_code,
                latitude: site.latitude,
                longitude: site.longitude,
            })
            .collect(),
        status_reason: organisation.status_reason,
    }
}

fn kind_from_message(kind: i32) -> Result<OrganisationKind, IdentityError> {
    match pb::OrganisationKind::try_from(kind) {
        Ok(pb::OrganisationKind::Company) => Ok(OrganisationKind::Company),
        Ok(pb::OrganisationKind::Association) => Ok(OrganisationKind::Association),
        Ok(pb::OrganisationKind::PublicBody) => Ok(OrganisationKind::PublicBody),
        _ => Err(FieldError::new(
            "kind",
            "must be company, association or public_body",
            "doit valoir company (entreprise), association ou public_body (organisme public)",
        )
        .into()),
    }
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

fn status_from_message(status: i32) -> Option<OrganisationStatus> {
    match pb::OrganisationStatus::try_from(status) {
        Ok(pb::OrganisationStatus::Pending) => Some(OrganisationStatus::Pending),
        Ok(pb::OrganisationStatus::Approved) => Some(OrganisationStatus::Approved),
        Ok(pb::OrganisationStatus::Rejected) => Some(OrganisationStatus::Rejected),
        Ok(pb::OrganisationStatus::Suspended) => Some(OrganisationStatus::Suspended),
        Ok(pb::OrganisationStatus::Closed) => Some(OrganisationStatus::Closed),
        Ok(pb::OrganisationStatus::Diagnosed) => Some(OrganisationStatus::Diagnosed),
        _ => None,
    }
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

fn site_input(site: pb::Site) -> SiteInput {
    SiteInput {
        address: site.address,
        insee_code: site.insee_code,
        latitude: site.latitude,
        longitude: site.longitude,
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

fn parse_id(field: &'static str, value: &str) -> Result<Uuid, IdentityError> {
    Ok(synergies_platform::validate::uuid(field, value)?)
}

#[tonic::async_trait]
impl pb::identity_service_server::IdentityService for IdentityApi {
    async fn create_tenant(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> Result<Response<pb::CreateTenantResponse>, Status> {
        authorize_request(&self.verifier, &request, Action::CreateTenant).await?;
        let request = request.into_inner();
        let communes: Vec<TerritoryCommune> = request
            .communes
            .into_iter()
            .map(|c| TerritoryCommune {
                insee_code: c.insee_code,
                name: c.name,
                postal_codes: c.postal_codes,
            })
            .collect();
        let tenant = match (request.epci.trim(), communes.is_empty()) {
            ("", _) => domain::new_tenant(&request.slug, &request.display_name, communes),
            (epci, true) => {
                domain::new_tenant_of_intercommunality(&request.slug, &request.display_name, epci)
            }
            (_, false) => Err(FieldError::new(
                "epci",
                "give either the intercommunality's SIREN or the list of communes, not both",
                "indiquez soit le SIREN de l'intercommunalité, soit la liste des communes, pas les deux",
            )),
        };
        let mut tenant = tenant.map_err(IdentityError::from)?;
        tenant.map = map_from_message(request.map.unwrap_or_default())
            .validated()
            .map_err(IdentityError::from)?;
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

    async fn update_tenant_settings(
        &self,
        request: Request<pb::UpdateTenantSettingsRequest>,
    ) -> Result<Response<pb::UpdateTenantSettingsResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ManageTenant).await?;
        let settings = settings_from_message(request.into_inner().settings.unwrap_or_default())
            .validated()
            .map_err(IdentityError::from)?;
        if !self
            .store
            .update_tenant_settings(&caller.tenant, &settings)
            .await?
        {
            return Err(IdentityError::TenantNotFound.into());
        }
        let tenant = self
            .store
            .tenant(&caller.tenant)
            .await?
            .ok_or(IdentityError::TenantNotFound)?;
        Ok(Response::new(pb::UpdateTenantSettingsResponse {
            tenant: Some(tenant_message(tenant)),
        }))
    }

    async fn create_organisation(
        &self,
        request: Request<pb::CreateOrganisationRequest>,
    ) -> Result<Response<pb::CreateOrganisationResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let in_tenant = Resource::tenant(&caller.tenant);
        // The operator registers organisations it vouches for; facilitators (and tenant admins)
        // the firms they meet during a diagnostic.
        let by_operator = authorize(&caller, Action::ManageAccounts, &in_tenant).is_ok();
        if !by_operator {
            authorize(&caller, Action::DecideOrganisation, &in_tenant)?;
        }
        let tenant = self
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
        self.store.create_organisation(&organisation).await?;
        tracing::info!(organisation_id = %organisation.id, tenant = %tenant.slug, status = organisation.status.as_str(), "organisation registered");
        Ok(Response::new(pb::CreateOrganisationResponse {
            organisation: Some(organisation_message(organisation)),
        }))
    }

    async fn get_organisation(
        &self,
        request: Request<pb::GetOrganisationRequest>,
    ) -> Result<Response<pb::GetOrganisationResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
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
        let organisation = self
            .store
            .organisation(&caller.tenant, id)
            .await?
            .ok_or(IdentityError::OrganisationNotFound)?;
        Ok(Response::new(pb::GetOrganisationResponse {
            organisation: Some(organisation_message(organisation)),
        }))
    }

    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::SignUpResponse>, Status> {
        let request = request.into_inner();
        let tenant = self
            .store
            .tenant(&request.tenant)
            .await?
            .ok_or(IdentityError::TenantNotFound)?;
        let kind = kind_from_message(request.kind)?;
        let site =
            registration::check_site(&tenant, &site_input(request.site.unwrap_or_default()))?;
        let identifiers = Identifiers {
            siret: request.siret,
            rna: request.rna,
            naf: request.naf,
        };
        let organisation = registration::organisation(
            &tenant,
            &request.organisation_name,
            kind,
            &identifiers,
            vec![site],
            OrganisationStatus::Pending,
        )?;
        // A firm diagnosed before finds its record (and the flows recorded for it) again. Any
        // other organisation holding the SIRET makes the store refuse the sign-up, as before.
        let diagnosed = match &organisation.siret {
            Some(siret) => self
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
            email: domain::validate_email(&request.email).map_err(IdentityError::from)?,
            display_name: domain::required_text("display_name", &request.display_name, 120)
                .map_err(IdentityError::from)?,
            created_at: synergies_platform::time::now(),
        };
        crate::passwords::validate(&request.password).map_err(IdentityError::from)?;
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
        self.store
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
            .await?;
        self.relay.wake();
        tracing::info!(organisation_id = %organisation.id, tenant = %tenant.slug, joins_diagnosed, "organisation signed up, awaiting approval");
        Ok(Response::new(pb::SignUpResponse {
            organisation: Some(organisation_message(organisation)),
            user: Some(user_message(user)),
        }))
    }

    async fn decide_organisation(
        &self,
        request: Request<pb::DecideOrganisationRequest>,
    ) -> Result<Response<pb::DecideOrganisationResponse>, Status> {
        let caller =
            authorize_request(&self.verifier, &request, Action::DecideOrganisation).await?;
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
        let reason = synergies_platform::validate::bounded_text("reason", &request.reason, 1000)
            .map_err(IdentityError::from)?;
        if status != OrganisationStatus::Approved && reason.is_empty() {
            return Err(IdentityError::from(FieldError::new(
                "reason",
                "is required to reject or suspend",
                "est obligatoire pour refuser ou suspendre",
            ))
            .into());
        }
        let current = self
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
        let organisation = self.record_decision(&caller.tenant, id, &decision).await?;
        tracing::info!(organisation_id = %id, status = status.as_str(), decided_by = %decision.decided_by, "organisation decision");
        Ok(Response::new(pb::DecideOrganisationResponse {
            organisation: Some(organisation_message(organisation)),
        }))
    }

    async fn get_territory_figures(
        &self,
        request: Request<pb::GetTerritoryFiguresRequest>,
    ) -> Result<Response<pb::GetTerritoryFiguresResponse>, Status> {
        let tenant = request.into_inner().tenant;
        if self.store.tenant(&tenant).await?.is_none() {
            return Err(IdentityError::TenantNotFound.into());
        }
        let members = self
            .store
            .count_organisations(&tenant, OrganisationStatus::Approved)
            .await?;
        Ok(Response::new(pb::GetTerritoryFiguresResponse { members }))
    }

    async fn close_organisation(
        &self,
        request: Request<pb::CloseOrganisationRequest>,
    ) -> Result<Response<pb::CloseOrganisationResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let me = caller.require_user()?;
        authorize(
            &caller,
            Action::CloseOrganisation,
            &Resource::organisation(&caller.tenant, me.organisation_id),
        )?;
        let request = request.into_inner();
        self.confirm_password(me.user_id, &request.password, "password")
            .await?;
        let reason = synergies_platform::validate::bounded_text("reason", &request.reason, 1000)
            .map_err(IdentityError::from)?;
        let decision = Decision {
            status: OrganisationStatus::Closed,
            reason,
            decided_by: me.user_id.to_string(),
            decided_at: synergies_platform::time::now(),
        };
        let organisation = self
            .record_decision(&caller.tenant, me.organisation_id, &decision)
            .await?;
        tracing::info!(organisation_id = %me.organisation_id, closed_by = %me.user_id, "organisation closed");
        Ok(Response::new(pb::CloseOrganisationResponse {
            organisation: Some(organisation_message(organisation)),
        }))
    }

    async fn list_organisations(
        &self,
        request: Request<pb::ListOrganisationsRequest>,
    ) -> Result<Response<pb::ListOrganisationsResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ListOrganisations).await?;
        let request = request.into_inner();
        let limit = synergies_platform::validate::page_size(request.page_size)
            .map_err(IdentityError::from)?;
        let after = synergies_platform::validate::page_token(&request.page_token)
            .map_err(IdentityError::from)?;
        let found = self
            .store
            .organisations(
                &caller.tenant,
                status_from_message(request.status),
                after,
                limit + 1,
            )
            .await?;
        let (found, next_page_token) =
            synergies_platform::validate::into_page(found, limit, |o| o.id);
        Ok(Response::new(pb::ListOrganisationsResponse {
            organisations: found.into_iter().map(organisation_message).collect(),
            next_page_token,
        }))
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::CreateUserResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ManageAccounts).await?;
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
        crate::passwords::validate(&request.password).map_err(IdentityError::from)?;
        let password_hash = crate::passwords::hash(&request.password);
        let roles = granted_roles(&request.roles)?;
        self.store
            .create_user(&user, &password_hash, &roles)
            .await?;
        Ok(Response::new(pb::CreateUserResponse {
            user: Some(user_message(user)),
        }))
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadUser).await?;
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

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let request = request.into_inner();
        let email = request.email.trim().to_lowercase();
        // The same answer for a locked account whether or not it exists: no enumeration.
        let account = format!("{}:{email}", request.tenant);
        let address = format!("address:{}", request.client_address);
        for throttle_check in [
            self.account_failures.check(&account),
            self.address_failures.check(&address),
        ] {
            if let Err(wait) = throttle_check {
                tracing::warn!(client_address = %request.client_address, "sign-in throttled");
                return Err(IdentityError::Throttled {
                    minutes: minutes(wait),
                }
                .into());
            }
        }
        let credentials = self.store.credentials(&request.tenant, &email).await?;
        let verified = if let Some(credentials) = &credentials {
            credentials
                .password_hash
                .as_deref()
                .is_some_and(|stored| crate::passwords::verify(&request.password, stored))
        } else {
            crate::passwords::verify_against_nothing(&request.password);
            false
        };
        let Some(credentials) = credentials.filter(|_| verified) else {
            self.account_failures.record_failure(&account);
            self.address_failures.record_failure(&address);
            tracing::info!(client_address = %request.client_address, "sign-in refused");
            return Err(IdentityError::BadCredentials.into());
        };
        self.account_failures.reset(&account);
        if !credentials.email_verified {
            return Err(IdentityError::EmailNotVerified.into());
        }
        let tokens = self
            .open_session(&credentials.user, credentials.effective_roles())
            .await?;
        tracing::info!(user_id = %credentials.user.id, tenant = %credentials.user.tenant, "signed in");
        Ok(Response::new(pb::LoginResponse {
            tokens: Some(tokens),
        }))
    }

    async fn refresh_tokens(
        &self,
        request: Request<pb::RefreshTokensRequest>,
    ) -> Result<Response<pb::RefreshTokensResponse>, Status> {
        let presented = domain::token_hash(&request.get_ref().refresh_token);
        let (refresh_token, next_hash) = domain::new_refresh_token();
        let now = synergies_platform::time::now();
        let rotation = self
            .store
            .rotate_refresh_token(&presented, &next_hash, now, now + REFRESH_TOKEN_TTL)
            .await?;
        let user_id = match rotation {
            Rotation::Rotated { user_id } => user_id,
            Rotation::Reused => {
                tracing::warn!("refresh token reused: its session is revoked");
                return Err(IdentityError::SessionEnded.into());
            }
            Rotation::Expired | Rotation::Unknown => return Err(IdentityError::SessionEnded.into()),
        };
        let credentials = self
            .store
            .credentials_by_id(user_id)
            .await?
            .ok_or(IdentityError::SessionEnded)?;
        let access_token = self
            .access_token(&credentials.user, credentials.effective_roles())
            .await?;
        let tokens = pb::TokenPair {
            access_token,
            refresh_token,
            expires_in_seconds: ttl_seconds(),
        };
        Ok(Response::new(pb::RefreshTokensResponse {
            tokens: Some(tokens),
        }))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let presented = domain::token_hash(&request.get_ref().refresh_token);
        self.store.revoke_refresh_family(&presented).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn operator_login(
        &self,
        request: Request<pb::OperatorLoginRequest>,
    ) -> Result<Response<pb::OperatorLoginResponse>, Status> {
        let expected = self.operator_token.expose();
        if expected.is_empty() {
            return Err(IdentityError::OperatorDisabled.into());
        }
        if !constant_time_eq(
            request.get_ref().operator_token.as_bytes(),
            expected.as_bytes(),
        ) {
            tracing::warn!("operator sign-in refused");
            return Err(IdentityError::BadCredentials.into());
        }
        let claims = Claims::new(
            "operator".into(),
            String::new(),
            None,
            vec![Role::PlatformOperator],
        );
        let access_token = self.keys.signer().await?.sign(&claims);
        tracing::info!("operator signed in");
        Ok(Response::new(pb::OperatorLoginResponse {
            access_token,
            expires_in_seconds: ttl_seconds(),
        }))
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
        let request = request.into_inner();
        let email = request.email.trim().to_lowercase();
        // Whether or not the account exists, the answer is the same: no enumeration.
        if let Some(credentials) = self.store.credentials(&request.tenant, &email).await? {
            let tenant = self
                .store
                .tenant(&request.tenant)
                .await?
                .ok_or(IdentityError::TenantNotFound)?;
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
                tenant_display_name: tenant.display_name,
            };
            let event = OutboxEvent::new(&synergies_platform::events::envelope(
                &tenant.slug,
                crate::PRODUCER,
                &event,
            ));
            self.store.add_user_token(&reset, &event).await?;
            self.relay.wake();
            tracing::info!(user_id = %user.id, "password reset requested");
        }
        Ok(Response::new(pb::RequestPasswordResetResponse {}))
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        let request = request.into_inner();
        crate::passwords::validate(&request.new_password)
            .map_err(|e| e.for_field("new_password"))
            .map_err(IdentityError::from)?;
        let password_hash = crate::passwords::hash(&request.new_password);
        let token_hash = domain::token_hash(&request.token);
        if !self
            .store
            .reset_password(&token_hash, &password_hash, synergies_platform::time::now())
            .await?
        {
            return Err(IdentityError::VerificationInvalid.into());
        }
        Ok(Response::new(pb::ResetPasswordResponse {}))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let user_id = caller.require_user()?.user_id;
        let request = request.into_inner();
        self.confirm_password(user_id, &request.current_password, "current_password")
            .await?;
        crate::passwords::validate(&request.new_password)
            .map_err(|e| e.for_field("new_password"))
            .map_err(IdentityError::from)?;
        self.store
            .set_password(user_id, &crate::passwords::hash(&request.new_password))
            .await?;
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn invite_user(
        &self,
        request: Request<pb::InviteUserRequest>,
    ) -> Result<Response<pb::InviteUserResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let inviter = caller.require_user()?;
        authorize(
            &caller,
            Action::ManageColleagues,
            &Resource::organisation(&caller.tenant, inviter.organisation_id),
        )?;
        let request = request.into_inner();
        let email = domain::validate_email(&request.email).map_err(IdentityError::from)?;
        let roles = invitable_roles(&request.roles)?;
        let tenant = self
            .store
            .tenant(&caller.tenant)
            .await?
            .ok_or(IdentityError::TenantNotFound)?;
        let organisation = self
            .store
            .organisation(&caller.tenant, inviter.organisation_id)
            .await?
            .ok_or(IdentityError::OrganisationNotFound)?;
        let inviter_name = self
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
        self.store.invite(&invitation, &event).await?;
        self.relay.wake();
        Ok(Response::new(pb::InviteUserResponse {}))
    }

    async fn accept_invitation(
        &self,
        request: Request<pb::AcceptInvitationRequest>,
    ) -> Result<Response<pb::AcceptInvitationResponse>, Status> {
        let request = request.into_inner();
        let display_name = domain::required_text("display_name", &request.display_name, 120)
            .map_err(IdentityError::from)?;
        crate::passwords::validate(&request.password).map_err(IdentityError::from)?;
        let password_hash = crate::passwords::hash(&request.password);
        let token_hash = domain::token_hash(&request.token);
        let user = self
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

    async fn set_user_roles(
        &self,
        request: Request<pb::SetUserRolesRequest>,
    ) -> Result<Response<pb::SetUserRolesResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
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
        if !self
            .store
            .set_roles(&caller.tenant, organisation, user_id, &roles)
            .await?
        {
            return Err(IdentityError::UserNotFound.into());
        }
        tracing::info!(%user_id, roles = ?roles, "roles changed");
        Ok(Response::new(pb::SetUserRolesResponse {}))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let request = request.into_inner();
        let organisation = people_scope(&caller, request.whole_tenant)?;
        let limit = synergies_platform::validate::page_size(request.page_size)
            .map_err(IdentityError::from)?;
        let after = synergies_platform::validate::page_token(&request.page_token)
            .map_err(IdentityError::from)?;
        let found = self
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

    async fn export_me(
        &self,
        request: Request<pb::ExportMeRequest>,
    ) -> Result<Response<pb::ExportMeResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let me = caller.require_user()?;
        let credentials = self
            .store
            .credentials_by_id(me.user_id)
            .await?
            .ok_or(IdentityError::UserNotFound)?;
        let organisation = self
            .store
            .organisation(&caller.tenant, me.organisation_id)
            .await?;
        Ok(Response::new(pb::ExportMeResponse {
            roles: credentials
                .effective_roles()
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            user: Some(user_message(credentials.user)),
            organisation: organisation.map(organisation_message),
        }))
    }

    async fn erase_me(
        &self,
        request: Request<pb::EraseMeRequest>,
    ) -> Result<Response<pb::EraseMeResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let me = caller.require_user()?;
        self.confirm_password(me.user_id, &request.get_ref().password, "password")
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
        self.store.erase_user(me.user_id, &event_for).await?;
        self.relay.wake();
        tracing::info!(user_id = %me.user_id, "account erased");
        Ok(Response::new(pb::EraseMeResponse {}))
    }

    async fn verify_email(
        &self,
        request: Request<pb::VerifyEmailRequest>,
    ) -> Result<Response<pb::VerifyEmailResponse>, Status> {
        let token_hash = domain::token_hash(&request.get_ref().token);
        if !self
            .store
            .verify_email(&token_hash, synergies_platform::time::now())
            .await?
        {
            return Err(IdentityError::VerificationInvalid.into());
        }
        Ok(Response::new(pb::VerifyEmailResponse {}))
    }

    async fn get_my_organisation(
        &self,
        request: Request<pb::GetMyOrganisationRequest>,
    ) -> Result<Response<pb::GetMyOrganisationResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let me = caller.require_user()?;
        let organisation = self
            .store
            .organisation(&caller.tenant, me.organisation_id)
            .await?
            .ok_or(IdentityError::OrganisationNotFound)?;
        Ok(Response::new(pb::GetMyOrganisationResponse {
            organisation: Some(organisation_message(organisation)),
        }))
    }

    async fn get_jwks(
        &self,
        _request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        let jwks = self.keys.jwks().await?;
        Ok(Response::new(pb::GetJwksResponse {
            keys: jwks.keys.into_iter().map(Into::into).collect(),
        }))
    }
}
