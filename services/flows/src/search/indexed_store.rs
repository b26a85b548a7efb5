//! The flow store with text search on this replica's index: writes go to the database (the
//! truth) and, once committed, to the index, so that the writer's next search sees them; the
//! other replicas' writes reach the index through the flow events ([`super::follower`]). A
//! search asks the index for ids and reads those flows from the database.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use super::engine::{FlowSearchEngine, FlowSearchError};
use super::tantivy_index::TantivyFlowIndex;
use crate::domain::{Change, Confidentiality, Flow, Revision};
use crate::error::FlowsError;
use crate::store::{FlowQuery, FlowStore, Scored};
use synergies_search::slot::OnDisk;

/// Flows read from the database per round while building the index.
const BUILD_BATCH: u32 = 1_000;
/// A restarted replica re-reads the revisions stamped this long before its index's newest:
/// revisions are stamped before their transaction commits, so they commit in another order.
const CATCH_UP_MARGIN: TimeDelta = TimeDelta::minutes(5);

impl From<FlowSearchError> for FlowsError {
    fn from(error: FlowSearchError) -> Self {
        Self::Search(error.to_string())
    }
}

pub struct IndexedFlowStore {
    database: Arc<dyn FlowStore>,
    engine: Arc<dyn FlowSearchEngine>,
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
pub(crate) fn as_revision(flow: Flow) -> Revision {
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
    pub fn new(database: Arc<dyn FlowStore>, engine: Arc<dyn FlowSearchEngine>) -> Self {
        Self { database, engine }
    }

    /// Opens this replica's index of the database named `source` under `directory`, and
    /// builds it from the database or brings it up to date, logging progress. Returns the
    /// index too (the event follower keeps it current with the other replicas' writes).
    pub async fn open(
        database: Arc<dyn FlowStore>,
        directory: &Path,
        source: &str,
    ) -> Result<(Self, Arc<TantivyFlowIndex>), FlowsError> {
        let (base, source) = (directory.to_owned(), source.to_owned());
        let (engine, on_disk) = blocking(move || TantivyFlowIndex::open(&base, &source)).await?;
        let engine = Arc::new(engine);
        tracing::info!(directory = %engine.directory().display(), replica = engine.replica_id(), "flow search index opened");
        let started = Instant::now();
        match on_disk {
            OnDisk::Current(Some(watermark)) => {
                let revisions = database
                    .revisions_since(watermark - CATCH_UP_MARGIN)
                    .await?;
                let changed = revisions.len();
                let writer = Arc::clone(&engine);
                blocking(move || writer.apply(&revisions)).await?;
                let flows = database.flows_count().await?;
                if engine.len() == flows {
                    tracing::info!(
                        changed,
                        flows,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "flow search index brought up to date"
                    );
                } else {
                    tracing::warn!(
                        indexed = engine.len(),
                        flows,
                        "flow search index disagrees with the database: rebuilding it"
                    );
                    let cleared = Arc::clone(&engine);
                    blocking(move || cleared.clear()).await?;
                    build(database.as_ref(), &engine).await?;
                }
            }
            // An index that never held a flow is built like a new one.
            OnDisk::Current(None) | OnDisk::Empty => build(database.as_ref(), &engine).await?,
        }
        synergies_search::committer::spawn(
            Arc::downgrade(&engine),
            TantivyFlowIndex::commit_pending,
            "flow index",
        );
        let for_store: Arc<dyn FlowSearchEngine> = engine.clone();
        Ok((Self::new(database, for_store), engine))
    }

    async fn apply(&self, revisions: Vec<Revision>) -> Result<(), FlowsError> {
        let engine = Arc::clone(&self.engine);
        blocking(move || engine.apply(&revisions)).await
    }
}

/// Indexes every current flow, in batches, logging progress.
async fn build(database: &dyn FlowStore, engine: &Arc<TantivyFlowIndex>) -> Result<(), FlowsError> {
    let started = Instant::now();
    let total = database.flows_count().await?;
    tracing::info!(
        flows = total,
        "building the flow search index from the database"
    );
    let mut after = None;
    let mut done = 0u64;
    let mut last_report = Instant::now();
    loop {
        let page = database.flows_page(after, BUILD_BATCH).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        done += page.len() as u64;
        let writer = Arc::clone(engine);
        blocking(move || writer.add_new(&page)).await?;
        if last_report.elapsed().as_secs() >= 2 {
            tracing::info!(done, total, "building the flow search index");
            last_report = Instant::now();
        }
    }
    let writer = Arc::clone(engine);
    blocking(move || writer.commit()).await?;
    tracing::info!(
        flows = done,
        elapsed_ms = started.elapsed().as_millis() as u64,
        bytes = engine.size_on_disk(),
        "flow search index built"
    );
    Ok(())
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
        Ok(self
            .search(tenant, query)
            .await?
            .into_iter()
            .map(|scored| scored.flow)
            .collect())
    }

    async fn search(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Scored>, FlowsError> {
        // Without words the database's own index answers a filtered, newest-first page.
        if super::analysis::query_groups(&query.text).is_empty() {
            return self.database.search(tenant, query).await;
        }
        let mut flows = Vec::with_capacity(query.limit as usize);
        let mut next = query.clone();
        loop {
            let engine = Arc::clone(&self.engine);
            let (owned_tenant, asked) = (tenant.to_owned(), next.clone());
            let found = blocking(move || engine.search(&owned_tenant, &asked)).await?;
            let full = found.len() == next.limit as usize;
            let Some(last) = found.last().copied() else {
                break;
            };
            for found in found {
                // The database is the truth: a flow changed by another replica a moment ago,
                // and not yet re-indexed here, is shown as it now is, or left out when it no
                // longer fits.
                if let Some(flow) = self.database.get(tenant, found.id).await?
                    && passes(&flow, query)
                {
                    flows.push(Scored {
                        flow,
                        score: found.score,
                    });
                }
            }
            // A flow left out leaves the page short: the engine is asked for what follows.
            let missing = query.limit.saturating_sub(flows.len() as u32);
            if !full || missing == 0 {
                break;
            }
            next.after = Some(last.id);
            next.after_score = Some(last.score);
            next.limit = missing;
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

    async fn flows_count(&self) -> Result<u64, FlowsError> {
        self.database.flows_count().await
    }
}
