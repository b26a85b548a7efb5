//! Identity storage. One trait; the PostgreSQL and SQLite implementations share every query
//! (written in the SQL both accept) and one body (`store/backend.rs`, compiled for each
//! database), so they cannot drift. `tests/store_conformance.rs` runs the same suite against both.

mod postgres;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::db::Database;
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use synergies_platform::auth::Role;

use crate::domain::{Organisation, OrganisationStatus, Tenant, TenantSettings, User};
use crate::error::IdentityError;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[async_trait]
pub trait IdentityStore: crate::email_change::EmailChangeStore + Send + Sync {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), IdentityError>;
    async fn tenant(&self, slug: &str) -> Result<Option<Tenant>, IdentityError>;
    /// `false` if there is no such tenant.
    async fn update_tenant_settings(
        &self,
        slug: &str,
        settings: &TenantSettings,
    ) -> Result<bool, IdentityError>;
    /// Stores the tenant's logo, replacing any; `false` if there is no such tenant.
    async fn set_tenant_logo(
        &self,
        slug: &str,
        logo: &crate::logo::TenantLogo,
    ) -> Result<bool, IdentityError>;
    /// Removes the tenant's logo; removing none is not an error.
    async fn remove_tenant_logo(&self, slug: &str) -> Result<(), IdentityError>;
    async fn tenant_logo(
        &self,
        slug: &str,
    ) -> Result<Option<crate::logo::TenantLogo>, IdentityError>;
    /// Stores an organisation and its sites.
    async fn create_organisation(&self, organisation: &Organisation) -> Result<(), IdentityError>;
    /// Organisation, its first user (e-mail not verified yet), the verification and its event,
    /// in one transaction. When the sign-up joins a diagnosed organisation, that organisation
    /// turns pending (unless someone joined it first: `IdentifierTaken`) and gains its new sites.
    async fn sign_up(&self, sign_up: &SignUp<'_>) -> Result<(), IdentityError>;
    /// Spends a verification token and marks the address verified; `false` if the token is
    /// unknown, used or expired.
    async fn verify_email(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, IdentityError>;
    /// Stores a token and the event that sends it, in one transaction.
    async fn add_user_token(
        &self,
        token: &UserToken,
        event: &OutboxEvent,
    ) -> Result<(), IdentityError>;
    /// Spends a reset token: sets the new password, confirms the address (the link reached it)
    /// and ends every session of the user. `false` if the token is unknown, used or expired.
    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, IdentityError>;
    async fn set_password(&self, user_id: Uuid, password_hash: &str) -> Result<(), IdentityError>;
    /// RGPD erasure: replaces the user's personal data, ends their sessions, drops their
    /// pending tokens, and stores the event (built from their former address) that tells the
    /// other services — in one transaction.
    async fn erase_user(
        &self,
        user_id: Uuid,
        event_for: &ErasureEvent<'_>,
    ) -> Result<(), IdentityError>;
    /// Stores an invitation and the event that e-mails it.
    async fn invite(
        &self,
        invitation: &Invitation,
        event: &OutboxEvent,
    ) -> Result<(), IdentityError>;
    /// Spends an invitation: creates the user it invites (address verified: the link reached
    /// it). `None` if the token is unknown, used or expired.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        display_name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, IdentityError>;
    /// How many organisations of `tenant` have `status`.
    async fn count_organisations(
        &self,
        tenant: &str,
        status: OrganisationStatus,
    ) -> Result<u64, IdentityError>;
    /// Users of `tenant` (of `organisation`, when given) with their stored roles, by id.
    async fn people(
        &self,
        tenant: &str,
        organisation: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Credentials>, IdentityError>;
    /// Replaces the stored roles of a user of `tenant` (of `organisation`, when given);
    /// `false` if there is no such user.
    async fn set_roles(
        &self,
        tenant: &str,
        organisation: Option<Uuid>,
        user_id: Uuid,
        roles: &[Role],
    ) -> Result<bool, IdentityError>;
    /// Records a decision on an organisation and applies it; `None` if no such organisation.
    async fn decide(
        &self,
        tenant: &str,
        id: Uuid,
        decision: &Decision,
        event_for: &DecisionEvent<'_>,
    ) -> Result<Option<Organisation>, IdentityError>;
    /// A tenant's organisations, newest first.
    async fn organisations(
        &self,
        tenant: &str,
        status: Option<OrganisationStatus>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Organisation>, IdentityError>;
    async fn organisation(
        &self,
        tenant: &str,
        id: Uuid,
    ) -> Result<Option<Organisation>, IdentityError>;
    /// The organisation of `tenant` registered with this (normalised) SIRET, if any.
    async fn organisation_by_siret(
        &self,
        tenant: &str,
        siret: &str,
    ) -> Result<Option<Organisation>, IdentityError>;
    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        roles: &[Role],
    ) -> Result<(), IdentityError>;
    async fn user(&self, tenant: &str, id: Uuid) -> Result<Option<User>, IdentityError>;
    /// A user of `tenant` by e-mail, with what signing in needs.
    async fn credentials(
        &self,
        tenant: &str,
        email: &str,
    ) -> Result<Option<Credentials>, IdentityError>;
    async fn credentials_by_id(&self, user_id: Uuid) -> Result<Option<Credentials>, IdentityError>;

    /// Unretired signing keys as stored (sealed or PKCS#8, see `key_encryption`), with their
    /// ids, newest first.
    async fn signing_keys(&self) -> Result<Vec<(String, Vec<u8>)>, IdentityError>;
    async fn add_signing_key(&self, kid: &str, stored: &[u8]) -> Result<(), IdentityError>;
    /// Stores a signing key sealed again (a key-encryption key was added or rotated).
    async fn reseal_signing_key(&self, kid: &str, stored: &[u8]) -> Result<(), IdentityError>;

    async fn add_refresh_token(&self, token: &RefreshToken) -> Result<(), IdentityError>;
    /// Spends `token_hash` and stores `next` in its family, in one transaction. A token spent
    /// before (or revoked) revokes its whole family instead: someone replayed it.
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        next_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Rotation, IdentityError>;
    /// Ends the session `token_hash` belongs to.
    async fn revoke_refresh_family(&self, token_hash: &str) -> Result<(), IdentityError>;
}

/// A user with their password hash, stored roles and organisation status.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    pub roles: Vec<Role>,
    pub organisation_status: OrganisationStatus,
    pub email_verified: bool,
    /// Language of their e-mails.
    pub language: String,
}

impl Credentials {
    /// The roles a token carries: membership only while the organisation is approved.
    pub fn effective_roles(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .roles
            .iter()
            .copied()
            .filter(|r| *r != Role::Member)
            .collect();
        if self.organisation_status == OrganisationStatus::Approved {
            roles.insert(0, Role::Member);
        }
        roles
    }
}

/// Everything a sign-up stores, in one transaction: the organisation, its first user (address
/// not verified yet), the verification token and the event that e-mails it.
#[derive(Debug, Clone, Copy)]
pub struct SignUp<'a> {
    pub organisation: &'a Organisation,
    /// The organisation exists already, diagnosed: its first person joins it.
    pub joins_diagnosed: bool,
    pub user: &'a User,
    pub password_hash: &'a str,
    pub roles: &'a [Role],
    /// Language of the user's e-mails.
    pub language: &'a str,
    pub verification: &'a UserToken,
    pub event: &'a OutboxEvent,
}

