//! The listings store with search on the engine: writes go to the database (the truth) and,
//! once committed, to this replica's index, so that the writer's next search sees them;
//! searches ask the index for ids and read those listings from the database.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use super::engine::{SearchEngine, SearchError};
use super::tantivy_engine::{OnDisk, TantivyEngine};
use super::{Facets, Hit, SearchQuery};
use crate::domain::{Listing, ListingStatus};
use crate::error::ListingsError;
use crate::store::{ListingQuery, ListingStore};

/// Listings read from the database per round while building the index.
const BUILD_BATCH: u32 = 2_000;
/// A restarted replica re-reads what changed this long before its index's newest change:
/// transactions commit in another order than they stamp `updated_at`.
const CATCH_UP_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

impl From<SearchError> for ListingsError {
    fn from(error: SearchError) -> Self {
        Self::Search(error.to_string())
    }
}

pub struct IndexedStore {
    database: Arc<dyn ListingStore>,
    engine: Arc<dyn SearchEngine>,
}

/// Runs a blocking engine call off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> Result<T, ListingsError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ListingsError::Search(e.to_string()))?
        .map_err(Into::into)
}

impl IndexedStore {
    pub fn new(database: Arc<dyn ListingStore>, engine: Arc<dyn SearchEngine>) -> Self {
        Self { database, engine }
    }

    /// Opens this replica's index of the database named `source` under `directory`, and builds it from the database or
    /// brings it up to date, logging progress. Returns the engine too (the event follower
    /// keeps it current with the other replicas' writes).
    pub async fn open(
        database: Arc<dyn ListingStore>,
        directory: &Path,
        source: &str,
    ) -> Result<(Self, Arc<TantivyEngine>), ListingsError> {
        let (base, source) = (directory.to_owned(), source.to_owned());
        let (engine, on_disk) = blocking(move || TantivyEngine::open(&base, &source)).await?;
        let engine = Arc::new(engine);
        tracing::info!(directory = %engine.directory().display(), replica = engine.replica_id(), "search index opened");
        let started = Instant::now();
        match on_disk {
            OnDisk::Current(Some(watermark)) => {
                let changed = catch_up(database.as_ref(), &engine, watermark).await?;
                let published = database.published_count().await?;
                if engine.len() == published {
                    tracing::info!(
                        changed,
                        listings = published,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "search index brought up to date"
                    );
                } else {
                    tracing::warn!(
                        indexed = engine.len(),
                        published,
                        "search index disagrees with the database: rebuilding it"
                    );
                    let cleared = Arc::clone(&engine);
                    blocking(move || cleared.clear()).await?;
                    build(database.as_ref(), &engine).await?;
                }
            }
            // An index that never held a listing is built like a new one.
            OnDisk::Current(None) | OnDisk::Empty => build(database.as_ref(), &engine).await?,
        }
        synergies_search::committer::spawn(
            Arc::downgrade(&engine),
            <TantivyEngine as SearchEngine>::commit_pending,
            "search index",
        );
        let engine_for_store: Arc<dyn SearchEngine> = engine.clone();
        Ok((Self::new(database, engine_for_store), engine))
    }

    async fn index(&self, listing: &Listing) -> Result<(), ListingsError> {
        let engine = Arc::clone(&self.engine);
        let listing = listing.clone();
        blocking(move || engine.upsert(std::slice::from_ref(&listing))).await
    }
}

/// Indexes every published listing, in batches, logging progress.
async fn build(
    database: &dyn ListingStore,
    engine: &Arc<TantivyEngine>,
) -> Result<(), ListingsError> {
    let started = Instant::now();
    let total = database.published_count().await?;
    tracing::info!(
        listings = total,
        "building the search index from the database"
    );
    let mut after = None;
    let mut done = 0u64;
    let mut last_report = Instant::now();
    loop {
        let page = database.published_page(after, BUILD_BATCH).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        done += page.len() as u64;
        let writer = Arc::clone(engine);
        blocking(move || writer.add_new(&page)).await?;
        if last_report.elapsed().as_secs() >= 2 {
            tracing::info!(done, total, "building the search index");
            last_report = Instant::now();
        }
    }
    let writer = Arc::clone(engine);
    blocking(move || writer.commit()).await?;
    tracing::info!(
        listings = done,
        elapsed_ms = started.elapsed().as_millis() as u64,
        bytes = engine.size_on_disk(),
        "search index built"
    );
    Ok(())
}

