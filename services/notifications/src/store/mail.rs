//! The outgoing mail queue ([`crate::store::MailStore`]), written once for the database that the
//! module including it names as `Db` (`postgres.rs`, `sqlite.rs`), like `backend.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use super::backend::SqlStore;
use crate::error::NotificationsError;
use crate::mail::Mail;
use crate::store::{MAIL_COLUMNS, MailStore, QueuedMail};

impl SqlStore {
    /// One mail per recipient per event, however often it is written.
    pub(crate) async fn insert_mails(
        tx: &mut <super::Db as sqlx::Database>::Connection,
        event_id: Uuid,
        tenant: &str,
        mails: &[Mail],
    ) -> Result<(), sqlx::Error> {
        let now = synergies_platform::time::now();
        for mail in mails {
            sqlx::query(
                "INSERT INTO outgoing_mail (id, tenant, recipient, subject, body, event_id, created_at, next_attempt_at, html, list_unsubscribe)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) ON CONFLICT (event_id, recipient) DO NOTHING",
            )
            .bind(Uuid::now_v7())
            .bind(tenant)
            .bind(&mail.recipient)
            .bind(&mail.subject)
            .bind(&mail.body)
            .bind(event_id)
            .bind(now)
            .bind(&mail.html)
            .bind(&mail.list_unsubscribe)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    fn queued_from(row: &<super::Db as sqlx::Database>::Row) -> Result<QueuedMail, sqlx::Error> {
        Ok(QueuedMail {
            id: row.try_get("id")?,
            tenant: row.try_get("tenant")?,
            mail: Mail {
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                html: row.try_get("html")?,
                list_unsubscribe: row.try_get("list_unsubscribe")?,
            },
            event_id: row.try_get("event_id")?,
            created_at: row.try_get("created_at")?,
            sent_at: row.try_get("sent_at")?,
            attempts: row.try_get::<i32, _>("attempts").map(i64::from)?,
            last_error: row.try_get("last_error")?,
            held: row.try_get("held")?,
        })
    }
}

#[async_trait]
impl MailStore for SqlStore {
    async fn queue_mail(
        &self,
        consumer: &str,
        event_id: Uuid,
        tenant: &str,
        mails: &[Mail],
    ) -> Result<bool, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        if !tx.first_delivery(consumer, event_id).await? {
            return Ok(false);
        }
        Self::insert_mails(&mut tx, event_id, tenant, mails).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn queue_item_mails(
        &self,
        event_id: Uuid,
        tenant: &str,
        mails: &[Mail],
        told: &[(Uuid, Uuid)],
    ) -> Result<(), NotificationsError> {
        let mut tx = self.pool.begin().await?;
        Self::insert_mails(&mut tx, event_id, tenant, mails).await?;
        for (reader, item) in told {
            sqlx::query("INSERT INTO mailed_items (reader_id, item_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(reader)
                .bind(item)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn due_mail(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, NotificationsError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAIL_COLUMNS} FROM outgoing_mail WHERE sent_at IS NULL AND NOT held AND next_attempt_at <= $1
              ORDER BY next_attempt_at LIMIT $2"
        )))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Self::queued_from)
            .collect::<Result<_, _>>()?)
    }

    async fn mark_sent(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), NotificationsError> {
        sqlx::query("UPDATE outgoing_mail SET sent_at = $2, attempts = attempts + 1, last_error = '' WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), NotificationsError> {
        sqlx::query("UPDATE outgoing_mail SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1")
            .bind(id)
            .bind(error)
            .bind(next_attempt_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn expire_unsent(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(String, u64)>, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT tenant, COUNT(*) FROM outgoing_mail WHERE sent_at IS NULL AND created_at < $1
              GROUP BY tenant ORDER BY tenant",
        )
        .bind(cutoff)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM outgoing_mail WHERE sent_at IS NULL AND created_at < $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(counts
            .into_iter()
            .map(|(tenant, n)| (tenant, u64::try_from(n).unwrap_or_default()))
            .collect())
    }

    async fn outgoing(
        &self,
        tenant: &str,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, NotificationsError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAIL_COLUMNS} FROM outgoing_mail WHERE tenant = $1 AND ($2 IS NULL OR id < $2)
              ORDER BY id DESC LIMIT $3"
        )))
        .bind(tenant)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Self::queued_from)
            .collect::<Result<_, _>>()?)
    }
}