/// An invitation to join an organisation.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub token_hash: String,
    pub tenant: String,
    pub organisation_id: Uuid,
    pub email: String,
    pub roles: Vec<Role>,
    pub invited_by: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// What a token sent by e-mail lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

/// A single-use token sent by e-mail: only its hash is stored.
#[derive(Debug, Clone)]
pub struct UserToken {
    pub token_hash: String,
    pub user_id: Uuid,
    pub purpose: TokenPurpose,
    pub expires_at: DateTime<Utc>,
}

/// Someone to tell about a decision on their organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub email: String,
    pub display_name: String,
    pub language: String,
}

/// Builds the event announcing a decision, given the organisation and its users.
/// The event telling other services an organisation exists, with its name and activity.
fn registered(organisation: &Organisation) -> OutboxEvent {
    OutboxEvent::new(&synergies_platform::events::envelope(
        &organisation.tenant,
        crate::PRODUCER,
        &synergies_proto::events::v1::OrganisationRegistered {
            organisation_id: organisation.id.to_string(),
            organisation_name: organisation.name.clone(),
            naf: organisation.naf.clone().unwrap_or_default(),
        },
    ))
}

pub type DecisionEvent<'a> = dyn Fn(&Organisation, &[Contact]) -> OutboxEvent + Send + Sync + 'a;

/// Builds the `user.erased` event from the user's former e-mail address.
pub type ErasureEvent<'a> = dyn Fn(&str) -> OutboxEvent + Send + Sync + 'a;

/// A facilitator's decision on an organisation.
#[derive(Debug, Clone)]
pub struct Decision {
    pub status: OrganisationStatus,
    pub reason: String,
    /// User id of the facilitator, or `operator`.
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was valid; the next one is stored.
    Rotated {
        user_id: Uuid,
    },
    /// Spent or revoked before: the family is revoked now.
    Reused,
    Expired,
    Unknown,
}

fn roles_column(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_roles(column: &str) -> Vec<Role> {
    column.split(',').filter_map(Role::parse).collect()
}

pub fn for_database(database: &Database) -> Arc<dyn IdentityStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(sqlx::error::DatabaseError::is_unique_violation)
}

const USER_COLUMNS: &str = "id, tenant, organisation_id, email, display_name, created_at";
const ORGANISATION_COLUMNS: &str =
    "id, tenant, name, kind, created_at, siret, rna, naf, status, status_reason";
/// A user with their organisation's status: membership follows approval.
const CREDENTIALS: &str =
    "SELECT u.id, u.tenant, u.organisation_id, u.email, u.display_name, u.created_at,
        u.password_hash, u.roles, u.email_verified_at, u.language, o.status AS organisation_status
   FROM users u JOIN organisations o ON o.id = u.organisation_id";
