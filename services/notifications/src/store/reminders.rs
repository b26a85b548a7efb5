//! Reminders ([`crate::reminder_store::ReminderStore`]), written once for the database that the
//! module including it names as `Db` (`postgres.rs`, `sqlite.rs`), like `backend.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use super::backend::SqlStore;
use crate::error::NotificationsError;
use crate::reminder_store::{
    ExpiringListing, Reminded, ReminderStore, UnansweredConversation, UnconfirmedReservation,
    Watched,
};

#[async_trait]
impl ReminderStore for SqlStore {
    async fn watch(
        &self,
        consumer: &str,
        event_id: Uuid,
        change: &Watched,
    ) -> Result<bool, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        if !tx.first_delivery(consumer, event_id).await? {
            return Ok(false);
        }
        match change {
            Watched::Message {
                tenant,
                conversation_id,
                listing_title,
                waiting_user_id,
                other_organisation_id,
                message_id,
                at,
            } => {
                // Events of one conversation may come out of order: the latest wins.
                sqlx::query(
                    "INSERT INTO conversation_turns (conversation_id, tenant, listing_title, waiting_user_id, other_organisation_id, last_message_id, last_message_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (conversation_id) DO UPDATE SET waiting_user_id = excluded.waiting_user_id,
                       other_organisation_id = excluded.other_organisation_id, last_message_id = excluded.last_message_id,
                       last_message_at = excluded.last_message_at, reminded = FALSE
                     WHERE conversation_turns.last_message_at <= excluded.last_message_at",
                )
                .bind(conversation_id)
                .bind(tenant)
                .bind(listing_title)
                .bind(waiting_user_id)
                .bind(other_organisation_id)
                .bind(message_id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            Watched::Listing {
                tenant,
                listing_id,
                owner_user_id,
                title,
                available_until: Some(until),
            } => {
                // A new end of availability is reminded again.
                sqlx::query(
                    "INSERT INTO listing_deadlines (listing_id, tenant, owner_user_id, title, available_until)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (listing_id) DO UPDATE SET title = excluded.title, owner_user_id = excluded.owner_user_id,
                       reminded = (listing_deadlines.reminded AND listing_deadlines.available_until = excluded.available_until),
                       available_until = excluded.available_until",
                )
                .bind(listing_id)
                .bind(tenant)
                .bind(owner_user_id)
                .bind(title)
                .bind(until)
                .execute(&mut *tx)
                .await?;
            }
            Watched::Listing {
                listing_id,
                available_until: None,
                ..
            }
            | Watched::ListingClosed { listing_id } => {
                sqlx::query("DELETE FROM listing_deadlines WHERE listing_id = $1")
                    .bind(listing_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Watched::Reserved {
                tenant,
                listing_id,
                conversation_id,
                counterpart_user_id,
                other_organisation_id,
                title,
                at,
            } => {
                sqlx::query("DELETE FROM listing_deadlines WHERE listing_id = $1")
                    .bind(listing_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO pending_reservations (listing_id, tenant, conversation_id, counterpart_user_id, other_organisation_id, title, reserved_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (listing_id) DO UPDATE SET conversation_id = excluded.conversation_id,
                       counterpart_user_id = excluded.counterpart_user_id, other_organisation_id = excluded.other_organisation_id,
                       title = excluded.title, reserved_at = excluded.reserved_at, reminded = FALSE",
                )
                .bind(listing_id)
                .bind(tenant)
                .bind(conversation_id)
                .bind(counterpart_user_id)
                .bind(other_organisation_id)
                .bind(title)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            Watched::ReservationOver { listing_id } => {
                sqlx::query("DELETE FROM pending_reservations WHERE listing_id = $1")
                    .bind(listing_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn unanswered(
        &self,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnansweredConversation>, NotificationsError> {
        Ok(sqlx::query_as(
            "SELECT conversation_id, tenant, listing_title, waiting_user_id, other_organisation_id, last_message_id
               FROM conversation_turns WHERE NOT reminded AND last_message_at >= $1 AND last_message_at <= $2
              ORDER BY last_message_at LIMIT 500",
        )
        .bind(since)
        .bind(before)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn expiring(
        &self,
        from: &str,
        until: &str,
    ) -> Result<Vec<ExpiringListing>, NotificationsError> {
        Ok(sqlx::query_as(
            "SELECT listing_id, tenant, owner_user_id, title, available_until
               FROM listing_deadlines WHERE NOT reminded AND available_until >= $1 AND available_until <= $2
              ORDER BY available_until LIMIT 500",
        )
        .bind(from)
        .bind(until)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn unconfirmed(
        &self,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnconfirmedReservation>, NotificationsError> {
        Ok(sqlx::query_as(
            "SELECT listing_id, tenant, conversation_id, counterpart_user_id, other_organisation_id, title, reserved_at
               FROM pending_reservations WHERE NOT reminded AND reserved_at >= $1 AND reserved_at <= $2
              ORDER BY reserved_at LIMIT 500",
        )
        .bind(since)
        .bind(before)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn mark_reminded(&self, reminded: Reminded) -> Result<(), NotificationsError> {
        let query = match reminded {
            Reminded::Conversation(conversation, message) => sqlx::query(
                "UPDATE conversation_turns SET reminded = TRUE WHERE conversation_id = $1 AND last_message_id = $2",
            )
            .bind(conversation)
            .bind(message),
            Reminded::Listing(listing, until) => sqlx::query(
                "UPDATE listing_deadlines SET reminded = TRUE WHERE listing_id = $1 AND available_until = $2",
            )
            .bind(listing)
            .bind(until),
            Reminded::Reservation(listing) => {
                sqlx::query("UPDATE pending_reservations SET reminded = TRUE WHERE listing_id = $1").bind(listing)
            }
        };
        query.execute(&self.pool).await?;
        Ok(())
    }
}
