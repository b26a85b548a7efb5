//! The flow store with text search on this replica's index: writes go to the database (the
//! truth) and, once committed, to the index; a list with words catches the index up on the
//! revisions written since it last looked (by any replica), asks it for ids, and reads those
//! flows from the database.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use super::engine::{FlowSearchEngine, FlowSearchError};
use super::tantivy_index::TantivyFlowIndex;
use crate::domain::{Change, Confidentiality, Flow, Revision};
use crate::error::FlowsError;
use crate::store::{FlowQuery, FlowStore};

/// Flows read from the database per round while building the index.
const BUILD_BATCH: u32 = 1_000;
/// Revisions are stamped before their transaction commits: one committed a moment after the
/// index last looked may carry an earlier stamp, so each catch-up looks back this far (the
/// index skips what it already holds).
const CATCH_UP_MARGIN: TimeDelta = TimeDelta::seconds(30);

impl From<FlowSearchError> for FlowsError {
    fn from(error: FlowSearchError) -> Self {
        Self::Search(error.to_string())
    }
}

pub struct IndexedFlowStore {
    database: Arc<dyn FlowStore>,
    engine: Arc<dyn FlowSearchEngine>,
    /// When the index last read the revisions (or the database, when built).
    caught_up_at: Mutex<DateTime<Utc>>,
}

/// Runs a blocking engine call off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FlowSearchError> + Send + 'static,
) -> Result<T, FlowsError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| FlowsError::Search(e.to_string()))?
        .map_err(Into::into)
}

/// A current flow as the revision that made it so.
fn as_revision(flow: Flow) -> Revision {
    Revision {
        version: flow.version,
        change: if flow.version == 1 {
            Change::Recorded
        } else {
            Change::Changed
        },
        by: flow.updated_by,
        at: flow.updated_at,
        flow,
    }
}

impl IndexedFlowStore {
    /// Builds this replica's index from the database, logging how long it took.
    pub async fn open(database: Arc<dyn FlowStore>) -> Result<Self, FlowsError> {
        let started = std::time::Instant::now();
        let built_from = Utc::now();
        let engine = Arc::new(TantivyFlowIndex::new()?);
        let mut after = None;
        loop {
            let page = database.flows_page(after, BUILD_BATCH).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let revisions: Vec<Revision> = page.into_iter().map(as_revision).collect();
            let writer = Arc::clone(&engine);
            blocking(move || writer.apply(&revisions)).await?;
        }
        tracing::info!(
            flows = engine.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "flow search index built"
        );
        Ok(Self {
            database,
            engine,
            caught_up_at: Mutex::new(built_from),
        })
    }

    async fn apply(&self, revisions: Vec<Revision>) -> Result<(), FlowsError> {
        let engine = Arc::clone(&self.engine);
        blocking(move || engine.apply(&revisions)).await
    }

    /// Indexes what any replica wrote since the last look.
    async fn catch_up(&self) -> Result<(), FlowsError> {
        let now = Utc::now();
        let since = *self.caught_up_at.lock().expect("catch-up lock") - CATCH_UP_MARGIN;
        let revisions = self.database.revisions_since(since).await?;
        self.apply(revisions).await?;
        let mut caught_up_at = self.caught_up_at.lock().expect("catch-up lock");
        *caught_up_at = (*caught_up_at).max(now);
        Ok(())
    }
}

/// Whether `flow` (as the database has it now) passes the query's filters.
fn passes(flow: &Flow, query: &FlowQuery) -> bool {
    query.organisation.is_none_or(|o| flow.organisation_id == o)
        && query.direction.is_none_or(|d| flow.content.direction == d)
        && query
            .resource_class
            .is_none_or(|r| flow.content.resource_class == r)
        && query.own_or_public.is_none_or(|own| {
            flow.organisation_id == own || flow.content.confidentiality == Confidentiality::Public
        })
}

#[async_trait]
impl FlowStore for IndexedFlowStore {
    async fn write(&self, revision: &Revision, event: &OutboxEvent) -> Result<bool, FlowsError> {
        let written = self.database.write(revision, event).await?;
        if written {
            self.apply(vec![revision.clone()]).await?;
        }
        Ok(written)
    }

    async fn record_all(&self, revisions: &[(Revision, OutboxEvent)]) -> Result<(), FlowsError> {
        self.database.record_all(revisions).await?;
        self.apply(revisions.iter().map(|(r, _)| r.clone()).collect())
            .await
    }

    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Flow>, FlowsError> {
        self.database.get(tenant, id).await
    }

    async fn list(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Flow>, FlowsError> {
        // Without words the database's own index answers a filtered, newest-first page.
        if query.text.trim().is_empty() {
            return self.database.list(tenant, query).await;
        }
        self.catch_up().await?;
        let engine = Arc::clone(&self.engine);
        let (owned_tenant, owned_query) = (tenant.to_owned(), query.clone());
        let ids = blocking(move || engine.search(&owned_tenant, &owned_query)).await?;
        let mut flows = Vec::with_capacity(ids.len());
        for id in ids {
            // The database is the truth: a flow changed by another replica since the catch-up
            // is shown as it now is, or left out when it no longer fits.
            if let Some(flow) = self.database.get(tenant, id).await?
                && passes(&flow, query)
            {
                flows.push(flow);
            }
        }
        Ok(flows)
    }

    async fn history(&self, tenant: &str, id: Uuid) -> Result<Vec<Revision>, FlowsError> {
        self.database.history(tenant, id).await
    }

    async fn revisions_since(&self, since: DateTime<Utc>) -> Result<Vec<Revision>, FlowsError> {
        self.database.revisions_since(since).await
    }

    async fn flows_page(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Flow>, FlowsError> {
        self.database.flows_page(after, limit).await
    }
}
