//! Delivery preferences ([`crate::store::PreferencesStore`]), written once for the database that
//! the module including it names as `Db` (`postgres.rs`, `sqlite.rs`), like `backend.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backend::SqlStore;
use crate::error::NotificationsError;
use crate::preferences::{Category, Frequency};
use crate::store::PreferencesStore;

#[async_trait]
impl PreferencesStore for SqlStore {
    async fn set_preferences(
        &self,
        tenant: &str,
        user_id: Uuid,
    ) -> Result<Vec<(Category, Frequency)>, NotificationsError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT category, frequency FROM delivery_preferences WHERE tenant = $1 AND user_id = $2",
        )
        .bind(tenant)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        // Values this version does not know (written by a newer one) are skipped.
        Ok(rows
            .iter()
            .filter_map(|(c, f)| Some((Category::parse(c)?, Frequency::parse(f)?)))
            .collect())
    }

    async fn choose(
        &self,
        tenant: &str,
        user_id: Uuid,
        choices: &[(Category, Frequency)],
        at: DateTime<Utc>,
    ) -> Result<(), NotificationsError> {
        let mut tx = self.pool.begin().await?;
        for (category, frequency) in choices {
            sqlx::query(
                "INSERT INTO delivery_preferences (user_id, tenant, category, frequency, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (user_id, category) DO UPDATE SET frequency = excluded.frequency, updated_at = excluded.updated_at",
            )
            .bind(user_id)
            .bind(tenant)
            .bind(category.as_str())
            .bind(frequency.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
