//! Reacts to the events of the aggregates matching follows — listings, exchanges, flows and
//! organisations — one durable consumer each, dispatching on the event type. Each aggregate's
//! events arrive in the order they were published; every change still carries its time, and
//! the store ignores one older than the item's last (redeliveries, replays).

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError, uuid};
use synergies_platform::events::{self, Event, envelope};
use synergies_platform::outbox::{OutboxEvent, RelayWaker};
use synergies_proto::events::v1::{
    EventEnvelope, ExchangeCompleted, FlowChanged, FlowRecorded, FlowRemoved, FlowSnapshot,
    GroupMember, ListingChange, ListingExpired, ListingHidden, ListingKind, ListingPublished,
    ListingReservationCancelled, ListingReserved, ListingSubmitted, ListingUpdated,
    ListingWithdrawn, MatchFound, OrganisationDecided, OrganisationRegistered,
    SynergyGroupProposed,
};
use uuid::Uuid;

use crate::domain::{Confidentiality, IndexedItem, ItemState, Outcome, Proposal, kind_str};
use crate::engine::{DEFAULT_RADIUS_KM, Scorer};
use crate::scoring::{
    Direction, Item, ItemKind, MutualisationGroup, PoolKind, Position, Quantity, ResourceClass,
};
use crate::store::{Delivery, MatchingStore};
use crate::territory::RadiusSource;

/// Microseconds since the epoch of an event's time, which orders an item's changes.
fn micros(at: Option<&prost_types::Timestamp>, event_type: &str) -> Result<i64, HandlerError> {
    let at = at.ok_or_else(|| HandlerError::Permanent(format!("{event_type} without its time")))?;
    Ok(at.seconds * 1_000_000 + i64::from(at.nanos / 1000))
}

fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn quantity(amount: &str, unit: &str) -> Option<Quantity> {
    let amount: f64 = amount.trim().replace(',', ".").parse().ok()?;
    Some(Quantity {
        amount,
        unit: unit.to_owned(),
    })
}

fn position(latitude: Option<f64>, longitude: Option<f64>) -> Option<Position> {
    latitude
        .zip(longitude)
        .map(|(latitude, longitude)| Position {
            latitude,
            longitude,
        })
}

/// A published listing as the index keeps it: offers are outputs, requests inputs.
pub fn listing_item(tenant: &str, event: &ListingPublished) -> Result<IndexedItem, HandlerError> {
    let direction = match ListingKind::try_from(event.kind) {
        Ok(ListingKind::Offer) => Direction::Out,
        Ok(ListingKind::Request) => Direction::In,
        _ => {
            return Err(HandlerError::Permanent(format!(
                "listing kind {} is neither offer nor request",
                event.kind
            )));
        }
    };
    Ok(IndexedItem {
        item: Item {
            id: uuid("listing_id", &event.listing_id)?,
            kind: ItemKind::Listing,
            tenant: tenant.to_owned(),
            organisation_id: uuid("organisation_id", &event.organisation_id)?,
            organisation_name: String::new(),
            nace: String::new(),
            direction,
            resource_class: ResourceClass::of_listing(&event.resource_type, &event.category),
            category: non_empty(&event.category),
            ewc_code: non_empty(&event.ewc_code),
            label: event.title.clone(),
            description: event.description.clone(),
            yearly_quantity: quantity(&event.quantity, &event.unit),
            position: position(event.latitude, event.longitude),
            available_from: None,
            available_until: chrono::NaiveDate::parse_from_str(&event.available_until, "%Y-%m-%d")
                .ok(),
            exchange_mode: non_empty(&event.exchange_mode),
        },
        owner_user_id: Uuid::parse_str(&event.owner_user_id).ok(),
        confidentiality: Confidentiality::Public,
    })
}

/// A diagnosed flow as the index keeps it.
pub fn flow_item(tenant: &str, flow: &FlowSnapshot) -> Result<IndexedItem, HandlerError> {
    let direction = match flow.direction.as_str() {
        "out" => Direction::Out,
        "in" => Direction::In,
        other => {
            return Err(HandlerError::Permanent(format!(
                "flow direction {other:?} is neither in nor out"
            )));
        }
    };
    Ok(IndexedItem {
        item: Item {
            id: uuid("flow_id", &flow.flow_id)?,
            kind: ItemKind::Flow,
            tenant: tenant.to_owned(),
            organisation_id: uuid("organisation_id", &flow.organisation_id)?,
            organisation_name: flow.organisation_name.clone(),
            nace: flow.nace.clone(),
            direction,
            resource_class: ResourceClass::parse(&flow.resource_class)
                .unwrap_or(ResourceClass::Material),
            category: non_empty(&flow.category),
            ewc_code: non_empty(&flow.ewc_code),
            label: flow.label.clone(),
            description: flow.description.clone(),
            yearly_quantity: quantity(&flow.yearly_quantity, &flow.unit),
            position: position(flow.latitude, flow.longitude),
            available_from: None,
            available_until: None,
            exchange_mode: None,
        },
        owner_user_id: None,
        confidentiality: Confidentiality::parse(&flow.confidentiality),
    })
}

