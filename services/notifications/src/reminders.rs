//! Reminders: a conversation whose last message waits for an answer for 3 days (to the member
//! who is to answer), a listing whose availability ends within 7 days (to its owner), a
//! reservation not confirmed after 7 days (to the member it is reserved for, who confirms the
//! quantity received).
//!
//! [`ReminderWatcher`] keeps what they watch from listing, conversation and exchange events;
//! [`Reminders::remind_due`] runs with the digests' scheduler and its clock. Each reminder is
//! an inbox item (category "reminder": by e-mail at the member's rhythm) caused by an event id
//! derived from what it reminds, so that however often a look runs — after a crash, on two
//! replicas — it is stored once.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use synergies_platform::consumer::{EventHandler, HandlerError, uuid};
use synergies_platform::events;
use synergies_platform::i18n::Text;
use synergies_proto::events::v1 as ev;
use uuid::Uuid;

use crate::error::NotificationsError;
use crate::handler::InboxHandler;
use crate::reminder_store::{Reminded, ReminderStore, Watched};
use crate::store::{InboxItem, Subject};

/// Consumer name under which reminders are stored once each.
pub const REMINDERS: &str = "notifications-reminders";
pub const UNANSWERED_AFTER: TimeDelta = TimeDelta::days(3);
pub const EXPIRY_WITHIN_DAYS: i64 = 7;
pub const UNCONFIRMED_AFTER: TimeDelta = TimeDelta::days(7);
/// Older waits are not reminded: a first start (or a new reminder) does not flood members
/// with reminders of long-forgotten conversations.
const LOOK_BACK: TimeDelta = TimeDelta::days(30);

fn optional_uuid(value: &str) -> Option<Uuid> {
    Uuid::parse_str(value).ok()
}

fn at(timestamp: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    timestamp
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .unwrap_or_else(synergies_platform::time::now)
}

/// What an event changes in what reminders watch; `None` for events they ignore.
pub fn watched(envelope: &ev::EventEnvelope) -> Result<Option<Watched>, HandlerError> {
    let listing = |listing: &ev::ListingPublished| -> Result<Watched, HandlerError> {
        Ok(Watched::Listing {
            tenant: envelope.tenant.clone(),
            listing_id: uuid("listing_id", &listing.listing_id)?,
            owner_user_id: uuid("owner_user_id", &listing.owner_user_id)?,
            title: listing.title.clone(),
            available_until: Some(listing.available_until.clone()).filter(|d| !d.is_empty()),
        })
    };
    let closed = |change: Option<&ev::ListingChange>| -> Result<Watched, HandlerError> {
        let change = change.ok_or_else(|| HandlerError::Permanent("no change".into()))?;
        Ok(Watched::ListingClosed {
            listing_id: uuid("listing_id", &change.listing_id)?,
        })
    };
    Ok(Some(match envelope.event_type.as_str() {
        "conversation.message_posted" => {
            let event: ev::ConversationMessagePosted = events::payload(envelope)?;
            let Some(waiting) = optional_uuid(&event.recipient_user_id) else {
                return Ok(None);
            };
            Watched::Message {
                tenant: envelope.tenant.clone(),
                conversation_id: uuid("conversation_id", &event.conversation_id)?,
                listing_title: event.listing_title.clone(),
                waiting_user_id: waiting,
                other_organisation_id: optional_uuid(&event.author_organisation_id),
                message_id: uuid("message_id", &event.message_id)?,
                at: at(event.at.as_ref()),
            }
        }
        "listing.published" => listing(&events::payload::<ev::ListingPublished>(envelope)?)?,
        "listing.updated" => {
            let event: ev::ListingUpdated = events::payload(envelope)?;
            match event.listing.as_ref() {
                Some(published) => listing(published)?,
                None => return Ok(None),
            }
        }
        "listing.withdrawn" => closed(
            events::payload::<ev::ListingWithdrawn>(envelope)?
                .change
                .as_ref(),
        )?,
        "listing.expired" => closed(
            events::payload::<ev::ListingExpired>(envelope)?
                .change
                .as_ref(),
        )?,
        "listing.hidden" => closed(
            events::payload::<ev::ListingHidden>(envelope)?
                .change
                .as_ref(),
        )?,
        "listing.reserved" => {
            let event: ev::ListingReserved = events::payload(envelope)?;
            let change = event
                .change
                .as_ref()
                .ok_or_else(|| HandlerError::Permanent("no change".into()))?;
            let Some(counterpart) = optional_uuid(&event.counterpart_user_id) else {
                return Ok(None);
            };
            Watched::Reserved {
                tenant: envelope.tenant.clone(),
                listing_id: uuid("listing_id", &change.listing_id)?,
                conversation_id: optional_uuid(&event.conversation_id),
                counterpart_user_id: counterpart,
                other_organisation_id: optional_uuid(&change.organisation_id),
                title: change.title.clone(),
                at: at(change.at.as_ref()),
            }
        }
        "listing.reservation_cancelled" => {
            let event: ev::ListingReservationCancelled = events::payload(envelope)?;
            let change = event
                .change
                .as_ref()
                .ok_or_else(|| HandlerError::Permanent("no change".into()))?;
            Watched::ReservationOver {
                listing_id: uuid("listing_id", &change.listing_id)?,
            }
        }
        "exchange.completed" => {
            let event: ev::ExchangeCompleted = events::payload(envelope)?;
            Watched::ReservationOver {
                listing_id: uuid("listing_id", &event.listing_id)?,
            }
        }
        _ => return Ok(None),
    }))
}

