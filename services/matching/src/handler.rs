//! Reacts to listing events: `listing.published` and `listing.updated` index, pair and
//! announce; closing events drop the listing; reservations and re-submissions hold it.

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_platform::events::{self, envelope};
use synergies_platform::outbox::{OutboxEvent, RelayWaker};
use synergies_proto::events::v1::{
    EventEnvelope, ExchangeCompleted, ListingChange, ListingExpired, ListingHidden, ListingKind,
    ListingPublished, ListingReservationCancelled, ListingReserved, ListingSubmitted,
    ListingUpdated, ListingWithdrawn, MatchFound,
};
use uuid::Uuid;

use crate::domain::{IndexedListing, Match, Side};
use crate::store::MatchingStore;

/// The events that carry a listing as it now reads, open to matches: its publication, and an
/// edit of a published listing.
pub trait PublishesListing: events::Event + Send + Sync + 'static {
    fn listing(&self) -> Option<&ListingPublished>;
}

impl PublishesListing for ListingPublished {
    fn listing(&self) -> Option<&ListingPublished> {
        Some(self)
    }
}

impl PublishesListing for ListingUpdated {
    fn listing(&self) -> Option<&ListingPublished> {
        self.listing.as_ref()
    }
}

/// Reacts to `listing.published` and `listing.updated`: (re-)indexes the listing, pairs it,
/// announces new matches.
pub struct ListingPublishedHandler<E> {
    store: Arc<dyn MatchingStore>,
    relay: RelayWaker,
    consumer: &'static str,
    event: std::marker::PhantomData<fn() -> E>,
}

impl<E> ListingPublishedHandler<E> {
    pub fn new(store: Arc<dyn MatchingStore>, relay: RelayWaker, consumer: &'static str) -> Self {
        Self {
            store,
            relay,
            consumer,
            event: std::marker::PhantomData,
        }
    }
}

fn uuid(field: &str, value: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value)
        .map_err(|_| HandlerError::Permanent(format!("{field} {value:?} is not a UUID")))
}

/// The listing as matching indexes it; a listing without a known side cannot be matched.
pub fn indexed_listing(
    tenant: &str,
    event: &ListingPublished,
) -> Result<IndexedListing, HandlerError> {
    let side = match ListingKind::try_from(event.kind) {
        Ok(ListingKind::Offer) => Side::Offer,
        Ok(ListingKind::Request) => Side::Request,
        _ => {
            return Err(HandlerError::Permanent(format!(
                "listing kind {} is neither offer nor request",
                event.kind
            )));
        }
    };
    Ok(IndexedListing {
        listing_id: uuid("listing_id", &event.listing_id)?,
        tenant: tenant.to_owned(),
        side,
        category: event.category.clone(),
        organisation_id: uuid("organisation_id", &event.organisation_id)?,
        owner_user_id: uuid("owner_user_id", &event.owner_user_id)?,
        title: event.title.clone(),
    })
}

pub fn match_found_event(found: &Match) -> OutboxEvent {
    let event = MatchFound {
        match_id: found.id.to_string(),
        offer_listing_id: found.offer.listing_id.to_string(),
        request_listing_id: found.request.listing_id.to_string(),
        offer_title: found.offer.title.clone(),
        request_title: found.request.title.clone(),
        offer_organisation_id: found.offer.organisation_id.to_string(),
        request_organisation_id: found.request.organisation_id.to_string(),
        offer_owner_user_id: found.offer.owner_user_id.to_string(),
        request_owner_user_id: found.request.owner_user_id.to_string(),
        category: found.offer.category.clone(),
        explanation: found.explanation.clone(),
        score: found.score,
    };
    OutboxEvent::new(&envelope(&found.tenant, crate::PRODUCER, &event))
}

#[async_trait]
impl<E: PublishesListing> EventHandler for ListingPublishedHandler<E> {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: E = events::payload(envelope)?;
        let event = event
            .listing()
            .ok_or_else(|| HandlerError::Permanent(format!("{} without its listing", E::TYPE)))?;
        let listing = indexed_listing(&envelope.tenant, event)?;
        let published_at = micros(event.published_at.as_ref(), E::TYPE)?;
        let event_id = events::event_id(envelope)?;
        match self
            .store
            .index_listing(
                self.consumer,
                event_id,
                &listing,
                published_at,
                &match_found_event,
            )
            .await
        {
            Ok(Some(found)) => {
                tracing::info!(listing_id = %listing.listing_id, matches = found.len(), "listing indexed");
                if !found.is_empty() {
                    self.relay.wake();
                }
                Ok(())
            }
            Ok(None) => {
                tracing::info!(listing_id = %listing.listing_id, "event already handled, skipped");
                Ok(())
            }
            Err(error) => Err(HandlerError::Transient(error.to_string())),
        }
    }
}

/// What an event does to a listing's place in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Withdrawn, expired, hidden or exchanged: the listing leaves the index for good, so later
    /// listings are not paired with it (matches already told stay on record).
    Close,
    /// Reserved for one organisation, or edited and waiting for approval again (`held`: not
    /// paired), or its reservation cancelled (released: paired again); at the time of the change,
    /// in microseconds, since the events come through separate consumers in any order.
    Hold { held: bool, at_micros: i64 },
}

