//! Listings storage: one trait, PostgreSQL and SQLite implementations generated from one body
//! (the SQL is written in the dialect both accept), checked by `tests/store_conformance.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::Row;
use synergies_platform::db::Database;
use synergies_platform::outbox::{OutboxEvent, Transactional};
use uuid::Uuid;

use crate::domain::{Listing, ListingKind, ListingStatus};
use crate::error::ListingsError;

/// Published listings of a tenant, newest first.
#[derive(Debug, Clone, Default)]
pub struct ListingQuery {
    pub kind: Option<ListingKind>,
    /// A category and its sub-categories.
    pub category: Option<String>,
    /// Listings older than this id (the previous page's last).
    pub after: Option<Uuid>,
    /// Only this user's listings, drafts included.
    pub owner: Option<Uuid>,
    pub limit: u32,
}

#[async_trait]
pub trait ListingStore: Send + Sync {
    /// Stores the listing and its event in one transaction.
    async fn publish(&self, listing: &Listing, event: &OutboxEvent) -> Result<(), ListingsError>;
    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Listing>, ListingsError>;
    async fn list(&self, tenant: &str, query: &ListingQuery)
    -> Result<Vec<Listing>, ListingsError>;
}

pub fn for_database(database: &Database) -> Arc<dyn ListingStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

const COLUMNS: &str = "id, tenant, organisation_id, owner_user_id, kind, category, title, description, status, created_at";

macro_rules! listing_store {
    ($store:ident, $database:ty) => {
        pub struct $store {
            pool: sqlx::Pool<$database>,
        }

        impl $store {
            fn listing_from(row: &<$database as sqlx::Database>::Row) -> Result<Listing, sqlx::Error> {
                let kind: String = row.try_get("kind")?;
                let status: String = row.try_get("status")?;
                let corrupt = |column: &str, value: &str| sqlx::Error::Decode(format!("unknown listing {column} {value:?}").into());
                Ok(Listing {
                    id: row.try_get("id")?,
                    tenant: row.try_get("tenant")?,
                    organisation_id: row.try_get("organisation_id")?,
                    owner_user_id: row.try_get("owner_user_id")?,
                    kind: ListingKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
                    category: row.try_get("category")?,
                    title: row.try_get("title")?,
                    description: row.try_get("description")?,
                    status: ListingStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
                    created_at: row.try_get("created_at")?,
                })
            }
        }

        #[async_trait]
        impl ListingStore for $store {
            async fn publish(&self, listing: &Listing, event: &OutboxEvent) -> Result<(), ListingsError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(&format!("INSERT INTO listings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
                    .bind(listing.id)
                    .bind(&listing.tenant)
                    .bind(listing.organisation_id)
                    .bind(listing.owner_user_id)
                    .bind(listing.kind.as_str())
                    .bind(&listing.category)
                    .bind(&listing.title)
                    .bind(&listing.description)
                    .bind(listing.status.as_str())
                    .bind(listing.created_at)
                    .execute(&mut *tx)
                    .await?;
                tx.enqueue(event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Listing>, ListingsError> {
                let row = sqlx::query(&format!("SELECT {COLUMNS} FROM listings WHERE tenant = $1 AND id = $2"))
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(Self::listing_from).transpose()?)
            }

            async fn list(&self, tenant: &str, query: &ListingQuery) -> Result<Vec<Listing>, ListingsError> {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM listings
                      WHERE tenant = $1 AND (owner_user_id = $6 OR ($6 IS NULL AND status = 'published'))
                        AND ($2 IS NULL OR kind = $2)
                        AND ($3 IS NULL OR category = $3 OR category LIKE $3 || '/%')
                        AND ($4 IS NULL OR id < $4)
                      ORDER BY id DESC LIMIT $5"
                ))
                .bind(tenant)
                .bind(query.kind.map(ListingKind::as_str))
                .bind(query.category.as_deref())
                .bind(query.after)
                .bind(i64::from(query.limit))
                .bind(query.owner)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::listing_from).collect::<Result<_, _>>()?)
            }
        }
    };
}

listing_store!(PostgresStore, sqlx::Postgres);
listing_store!(SqliteStore, sqlx::Sqlite);
