//! gRPC surface of the matching service: synergies as each caller may see them, the
//! facilitators' pipeline and the members' feedback.

use std::sync::Arc;

use synergies_platform::auth::{Role, Verifier};
use synergies_platform::context::CallerContext;
use synergies_platform::error::FieldError;
use synergies_platform::events::timestamp;
use synergies_platform::policy::{Action, authorize_request};
use synergies_proto::matching::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::directory::Directory;
use crate::domain::{
    Party, Synergy, SynergyKind, SynergyStatus, direction_str, kind_str, may_move, parse_kind,
};
use crate::error::MatchingError;
use crate::impact::{self, RealisedImpact, RealisedTotals};
use crate::scoring::{ItemKind, Knowledge};
use crate::store::{MatchingStore, PipelineChange, SynergyFilter};
use synergies_codes::impact::impact_factors;

/// Most synergies listed for one item.
pub const ITEM_SYNERGIES_LIMIT: usize = 20;

pub struct MatchingApi {
    store: Arc<dyn MatchingStore>,
    verifier: Arc<Verifier>,
    directory: Directory,
}

impl MatchingApi {
    pub fn new(
        store: Arc<dyn MatchingStore>,
        verifier: Arc<Verifier>,
        directory: Directory,
    ) -> Self {
        Self {
            store,
            verifier,
            directory,
        }
    }

    /// What realising `synergy` as `change` says adds to the territory's impact: a
    /// substitution's output weighed with its category's factors (see [`crate::impact`]).
    async fn realised_impact(
        &self,
        synergy: &Synergy,
        change: &PipelineChange,
    ) -> Result<RealisedImpact, MatchingError> {
        let output = synergy.parties.iter().find(|p| p.role == "output");
        let (SynergyKind::Substitution, Some(output)) = (synergy.kind, output) else {
            return Ok(RealisedImpact::default());
        };
        let Some(quantity) = change.realised_quantity.or(synergy.realised_quantity) else {
            return Ok(RealisedImpact::default());
        };
        let Some((item, _)) = self.store.item(&synergy.tenant, output.item_id).await? else {
            return Ok(RealisedImpact::default());
        };
        let unit = change
            .unit
            .clone()
            .or_else(|| Some(synergy.realised_unit.clone()).filter(|u| !u.is_empty()))
            .or_else(|| item.item.yearly_quantity.as_ref().map(|q| q.unit.clone()))
            .unwrap_or_default();
        Ok(impact::of_substitution(
            &item.item,
            quantity,
            &unit,
            impact_factors(),
            Knowledge::global(),
        ))
    }

    /// The caller's realised synergies (`scope` organisation) or the tenant's (facilitators).
    async fn realised_of_scope(
        &self,
        caller: &CallerContext,
        scope: &str,
    ) -> Result<Vec<(chrono::DateTime<chrono::Utc>, RealisedImpact)>, MatchingError> {
        let organisation = match scope.trim() {
            "" | "organisation" => Some(caller.organisation_id.ok_or(MatchingError::NotInvolved)?),
            "tenant" if is_facilitator(caller) => None,
            "tenant" => return Err(MatchingError::FacilitatorsOnly),
            _ => {
                return Err(FieldError::new(
                    "scope",
                    "must be organisation or tenant",
                    "doit valoir organisation ou tenant",
                )
                .into());
            }
        };
        self.store.realised(&caller.tenant, organisation).await
    }

    /// Learns the names of organisations `synergies` name without one, as far as the caller
    /// may read them; `true` when it is worth reading the synergies again.
    async fn learn_names(&self, caller: &CallerContext, synergies: &[Synergy]) -> bool {
        let mut unnamed: Vec<Uuid> = synergies
            .iter()
            .flat_map(|s| s.parties.iter())
            .filter(|p| p.organisation_name.is_empty())
            .map(|p| p.organisation_id)
            .collect();
        unnamed.sort_unstable();
        unnamed.dedup();
        self.directory
            .learn(caller, is_facilitator(caller), &unnamed)
            .await;
        !unnamed.is_empty()
    }
}

/// Facilitators (and tenant admins, and the operator) see and steer all of the tenant's
/// synergies; members see those involving their organisation.
fn is_facilitator(caller: &CallerContext) -> bool {
    caller.is_operator()
        || caller.roles.contains(&Role::Facilitator)
        || caller.roles.contains(&Role::TenantAdmin)
}