/// The events that move a listing in or out of pairing, other than its publication.
pub trait ListingStep: events::Event + Send + Sync + 'static {
    /// The listing the event is about, and what happens to it.
    fn step(&self) -> Result<(Uuid, Step), HandlerError>;
}

fn change_of<E: events::Event>(
    change: Option<&ListingChange>,
) -> Result<&ListingChange, HandlerError> {
    change.ok_or_else(|| HandlerError::Permanent(format!("{} without its change", E::TYPE)))
}

fn closes<E: events::Event>(change: Option<&ListingChange>) -> Result<(Uuid, Step), HandlerError> {
    let change = change_of::<E>(change)?;
    Ok((uuid("listing_id", &change.listing_id)?, Step::Close))
}

fn holds<E: events::Event>(
    change: Option<&ListingChange>,
    held: bool,
) -> Result<(Uuid, Step), HandlerError> {
    let change = change_of::<E>(change)?;
    let at_micros = micros(change.at.as_ref(), E::TYPE)?;
    Ok((
        uuid("listing_id", &change.listing_id)?,
        Step::Hold { held, at_micros },
    ))
}

impl ListingStep for ListingWithdrawn {
    fn step(&self) -> Result<(Uuid, Step), HandlerError> {
        closes::<Self>(self.change.as_ref())
    }
}

impl ListingStep for ListingExpired {
    fn step(&self) -> Result<(Uuid, Step), HandlerError> {
        closes::<Self>(self.change.as_ref())
    }
}

impl ListingStep for ListingHidden {
    fn step(&self) -> Result<(Uuid, Step), HandlerError> {
        closes::<Self>(self.change.as_ref())
    }
}

/// A completed exchange ends its listing for good.
impl ListingStep for ExchangeCompleted {
    fn step(&self) -> Result<(Uuid, Step), HandlerError> {
        Ok((uuid("listing_id", &self.listing_id)?, Step::Close))
    }
}

impl ListingStep for ListingReserved {
    fn step(&self) -> Result<(Uuid, Step), HandlerError> {
        holds::<Self>(self.change.as_ref(), true)
    }
}

/// Submitted for approval: after an edit of a published listing, it is not open until a
/// facilitator approves it again (a first submission has nothing indexed yet to hold).
impl ListingStep for ListingSubmitted {
    fn step(&self) -> Result<(Uuid, Step), HandlerError> {
        holds::<Self>(self.change.as_ref(), true)
    }
}

/// Cancelled by its organisation, the listing is published again: released. A reservation also
/// ends when its listing is withdrawn or hidden: then it closes, whichever of the two events
/// comes first.
impl ListingStep for ListingReservationCancelled {
    fn step(&self) -> Result<(Uuid, Step), HandlerError> {
        let change = change_of::<Self>(self.change.as_ref())?;
        if change.status == "published" {
            holds::<Self>(Some(change), false)
        } else {
            closes::<Self>(Some(change))
        }
    }
}

/// Microseconds since the epoch of an event's time, which orders a listing's changes.
fn micros(at: Option<&prost_types::Timestamp>, event_type: &str) -> Result<i64, HandlerError> {
    let at = at.ok_or_else(|| HandlerError::Permanent(format!("{event_type} without its time")))?;
    Ok(at.seconds * 1_000_000 + i64::from(at.nanos / 1000))
}

/// Applies one kind of [`ListingStep`] event to the index, once per event.
pub struct ListingStepHandler<E> {
    store: Arc<dyn MatchingStore>,
    consumer: &'static str,
    event: std::marker::PhantomData<fn() -> E>,
}

impl<E> ListingStepHandler<E> {
    pub fn new(store: Arc<dyn MatchingStore>, consumer: &'static str) -> Self {
        Self {
            store,
            consumer,
            event: std::marker::PhantomData,
        }
    }
}

#[async_trait]
impl<E: ListingStep> EventHandler for ListingStepHandler<E> {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: E = events::payload(envelope)?;
        let (listing_id, step) = event.step()?;
        let event_id = events::event_id(envelope)?;
        let applied = match step {
            Step::Close => {
                self.store
                    .unindex_listing(self.consumer, event_id, listing_id)
                    .await
            }
            Step::Hold { held, at_micros } => {
                self.store
                    .hold_listing(self.consumer, event_id, listing_id, held, at_micros)
                    .await
            }
        }
        .map_err(|error| HandlerError::Transient(error.to_string()))?;
        if applied {
            tracing::info!(%listing_id, event = E::TYPE, ?step, "listing step applied");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancelled(status: &str) -> ListingReservationCancelled {
        ListingReservationCancelled {
            change: Some(ListingChange {
                listing_id: Uuid::now_v7().to_string(),
                status: status.to_owned(),
                at: Some(prost_types::Timestamp {
                    seconds: 2,
                    nanos: 5_000,
                }),
                ..ListingChange::default()
            }),
            ..ListingReservationCancelled::default()
        }
    }

    #[test]
    fn a_reservation_ends_by_release_or_by_closing_its_listing() {
        let (_, step) = cancelled("published").step().unwrap();
        assert_eq!(
            step,
            Step::Hold {
                held: false,
                at_micros: 2_000_005
            }
        );
        for status in ["withdrawn", "hidden"] {
            assert_eq!(cancelled(status).step().unwrap().1, Step::Close);
        }
        assert!(matches!(
            ListingReservationCancelled::default().step(),
            Err(HandlerError::Permanent(_))
        ));
    }
}
