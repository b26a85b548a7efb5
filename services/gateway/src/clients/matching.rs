//! The matching service as the gateway calls it: synergies of an item, of the tenant, the
//! facilitators' pipeline and the members' feedback, converted to the API's JSON shapes.
//! Reads are retried (idempotent); writes are not.

use serde::Serialize;
use synergies_platform::context::{CallerContext, anonymous_request, request};
use synergies_platform::grpc::ServiceChannel;
use synergies_platform::retry::idempotent_call;
use synergies_proto::matching::v1 as pb;
use synergies_proto::matching::v1::matching_service_client::MatchingServiceClient;
use tonic::Status;
use utoipa::ToSchema;

use crate::error::ApiError;

/// One named part of a score, in [0, 1].
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct Factor {
    pub name: String,
    pub value: f64,
}

/// The other side of a substitution, as seen from the item asked about.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct Counterpart {
    /// `listing` or `flow`.
    pub kind: String,
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub label: String,
}

/// A party of a synergy: for a mutualisation group, one member.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct Member {
    /// `listing` or `flow`.
    pub kind: String,
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub label: String,
    /// `output` or `input` (substitution), `member` (mutualisation).
    pub role: String,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct Note {
    pub text: String,
    pub by_user_id: String,
    pub at: String,
}

