//! Reacts to identity's events.
//!
//! `organisation.decided`: when an organisation is closed by its administrator or suspended by
//! a facilitator, its open listings are withdrawn — each with its `listing.withdrawn` event, so
//! matching forgets them too. Only approved organisations offer anything on the platform.
//! Handling the same event twice is harmless: a withdrawn listing is no longer open, and each
//! write is conditional on the status it read.
//!
//! `user.erased`: the messages the user wrote lose their text (RGPD erasure). Listings stay:
//! they are the organisation's, and name the user by an id that identity has anonymised.

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_platform::events;
use synergies_platform::outbox::RelayWaker;
use synergies_proto::events::v1::{EventEnvelope, OrganisationDecided, UserErased};
use uuid::Uuid;

use crate::convert::change_event;
use crate::domain::ListingStatus;
use crate::exchanges::reservation_cancelled_event;
use crate::exchanges::store::ExchangeStore;
use crate::store::{ListingQuery, ListingStore};

/// Consumer names of the handlers (their durable positions on the bus).
pub const ORGANISATIONS_CONSUMER: &str = "listings-organisations";
pub const ERASURES_CONSUMER: &str = "listings-erasures";

/// Listings an organisation still offers or asks for.
const OPEN: [ListingStatus; 4] = [
    ListingStatus::Draft,
    ListingStatus::PendingApproval,
    ListingStatus::Published,
    ListingStatus::Reserved,
];

pub struct OrganisationDecidedHandler {
    store: Arc<dyn ListingStore>,
    exchanges: Arc<dyn ExchangeStore>,
    relay: RelayWaker,
}

impl OrganisationDecidedHandler {
    pub fn new(
        store: Arc<dyn ListingStore>,
        exchanges: Arc<dyn ExchangeStore>,
        relay: RelayWaker,
    ) -> Self {
        Self {
            store,
            exchanges,
            relay,
        }
    }

    /// Withdraws every open listing of `organisation`; returns how many.
    pub async fn withdraw_all(
        &self,
        tenant: &str,
        organisation: Uuid,
    ) -> Result<usize, HandlerError> {
        let transient = |e: crate::error::ListingsError| HandlerError::Transient(e.to_string());
        let mut withdrawn = 0;
        for status in OPEN {
            let query = ListingQuery {
                organisation: Some(organisation),
                status: Some(status),
                limit: 100,
                ..ListingQuery::default()
            };
            // Each pass withdraws what it read, so the next finds the rest.
            loop {
                let open = self.store.list(tenant, &query).await.map_err(transient)?;
                let mut progressed = false;
                for mut listing in open.iter().cloned() {
                    if listing.withdraw().is_err() {
                        continue;
                    }
                    let mut events: Vec<_> =
                        change_event(&listing, None, false).into_iter().collect();
                    // A reserved listing's reservation ends with it; the other side is told.
                    if status == ListingStatus::Reserved {
                        events.push(
                            reservation_cancelled_event(self.exchanges.as_ref(), &listing, None)
                                .await
                                .map_err(|e| HandlerError::Transient(e.to_string()))?,
                        );
                    }
                    if self
                        .store
                        .save(&listing, status, &events)
                        .await
                        .map_err(transient)?
                    {
                        withdrawn += 1;
                        progressed = true;
                    }
                }
                if open.len() < query.limit as usize || !progressed {
                    break;
                }
            }
        }
        if withdrawn > 0 {
            self.relay.wake();
        }
        Ok(withdrawn)
    }
}

#[async_trait]
impl EventHandler for OrganisationDecidedHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: OrganisationDecided = events::payload(envelope)?;
        if !matches!(event.status.as_str(), "closed" | "suspended") {
            return Ok(());
        }
        let organisation = Uuid::parse_str(&event.organisation_id).map_err(|_| {
            HandlerError::Permanent(format!(
                "organisation_id {:?} is not a UUID",
                event.organisation_id
            ))
        })?;
        let withdrawn = self.withdraw_all(&envelope.tenant, organisation).await?;
        tracing::info!(
            %organisation,
            status = %event.status,
            withdrawn,
            "listings of an organisation that may no longer offer them withdrawn"
        );
        Ok(())
    }
}

/// Erases the text of the messages an erased user wrote.
pub struct UserErasedHandler {
    exchanges: Arc<dyn ExchangeStore>,
}

impl UserErasedHandler {
    pub fn new(exchanges: Arc<dyn ExchangeStore>) -> Self {
        Self { exchanges }
    }
}

#[async_trait]
impl EventHandler for UserErasedHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: UserErased = events::payload(envelope)?;
        let user = Uuid::parse_str(&event.user_id).map_err(|_| {
            HandlerError::Permanent(format!("user_id {:?} is not a UUID", event.user_id))
        })?;
        let erased = self
            .exchanges
            .erase_messages_of(ERASURES_CONSUMER, events::event_id(envelope)?, user)
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if let Some(messages) = erased {
            tracing::info!(%user, messages, "erased user's messages emptied");
        }
        Ok(())
    }
}
