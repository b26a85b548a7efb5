//! Flows storage: one trait, one implementation (`store/backend.rs`) compiled for PostgreSQL
//! and for SQLite (`store/postgres.rs`, `store/sqlite.rs`) with the SQL below, which both
//! dialects accept; checked by
//! `tests/store_conformance.rs` on both. A flow is stored whole (JSON) beside copies of the
//! columns lists filter on; every write also appends the flow's revision and its event, in
//! one transaction.

mod postgres;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::db::Database;
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use crate::domain::{Change, Direction, Flow, ResourceClass, Revision};
use crate::error::FlowsError;

/// Which flows of a tenant to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct FlowQuery {
    pub organisation: Option<Uuid>,
    pub direction: Option<Direction>,
    pub resource_class: Option<ResourceClass>,
    /// Only this organisation's flows and other organisations' public ones (a member's view,
    /// see `Viewer::own_or_public`); `None`: every flow.
    pub own_or_public: Option<Uuid>,
    /// Words the flow must all contain (see [`crate::search::analysis`]); empty: no text
    /// condition. Searched on this replica's index, the rest on the database.
    pub text: String,
    /// Flows after this one (the previous page's last): older, or with words, ranked lower.
    pub after: Option<Uuid>,
    /// With words, the score of the previous page's last flow (see [`FlowStore::search`]).
    pub after_score: Option<i64>,
    pub limit: u32,
}

#[async_trait]
pub trait FlowStore: Send + Sync {
    /// Writes a revision with its event, in one transaction: a recorded flow is inserted; a
    /// changed one replaced, a removed one deleted, each only if its stored version is still the
    /// one before `revision.version`. `false`: someone changed it meanwhile (nothing written).
    async fn write(&self, revision: &Revision, event: &OutboxEvent) -> Result<bool, FlowsError>;
    /// Records new flows (revisions of version 1) with their events, all in one transaction:
    /// every one or, on any error, none.
    async fn record_all(&self, revisions: &[(Revision, OutboxEvent)]) -> Result<(), FlowsError>;
    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Flow>, FlowsError>;
    async fn list(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Flow>, FlowsError>;
    /// The flows of `list`, with `query.text`'s words, best first, each with its relevance
    /// score (the page cursor is the last one's score and id). The database alone does not
    /// rank (nor read the words): its flows come newest first, scored 0.
    async fn search(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Scored>, FlowsError> {
        Ok(self
            .list(tenant, query)
            .await?
            .into_iter()
            .map(|flow| Scored { flow, score: 0 })
            .collect())
    }
    /// Every revision of a flow (removed or not), oldest first.
    async fn history(&self, tenant: &str, id: Uuid) -> Result<Vec<Revision>, FlowsError>;
    /// The revisions of every tenant stamped at or after `since`, in stamp order (the search
    /// index catches up on them).
    async fn revisions_since(&self, since: DateTime<Utc>) -> Result<Vec<Revision>, FlowsError>;
    /// Current flows of every tenant by id, after `after` (building the search index).
    async fn flows_page(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Flow>, FlowsError>;
    /// How many current flows every tenant has (checking the search index).
    async fn flows_count(&self) -> Result<u64, FlowsError>;
}

/// A flow found by a text search, and its relevance score (BM25 in millionths).
#[derive(Debug, Clone)]
pub struct Scored {
    pub flow: Flow,
    pub score: i64,
}

pub fn for_database(database: &Database) -> Arc<dyn FlowStore> {
    match database {
        Database::Postgres(pool) => Arc::new(postgres::PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(sqlite::SqliteStore { pool: pool.clone() }),
    }
}

const INSERT_FLOW: &str = "INSERT INTO flows (id, tenant, organisation_id, direction, resource_class, \
    confidentiality, version, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const UPDATE_FLOW: &str = "UPDATE flows SET direction = $3, resource_class = $4, confidentiality = $5, \
    version = $6, body = $7 WHERE id = $1 AND tenant = $2 AND version = $8";
const DELETE_FLOW: &str = "DELETE FROM flows WHERE id = $1 AND tenant = $2 AND version = $3";
const INSERT_REVISION: &str = "INSERT INTO flow_revisions (flow_id, version, tenant, organisation_id, \
    change, by_user_id, at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const GET_FLOW: &str = "SELECT body FROM flows WHERE tenant = $1 AND id = $2";
const LIST_FLOWS: &str = "SELECT body FROM flows WHERE tenant = $1 \
    AND ($2 IS NULL OR organisation_id = $2) \
    AND ($3 IS NULL OR direction = $3) \
    AND ($4 IS NULL OR resource_class = $4) \
    AND ($5 IS NULL OR organisation_id = $5 OR confidentiality = 'public') \
    AND ($6 IS NULL OR id < $6) \
    ORDER BY id DESC LIMIT $7";
const REVISIONS_SINCE: &str = "SELECT version, change, by_user_id, at, body FROM flow_revisions \
    WHERE at >= $1 ORDER BY at, flow_id, version";
const FLOWS_PAGE: &str =
    "SELECT body FROM flows WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2";
const FLOWS_COUNT: &str = "SELECT COUNT(*) AS n FROM flows";
const HISTORY: &str = "SELECT version, change, by_user_id, at, body FROM flow_revisions \
    WHERE tenant = $1 AND flow_id = $2 ORDER BY version";

fn decode_flow(body: &str) -> Result<Flow, FlowsError> {
    Ok(serde_json::from_str(body)?)
}

fn decode_revision(
    version: i64,
    change: &str,
    by: Uuid,
    at: DateTime<Utc>,
    body: &str,
) -> Result<Revision, FlowsError> {
    let change = Change::parse(change).ok_or_else(|| {
        FlowsError::Storage(sqlx::Error::Decode(
            format!("unknown flow change {change:?}").into(),
        ))
    })?;
    Ok(Revision {
        version,
        change,
        by,
        at,
        flow: decode_flow(body)?,
    })
}
