//! Inbox storage: one trait, PostgreSQL and SQLite implementations generated from one body.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::db::Database;
use synergies_platform::i18n::Text;
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use crate::error::NotificationsError;
use crate::mail::Mail;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub id: Uuid,
    pub tenant: String,
    pub user_id: Uuid,
    /// Event type that caused it, e.g. `match.found`.
    pub kind: String,
    /// In French and in English (empty for items stored before English was written).
    pub title: Text,
    pub body: Text,
    pub listing_id: Option<Uuid>,
    /// For every member of the organisation whose id `user_id` then holds.
    pub for_organisation: bool,
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
    /// RGPD erasure: deletes the user's inbox and every e-mail written to their address, unless
    /// `consumer` already handled `event_id`.
    async fn forget_user(
        &self,
        consumer: &str,
        event_id: Uuid,
        user_id: Uuid,
        email: &str,
    ) -> Result<bool, NotificationsError>;
    /// A user's items and their organisation's (when given), newest first, older than `after`
    /// when given.
    async fn inbox(
        &self,
        tenant: &str,
        user_id: Uuid,
        organisation_id: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<InboxItem>, NotificationsError>;
}

/// An e-mail waiting for, or past, delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: Uuid,
    pub tenant: String,
    pub mail: Mail,
    pub event_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub last_error: String,
}

/// Outgoing e-mail: written by event handlers, delivered by the sender.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// Stores `mail`, caused by `event_id`, unless `consumer` already handled that event.
    async fn queue_mail(
        &self,
        consumer: &str,
        event_id: Uuid,
        tenant: &str,
        mails: &[Mail],
    ) -> Result<bool, NotificationsError>;
    /// Unsent mails whose next attempt is due, oldest first.
    async fn due_mail(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, NotificationsError>;
    async fn mark_sent(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), NotificationsError>;
    async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), NotificationsError>;
    /// A tenant's e-mails, newest first.
    async fn outgoing(
        &self,
        tenant: &str,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, NotificationsError>;
}

pub fn mail_store(database: &Database) -> Arc<dyn MailStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

const MAIL_COLUMNS: &str =
    "id, tenant, recipient, subject, body, event_id, created_at, sent_at, attempts, last_error";

pub fn for_database(database: &Database) -> Arc<dyn InboxStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

const COLUMNS: &str = "id, tenant, user_id, kind, title, body, listing_id, event_id, read, created_at, title_en, body_en, for_organisation";

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
                        "INSERT INTO inbox_items ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                         ON CONFLICT (user_id, event_id) DO NOTHING"
                    ))
                    .bind(item.id)
                    .bind(&item.tenant)
                    .bind(item.user_id)
                    .bind(&item.kind)
                    .bind(&item.title.fr)
                    .bind(&item.body.fr)
                    .bind(item.listing_id)
                    .bind(item.event_id)
                    .bind(item.read)
                    .bind(item.created_at)
                    .bind(&item.title.en)
                    .bind(&item.body.en)
                    .bind(item.for_organisation)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn forget_user(&self, consumer: &str, event_id: Uuid, user_id: Uuid, email: &str) -> Result<bool, NotificationsError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM inbox_items WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM outgoing_mail WHERE recipient = $1").bind(email).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn inbox(&self, tenant: &str, user_id: Uuid, organisation_id: Option<Uuid>, after: Option<Uuid>, limit: u32) -> Result<Vec<InboxItem>, NotificationsError> {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM inbox_items
                      WHERE tenant = $1 AND ((user_id = $2 AND NOT for_organisation) OR (user_id = $5 AND for_organisation))
                        AND ($3 IS NULL OR id < $3)
                      ORDER BY id DESC LIMIT $4"
                ))
                .bind(tenant)
                .bind(user_id)
                .bind(after)
                .bind(i64::from(limit))
                .bind(organisation_id)
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
                            title: Text::new(row.try_get::<String, _>("title_en")?, row.try_get::<String, _>("title")?),
                            body: Text::new(row.try_get::<String, _>("body_en")?, row.try_get::<String, _>("body")?),
                            listing_id: row.try_get("listing_id")?,
                            for_organisation: row.try_get("for_organisation")?,
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

macro_rules! mail_store {
    ($store:ident, $database:ty) => {
        impl $store {
            fn queued_from(row: &<$database as sqlx::Database>::Row) -> Result<QueuedMail, sqlx::Error> {
                Ok(QueuedMail {
                    id: row.try_get("id")?,
                    tenant: row.try_get("tenant")?,
                    mail: Mail { recipient: row.try_get("recipient")?, subject: row.try_get("subject")?, body: row.try_get("body")? },
                    event_id: row.try_get("event_id")?,
                    created_at: row.try_get("created_at")?,
                    sent_at: row.try_get("sent_at")?,
                    attempts: row.try_get::<i32, _>("attempts").map(i64::from)?,
                    last_error: row.try_get("last_error")?,
                })
            }
        }

        #[async_trait]
        impl MailStore for $store {
            async fn queue_mail(&self, consumer: &str, event_id: Uuid, tenant: &str, mails: &[Mail]) -> Result<bool, NotificationsError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(false);
                }
                let now = synergies_platform::time::now();
                for mail in mails {
                    sqlx::query(
                        "INSERT INTO outgoing_mail (id, tenant, recipient, subject, body, event_id, created_at, next_attempt_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (event_id, recipient) DO NOTHING",
                    )
                    .bind(Uuid::now_v7())
                    .bind(tenant)
                    .bind(&mail.recipient)
                    .bind(&mail.subject)
                    .bind(&mail.body)
                    .bind(event_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn due_mail(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<QueuedMail>, NotificationsError> {
                let rows = sqlx::query(&format!(
                    "SELECT {MAIL_COLUMNS} FROM outgoing_mail WHERE sent_at IS NULL AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $2"
                ))
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::queued_from).collect::<Result<_, _>>()?)
            }

            async fn mark_sent(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), NotificationsError> {
                sqlx::query("UPDATE outgoing_mail SET sent_at = $2, attempts = attempts + 1, last_error = '' WHERE id = $1")
                    .bind(id)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_failed(&self, id: Uuid, error: &str, next_attempt_at: DateTime<Utc>) -> Result<(), NotificationsError> {
                sqlx::query("UPDATE outgoing_mail SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(error)
                    .bind(next_attempt_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn outgoing(&self, tenant: &str, after: Option<Uuid>, limit: u32) -> Result<Vec<QueuedMail>, NotificationsError> {
                let rows = sqlx::query(&format!(
                    "SELECT {MAIL_COLUMNS} FROM outgoing_mail WHERE tenant = $1 AND ($2 IS NULL OR id < $2)
                      ORDER BY id DESC LIMIT $3"
                ))
                .bind(tenant)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::queued_from).collect::<Result<_, _>>()?)
            }
        }
    };
}

inbox_store!(PostgresStore, sqlx::Postgres);
mail_store!(PostgresStore, sqlx::Postgres);
mail_store!(SqliteStore, sqlx::Sqlite);
inbox_store!(SqliteStore, sqlx::Sqlite);