/// `None`: the caller sees everything (facilitator); else the organisation whose view applies.
fn member_view(caller: &CallerContext) -> Result<Option<Uuid>, MatchingError> {
    if is_facilitator(caller) {
        return Ok(None);
    }
    caller
        .organisation_id
        .map(Some)
        .ok_or(MatchingError::NotInvolved)
}

fn visible(synergy: &Synergy, view: Option<Uuid>) -> bool {
    view.is_none_or(|organisation| synergy.visible_to_member(organisation))
}

fn party_message(party: &Party) -> pb::Party {
    pb::Party {
        kind: kind_str(party.kind).to_owned(),
        id: party.item_id.to_string(),
        organisation_id: party.organisation_id.to_string(),
        organisation_name: party.organisation_name.clone(),
        label: party.label.clone(),
        role: party.role.clone(),
    }
}

fn synergy_message(synergy: &Synergy, view: Option<Uuid>, seen_from: Option<Uuid>) -> pb::Synergy {
    let parties: Vec<&Party> = match view {
        Some(organisation) => synergy.parties_shown_to(organisation),
        None => synergy.parties.iter().collect(),
    };
    pb::Synergy {
        id: synergy.id.to_string(),
        kind: synergy.kind.as_str().to_owned(),
        score: synergy.score,
        counterpart: seen_from
            .and_then(|item| synergy.counterpart_of(item))
            .map(party_message),
        members: parties.into_iter().map(party_message).collect(),
        resource_class: synergy.resource_class.clone(),
        direction: direction_str(synergy.direction).to_owned(),
        explanation: synergy.explanation.fr.clone(),
        explanation_en: synergy.explanation.en.clone(),
        factors: synergy
            .factors
            .iter()
            .map(|(name, value)| pb::Factor {
                name: name.clone(),
                value: *value,
            })
            .collect(),
        status: synergy.status.as_str().to_owned(),
        status_reason: synergy.status_reason.clone(),
        notes: synergy
            .notes
            .iter()
            .map(|note| pb::Note {
                text: note.text.clone(),
                by_user_id: note.by_user_id.to_string(),
                at: Some(timestamp(note.at)),
            })
            .collect(),
        advisor_user_id: synergy
            .advisor_user_id
            .map(|u| u.to_string())
            .unwrap_or_default(),
        realised_at: synergy.realised_at.map(timestamp),
        kg_diverted: synergy.realised_impact.kg_diverted_grams.map(kilos),
        co2e_kg: synergy.realised_impact.co2e_grams.map(kilos),
        value_cents: synergy.realised_impact.value_cents,
        realised_quantity: synergy.realised_quantity,
        unit: synergy.realised_unit.clone(),
        created_at: Some(timestamp(synergy.created_at)),
        updated_at: Some(timestamp(synergy.updated_at)),
        pool: synergy.pool.clone(),
    }
}

fn kilos(grams: i64) -> f64 {
    grams as f64 / 1000.0
}

fn month_message(totals: RealisedTotals) -> pb::MonthRealised {
    pb::MonthRealised {
        month: totals.month,
        synergies_realised: totals.synergies,
        kg_diverted: kilos(totals.kg_diverted_grams),
        co2e_kg: kilos(totals.co2e_grams),
        value_cents: totals.value_cents,
    }
}

