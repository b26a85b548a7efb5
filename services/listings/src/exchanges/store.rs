//! Conversations, reservations and exchanges: one trait, PostgreSQL and SQLite implementations
//! sharing one body (`store/backend.rs`, compiled for each database), checked by
//! `tests/exchange_store_conformance.rs`.
//!
//! A listing's status moves (published ⇄ reserved → completed, or back to published for a
//! recurring listing) in the same transaction as its reservation row, its exchange record and
//! its events.

mod postgres;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::db::Database;
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use super::error::ExchangesError;
use super::impact::{MonthTotals, TerritorySummary};
use super::{Confirmation, Conversation, Exchange, Message, Reservation, Side};
use crate::domain::{ListingStatus, Unit};
pub use postgres::PostgresExchanges;
pub use sqlite::SqliteExchanges;

/// What the store should write when a confirmation makes the reservation complete: decided by
/// the caller from the reservation as it stands inside the transaction.
#[derive(Debug, Clone)]
pub struct Completion {
    pub exchange: Exchange,
    pub events: Vec<OutboxEvent>,
    /// The listing's status after the exchange: completed, or published again when it is
    /// recurring (see [`crate::domain::Listing::status_after_exchange`]).
    pub listing_status: ListingStatus,
}
pub type Decide<'a> = dyn Fn(&Reservation) -> Option<Completion> + Send + Sync + 'a;

/// After a confirmation: the reservation still open, or the exchange it completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    Open(Reservation),
    Completed(Exchange),
}

#[async_trait]
pub trait ExchangeStore: Send + Sync {
    /// Stores `conversation` unless its organisation already has one about that listing;
    /// returns the stored one and whether it was created now.
    async fn open_conversation(
        &self,
        conversation: &Conversation,
    ) -> Result<(Conversation, bool), ExchangesError>;
    async fn conversation(
        &self,
        tenant: &str,
        id: Uuid,
    ) -> Result<Option<Conversation>, ExchangesError>;
    /// Conversations of `organisation` (either side), most recently active first, with their
    /// newest message; `after` is the previous page's last `activity_id`.
    async fn conversations(
        &self,
        tenant: &str,
        organisation: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Conversation, Option<Message>)>, ExchangesError>;
    /// Stores the message, makes it the conversation's newest, and its event.
    async fn post(&self, message: &Message, event: &OutboxEvent) -> Result<(), ExchangesError>;
    /// Messages of a conversation, newest first, older than `after`.
    async fn messages(
        &self,
        tenant: &str,
        conversation: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Message>, ExchangesError>;
    /// Messages `author` wrote, in every conversation of `tenant`, newest first, older than
    /// `after` (the RGPD export).
    async fn messages_by_author(
        &self,
        tenant: &str,
        author: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Message>, ExchangesError>;
    /// RGPD erasure: empties the text of every message `author` wrote and marks it erased,
    /// unless `consumer` already handled `event_id`. Returns how many, `None` when handled.
    async fn erase_messages_of(
        &self,
        consumer: &str,
        event_id: Uuid,
        author: Uuid,
    ) -> Result<Option<u64>, ExchangesError>;
    /// Published → reserved with `reservation`; `false` when the listing is no longer
    /// published (nothing written).
    async fn reserve(
        &self,
        reservation: &Reservation,
        at: DateTime<Utc>,
        events: &[OutboxEvent],
    ) -> Result<bool, ExchangesError>;
    /// Reserved → published, the reservation removed; `false` when it was not reserved.
    async fn cancel(
        &self,
        tenant: &str,
        listing: Uuid,
        at: DateTime<Utc>,
        events: &[OutboxEvent],
    ) -> Result<bool, ExchangesError>;
    async fn reservation(
        &self,
        tenant: &str,
        listing: Uuid,
    ) -> Result<Option<Reservation>, ExchangesError>;
    /// Records `side`'s confirmation; when `decide` answers a completion, the listing becomes
    /// completed, the exchange is stored and the reservation removed, in the same
    /// transaction. `None` when the listing has no reservation.
    async fn confirm(
        &self,
        tenant: &str,
        listing: Uuid,
        side: Side,
        confirmation: &Confirmation,
        decide: &Decide<'_>,
    ) -> Result<Option<Confirmed>, ExchangesError>;
    /// The newest exchange recorded against `listing`.
    async fn exchange_of_listing(
        &self,
        tenant: &str,
        listing: Uuid,
    ) -> Result<Option<Exchange>, ExchangesError>;
    /// Exchanges recorded against `listing` (several for a recurring one), newest first; those
    /// `side` gave or received when it is given.
    async fn exchanges_of_listing(
        &self,
        tenant: &str,
        listing: Uuid,
        side: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Exchange>, ExchangesError>;
    /// Totals per month (oldest first) of the tenant, or of the exchanges `organisation` gave
    /// or received.
    async fn impact_by_month(
        &self,
        tenant: &str,
        organisation: Option<Uuid>,
    ) -> Result<Vec<MonthTotals>, ExchangesError>;
    async fn territory_summary(&self, tenant: &str) -> Result<TerritorySummary, ExchangesError>;
    /// Exchanges `organisation` gave or received, newest first.
    async fn exchanges(
        &self,
        tenant: &str,
        organisation: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Exchange>, ExchangesError>;
}

pub fn for_database(database: &Database) -> Arc<dyn ExchangeStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresExchanges { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteExchanges { pool: pool.clone() }),
    }
}

const CONVERSATION: &str = "SELECT c.id, c.tenant, c.listing_id, l.title AS listing_title, \
    c.listing_organisation_id, c.asking_organisation_id, c.started_by_user_id, c.created_at, c.activity_id \
    FROM conversations c JOIN listings l ON l.id = c.listing_id";
const MESSAGE_COLUMNS: &str =
    "id, tenant, conversation_id, author_user_id, author_organisation_id, body, created_at, erased";
const RESERVATION_COLUMNS: &str = "tenant, listing_id, conversation_id, counterpart_organisation_id, reserved_at, \
    owner_thousandths, owner_unit, owner_user_id, owner_at, owner_kg_per_unit_grams, \
    counterpart_thousandths, counterpart_unit, counterpart_user_id, counterpart_at, counterpart_kg_per_unit_grams";
const EXCHANGE_COLUMNS: &str = "id, tenant, listing_id, conversation_id, giver_organisation_id, receiver_organisation_id, \
    exchange_mode, category, quantity_thousandths, quantity_unit, completed_at, \
    kg_diverted_grams, co2e_grams, value_cents, month, value_estimated";

fn corrupt(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {column} {value:?}").into())
}

fn unit(column: &str, value: &str) -> Result<Unit, sqlx::Error> {
    Unit::parse(value).ok_or_else(|| corrupt(column, value))
}
