//! The campaign store, written once for the database that the module including it names as
//! `Db` (`postgres.rs`, `sqlite.rs`), with the SQL both dialects accept in `store.rs`.

use async_trait::async_trait;
use uuid::Uuid;

use crate::campaigns::Campaign;
use crate::campaigns::store::{CampaignStore, GET, INSERT, LIST, UPDATE, decode};
use crate::error::FlowsError;

pub struct SqlCampaigns {
    pub(in crate::campaigns::store) pool: sqlx::Pool<super::Db>,
}

#[async_trait]
impl CampaignStore for SqlCampaigns {
    async fn create(&self, campaign: &Campaign) -> Result<(), FlowsError> {
        sqlx::query(INSERT)
            .bind(campaign.id)
            .bind(&campaign.tenant)
            .bind(campaign.version)
            .bind(serde_json::to_string(campaign)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn save(&self, campaign: &Campaign) -> Result<bool, FlowsError> {
        let written = sqlx::query(UPDATE)
            .bind(campaign.id)
            .bind(&campaign.tenant)
            .bind(campaign.version)
            .bind(serde_json::to_string(campaign)?)
            .bind(campaign.version - 1)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(written == 1)
    }

    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Campaign>, FlowsError> {
        let row = sqlx::query(GET)
            .bind(tenant)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list(
        &self,
        tenant: &str,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Campaign>, FlowsError> {
        let rows = sqlx::query(LIST)
            .bind(tenant)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }
}