/// Re-indexes what changed since the index's newest change (minus a margin).
async fn catch_up(
    database: &dyn ListingStore,
    engine: &Arc<TantivyEngine>,
    watermark: DateTime<Utc>,
) -> Result<u64, ListingsError> {
    let since = watermark - CATCH_UP_MARGIN;
    let mut after = None;
    let mut changed = 0;
    loop {
        let page = database.changed_page(since, after, BUILD_BATCH).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        changed += page.len() as u64;
        let writer = Arc::clone(engine);
        blocking(move || writer.upsert(&page)).await?;
    }
    Ok(changed)
}

#[async_trait]
impl ListingStore for IndexedStore {
    async fn create(&self, listing: &Listing, events: &[OutboxEvent]) -> Result<(), ListingsError> {
        self.database.create(listing, events).await?;
        self.index(listing).await
    }

    async fn save(
        &self,
        listing: &Listing,
        expected: ListingStatus,
        events: &[OutboxEvent],
    ) -> Result<bool, ListingsError> {
        let saved = self.database.save(listing, expected, events).await?;
        if saved {
            self.index(listing).await?;
        }
        Ok(saved)
    }

    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Listing>, ListingsError> {
        self.database.get(tenant, id).await
    }

    async fn list(
        &self,
        tenant: &str,
        query: &ListingQuery,
    ) -> Result<Vec<Listing>, ListingsError> {
        self.database.list(tenant, query).await
    }

    async fn search(
        &self,
        tenant: &str,
        query: &SearchQuery,
        with_facets: bool,
    ) -> Result<(Vec<Hit>, Facets), ListingsError> {
        let engine = Arc::clone(&self.engine);
        let (owned_tenant, owned_query) = (tenant.to_owned(), query.clone());
        let (found, facets) =
            blocking(move || engine.search(&owned_tenant, &owned_query, with_facets)).await?;
        let ids: Vec<Uuid> = found.iter().map(|f| f.id).collect();
        let listings = self.database.get_many(tenant, &ids).await?;
        let mut listings: std::collections::HashMap<Uuid, Listing> =
            listings.into_iter().map(|l| (l.id, l)).collect();
        // The database is the truth: a listing changed a moment ago by another replica and
        // not yet re-indexed here is left out rather than shown as it no longer is.
        let hits = found
            .into_iter()
            .filter_map(|found| {
                let listing = listings
                    .remove(&found.id)
                    .filter(|l| l.status == ListingStatus::Published)?;
                Some(Hit {
                    listing,
                    score: found.score,
                    distance_km: found.distance_squared.map(f64::sqrt),
                    distance_squared: found.distance_squared,
                })
            })
            .collect();
        Ok((hits, facets))
    }

    async fn due_for_expiry(
        &self,
        today: NaiveDate,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError> {
        self.database.due_for_expiry(today, limit).await
    }

    async fn index_unindexed(&self) -> Result<usize, ListingsError> {
        self.database.index_unindexed().await
    }

    async fn get_many(&self, tenant: &str, ids: &[Uuid]) -> Result<Vec<Listing>, ListingsError> {
        self.database.get_many(tenant, ids).await
    }

    async fn published_page(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError> {
        self.database.published_page(after, limit).await
    }

    async fn changed_page(
        &self,
        since: DateTime<Utc>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError> {
        self.database.changed_page(since, after, limit).await
    }

    async fn published_count(&self) -> Result<u64, ListingsError> {
        self.database.published_count().await
    }
}
