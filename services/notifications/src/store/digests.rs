//! Digests ([`crate::digest_store::DigestStore`]), written once for the database that the module
//! including it names as `Db` (`postgres.rs`, `sqlite.rs`), like `backend.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backend::SqlStore;
use crate::digest_store::{ComposeDigest, DigestKey, DigestRecipient, DigestStore};
use crate::error::NotificationsError;
use crate::store::{IS_READ, InboxItem, select_items};

#[async_trait]
impl DigestStore for SqlStore {
    async fn digest_tenants(&self) -> Result<Vec<String>, NotificationsError> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT tenant FROM recipients ORDER BY tenant")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn digest_recipients(
        &self,
        tenant: &str,
    ) -> Result<Vec<DigestRecipient>, NotificationsError> {
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
            "SELECT user_id, email, language FROM recipients WHERE tenant = $1 ORDER BY user_id",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, email, language)| DigestRecipient {
                user_id,
                email,
                language,
            })
            .collect())
    }

    async fn run_finished(
        &self,
        tenant: &str,
        frequency: &str,
        period_end: DateTime<Utc>,
    ) -> Result<bool, NotificationsError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT tenant FROM digest_runs WHERE tenant = $1 AND frequency = $2 AND period_end = $3",
        )
        .bind(tenant)
        .bind(frequency)
        .bind(period_end)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    async fn finish_run(
        &self,
        tenant: &str,
        frequency: &str,
        period_end: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), NotificationsError> {
        sqlx::query(
            "INSERT INTO digest_runs (tenant, frequency, period_end, finished_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(tenant)
        .bind(frequency)
        .bind(period_end)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn untold_items(
        &self,
        tenant: &str,
        user_id: Uuid,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<InboxItem>, NotificationsError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE i.tenant = $1 AND i.user_id = $2 AND NOT i.for_organisation AND NOT {IS_READ}
               AND i.created_at <= $3
               AND NOT EXISTS (SELECT 1 FROM mailed_items m WHERE m.reader_id = $2 AND m.item_id = i.id)
             ORDER BY i.id LIMIT $4",
            select_items()
        )))
        .bind(tenant)
        .bind(user_id)
        .bind(until)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(Self::item_from).collect::<Result<_, _>>()?)
    }

    async fn write_digest(
        &self,
        key: &DigestKey,
        items: &[InboxItem],
        compose: ComposeDigest<'_>,
    ) -> Result<bool, NotificationsError> {
        let now = synergies_platform::time::now();
        let mut tx = self.pool.begin().await?;
        let recorded = sqlx::query(
            "INSERT INTO digests (id, tenant, user_id, frequency, period_end, items, created_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT DO NOTHING",
        )
        .bind(key.id)
        .bind(&key.tenant)
        .bind(key.user_id)
        .bind(key.frequency)
        .bind(key.period_end)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 0 {
            return Ok(false);
        }
        let mut claimed = Vec::new();
        for item in items {
            let inserted = sqlx::query(
                "INSERT INTO mailed_items (reader_id, item_id, digest_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(key.user_id)
            .bind(item.id)
            .bind(key.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                claimed.push(item.clone());
            }
        }
        if claimed.is_empty() {
            return Ok(false);
        }
        sqlx::query("UPDATE digests SET items = $2 WHERE id = $1")
            .bind(key.id)
            .bind(i32::try_from(claimed.len()).unwrap_or(i32::MAX))
            .execute(&mut *tx)
            .await?;
        let mail = compose(&claimed);
        Self::insert_mails(&mut tx, key.id, &key.tenant, &[mail]).await?;
        tx.commit().await?;
        Ok(true)
    }
}
