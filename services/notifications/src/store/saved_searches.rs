//! Saved searches ([`crate::saved_search::SavedSearchStore`]), written once for the database that
//! the module including it names as `Db` (`postgres.rs`, `sqlite.rs`), like `backend.rs`.

use async_trait::async_trait;
use uuid::Uuid;

use super::backend::SqlStore;
use crate::error::NotificationsError;
use crate::saved_search::{BUMP_REVISION, SEARCH_COLUMNS, SavedSearch, SavedSearchStore};

#[async_trait]
impl SavedSearchStore for SqlStore {
    async fn save(&self, search: &SavedSearch) -> Result<(), NotificationsError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO saved_searches ({SEARCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")))
            .bind(search.id)
            .bind(&search.tenant)
            .bind(search.user_id)
            .bind(search.organisation_id)
            .bind(&search.text)
            .bind(&search.kind)
            .bind(&search.category)
            .bind(search.created_at)
            .bind(&search.exchange_mode)
            .bind(&search.insee_code)
            .bind(search.free_only)
            .bind(&search.sort)
            .execute(&mut *tx)
            .await?;
        sqlx::query(BUMP_REVISION)
            .bind(&search.tenant)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn of_user(
        &self,
        tenant: &str,
        user_id: Uuid,
    ) -> Result<Vec<SavedSearch>, NotificationsError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SEARCH_COLUMNS} FROM saved_searches WHERE tenant = $1 AND user_id = $2 ORDER BY id"
        )))
        .bind(tenant)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn delete(
        &self,
        tenant: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<bool, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        let deleted = sqlx::query(
            "DELETE FROM saved_searches WHERE tenant = $1 AND user_id = $2 AND id = $3",
        )
        .bind(tenant)
        .bind(user_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(BUMP_REVISION)
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted == 1)
    }

    async fn of_tenant(&self, tenant: &str) -> Result<Vec<SavedSearch>, NotificationsError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SEARCH_COLUMNS} FROM saved_searches WHERE tenant = $1 ORDER BY id"
        )))
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn revision(&self, tenant: &str) -> Result<i64, NotificationsError> {
        let revision: Option<i64> =
            sqlx::query_scalar("SELECT revision FROM saved_search_revisions WHERE tenant = $1")
                .bind(tenant)
                .fetch_optional(&self.pool)
                .await?;
        Ok(revision.unwrap_or(0))
    }
}
