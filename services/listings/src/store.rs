//! Listings storage: one trait, PostgreSQL and SQLite implementations sharing one body
//! (`store/backend.rs`, compiled for each database; the SQL is written in the dialect both
//! accept), checked by `tests/store_conformance.rs`.
//!
//! A listing's search terms (`listing_terms`) are rewritten in the transaction that writes the
//! listing, so search never sees a listing without its terms or terms of an old title.

mod postgres;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use synergies_platform::db::Database;
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use crate::domain::{Listing, ListingKind, ListingStatus};
use crate::error::ListingsError;
use crate::search::{Facets, Hit, SearchQuery};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// One user's listings, every status, newest first ("my listings", RGPD export).
#[derive(Debug, Clone, Default)]
pub struct ListingQuery {
    pub kind: Option<ListingKind>,
    /// A category and its sub-categories.
    pub category: Option<String>,
    /// Listings older than this id (the previous page's last).
    pub after: Option<Uuid>,
    /// Only this user's listings, every status; otherwise those of `status`.
    pub owner: Option<Uuid>,
    /// Without an owner: this status (published when none).
    pub status: Option<ListingStatus>,
    /// Only this organisation's listings.
    pub organisation: Option<Uuid>,
    pub limit: u32,
}

#[async_trait]
pub trait ListingStore: Send + Sync {
    /// Stores a new listing, its terms (when kept, see [`SearchTerms`]) and its events in one
    /// transaction.
    async fn create(&self, listing: &Listing, events: &[OutboxEvent]) -> Result<(), ListingsError>;
    /// Writes `listing` (and its terms and events) if its stored status is still `expected`;
    /// `false` when someone changed it meanwhile (nothing is written then).
    async fn save(
        &self,
        listing: &Listing,
        expected: ListingStatus,
        events: &[OutboxEvent],
    ) -> Result<bool, ListingsError>;
    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Listing>, ListingsError>;
    async fn list(&self, tenant: &str, query: &ListingQuery)
    -> Result<Vec<Listing>, ListingsError>;
    /// Published listings of a tenant matching `query`: at most `query.limit` hits, and the
    /// facet counts of the whole result when `with_facets`.
    async fn search(
        &self,
        tenant: &str,
        query: &SearchQuery,
        with_facets: bool,
    ) -> Result<(Vec<Hit>, Facets), ListingsError>;
    /// Listings of every tenant whose availability ended before `today` and that are still on
    /// offer, oldest first.
    async fn due_for_expiry(
        &self,
        today: NaiveDate,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError>;
    /// Writes the search terms of listings that have none (stored before the term index
    /// existed); returns how many were indexed.
    async fn index_unindexed(&self) -> Result<usize, ListingsError>;
    /// These listings of a tenant, in the order of `ids` (those that do not exist are left out).
    async fn get_many(&self, tenant: &str, ids: &[Uuid]) -> Result<Vec<Listing>, ListingsError>;
    /// Published listings of every tenant after `after` in id order, for building the search
    /// index.
    async fn published_page(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError>;
    /// Listings of every tenant and status changed at or after `since`, after `after` in id
    /// order, for bringing a search index up to date.
    async fn changed_page(
        &self,
        since: DateTime<Utc>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError>;
    /// How many published listings there are, in every tenant.
    async fn published_count(&self) -> Result<u64, ListingsError>;
}

/// Whether the database store keeps the SQL term tables (`listing_terms`) that its own
/// text search reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchTerms {
    /// The service: text search runs on the replica's index alone, the term tables stay
    /// empty and the database store answers searches without text only.
    Unwritten,
    /// The SQL reference the conformance tests compare the engine to: every write also
    /// writes the listing's terms, and the store's own search answers text too.
    Written,
}

/// The listings database as the service uses it (search terms unwritten: the engine searches).
pub fn for_database(database: &Database) -> Arc<dyn ListingStore> {
    with_search_terms(database, SearchTerms::Unwritten)
}

pub fn with_search_terms(database: &Database, terms: SearchTerms) -> Arc<dyn ListingStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore {
            pool: pool.clone(),
            terms,
        }),
        Database::Sqlite(pool) => Arc::new(SqliteStore {
            pool: pool.clone(),
            terms,
        }),
    }
}

const COLUMNS: &str = "id, tenant, organisation_id, owner_user_id, kind, resource_type, category, category_root, \
    title, description, ewc_code, exchange_mode, price_cents, price_basis, quantity_thousandths, quantity_unit, \
    recurrence, item_condition, available_from, available_until, site_id, insee_code, latitude, longitude, \
    status, status_reason, created_at, updated_at";

const UPSERT_SETS: &str = "kind = $5, resource_type = $6, category = $7, category_root = $8, title = $9, \
    description = $10, ewc_code = $11, exchange_mode = $12, price_cents = $13, price_basis = $14, \
    quantity_thousandths = $15, quantity_unit = $16, recurrence = $17, item_condition = $18, \
    available_from = $19, available_until = $20, site_id = $21, insee_code = $22, latitude = $23, \
    longitude = $24, status = $25, status_reason = $26, updated_at = $28";

fn corrupt(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown listing {column} {value:?}").into())
}

fn parsed<T>(column: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
    parse(value).ok_or_else(|| corrupt(column, value))
}

fn parsed_option<T>(
    column: &str,
    value: Option<String>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, sqlx::Error> {
    value.map(|v| parsed(column, &v, parse)).transpose()
}