fn optional_text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// What a facilitator asks, checked against the synergy's current step.
fn pipeline_change(
    request: &pb::UpdateSynergyRequest,
    current: SynergyStatus,
) -> Result<PipelineChange, MatchingError> {
    let status = match optional_text(&request.status) {
        None => None,
        Some(status) => Some(SynergyStatus::parse(&status).ok_or_else(|| {
            FieldError::new(
                "status",
                "must be proposed, contacted, studying, realised or abandoned",
                "doit être proposed, contacted, studying, realised ou abandoned",
            )
        })?),
    };
    if let Some(to) = status
        && !may_move(current, to)
    {
        return Err(FieldError::new(
            "status",
            "cannot move back in the pipeline, nor change a realised synergy",
            "ne peut pas revenir en arrière dans le suivi, ni modifier une synergie réalisée",
        )
        .into());
    }
    let note = optional_text(&request.note);
    let reason = optional_text(&request.reason).or_else(|| {
        (status == Some(SynergyStatus::Abandoned))
            .then(|| note.clone())
            .flatten()
    });
    if status == Some(SynergyStatus::Abandoned)
        && current != SynergyStatus::Abandoned
        && reason.is_none()
    {
        return Err(FieldError::new(
            "note",
            "say why the synergy is abandoned",
            "indiquez pourquoi la synergie est abandonnée",
        )
        .into());
    }
    if let Some(quantity) = request.realised_quantity
        && !(quantity.is_finite() && quantity >= 0.0)
    {
        return Err(FieldError::new(
            "realised_quantity",
            "must be a positive number",
            "doit être un nombre positif",
        )
        .into());
    }
    let advisor_user_id = match optional_text(&request.advisor_user_id) {
        None => None,
        Some(id) => Some(synergies_platform::validate::uuid("advisor_user_id", &id)?),
    };
    Ok(PipelineChange {
        status,
        reason,
        note,
        realised_quantity: request.realised_quantity,
        unit: optional_text(&request.unit),
        advisor_user_id,
        realised_impact: None,
    })
}

