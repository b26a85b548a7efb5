//! Conversations between members about a listing, reservations and recorded exchanges.
//!
//! - A conversation joins a listing's organisation and one asking organisation (one per listing
//!   and asking organisation); members of both post and read its messages.
//! - The listing's organisation reserves the listing for the asking organisation of one of its
//!   conversations (published → reserved) and may cancel (→ published).
//! - Each side then confirms the quantity actually transferred. The exchange completes when both
//!   confirmations name the same quantity and unit: the listing becomes completed and an
//!   [`Exchange`] is recorded, in one transaction with its event.
//!
//! Why both must agree rather than taking the receiver's figure: the recorded quantity feeds the
//! territory's impact figures (tonnes diverted, CO2e avoided), which facilitators report to
//! public funders. A figure one side could set alone could be inflated by that side; an agreed
//! one is a fact both organisations vouch for. Until they agree, the listing stays reserved,
//! each side sees both figures and either may confirm again (its new figure replaces its old).

pub mod error;
pub mod grpc;
pub mod impact;
pub mod store;

use chrono::{DateTime, Utc};
use synergies_platform::events::envelope;
use synergies_platform::outbox::OutboxEvent;
use synergies_proto::events::v1 as events;
use uuid::Uuid;

use crate::domain::{ExchangeMode, Listing, ListingKind, Quantity, Recurrence, Unit};
use error::ExchangesError;
use store::ExchangeStore;

/// Longest message, in characters.
pub const MESSAGE_MAX: usize = 4000;

/// The `listing.reservation_cancelled` event of `listing`, whose reservation ends with the step
/// it just took: cancelled by its organisation (published again), or ended by a withdrawal or a
/// hiding — the change's status says which. Names the counterpart and the member who asked, who
/// is told; read before the step is stored, while the reservation is still on record.
pub async fn reservation_cancelled_event(
    store: &dyn ExchangeStore,
    listing: &Listing,
    by_user: Option<Uuid>,
) -> Result<OutboxEvent, ExchangesError> {
    let reservation = store.reservation(&listing.tenant, listing.id).await?;
    let conversation = match &reservation {
        Some(reservation) => {
            store
                .conversation(&listing.tenant, reservation.conversation_id)
                .await?
        }
        None => None,
    };
    let event = events::ListingReservationCancelled {
        change: Some(crate::convert::listing_change(listing, by_user)),
        conversation_id: reservation
            .as_ref()
            .map(|r| r.conversation_id.to_string())
            .unwrap_or_default(),
        counterpart_organisation_id: reservation
            .as_ref()
            .map(|r| r.counterpart_organisation_id.to_string())
            .unwrap_or_default(),
        counterpart_user_id: conversation
            .map(|c| c.started_by_user_id.to_string())
            .unwrap_or_default(),
    };
    Ok(OutboxEvent::new(&envelope(
        &listing.tenant,
        crate::PRODUCER,
        &event,
    )))
}

/// "38" or "12.5": a quantity transferred once, as both sides state it.
fn one_off_amount(thousandths: i64, unit: Unit) -> String {
    Quantity {
        thousandths,
        unit,
        recurrence: Recurrence::OneOff,
    }
    .amount()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: Uuid,
    pub tenant: String,
    pub listing_id: Uuid,
    /// The listing's current title (read with the conversation).
    pub listing_title: String,
    pub listing_organisation_id: Uuid,
    pub asking_organisation_id: Uuid,
    pub started_by_user_id: Uuid,
    pub created_at: DateTime<Utc>,
    /// Id of the newest message, or the conversation's own id before any: UUIDv7, so ordering
    /// by it orders by last activity, alike on both databases.
    pub activity_id: Uuid,
}

impl Conversation {
    /// A new conversation of `asking_organisation` about `listing`.
    pub fn open(listing: &Listing, asking_organisation_id: Uuid, by_user: Uuid) -> Self {
        let id = Uuid::now_v7();
        Self {
            id,
            tenant: listing.tenant.clone(),
            listing_id: listing.id,
            listing_title: listing.title.clone(),
            listing_organisation_id: listing.organisation_id,
            asking_organisation_id,
            started_by_user_id: by_user,
            created_at: synergies_platform::time::now(),
            activity_id: id,
        }
    }

    /// The organisation on the other side from `organisation`.
    pub fn other_side(&self, organisation: Uuid) -> Uuid {
        if organisation == self.listing_organisation_id {
            self.asking_organisation_id
        } else {
            self.listing_organisation_id
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub tenant: String,
    pub conversation_id: Uuid,
    pub author_user_id: Uuid,
    pub author_organisation_id: Uuid,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// Its author erased their account: the text is gone.
    pub erased: bool,
}

/// A quantity one side says was transferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub thousandths: i64,
    pub unit: Unit,
    pub by_user_id: Uuid,
    pub at: DateTime<Utc>,
    /// Mass of one unit the member stated, in grams (thousandths of a kg).
    pub kg_per_unit_grams: Option<i64>,
}

impl Confirmation {
    pub fn amount(&self) -> String {
        one_off_amount(self.thousandths, self.unit)
    }

