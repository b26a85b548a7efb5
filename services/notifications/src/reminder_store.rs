//! Storage of what reminders watch (see [`crate::reminders`]): one trait, PostgreSQL and SQLite
//! from one body (`store/reminders.rs`, compiled for each database with the rest of the store).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::db::Database;
use uuid::Uuid;

use crate::error::NotificationsError;
use crate::store::{PostgresStore, SqliteStore};

/// What an event changes in what reminders watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// A message posted: `waiting_user_id` is to answer it.
    Message {
        tenant: String,
        conversation_id: Uuid,
        listing_title: String,
        waiting_user_id: Uuid,
        other_organisation_id: Option<Uuid>,
        message_id: Uuid,
        at: DateTime<Utc>,
    },
    /// A published listing available until a day (`YYYY-MM-DD`), or without end (`None`).
    Listing {
        tenant: String,
        listing_id: Uuid,
        owner_user_id: Uuid,
        title: String,
        available_until: Option<String>,
    },
    /// A listing no longer published as is: withdrawn, expired, hidden, reserved, exchanged.
    ListingClosed { listing_id: Uuid },
    Reserved {
        tenant: String,
        listing_id: Uuid,
        conversation_id: Option<Uuid>,
        counterpart_user_id: Uuid,
        other_organisation_id: Option<Uuid>,
        title: String,
        at: DateTime<Utc>,
    },
    /// The reservation ended: cancelled, or the exchange confirmed.
    ReservationOver { listing_id: Uuid },
}

/// A conversation whose last message waits for an answer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnansweredConversation {
    pub conversation_id: Uuid,
    pub tenant: String,
    pub listing_title: String,
    pub waiting_user_id: Uuid,
    pub other_organisation_id: Option<Uuid>,
    pub last_message_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExpiringListing {
    pub listing_id: Uuid,
    pub tenant: String,
    pub owner_user_id: Uuid,
    pub title: String,
    pub available_until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnconfirmedReservation {
    pub listing_id: Uuid,
    pub tenant: String,
    pub conversation_id: Option<Uuid>,
    pub counterpart_user_id: Uuid,
    pub other_organisation_id: Option<Uuid>,
    pub title: String,
    pub reserved_at: DateTime<Utc>,
}

/// Which reminder was put in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reminded {
    /// This message of the conversation was reminded (a newer one waits again).
    Conversation(Uuid, Uuid),
    /// The listing with this end of availability.
    Listing(Uuid, String),
    Reservation(Uuid),
}

#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Applies what `event_id` changed, unless `consumer` already did. `false`: already done.
    async fn watch(
        &self,
        consumer: &str,
        event_id: Uuid,
        change: &Watched,
    ) -> Result<bool, NotificationsError>;
    /// Conversations whose last message was posted between `since` and `before`, not reminded.
    async fn unanswered(
        &self,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnansweredConversation>, NotificationsError>;
    /// Listings whose last day is between `from` and `until` (`YYYY-MM-DD`), not reminded.
    async fn expiring(
        &self,
        from: &str,
        until: &str,
    ) -> Result<Vec<ExpiringListing>, NotificationsError>;
    /// Reservations made between `since` and `before`, still unconfirmed, not reminded.
    async fn unconfirmed(
        &self,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnconfirmedReservation>, NotificationsError>;
    async fn mark_reminded(&self, reminded: Reminded) -> Result<(), NotificationsError>;
}

pub fn reminder_store(database: &Database) -> Arc<dyn ReminderStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}