#[tonic::async_trait]
impl pb::matching_service_server::MatchingService for MatchingApi {
    async fn list_item_synergies(
        &self,
        request: Request<pb::ListItemSynergiesRequest>,
    ) -> Result<Response<pb::ListSynergiesResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let request = request.into_inner();
        let kind = parse_kind(&request.item_kind).ok_or_else(|| {
            MatchingError::from(FieldError::new(
                "item_kind",
                "must be listing or flow",
                "doit être listing ou flow",
            ))
        })?;
        let item_id = synergies_platform::validate::uuid("item_id", &request.item_id)
            .map_err(MatchingError::from)?;
        let view = member_view(&caller)?;
        let item = self.store.item(&caller.tenant, item_id).await?;
        // A flow another organisation keeps for facilitators, or that is gone, does not exist
        // for a member (the gateway first asks the flow's or listing's own service, whose
        // answer it gives; this keeps the rule here too). One not indexed yet has no synergy.
        if kind == ItemKind::Flow
            && let Some(organisation) = view
        {
            let readable = item.as_ref().is_none_or(|(item, state)| {
                item.item.organisation_id == organisation
                    || (*state == crate::domain::ItemState::Open
                        && item.confidentiality != crate::domain::Confidentiality::Facilitator)
            });
            if !readable {
                return Err(MatchingError::NotFound.into());
            }
        }
        let mut synergies = self
            .store
            .synergies_of_item(&caller.tenant, item_id)
            .await?;
        if self.learn_names(&caller, &synergies).await {
            synergies = self
                .store
                .synergies_of_item(&caller.tenant, item_id)
                .await?;
        }
        synergies.retain(|s| visible(s, view));
        synergies.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        synergies.truncate(ITEM_SYNERGIES_LIMIT);
        Ok(Response::new(pb::ListSynergiesResponse {
            synergies: synergies
                .iter()
                .map(|s| synergy_message(s, view, Some(item_id)))
                .collect(),
        }))
    }

    async fn list_synergies(
        &self,
        request: Request<pb::ListSynergiesRequest>,
    ) -> Result<Response<pb::ListSynergiesResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let request = request.into_inner();
        let kind = match optional_text(&request.kind) {
            None => None,
            Some(kind) => Some(SynergyKind::parse(&kind).ok_or_else(|| {
                MatchingError::from(FieldError::new(
                    "kind",
                    "must be substitution or mutualisation",
                    "doit être substitution ou mutualisation",
                ))
            })?),
        };
        let status = match optional_text(&request.status) {
            None => None,
            Some(status) => Some(SynergyStatus::parse(&status).ok_or_else(|| {
                MatchingError::from(FieldError::new(
                    "status",
                    "must be proposed, contacted, studying, realised or abandoned",
                    "doit être proposed, contacted, studying, realised ou abandoned",
                ))
            })?),
        };
        let organisation_id = match optional_text(&request.organisation_id) {
            None => None,
            Some(id) => Some(
                synergies_platform::validate::uuid("organisation_id", &id)
                    .map_err(MatchingError::from)?,
            ),
        };
        let view = member_view(&caller)?;
        // A member's list is their organisation's, whichever organisation they name.
        if let Some(own) = view
            && organisation_id.is_some_and(|named| named != own)
        {
            return Ok(Response::new(pb::ListSynergiesResponse::default()));
        }
        let filter = SynergyFilter {
            kind,
            status,
            organisation_id: view.or(organisation_id),
        };
        let mut synergies = self.store.synergies(&caller.tenant, &filter).await?;
        if self.learn_names(&caller, &synergies).await {
            synergies = self.store.synergies(&caller.tenant, &filter).await?;
        }
        synergies.retain(|s| visible(s, view));
        Ok(Response::new(pb::ListSynergiesResponse {
            synergies: synergies
                .iter()
                .map(|s| synergy_message(s, view, None))
                .collect(),
        }))
    }

    async fn update_synergy(
        &self,
        request: Request<pb::UpdateSynergyRequest>,
    ) -> Result<Response<pb::SynergyResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let request = request.into_inner();
        let id =
            synergies_platform::validate::uuid("id", &request.id).map_err(MatchingError::from)?;
        let Some(current) = self.store.synergy(&caller.tenant, id).await? else {
            return Err(MatchingError::NotFound.into());
        };
        if !is_facilitator(&caller) {
            // A member who may see it learns it is not theirs to steer; others, that it
            // does not exist.
            let seen = caller
                .organisation_id
                .is_some_and(|o| current.visible_to_member(o));
            return Err(if seen {
                MatchingError::FacilitatorsOnly
            } else {
                MatchingError::NotFound
            }
            .into());
        }
        let mut change = pipeline_change(&request, current.status)?;
        if change.status == Some(SynergyStatus::Realised)
            && current.status != SynergyStatus::Realised
        {
            change.realised_impact = Some(self.realised_impact(&current, &change).await?);
        }
        let by = caller.user_id.unwrap_or_else(Uuid::nil);
        let updated = self
            .store
            .update_pipeline(&caller.tenant, id, &change, by)
            .await?
            .ok_or(MatchingError::NotFound)?;
        Ok(Response::new(pb::SynergyResponse {
            synergy: Some(synergy_message(&updated, None, None)),
        }))
    }

    async fn give_feedback(
        &self,
        request: Request<pb::GiveFeedbackRequest>,
    ) -> Result<Response<pb::SynergyResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let request = request.into_inner();
        let id =
            synergies_platform::validate::uuid("id", &request.id).map_err(MatchingError::from)?;
        let organisation = caller.organisation_id.ok_or(MatchingError::NotInvolved)?;
        let Some(current) = self.store.synergy(&caller.tenant, id).await? else {
            return Err(MatchingError::NotFound.into());
        };
        if !current.involves(organisation) {
            return Err(if is_facilitator(&caller) {
                MatchingError::NotInvolved
            } else {
                MatchingError::NotFound
            }
            .into());
        }
        let updated = self
            .store
            .give_feedback(&caller.tenant, id, organisation, request.relevant)
            .await?
            .ok_or(MatchingError::NotFound)?;
        Ok(Response::new(pb::SynergyResponse {
            synergy: Some(synergy_message(&updated, Some(organisation), None)),
        }))
    }

    async fn get_realised_impact(
        &self,
        request: Request<pb::GetRealisedImpactRequest>,
    ) -> Result<Response<pb::GetRealisedImpactResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let realised = self
            .realised_of_scope(&caller, &request.get_ref().scope)
            .await?;
        Ok(Response::new(pb::GetRealisedImpactResponse {
            months: impact::by_month(&realised)
                .into_iter()
                .map(month_message)
                .collect(),
        }))
    }

    async fn get_territory_realised(
        &self,
        request: Request<pb::GetTerritoryRealisedRequest>,
    ) -> Result<Response<pb::RealisedTotals>, Status> {
        // Public figures: no caller to check; an unknown territory has realised nothing.
        let tenant = request.into_inner().tenant;
        let total = impact::total(&self.store.realised(tenant.trim(), None).await?);
        Ok(Response::new(pb::RealisedTotals {
            synergies_realised: total.synergies,
            kg_diverted: kilos(total.kg_diverted_grams),
            co2e_kg: kilos(total.co2e_grams),
            value_cents: total.value_cents,
        }))
    }
}
