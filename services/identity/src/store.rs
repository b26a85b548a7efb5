//! Identity storage. One trait; the PostgreSQL and SQLite implementations share every query
//! (written in the SQL both accept) and are generated from one body, so they cannot drift.
//! `tests/store_conformance.rs` runs the same suite against both.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::db::Database;
use uuid::Uuid;

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
    async fn create_user(&self, user: &User, token_hash: &str) -> Result<(), IdentityError>;
    async fn user(&self, tenant: &str, id: Uuid) -> Result<Option<User>, IdentityError>;
    async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>, IdentityError>;
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

            async fn create_user(&self, user: &User, token_hash: &str) -> Result<(), IdentityError> {
                sqlx::query(
                    "INSERT INTO users (id, tenant, organisation_id, email, display_name, token_hash, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(user.id)
                .bind(&user.tenant)
                .bind(user.organisation_id)
                .bind(&user.email)
                .bind(&user.display_name)
                .bind(token_hash)
                .bind(user.created_at)
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

            async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>, IdentityError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE token_hash = $1"))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(Self::user_from).transpose()?)
            }
        }
    };
}

identity_store!(PostgresStore, sqlx::Postgres);
identity_store!(SqliteStore, sqlx::Sqlite);