/// The event that tells both sides of a new substitution (`match.found`, which names the
/// output as the offer and the input as the request, whatever their kinds).
pub fn match_found_event(tenant: &str, synergy_id: Uuid, proposal: &Proposal) -> OutboxEvent {
    let (output, input) = (&proposal.output, &proposal.input);
    // A side is told of the other unless the other is a flow kept for facilitators; a flow
    // has no owning member: its organisation is told.
    let hidden = |other: &IndexedItem| {
        other.item.kind == ItemKind::Flow && other.confidentiality == Confidentiality::Facilitator
    };
    let organisation_told =
        |item: &IndexedItem, other: &IndexedItem| item.owner_user_id.is_none() && !hidden(other);
    let told = |item: &IndexedItem, other: &IndexedItem| {
        let hidden = hidden(other);
        item.owner_user_id
            .filter(|_| !hidden)
            .map(|u| u.to_string())
            .unwrap_or_default()
    };
    let event = MatchFound {
        match_id: synergy_id.to_string(),
        offer_listing_id: output.item.id.to_string(),
        request_listing_id: input.item.id.to_string(),
        offer_title: output.item.label.clone(),
        request_title: input.item.label.clone(),
        offer_organisation_id: output.item.organisation_id.to_string(),
        request_organisation_id: input.item.organisation_id.to_string(),
        offer_owner_user_id: told(output, input),
        request_owner_user_id: told(input, output),
        category: output.item.category.clone().unwrap_or_default(),
        explanation: proposal.scored.explanation.en.clone(),
        score: proposal.scored.score,
        synergy_id: synergy_id.to_string(),
        offer_organisation_name: output.item.organisation_name.clone(),
        request_organisation_name: input.item.organisation_name.clone(),
        explanation_fr: proposal.scored.explanation.fr.clone(),
        explanation_en: proposal.scored.explanation.en.clone(),
        offer_item_kind: kind_str(output.item.kind).to_owned(),
        request_item_kind: kind_str(input.item.kind).to_owned(),
        offer_organisation_told: organisation_told(output, input),
        request_organisation_told: organisation_told(input, output),
    };
    OutboxEvent::new(&envelope(tenant, crate::PRODUCER, &event))
}

