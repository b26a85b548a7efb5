//! Between the domain and the wire: gRPC messages and event payloads.

use synergies_platform::events::{envelope, timestamp};
use synergies_platform::outbox::OutboxEvent;
use synergies_proto::events::v1 as events;
use synergies_proto::flows::v1 as pb;

use crate::domain::{Change, Flow, FlowFields, Revision};

pub fn fields_from_message(message: pb::FlowFields) -> FlowFields {
    FlowFields {
        site_id: message.site_id,
        direction: message.direction,
        resource_class: message.resource_class,
        label: message.label,
        description: message.description,
        ewc_code: message.ewc_code,
        category: message.category,
        quantity: message.quantity,
        unit: message.unit,
        period: message.period,
        regularity: message.regularity,
        confidentiality: message.confidentiality,
        quality: message.quality,
        current_outlet: message.current_outlet,
        yearly_cost_eur: message.yearly_cost_eur,
    }
}

pub fn flow_message(flow: &Flow) -> pb::Flow {
    let content = &flow.content;
    let site = flow.site.as_ref();
    pb::Flow {
        id: flow.id.to_string(),
        organisation_id: flow.organisation_id.to_string(),
        site_id: site.map(|s| s.site_id.to_string()).unwrap_or_default(),
        direction: content.direction.as_str().to_owned(),
        resource_class: content.resource_class.as_str().to_owned(),
        label: content.label.clone(),
        description: content.description.clone(),
        ewc_code: content.ewc_code.clone().unwrap_or_default(),
        category: content.category.clone().unwrap_or_default(),
        quantity: content.quantity.to_string(),
        unit: content.unit.as_str().to_owned(),
        period: content.period.as_str().to_owned(),
        yearly_quantity: content.yearly_quantity().to_string(),
        regularity: content
            .regularity
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        confidentiality: content.confidentiality.as_str().to_owned(),
        quality: content.quality.clone(),
        current_outlet: content.current_outlet.clone(),
        yearly_cost_eur: content
            .yearly_cost_eur
            .map(|c| c.to_string())
            .unwrap_or_default(),
        organisation_name: flow.organisation.name.clone(),
        nace: flow.organisation.nace.clone(),
        insee_code: site.map(|s| s.insee_code.clone()).unwrap_or_default(),
        latitude: site.and_then(|s| s.latitude),
        longitude: site.and_then(|s| s.longitude),
        provenance: flow.provenance.as_str().to_owned(),
        recorded_by_user_id: flow.recorded_by.to_string(),
        recorded_at: Some(timestamp(flow.recorded_at)),
        updated_by_user_id: flow.updated_by.to_string(),
        updated_at: Some(timestamp(flow.updated_at)),
        version: flow.version,
    }
}

pub fn revision_message(revision: &Revision) -> pb::FlowRevision {
    pb::FlowRevision {
        version: revision.version,
        change: revision.change.as_str().to_owned(),
        by_user_id: revision.by.to_string(),
        at: Some(timestamp(revision.at)),
        flow: Some(flow_message(&revision.flow)),
    }
}

/// The flow as events carry it, stamped with the time of `change` and its `version`.
pub fn snapshot(
    flow: &Flow,
    at: chrono::DateTime<chrono::Utc>,
    version: i64,
) -> events::FlowSnapshot {
    let message = flow_message(flow);
    events::FlowSnapshot {
        flow_id: message.id,
        organisation_id: message.organisation_id,
        site_id: message.site_id,
        direction: message.direction,
        resource_class: message.resource_class,
        label: message.label,
        description: message.description,
        ewc_code: message.ewc_code,
        category: message.category,
        quantity: message.quantity,
        unit: message.unit,
        period: message.period,
        yearly_quantity: message.yearly_quantity,
        regularity: message.regularity,
        confidentiality: message.confidentiality,
        nace: message.nace,
        organisation_name: message.organisation_name,
        insee_code: message.insee_code,
        latitude: message.latitude,
        longitude: message.longitude,
        at: Some(timestamp(at)),
        version,
        quality: message.quality,
        current_outlet: message.current_outlet,
    }
}

/// The outbox event of a revision.
pub fn revision_event(revision: &Revision) -> OutboxEvent {
    let flow = Some(snapshot(&revision.flow, revision.at, revision.version));
    let tenant = &revision.flow.tenant;
    let producer = crate::PRODUCER;
    OutboxEvent::new(&match revision.change {
        Change::Recorded => envelope(tenant, producer, &events::FlowRecorded { flow }),
        Change::Changed => envelope(tenant, producer, &events::FlowChanged { flow }),
        Change::Removed => envelope(tenant, producer, &events::FlowRemoved { flow }),
    })
}
