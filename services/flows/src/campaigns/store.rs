//! Campaign storage: a trait and one implementation (`store/backend.rs`) compiled for
//! PostgreSQL and for SQLite, with the SQL below. A campaign is stored whole (JSON); a save checks the version it was read at.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::Row;
use synergies_platform::db::Database;
use uuid::Uuid;

mod postgres;
mod sqlite;

use super::Campaign;
use crate::error::FlowsError;

#[async_trait]
pub trait CampaignStore: Send + Sync {
    async fn create(&self, campaign: &Campaign) -> Result<(), FlowsError>;
    /// Writes `campaign` if its stored version is still `campaign.version - 1`; `false` when
    /// someone changed it meanwhile.
    async fn save(&self, campaign: &Campaign) -> Result<bool, FlowsError>;
    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Campaign>, FlowsError>;
    /// Newest first, after `after` (the previous page's last id).
    async fn list(
        &self,
        tenant: &str,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Campaign>, FlowsError>;
}

const INSERT: &str = "INSERT INTO campaigns (id, tenant, version, body) VALUES ($1, $2, $3, $4)";
const UPDATE: &str =
    "UPDATE campaigns SET version = $3, body = $4 WHERE id = $1 AND tenant = $2 AND version = $5";
const GET: &str = "SELECT body FROM campaigns WHERE tenant = $1 AND id = $2";
const LIST: &str = "SELECT body FROM campaigns WHERE tenant = $1 AND ($2 IS NULL OR id < $2) \
    ORDER BY id DESC LIMIT $3";

pub fn for_database(database: &Database) -> Arc<dyn CampaignStore> {
    match database {
        Database::Postgres(pool) => Arc::new(postgres::PostgresCampaigns { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(sqlite::SqliteCampaigns { pool: pool.clone() }),
    }
}

fn decode(row: &impl CampaignRow) -> Result<Campaign, FlowsError> {
    Ok(serde_json::from_str(&row.body()?)?)
}

/// The one column both backends' rows are read for.
trait CampaignRow {
    fn body(&self) -> Result<String, sqlx::Error>;
}

impl CampaignRow for sqlx::postgres::PgRow {
    fn body(&self) -> Result<String, sqlx::Error> {
        self.try_get("body")
    }
}

impl CampaignRow for sqlx::sqlite::SqliteRow {
    fn body(&self) -> Result<String, sqlx::Error> {
        self.try_get("body")
    }
}
