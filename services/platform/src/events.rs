//! Event envelopes and subjects: `<prefix>.<tenant>.<aggregate>.<event>`, e.g.
//! `synergies.dijon.listing.published`.

use prost::Message;
use synergies_proto::events::v1::{
    ConversationMessagePosted, EventEnvelope, ExchangeCompleted, FlowChanged, FlowRecorded,
    FlowRemoved, ListingExpired, ListingHidden, ListingPublished, ListingReservationCancelled,
    ListingReserved, ListingSubmitted, ListingUpdated, ListingWithdrawn, MatchFound,
    OrganisationDecided, OrganisationRegistered, PasswordResetRequested, SynergyGroupProposed,
    UserEmailChangeRequested, UserEmailChanged, UserErased, UserInvited, UserVerificationRequested,
};
use uuid::Uuid;

/// An event message and the `<aggregate>.<event>` type it travels as.
pub trait Event: Message + Default {
    const TYPE: &'static str;
}

impl Event for ListingPublished {
    const TYPE: &'static str = "listing.published";
}

impl Event for ListingSubmitted {
    const TYPE: &'static str = "listing.submitted";
}

impl Event for ListingUpdated {
    const TYPE: &'static str = "listing.updated";
}

impl Event for ListingWithdrawn {
    const TYPE: &'static str = "listing.withdrawn";
}

impl Event for ListingExpired {
    const TYPE: &'static str = "listing.expired";
}

impl Event for ListingHidden {
    const TYPE: &'static str = "listing.hidden";
}

impl Event for ListingReserved {
    const TYPE: &'static str = "listing.reserved";
}

impl Event for ListingReservationCancelled {
    const TYPE: &'static str = "listing.reservation_cancelled";
}

impl Event for ConversationMessagePosted {
    const TYPE: &'static str = "conversation.message_posted";
}

impl Event for ExchangeCompleted {
    const TYPE: &'static str = "exchange.completed";
}

impl Event for FlowRecorded {
    const TYPE: &'static str = "flow.recorded";
}

impl Event for FlowChanged {
    const TYPE: &'static str = "flow.changed";
}

impl Event for FlowRemoved {
    const TYPE: &'static str = "flow.removed";
}

impl Event for SynergyGroupProposed {
    const TYPE: &'static str = "synergy.group_proposed";
}

impl Event for MatchFound {
    const TYPE: &'static str = "match.found";
}

impl Event for OrganisationRegistered {
    const TYPE: &'static str = "organisation.registered";
}

impl Event for OrganisationDecided {
    const TYPE: &'static str = "organisation.decided";
}

impl Event for PasswordResetRequested {
    const TYPE: &'static str = "user.password_reset_requested";
}

impl Event for UserEmailChangeRequested {
    const TYPE: &'static str = "user.email_change_requested";
}

impl Event for UserEmailChanged {
    const TYPE: &'static str = "user.email_changed";
}

impl Event for UserErased {
    const TYPE: &'static str = "user.erased";
}

impl Event for UserInvited {
    const TYPE: &'static str = "user.invited";
}

impl Event for UserVerificationRequested {
    const TYPE: &'static str = "user.verification_requested";
}

/// Wraps `event` in an envelope stamped with a UUIDv7, the time and the current trace context.
pub fn envelope<E: Event>(tenant: &str, producer: &str, event: &E) -> EventEnvelope {
    let trace = crate::telemetry::current_trace_headers();
    EventEnvelope {
        event_id: Uuid::now_v7().to_string(),
        tenant: tenant.to_owned(),
        event_type: E::TYPE.to_owned(),
        occurred_at: Some(timestamp(chrono::Utc::now())),
        producer: producer.to_owned(),
        traceparent: trace.get("traceparent").cloned().unwrap_or_default(),
        tracestate: trace.get("tracestate").cloned().unwrap_or_default(),
        payload: event.encode_to_vec(),
    }
}

/// Subject an envelope is published on.
pub fn subject(prefix: &str, tenant: &str, event_type: &str) -> String {
    format!("{prefix}.{tenant}.{event_type}")
}

/// Filter matching one event type in every tenant, e.g. `synergies.*.listing.published`.
pub fn filter_all_tenants(prefix: &str, event_type: &str) -> String {
    format!("{prefix}.*.{event_type}")
}

/// Filter matching every event of one aggregate in every tenant, e.g. `synergies.*.listing.*`:
/// one durable consumer then receives that aggregate's events in the order they were published.
pub fn filter_aggregate(prefix: &str, aggregate: &str) -> String {
    format!("{prefix}.*.{aggregate}.*")
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed event envelope: {0}")]
    Envelope(prost::DecodeError),
    #[error("event {event_id} has type {actual}, expected {expected}")]
    WrongType {
        event_id: String,
        expected: &'static str,
        actual: String,
    },
    #[error("malformed {event_type} payload in event {event_id}: {source}")]
    Payload {
        event_id: String,
        event_type: &'static str,
        source: prost::DecodeError,
    },
    #[error("event id {0:?} is not a UUID")]
    EventId(String),
}

pub fn decode_envelope(bytes: &[u8]) -> Result<EventEnvelope, DecodeError> {
    let envelope = EventEnvelope::decode(bytes).map_err(DecodeError::Envelope)?;
    event_id(&envelope)?;
    Ok(envelope)
}

pub fn event_id(envelope: &EventEnvelope) -> Result<Uuid, DecodeError> {
    Uuid::parse_str(&envelope.event_id).map_err(|_| DecodeError::EventId(envelope.event_id.clone()))
}

/// Decodes the payload, checking that the envelope carries that event type.
pub fn payload<E: Event>(envelope: &EventEnvelope) -> Result<E, DecodeError> {
    if envelope.event_type != E::TYPE {
        return Err(DecodeError::WrongType {
            event_id: envelope.event_id.clone(),
            expected: E::TYPE,
            actual: envelope.event_type.clone(),
        });
    }
    E::decode(envelope.payload.as_slice()).map_err(|source| DecodeError::Payload {
        event_id: envelope.event_id.clone(),
        event_type: E::TYPE,
        source,
    })
}

pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trip_and_type_check() {
        let event = MatchFound {
            match_id: "m".into(),
            ..Default::default()
        };
        let envelope = envelope("dijon", "matching", &event);
        let decoded = decode_envelope(&envelope.encode_to_vec()).unwrap();
        assert_eq!(payload::<MatchFound>(&decoded).unwrap(), event);
        assert!(matches!(
            payload::<ListingPublished>(&decoded),
            Err(DecodeError::WrongType { .. })
        ));
        assert_eq!(
            Uuid::parse_str(&decoded.event_id)
                .unwrap()
                .get_version_num(),
            7
        );
    }

    #[test]
    fn garbage_is_a_decode_error() {
        assert!(decode_envelope(b"\xff\xff\xff").is_err());
    }
}