/// A synergy: a substitution (an output of one organisation for an input of another) or a
/// mutualisation group (three organisations or more nearby pooling the same thing).
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct Synergy {
    pub id: String,
    /// `substitution` or `mutualisation`.
    pub kind: String,
    /// In [0, 1].
    pub score: f64,
    /// The other side (lists of an item's synergies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<Counterpart>,
    pub members: Vec<Member>,
    /// material, waste, by-product, energy, water, equipment, service, skill, space, logistics.
    pub resource_class: String,
    /// Mutualisation: collection, purchasing or shared-service.
    pub pool: String,
    /// In French.
    pub explanation: String,
    pub explanation_en: String,
    pub factors: Vec<Factor>,
    /// proposed, contacted, studying, realised or abandoned.
    pub status: String,
    pub status_reason: String,
    pub notes: Vec<Note>,
    pub advisor_user_id: String,
    pub realised_quantity: Option<f64>,
    pub unit: String,
    /// Once realised: when (RFC 3339), and what it added to the territory's impact — absent
    /// where it cannot be said; euros saved are an estimate.
    pub realised_at: Option<String>,
    pub kg_diverted: Option<f64>,
    pub co2e_kg: Option<f64>,
    pub value_cents: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct SynergyList {
    pub synergies: Vec<Synergy>,
}

fn party(p: pb::Party) -> Member {
    Member {
        kind: p.kind,
        id: p.id,
        organisation_id: p.organisation_id,
        organisation_name: p.organisation_name,
        label: p.label,
        role: p.role,
    }
}

pub fn synergy_json(s: pb::Synergy) -> Synergy {
    Synergy {
        id: s.id,
        kind: s.kind,
        score: s.score,
        counterpart: s.counterpart.map(|p| Counterpart {
            kind: p.kind,
            id: p.id,
            organisation_id: p.organisation_id,
            organisation_name: p.organisation_name,
            label: p.label,
        }),
        members: s.members.into_iter().map(party).collect(),
        resource_class: s.resource_class,
        pool: s.pool,
        explanation: s.explanation,
        explanation_en: s.explanation_en,
        factors: s
            .factors
            .into_iter()
            .map(|f| Factor {
                name: f.name,
                value: f.value,
            })
            .collect(),
        status: s.status,
        status_reason: s.status_reason,
        notes: s
            .notes
            .into_iter()
            .map(|n| Note {
                at: crate::clients::rfc3339(n.at.as_ref()),
                text: n.text,
                by_user_id: n.by_user_id,
            })
            .collect(),
        advisor_user_id: s.advisor_user_id,
        realised_quantity: s.realised_quantity,
        unit: s.unit,
        realised_at: s
            .realised_at
            .as_ref()
            .map(|at| crate::clients::rfc3339(Some(at))),
        kg_diverted: s.kg_diverted,
        co2e_kg: s.co2e_kg,
        value_cents: s.value_cents,
        created_at: crate::clients::rfc3339(s.created_at.as_ref()),
        updated_at: crate::clients::rfc3339(s.updated_at.as_ref()),
    }
}

fn list(synergies: Vec<pb::Synergy>) -> SynergyList {
    SynergyList {
        synergies: synergies.into_iter().map(synergy_json).collect(),
    }
}

fn synergy(answer: pb::SynergyResponse) -> Result<pb::Synergy, Status> {
    answer
        .synergy
        .ok_or_else(|| Status::internal("the matching service answered without the synergy"))
}

/// Synergies of one listing or flow (`item_kind`), best first, as matching answers them.
pub async fn item_synergies(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    item_kind: &str,
    item_id: &str,
) -> Result<Vec<pb::Synergy>, Status> {
    let message = pb::ListItemSynergiesRequest {
        item_kind: item_kind.to_owned(),
        item_id: item_id.to_owned(),
    };
    let answer = idempotent_call(|| {
        let mut client = client.clone();
        let call = request(message.clone(), caller);
        async move { client.list_item_synergies(call).await }
    })
    .await?;
    Ok(answer.into_inner().synergies)
}

/// The tenant's synergies the caller may see, as matching answers them.
pub async fn synergies(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    message: pb::ListSynergiesRequest,
) -> Result<Vec<pb::Synergy>, Status> {
    let answer = idempotent_call(|| {
        let mut client = client.clone();
        let call = request(message.clone(), caller);
        async move { client.list_synergies(call).await }
    })
    .await?;
    Ok(answer.into_inner().synergies)
}

/// A facilitator moves a synergy, adds a note or assigns an advisor (sent once).
pub async fn update_synergy(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    message: pb::UpdateSynergyRequest,
) -> Result<pb::Synergy, Status> {
    let answer = client
        .clone()
        .update_synergy(request(message, caller))
        .await?;
    synergy(answer.into_inner())
}

/// A member says whether a proposal is relevant (sent once).
pub async fn give_feedback(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    message: pb::GiveFeedbackRequest,
) -> Result<pb::Synergy, Status> {
    let answer = client
        .clone()
        .give_feedback(request(message, caller))
        .await?;
    synergy(answer.into_inner())
}

/// Substitutions of one listing or flow (`item_kind`), best first.
pub async fn of_item(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    item_kind: &str,
    item_id: &str,
) -> Result<SynergyList, ApiError> {
    Ok(list(
        item_synergies(client, caller, item_kind, item_id).await?,
    ))
}

/// The tenant's synergies the caller may see.
pub async fn of_tenant(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    message: pb::ListSynergiesRequest,
) -> Result<SynergyList, ApiError> {
    Ok(list(synergies(client, caller, message).await?))
}

pub async fn update(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    message: pb::UpdateSynergyRequest,
) -> Result<Synergy, ApiError> {
    Ok(synergy_json(update_synergy(client, caller, message).await?))
}

pub async fn feedback(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    message: pb::GiveFeedbackRequest,
) -> Result<Synergy, ApiError> {
    Ok(synergy_json(give_feedback(client, caller, message).await?))
}

/// Realised synergies' impact per month: `organisation` (the caller's) or `tenant` scope.
pub async fn realised_impact(
    client: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    scope: String,
) -> Result<Vec<pb::MonthRealised>, Status> {
    let message = pb::GetRealisedImpactRequest { scope };
    let answer = idempotent_call(|| {
        let mut client = client.clone();
        let call = request(message.clone(), caller);
        async move { client.get_realised_impact(call).await }
    })
    .await?;
    Ok(answer.into_inner().months)
}

/// A territory's public figures of realised synergies (no account).
pub async fn territory_realised(
    client: &MatchingServiceClient<ServiceChannel>,
    tenant: &str,
) -> Result<pb::RealisedTotals, Status> {
    let message = pb::GetTerritoryRealisedRequest {
        tenant: tenant.to_owned(),
    };
    let answer = idempotent_call(|| {
        let mut client = client.clone();
        let call = anonymous_request(message.clone());
        async move { client.get_territory_realised(call).await }
    })
    .await?;
    Ok(answer.into_inner())
}
