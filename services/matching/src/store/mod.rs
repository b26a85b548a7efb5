//! Matching storage: the index of open items and the synergies between them. One trait, with
//! PostgreSQL and SQLite implementations that share their SQL ([`sql`]), their rules (the
//! scorer and [`crate::domain`]) and one body (`store/backend.rs` and `store/steps.rs`, compiled
//! for each database by `store/postgres.rs` and `store/sqlite.rs`); the store only fetches
//! candidates and writes what they say.

mod mirror;
mod postgres;
pub mod sql;
mod sqlite;
mod values;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::db::Database;
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use crate::domain::{
    IndexedItem, ItemState, Outcome, Proposal, Synergy, SynergyKind, SynergyStatus,
};
use crate::engine::Scorer;
use crate::error::MatchingError;
use crate::impact::RealisedImpact;
use crate::scoring::MutualisationGroup;

/// Builds the outbox event announcing a new substitution (its id, its two sides).
pub type SynergyEvent = dyn Fn(&str, Uuid, &Proposal) -> OutboxEvent + Send + Sync;

/// Builds the outbox event announcing a mutualisation group (new, or grown): its id, the group,
/// all its members, and those to tell.
pub type GroupEvent = dyn Fn(&str, Uuid, &MutualisationGroup, &[&IndexedItem], &[&IndexedItem]) -> OutboxEvent
    + Send
    + Sync;

/// What a facilitator changes on a synergy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineChange {
    pub status: Option<SynergyStatus>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub realised_quantity: Option<f64>,
    pub unit: Option<String>,
    pub advisor_user_id: Option<Uuid>,
    /// Set when the synergy becomes realised: what it adds to the territory's impact.
    pub realised_impact: Option<RealisedImpact>,
}

/// Which synergies to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynergyFilter {
    pub kind: Option<SynergyKind>,
    pub status: Option<SynergyStatus>,
    pub organisation_id: Option<Uuid>,
}

/// The context of one event's effects: who handles it, once.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    pub consumer: &'a str,
    pub event_id: Uuid,
    pub scorer: &'a dyn Scorer,
    /// The tenant's mutualisation radius, in km.
    pub radius_km: f64,
    pub event_for: &'a SynergyEvent,
    pub group_event_for: &'a GroupEvent,
}

#[async_trait]
pub trait MatchingStore: Send + Sync {
    /// Loads this replica's copy of every territory's open items ahead of the first event, so
    /// that no event waits for a whole territory to load while holding its lock. Answers how
    /// many territories it loaded.
    async fn warm_up(&self, scorer: &dyn Scorer) -> Result<usize, MatchingError>;

    /// In one transaction, unless the delivery's consumer already handled its event: records
    /// `item` as it now reads, in `state`, unless a change newer than `at_micros` is on record
    /// or the item is closed for good; then re-scores its substitutions and regroups its
    /// (direction, class). `None`: handled already.
    async fn put_item(
        &self,
        delivery: Delivery<'_>,
        item: &IndexedItem,
        state: ItemState,
        at_micros: i64,
    ) -> Result<Option<Outcome>, MatchingError>;

    /// The same for a change of state only (reserved, released, closed…) of an item identified
    /// by id; an unknown item that closes leaves a tombstone.
    async fn set_item_state(
        &self,
        delivery: Delivery<'_>,
        tenant: &str,
        item_id: Uuid,
        organisation_id: Uuid,
        state: ItemState,
        at_micros: i64,
    ) -> Result<Option<Outcome>, MatchingError>;

    /// Records an organisation's name and activity (empty `nace`: unchanged), once per event.
    async fn learn_organisation(
        &self,
        consumer: &str,
        event_id: Uuid,
        tenant: &str,
        organisation_id: Uuid,
        name: &str,
        nace: &str,
    ) -> Result<bool, MatchingError>;

    /// Keeps an organisation's name and activity read from identity (empty `nace`: unchanged).
    async fn remember_organisation(
        &self,
        tenant: &str,
        organisation_id: Uuid,
        name: &str,
        nace: &str,
    ) -> Result<(), MatchingError>;

    /// The item as indexed, if matching knows it in `tenant`.
    async fn item(
        &self,
        tenant: &str,
        item_id: Uuid,
    ) -> Result<Option<(IndexedItem, ItemState)>, MatchingError>;

    /// Substitutions involving `item_id`, best first.
    async fn synergies_of_item(
        &self,
        tenant: &str,
        item_id: Uuid,
    ) -> Result<Vec<Synergy>, MatchingError>;

    /// The tenant's synergies matching `filter`, best first.
    async fn synergies(
        &self,
        tenant: &str,
        filter: &SynergyFilter,
    ) -> Result<Vec<Synergy>, MatchingError>;

    async fn synergy(&self, tenant: &str, id: Uuid) -> Result<Option<Synergy>, MatchingError>;

    /// Applies a facilitator's change (the caller checked it is allowed). `None`: no such
    /// synergy in `tenant`.
    async fn update_pipeline(
        &self,
        tenant: &str,
        id: Uuid,
        change: &PipelineChange,
        by_user_id: Uuid,
    ) -> Result<Option<Synergy>, MatchingError>;

    /// When each realised synergy of `tenant` (involving `organisation_id`, when given) was
    /// realised, and what it added.
    async fn realised(
        &self,
        tenant: &str,
        organisation_id: Option<Uuid>,
    ) -> Result<Vec<(DateTime<Utc>, RealisedImpact)>, MatchingError>;

    /// Records whether `organisation_id` finds the synergy relevant.
    async fn give_feedback(
        &self,
        tenant: &str,
        id: Uuid,
        organisation_id: Uuid,
        relevant: bool,
    ) -> Result<Option<Synergy>, MatchingError>;
}

pub fn for_database(database: &Database) -> Arc<dyn MatchingStore> {
    match database {
        Database::Postgres(pool) => Arc::new(postgres::PostgresStore::new(pool.clone())),
        Database::Sqlite(pool) => Arc::new(sqlite::SqliteStore::new(pool.clone())),
    }
}