/// Keeps what reminders watch, once per event (one consumer per aggregate: listing,
/// conversation, exchange).
pub struct ReminderWatcher {
    store: Arc<dyn ReminderStore>,
    consumer: &'static str,
}

impl ReminderWatcher {
    pub fn new(store: Arc<dyn ReminderStore>, consumer: &'static str) -> Self {
        Self { store, consumer }
    }
}

#[async_trait]
impl EventHandler for ReminderWatcher {
    async fn handle(&self, envelope: &ev::EventEnvelope) -> Result<(), HandlerError> {
        let Some(change) = watched(envelope)? else {
            return Ok(());
        };
        let event_id = events::event_id(envelope)?;
        self.store
            .watch(self.consumer, event_id, &change)
            .await
            .map_err(|error| match error {
                NotificationsError::Storage(error) => HandlerError::from(error),
                other => HandlerError::Permanent(other.to_string()),
            })?;
        Ok(())
    }
}

/// The event id a reminder is stored under: the same for the same thing reminded.
fn reminder_id(parts: &[&str]) -> Uuid {
    let digest = Sha256::digest(parts.join("\n").as_bytes());
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

fn reminder_item(
    tenant: &str,
    user_id: Uuid,
    kind: &str,
    event_id: Uuid,
    (title, body): (Text, Text),
    subject: Subject,
    other_organisation: Option<Uuid>,
) -> InboxItem {
    let listing_id = match subject {
        Subject::Listing(id) => Some(id),
        _ => None,
    };
    InboxItem {
        id: Uuid::now_v7(),
        tenant: tenant.to_owned(),
        user_id,
        kind: kind.to_owned(),
        title,
        body,
        listing_id,
        for_organisation: false,
        event_id,
        read: false,
        created_at: synergies_platform::time::now(),
        subject,
        other_organisation,
        other_organisation_name: String::new(),
    }
}

/// Puts due reminders in the inboxes.
pub struct Reminders {
    pub store: Arc<dyn ReminderStore>,
    /// Stores and tells items as an event's would be (live, immediate e-mails).
    pub inbox: InboxHandler,
}

impl Reminders {
    /// Reminds what is due at `now`; how many reminders were stored.
    pub async fn remind_due(&self, now: DateTime<Utc>) -> Result<u32, NotificationsError> {
        let mut stored = 0;
        for waiting in self
            .store
            .unanswered(now - LOOK_BACK, now - UNANSWERED_AFTER)
            .await?
        {
            let title = &waiting.listing_title;
            let event_id = reminder_id(&[
                "unanswered",
                &waiting.conversation_id.to_string(),
                &waiting.last_message_id.to_string(),
            ]);
            let item = reminder_item(
                &waiting.tenant,
                waiting.waiting_user_id,
                "reminder.conversation_unanswered",
                event_id,
                (
                    Text::new(
                        format!("A message about “{title}” awaits your answer"),
                        format!("Un message sur « {title} » attend votre réponse"),
                    ),
                    Text::new(
                        "It was written 3 days ago or more. Answer it, even to say no: the other organisation is waiting.",
                        "Il a été écrit il y a 3 jours ou plus. Répondez, même pour dire non : l'autre organisation attend.",
                    ),
                ),
                Subject::Conversation(waiting.conversation_id),
                waiting.other_organisation_id,
            );
            stored += self.tell(&waiting.tenant, event_id, item).await?;
            self.store
                .mark_reminded(Reminded::Conversation(
                    waiting.conversation_id,
                    waiting.last_message_id,
                ))
                .await?;
        }
        let today = now.date_naive();
        let within = today + TimeDelta::days(EXPIRY_WITHIN_DAYS);
        for listing in self
            .store
            .expiring(
                &today.format("%Y-%m-%d").to_string(),
                &within.format("%Y-%m-%d").to_string(),
            )
            .await?
        {
            let (title, until) = (&listing.title, &listing.available_until);
            let event_id = reminder_id(&["expiring", &listing.listing_id.to_string(), until]);
            let french_day = chrono::NaiveDate::parse_from_str(until, "%Y-%m-%d")
                .map_or_else(|_| until.clone(), |d| d.format("%d/%m/%Y").to_string());
            let item = reminder_item(
                &listing.tenant,
                listing.owner_user_id,
                "reminder.listing_expiring",
                event_id,
                (
                    Text::new(
                        format!("Your listing “{title}” ends on {until}"),
                        format!("Votre annonce « {title} » se termine le {french_day}"),
                    ),
                    Text::new(
                        "Extend its availability if it still holds, or withdraw it.",
                        "Prolongez sa disponibilité si elle tient toujours, ou retirez-la.",
                    ),
                ),
                Subject::Listing(listing.listing_id),
                None,
            );
            stored += self.tell(&listing.tenant, event_id, item).await?;
            self.store
                .mark_reminded(Reminded::Listing(listing.listing_id, until.clone()))
                .await?;
        }
        for reservation in self
            .store
            .unconfirmed(now - LOOK_BACK, now - UNCONFIRMED_AFTER)
            .await?
        {
            let title = &reservation.title;
            let event_id = reminder_id(&[
                "unconfirmed",
                &reservation.listing_id.to_string(),
                &reservation.reserved_at.to_rfc3339(),
            ]);
            let subject = reservation.conversation_id.map_or(
                Subject::Listing(reservation.listing_id),
                Subject::Conversation,
            );
            let item = reminder_item(
                &reservation.tenant,
                reservation.counterpart_user_id,
                "reminder.reservation_unconfirmed",
                event_id,
                (
                    Text::new(
                        format!("Confirm the exchange of “{title}”"),
                        format!("Confirmez l'échange de « {title} »"),
                    ),
                    Text::new(
                        "The listing has been reserved for you for 7 days. Once the exchange is done, confirm the quantity received in the conversation.",
                        "L'annonce vous est réservée depuis 7 jours. Une fois l'échange fait, confirmez la quantité reçue dans la conversation.",
                    ),
                ),
                subject,
                reservation.other_organisation_id,
            );
            stored += self.tell(&reservation.tenant, event_id, item).await?;
            self.store
                .mark_reminded(Reminded::Reservation(reservation.listing_id))
                .await?;
        }
        Ok(stored)
    }

    async fn tell(
        &self,
        tenant: &str,
        event_id: Uuid,
        item: InboxItem,
    ) -> Result<u32, NotificationsError> {
        let kind = item.kind.clone();
        let stored = self
            .inbox
            .store_and_tell(tenant, &kind, event_id, &[item])
            .await?;
        Ok(u32::from(stored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_has_the_same_id_for_the_same_thing_only() {
        let a = reminder_id(&["unanswered", "c1", "m1"]);
        assert_eq!(a, reminder_id(&["unanswered", "c1", "m1"]));
        assert_ne!(a, reminder_id(&["unanswered", "c1", "m2"]));
    }

    #[test]
    fn a_message_makes_its_recipient_the_one_who_must_answer() {
        let (conversation, message, recipient) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let event = ev::ConversationMessagePosted {
            conversation_id: conversation.to_string(),
            message_id: message.to_string(),
            recipient_user_id: recipient.to_string(),
            listing_title: "Palettes".into(),
            ..Default::default()
        };
        let envelope = events::envelope("dijon", "listings", &event);
        match watched(&envelope).unwrap() {
            Some(Watched::Message {
                waiting_user_id,
                conversation_id,
                ..
            }) => {
                assert_eq!(
                    (waiting_user_id, conversation_id),
                    (recipient, conversation)
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