    fn same_quantity(&self, other: &Self) -> bool {
        self.thousandths == other.thousandths && self.unit == other.unit
    }
}

/// Which side of a reservation confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The listing's organisation.
    Owner,
    /// The organisation it is reserved for.
    Counterpart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub tenant: String,
    pub listing_id: Uuid,
    pub conversation_id: Uuid,
    pub counterpart_organisation_id: Uuid,
    pub reserved_at: DateTime<Utc>,
    pub owner: Option<Confirmation>,
    pub counterpart: Option<Confirmation>,
}

/// Where the two confirmations stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    /// One side (or none) has confirmed.
    Waiting,
    /// Both confirmed, with different quantities.
    Differ,
    /// Both confirmed the same quantity.
    Agreed { thousandths: i64, unit: Unit },
}

impl Reservation {
    pub fn for_conversation(conversation: &Conversation) -> Self {
        Self {
            tenant: conversation.tenant.clone(),
            listing_id: conversation.listing_id,
            conversation_id: conversation.id,
            counterpart_organisation_id: conversation.asking_organisation_id,
            reserved_at: synergies_platform::time::now(),
            owner: None,
            counterpart: None,
        }
    }

    /// The mass of one unit stated by the latest confirmation that states one.
    pub fn stated_kg_per_unit_grams(&self) -> Option<i64> {
        let mut stated: Vec<&Confirmation> = [&self.owner, &self.counterpart]
            .into_iter()
            .flatten()
            .filter(|c| c.kg_per_unit_grams.is_some())
            .collect();
        stated.sort_by_key(|c| c.at);
        stated.last().and_then(|c| c.kg_per_unit_grams)
    }

    pub fn agreement(&self) -> Agreement {
        match (&self.owner, &self.counterpart) {
            (Some(owner), Some(counterpart)) if owner.same_quantity(counterpart) => {
                Agreement::Agreed {
                    thousandths: owner.thousandths,
                    unit: owner.unit,
                }
            }
            (Some(_), Some(_)) => Agreement::Differ,
            _ => Agreement::Waiting,
        }
    }
}

/// A completed exchange: what went from whom to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub id: Uuid,
    pub tenant: String,
    pub listing_id: Uuid,
    pub conversation_id: Uuid,
    pub giver_organisation_id: Uuid,
    pub receiver_organisation_id: Uuid,
    pub exchange_mode: ExchangeMode,
    pub category: String,
    pub thousandths: i64,
    pub unit: Unit,
    pub completed_at: DateTime<Utc>,
    pub impact: impact::Impact,
}

impl Exchange {
    /// The exchange of `listing` with the counterpart of `reservation`: for an offer the
    /// listing's organisation gives, for a request it receives.
    pub fn of(listing: &Listing, reservation: &Reservation, thousandths: i64, unit: Unit) -> Self {
        let kg_per_unit = reservation.stated_kg_per_unit_grams();
        let (giver, receiver) = match listing.kind {
            ListingKind::Offer => (
                listing.organisation_id,
                reservation.counterpart_organisation_id,
            ),
            ListingKind::Request => (
                reservation.counterpart_organisation_id,
                listing.organisation_id,
            ),
        };
        Self {
            id: Uuid::now_v7(),
            tenant: listing.tenant.clone(),
            listing_id: listing.id,
            conversation_id: reservation.conversation_id,
            giver_organisation_id: giver,
            receiver_organisation_id: receiver,
            exchange_mode: listing.exchange_mode,
            category: listing.category.clone(),
            thousandths,
            unit,
            completed_at: synergies_platform::time::now(),
            impact: impact::of(listing, thousandths, unit, kg_per_unit),
        }
    }

    pub fn amount(&self) -> String {
        one_off_amount(self.thousandths, self.unit)
    }

    /// `YYYY-MM` of completion (UTC), by which totals are grouped.
    pub fn month(&self) -> String {
        self.completed_at.format("%Y-%m").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confirmation(thousandths: i64, unit: Unit) -> Confirmation {
        Confirmation {
            thousandths,
            unit,
            by_user_id: Uuid::now_v7(),
            at: synergies_platform::time::now(),
            kg_per_unit_grams: None,
        }
    }

    #[test]
    fn both_sides_must_confirm_the_same_quantity_and_unit() {
        let mut reservation = Reservation {
            tenant: "dijon".into(),
            listing_id: Uuid::now_v7(),
            conversation_id: Uuid::now_v7(),
            counterpart_organisation_id: Uuid::now_v7(),
            reserved_at: synergies_platform::time::now(),
            owner: None,
            counterpart: None,
        };
        assert_eq!(reservation.agreement(), Agreement::Waiting);
        reservation.owner = Some(confirmation(40_000, Unit::Piece));
        assert_eq!(reservation.agreement(), Agreement::Waiting);
        reservation.counterpart = Some(confirmation(38_000, Unit::Piece));
        assert_eq!(reservation.agreement(), Agreement::Differ);
        reservation.counterpart = Some(confirmation(40_000, Unit::Kg));
        assert_eq!(reservation.agreement(), Agreement::Differ);
        reservation.counterpart = Some(confirmation(40_000, Unit::Piece));
        assert_eq!(
            reservation.agreement(),
            Agreement::Agreed {
                thousandths: 40_000,
                unit: Unit::Piece
            }
        );
    }
}
