//! The flow store, written once for the database that the module including it names as `Db`
//! (`postgres.rs`, `sqlite.rs`): one body, compiled for each backend, with the SQL both dialects
//! accept in `store.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::outbox::{OutboxEvent, Transactional};
use uuid::Uuid;

use crate::domain::{Change, Direction, Flow, ResourceClass, Revision};
use crate::error::FlowsError;
use crate::store::{
    DELETE_FLOW, FLOWS_COUNT, FLOWS_PAGE, FlowQuery, FlowStore, GET_FLOW, HISTORY, INSERT_FLOW,
    INSERT_REVISION, LIST_FLOWS, REVISIONS_SINCE, UPDATE_FLOW, decode_flow, decode_revision,
};

/// A revision as `HISTORY` and `REVISIONS_SINCE` select it.
fn revision_from(row: &<super::Db as sqlx::Database>::Row) -> Result<Revision, FlowsError> {
    decode_revision(
        row.try_get("version")?,
        &row.try_get::<String, _>("change")?,
        row.try_get("by_user_id")?,
        row.try_get("at")?,
        &row.try_get::<String, _>("body")?,
    )
}

pub struct SqlStore {
    pub(in crate::store) pool: sqlx::Pool<super::Db>,
}

#[async_trait]
impl FlowStore for SqlStore {
    async fn write(&self, revision: &Revision, event: &OutboxEvent) -> Result<bool, FlowsError> {
        let flow = &revision.flow;
        let body = serde_json::to_string(flow)?;
        let mut tx = self.pool.begin().await?;
        let written = match revision.change {
            Change::Recorded => sqlx::query(INSERT_FLOW)
                .bind(flow.id)
                .bind(&flow.tenant)
                .bind(flow.organisation_id)
                .bind(flow.content.direction.as_str())
                .bind(flow.content.resource_class.as_str())
                .bind(flow.content.confidentiality.as_str())
                .bind(flow.version)
                .bind(&body)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            Change::Changed => sqlx::query(UPDATE_FLOW)
                .bind(flow.id)
                .bind(&flow.tenant)
                .bind(flow.content.direction.as_str())
                .bind(flow.content.resource_class.as_str())
                .bind(flow.content.confidentiality.as_str())
                .bind(flow.version)
                .bind(&body)
                .bind(revision.version - 1)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            Change::Removed => sqlx::query(DELETE_FLOW)
                .bind(flow.id)
                .bind(&flow.tenant)
                .bind(revision.version - 1)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
        };
        if written != 1 {
            return Ok(false);
        }
        sqlx::query(INSERT_REVISION)
            .bind(flow.id)
            .bind(revision.version)
            .bind(&flow.tenant)
            .bind(flow.organisation_id)
            .bind(revision.change.as_str())
            .bind(revision.by)
            .bind(revision.at)
            .bind(&body)
            .execute(&mut *tx)
            .await?;
        (*tx).enqueue(event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn record_all(&self, revisions: &[(Revision, OutboxEvent)]) -> Result<(), FlowsError> {
        let mut tx = self.pool.begin().await?;
        for (revision, event) in revisions {
            let flow = &revision.flow;
            let body = serde_json::to_string(flow)?;
            sqlx::query(INSERT_FLOW)
                .bind(flow.id)
                .bind(&flow.tenant)
                .bind(flow.organisation_id)
                .bind(flow.content.direction.as_str())
                .bind(flow.content.resource_class.as_str())
                .bind(flow.content.confidentiality.as_str())
                .bind(flow.version)
                .bind(&body)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_REVISION)
                .bind(flow.id)
                .bind(revision.version)
                .bind(&flow.tenant)
                .bind(flow.organisation_id)
                .bind(revision.change.as_str())
                .bind(revision.by)
                .bind(revision.at)
                .bind(&body)
                .execute(&mut *tx)
                .await?;
            (*tx).enqueue(event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Flow>, FlowsError> {
        let row = sqlx::query(GET_FLOW)
            .bind(tenant)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| decode_flow(&row.try_get::<String, _>("body")?))
            .transpose()
    }

    async fn list(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Flow>, FlowsError> {
        let rows = sqlx::query(LIST_FLOWS)
            .bind(tenant)
            .bind(query.organisation)
            .bind(query.direction.map(Direction::as_str))
            .bind(query.resource_class.map(ResourceClass::as_str))
            .bind(query.own_or_public)
            .bind(query.after)
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| decode_flow(&row.try_get::<String, _>("body")?))
            .collect()
    }

    async fn history(&self, tenant: &str, id: Uuid) -> Result<Vec<Revision>, FlowsError> {
        let rows = sqlx::query(HISTORY)
            .bind(tenant)
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(revision_from).collect()
    }

    async fn revisions_since(&self, since: DateTime<Utc>) -> Result<Vec<Revision>, FlowsError> {
        let rows = sqlx::query(REVISIONS_SINCE)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(revision_from).collect()
    }

    async fn flows_page(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Flow>, FlowsError> {
        let rows = sqlx::query(FLOWS_PAGE)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| decode_flow(&row.try_get::<String, _>("body")?))
            .collect()
    }

    async fn flows_count(&self) -> Result<u64, FlowsError> {
        let count: i64 = sqlx::query(FLOWS_COUNT)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
