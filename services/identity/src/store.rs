//! Identity storage. One trait; the PostgreSQL and SQLite implementations share every query
//! (written in the SQL both accept) and are generated from one body, so they cannot drift.
//! `tests/store_conformance.rs` runs the same suite against both.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::db::Database;
use uuid::Uuid;

use synergies_platform::auth::{Role, SigningKey};

use crate::domain::{Organisation, OrganisationKind, Tenant, User};
use crate::error::IdentityError;

#[async_trait]
pub trait IdentityStore: Send + Sync {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), IdentityError>;
    async fn tenant(&self, slug: &str) -> Result<Option<Tenant>, IdentityError>;
    async fn create_organisation(&self, organisation: &Organisation) -> Result<(), IdentityError>;
    async fn organisation(
        &self,
        tenant: &str,
        id: Uuid,
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

    /// Unretired signing keys (PKCS#8), newest first.
    async fn signing_keys(&self) -> Result<Vec<Vec<u8>>, IdentityError>;
    async fn add_signing_key(&self, key: &SigningKey) -> Result<(), IdentityError>;

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

/// A user with their password hash and roles.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    pub roles: Vec<Role>,
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

macro_rules! identity_store {
    ($store:ident, $database:ty) => {
        pub struct $store {
            pool: sqlx::Pool<$database>,
        }

        impl $store {
            fn credentials_from(row: &<$database as sqlx::Database>::Row) -> Result<Credentials, sqlx::Error> {
                let roles: String = row.try_get("roles")?;
                Ok(Credentials { user: Self::user_from(row)?, password_hash: row.try_get("password_hash")?, roles: parse_roles(&roles) })
            }

            fn user_from(row: &<$database as sqlx::Database>::Row) -> Result<User, sqlx::Error> {
                Ok(User {
                    id: row.try_get("id")?,
                    tenant: row.try_get("tenant")?,
                    organisation_id: row.try_get("organisation_id")?,
                    email: row.try_get("email")?,
                    display_name: row.try_get("display_name")?,
                    created_at: row.try_get::<DateTime<Utc>, _>("created_at")?,
                })
            }
        }

        #[async_trait]
        impl IdentityStore for $store {
            async fn create_tenant(&self, tenant: &Tenant) -> Result<(), IdentityError> {
                sqlx::query("INSERT INTO tenants (slug, display_name, created_at) VALUES ($1, $2, $3)")
                    .bind(&tenant.slug)
                    .bind(&tenant.display_name)
                    .bind(tenant.created_at)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| if is_unique_violation(&e) { IdentityError::TenantExists(tenant.slug.clone()) } else { e.into() })?;
                Ok(())
            }

            async fn tenant(&self, slug: &str) -> Result<Option<Tenant>, IdentityError> {
                let row = sqlx::query("SELECT slug, display_name, created_at FROM tenants WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row
                    .map(|row| -> Result<Tenant, sqlx::Error> {
                        Ok(Tenant {
                            slug: row.try_get("slug")?,
                            display_name: row.try_get("display_name")?,
                            created_at: row.try_get("created_at")?,
                        })
                    })
                    .transpose()?)
            }

            async fn create_organisation(&self, organisation: &Organisation) -> Result<(), IdentityError> {
                sqlx::query("INSERT INTO organisations (id, tenant, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(organisation.id)
                    .bind(&organisation.tenant)
                    .bind(&organisation.name)
                    .bind(organisation.kind.as_str())
                    .bind(organisation.created_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn organisation(&self, tenant: &str, id: Uuid) -> Result<Option<Organisation>, IdentityError> {
                let row = sqlx::query("SELECT id, tenant, name, kind, created_at FROM organisations WHERE tenant = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row
                    .map(|row| -> Result<Organisation, sqlx::Error> {
                        let kind: String = row.try_get("kind")?;
                        Ok(Organisation {
                            id: row.try_get("id")?,
                            tenant: row.try_get("tenant")?,
                            name: row.try_get("name")?,
                            kind: OrganisationKind::parse(&kind).unwrap_or(OrganisationKind::Company),
                            created_at: row.try_get("created_at")?,
                        })
                    })
                    .transpose()?)
            }

            async fn create_user(&self, user: &User, password_hash: &str, roles: &[Role]) -> Result<(), IdentityError> {
                sqlx::query(
                    "INSERT INTO users (id, tenant, organisation_id, email, display_name, password_hash, created_at, roles)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(user.id)
                .bind(&user.tenant)
                .bind(user.organisation_id)
                .bind(&user.email)
                .bind(&user.display_name)
                .bind(password_hash)
                .bind(user.created_at)
                .bind(roles_column(roles))
                .execute(&self.pool)
                .await
                .map_err(|e| if is_unique_violation(&e) { IdentityError::EmailTaken } else { e.into() })?;
                Ok(())
            }

            async fn user(&self, tenant: &str, id: Uuid) -> Result<Option<User>, IdentityError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE tenant = $1 AND id = $2"))
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(Self::user_from).transpose()?)
            }

            async fn credentials(&self, tenant: &str, email: &str) -> Result<Option<Credentials>, IdentityError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS}, password_hash, roles FROM users WHERE tenant = $1 AND email = $2"))
                    .bind(tenant)
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(Self::credentials_from).transpose()?)
            }

            async fn credentials_by_id(&self, user_id: Uuid) -> Result<Option<Credentials>, IdentityError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS}, password_hash, roles FROM users WHERE id = $1"))
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(Self::credentials_from).transpose()?)
            }

            async fn signing_keys(&self) -> Result<Vec<Vec<u8>>, IdentityError> {
                let keys = sqlx::query_scalar("SELECT pkcs8 FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC")
                    .fetch_all(&self.pool)
                    .await?;
                Ok(keys)
            }

            async fn add_signing_key(&self, key: &SigningKey) -> Result<(), IdentityError> {
                sqlx::query("INSERT INTO signing_keys (kid, pkcs8, created_at) VALUES ($1, $2, $3) ON CONFLICT (kid) DO NOTHING")
                    .bind(&key.kid)
                    .bind(key.pkcs8())
                    .bind(synergies_platform::time::now())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn add_refresh_token(&self, token: &RefreshToken) -> Result<(), IdentityError> {
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, family, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&token.token_hash)
                .bind(token.family)
                .bind(token.user_id)
                .bind(token.created_at)
                .bind(token.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn rotate_refresh_token(
                &self,
                token_hash: &str,
                next_hash: &str,
                now: DateTime<Utc>,
                expires_at: DateTime<Utc>,
            ) -> Result<Rotation, IdentityError> {
                let mut tx = self.pool.begin().await?;
                // Spending is one conditional UPDATE, so two concurrent refreshes cannot both win.
                let spent = sqlx::query(
                    "UPDATE refresh_tokens SET used_at = $2
                      WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
                      RETURNING family, user_id",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = spent {
                    let family: Uuid = row.try_get("family")?;
                    let user_id: Uuid = row.try_get("user_id")?;
                    sqlx::query(
                        "INSERT INTO refresh_tokens (token_hash, family, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(next_hash)
                    .bind(family)
                    .bind(user_id)
                    .bind(now)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(Rotation::Rotated { user_id });
                }
                let existing = sqlx::query("SELECT family, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(existing) = existing else { return Ok(Rotation::Unknown) };
                let used: Option<DateTime<Utc>> = existing.try_get("used_at")?;
                let revoked: Option<DateTime<Utc>> = existing.try_get("revoked_at")?;
                if used.is_none() && revoked.is_none() {
                    return Ok(Rotation::Expired);
                }
                let family: Uuid = existing.try_get("family")?;
                sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL")
                    .bind(family)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Rotation::Reused)
            }

            async fn revoke_refresh_family(&self, token_hash: &str) -> Result<(), IdentityError> {
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2
                      WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .bind(synergies_platform::time::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}

identity_store!(PostgresStore, sqlx::Postgres);
identity_store!(SqliteStore, sqlx::Sqlite);