/// The event that tells the members of a mutualisation group (new, or grown: `told` are the
/// newcomers) that organisations nearby could pool something with them.
pub fn group_proposed_event(
    tenant: &str,
    synergy_id: Uuid,
    group: &MutualisationGroup,
    members: &[&IndexedItem],
    told: &[&IndexedItem],
) -> OutboxEvent {
    let organisations: std::collections::BTreeSet<Uuid> =
        members.iter().map(|m| m.item.organisation_id).collect();
    let event = SynergyGroupProposed {
        synergy_id: synergy_id.to_string(),
        pool: match group.kind {
            PoolKind::Collection => "collection",
            PoolKind::Purchasing => "purchasing",
            PoolKind::SharedService => "shared-service",
        }
        .to_owned(),
        resource_class: group.resource_class.as_str().to_owned(),
        explanation_fr: group.explanation.fr.clone(),
        explanation_en: group.explanation.en.clone(),
        organisations: u32::try_from(organisations.len()).unwrap_or(u32::MAX),
        told: told
            .iter()
            .map(|member| GroupMember {
                organisation_id: member.item.organisation_id.to_string(),
                organisation_name: member.item.organisation_name.clone(),
                item_kind: kind_str(member.item.kind).to_owned(),
                item_id: member.item.id.to_string(),
                label: member.item.label.clone(),
                owner_user_id: member
                    .owner_user_id
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
    };
    OutboxEvent::new(&envelope(tenant, crate::PRODUCER, &event))
}

/// What one event does to the index.
enum Change {
    /// The item as it now reads, in a state.
    Put(Box<IndexedItem>, ItemState, i64),
    /// Only its state changes.
    State {
        item_id: Uuid,
        organisation_id: Uuid,
        state: ItemState,
        at_micros: i64,
    },
    /// An organisation's name (and activity) learned.
    Organisation {
        organisation_id: Uuid,
        name: String,
        /// "" when the event does not say.
        nace: String,
    },
    /// Nothing matching cares about.
    Ignored,
}

fn state_change<E: Event>(
    change: Option<&ListingChange>,
    state: ItemState,
) -> Result<Change, HandlerError> {
    let change =
        change.ok_or_else(|| HandlerError::Permanent(format!("{} without its change", E::TYPE)))?;
    Ok(Change::State {
        item_id: uuid("listing_id", &change.listing_id)?,
        organisation_id: uuid("organisation_id", &change.organisation_id)
            .unwrap_or_else(|_| Uuid::nil()),
        state,
        at_micros: micros(change.at.as_ref(), E::TYPE)?,
    })
}

fn published(tenant: &str, event: &ListingPublished, kind: &str) -> Result<Change, HandlerError> {
    Ok(Change::Put(
        Box::new(listing_item(tenant, event)?),
        ItemState::Open,
        micros(event.published_at.as_ref(), kind)?,
    ))
}

fn flow_change(
    tenant: &str,
    flow: Option<&FlowSnapshot>,
    kind: &str,
) -> Result<Change, HandlerError> {
    let flow = flow.ok_or_else(|| HandlerError::Permanent(format!("{kind} without its flow")))?;
    Ok(Change::Put(
        Box::new(flow_item(tenant, flow)?),
        ItemState::Open,
        micros(flow.at.as_ref(), kind)?,
    ))
}

/// What `envelope` changes, by its type.
fn change_of(envelope: &EventEnvelope) -> Result<Change, HandlerError> {
    let tenant = envelope.tenant.as_str();
    match envelope.event_type.as_str() {
        ListingPublished::TYPE => published(
            tenant,
            &events::payload::<ListingPublished>(envelope)?,
            ListingPublished::TYPE,
        ),
        ListingUpdated::TYPE => {
            let event: ListingUpdated = events::payload(envelope)?;
            let listing = event.listing.as_ref().ok_or_else(|| {
                HandlerError::Permanent(format!("{} without its listing", ListingUpdated::TYPE))
            })?;
            published(tenant, listing, ListingUpdated::TYPE)
        }
        // Edited and waiting for approval again, or reserved for one organisation: held.
        ListingSubmitted::TYPE => state_change::<ListingSubmitted>(
            events::payload::<ListingSubmitted>(envelope)?
                .change
                .as_ref(),
            ItemState::Held,
        ),
        ListingReserved::TYPE => state_change::<ListingReserved>(
            events::payload::<ListingReserved>(envelope)?
                .change
                .as_ref(),
            ItemState::Held,
        ),
        // Cancelled by its organisation, the listing is published again; a reservation also
        // ends when its listing is withdrawn or hidden: then it closes.
        ListingReservationCancelled::TYPE => {
            let event: ListingReservationCancelled = events::payload(envelope)?;
            let state = match event.change.as_ref().map(|c| c.status.as_str()) {
                Some("published") => ItemState::Open,
                _ => ItemState::Closed,
            };
            state_change::<ListingReservationCancelled>(event.change.as_ref(), state)
        }
        ListingWithdrawn::TYPE => state_change::<ListingWithdrawn>(
            events::payload::<ListingWithdrawn>(envelope)?
                .change
                .as_ref(),
            ItemState::Closed,
        ),
        ListingExpired::TYPE => state_change::<ListingExpired>(
            events::payload::<ListingExpired>(envelope)?.change.as_ref(),
            ItemState::Closed,
        ),
        ListingHidden::TYPE => state_change::<ListingHidden>(
            events::payload::<ListingHidden>(envelope)?.change.as_ref(),
            ItemState::Closed,
        ),
        // A completed exchange ends its listing for good, unless the listing is recurring:
        // then it is published again, open to matching until its organisation closes it.
        ExchangeCompleted::TYPE => {
            let event: ExchangeCompleted = events::payload(envelope)?;
            Ok(Change::State {
                item_id: uuid("listing_id", &event.listing_id)?,
                organisation_id: uuid("giver_organisation_id", &event.giver_organisation_id)
                    .unwrap_or_else(|_| Uuid::nil()),
                state: if event.listing_stays_open {
                    ItemState::Open
                } else {
                    ItemState::Closed
                },
                at_micros: micros(event.completed_at.as_ref(), ExchangeCompleted::TYPE)?,
            })
        }
        FlowRecorded::TYPE => flow_change(
            tenant,
            events::payload::<FlowRecorded>(envelope)?.flow.as_ref(),
            FlowRecorded::TYPE,
        ),
        FlowChanged::TYPE => flow_change(
            tenant,
            events::payload::<FlowChanged>(envelope)?.flow.as_ref(),
            FlowChanged::TYPE,
        ),
        FlowRemoved::TYPE => {
            let event: FlowRemoved = events::payload(envelope)?;
            let flow = event.flow.as_ref().ok_or_else(|| {
                HandlerError::Permanent(format!("{} without its flow", FlowRemoved::TYPE))
            })?;
            Ok(Change::State {
                item_id: uuid("flow_id", &flow.flow_id)?,
                organisation_id: uuid("organisation_id", &flow.organisation_id)?,
                state: ItemState::Closed,
                at_micros: micros(flow.at.as_ref(), FlowRemoved::TYPE)?,
            })
        }
        OrganisationDecided::TYPE => {
            let event: OrganisationDecided = events::payload(envelope)?;
            Ok(Change::Organisation {
                organisation_id: uuid("organisation_id", &event.organisation_id)?,
                name: event.organisation_name,
                nace: String::new(),
            })
        }
        OrganisationRegistered::TYPE => {
            let event: OrganisationRegistered = events::payload(envelope)?;
            Ok(Change::Organisation {
                organisation_id: uuid("organisation_id", &event.organisation_id)?,
                name: event.organisation_name,
                nace: event.naf,
            })
        }
        _ => Ok(Change::Ignored),
    }
}

/// Applies the events of one aggregate to the index, once per event and consumer.
pub struct AggregateHandler {
    store: Arc<dyn MatchingStore>,
    scorer: Arc<dyn Scorer>,
    radius: Arc<dyn RadiusSource>,
    relay: RelayWaker,
    consumer: &'static str,
}

impl AggregateHandler {
    pub fn new(
        store: Arc<dyn MatchingStore>,
        scorer: Arc<dyn Scorer>,
        radius: Arc<dyn RadiusSource>,
        relay: RelayWaker,
        consumer: &'static str,
    ) -> Self {
        Self {
            store,
            scorer,
            radius,
            relay,
            consumer,
        }
    }
}

#[async_trait]
impl EventHandler for AggregateHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let change = change_of(envelope)?;
        let event_id = events::event_id(envelope)?;
        // Only changes of items regroup; identity down holds the event without spending it.
        let radius_km = match change {
            Change::Put(..) | Change::State { .. } => self
                .radius
                .radius_km(&envelope.tenant)
                .await
                .map_err(|status| HandlerError::Unavailable(format!("identity: {status}")))?,
            Change::Organisation { .. } | Change::Ignored => DEFAULT_RADIUS_KM,
        };
        let delivery = Delivery {
            consumer: self.consumer,
            event_id,
            scorer: self.scorer.as_ref(),
            radius_km,
            event_for: &match_found_event,
            group_event_for: &group_proposed_event,
        };
        let transient = |error: crate::error::MatchingError| match error {
            // The database down is an outage the consumer waits out, not the event's failure.
            crate::error::MatchingError::Storage(error) => HandlerError::from(error),
            other => HandlerError::Transient(other.to_string()),
        };
        let outcome: Option<Outcome> = match change {
            Change::Put(item, state, at) => self
                .store
                .put_item(delivery, &item, state, at)
                .await
                .map_err(transient)?,
            Change::State {
                item_id,
                organisation_id,
                state,
                at_micros,
            } => self
                .store
                .set_item_state(
                    delivery,
                    &envelope.tenant,
                    item_id,
                    organisation_id,
                    state,
                    at_micros,
                )
                .await
                .map_err(transient)?,
            Change::Organisation {
                organisation_id,
                name,
                nace,
            } => {
                self.store
                    .learn_organisation(
                        self.consumer,
                        event_id,
                        &envelope.tenant,
                        organisation_id,
                        &name,
                        &nace,
                    )
                    .await
                    .map_err(transient)?;
                None
            }
            Change::Ignored => None,
        };
        match outcome {
            Some(outcome) if !outcome.proposed.is_empty() => {
                tracing::info!(event = %envelope.event_type, proposed = outcome.proposed.len(), "synergies proposed");
                self.relay.wake();
            }
            Some(_) => tracing::info!(event = %envelope.event_type, "index updated"),
            None => {}
        }
        Ok(())
    }
}
