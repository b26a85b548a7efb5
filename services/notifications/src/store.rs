//! Inbox storage: one trait, PostgreSQL and SQLite implementations generated from one body.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::db::Database;
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use crate::error::NotificationsError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub id: Uuid,
    pub tenant: String,
    pub user_id: Uuid,
    /// Event type that caused it, e.g. `match.found`.
    pub kind: String,
    pub title: String,
    pub body: String,
    pub listing_id: Option<Uuid>,
    pub event_id: Uuid,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait InboxStore: Send + Sync {
    /// Stores the items caused by one event, unless `consumer` already handled it.
    /// `false`: already handled, nothing stored.
    async fn deliver(
        &self,
        consumer: &str,
        event_id: Uuid,
        items: &[InboxItem],
    ) -> Result<bool, NotificationsError>;
    /// A user's items, newest first, older than `after` when given.
    async fn inbox(
        &self,
        tenant: &str,
        user_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<InboxItem>, NotificationsError>;
}

pub fn for_database(database: &Database) -> Arc<dyn InboxStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

const COLUMNS: &str =
    "id, tenant, user_id, kind, title, body, listing_id, event_id, read, created_at";

macro_rules! inbox_store {
    ($store:ident, $database:ty) => {
        pub struct $store {
            pool: sqlx::Pool<$database>,
        }

        #[async_trait]
        impl InboxStore for $store {
            async fn deliver(&self, consumer: &str, event_id: Uuid, items: &[InboxItem]) -> Result<bool, NotificationsError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(false);
                }
                for item in items {
                    sqlx::query(&format!(
                        "INSERT INTO inbox_items ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         ON CONFLICT (user_id, event_id) DO NOTHING"
                    ))
                    .bind(item.id)
                    .bind(&item.tenant)
                    .bind(item.user_id)
                    .bind(&item.kind)
                    .bind(&item.title)
                    .bind(&item.body)
                    .bind(item.listing_id)
                    .bind(item.event_id)
                    .bind(item.read)
                    .bind(item.created_at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn inbox(&self, tenant: &str, user_id: Uuid, after: Option<Uuid>, limit: u32) -> Result<Vec<InboxItem>, NotificationsError> {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM inbox_items WHERE tenant = $1 AND user_id = $2 AND ($3 IS NULL OR id < $3)
                      ORDER BY id DESC LIMIT $4"
                ))
                .bind(tenant)
                .bind(user_id)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                let items = rows
                    .iter()
                    .map(|row| -> Result<InboxItem, sqlx::Error> {
                        Ok(InboxItem {
                            id: row.try_get("id")?,
                            tenant: row.try_get("tenant")?,
                            user_id: row.try_get("user_id")?,
                            kind: row.try_get("kind")?,
                            title: row.try_get("title")?,
                            body: row.try_get("body")?,
                            listing_id: row.try_get("listing_id")?,
                            event_id: row.try_get("event_id")?,
                            read: row.try_get("read")?,
                            created_at: row.try_get("created_at")?,
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(items)
            }
        }
    };
}

inbox_store!(PostgresStore, sqlx::Postgres);
inbox_store!(SqliteStore, sqlx::Sqlite);
