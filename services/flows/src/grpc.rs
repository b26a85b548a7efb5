//! gRPC surface of the flows service: who the caller is and which flows they may see or write
//! (the rules are the domain's [`Viewer`]), then one store call that commits the flow, its
//! revision and its event.
//!
//! Access: facilitators (and administrators) of a territory read and write every flow of its
//! organisations; members read and write their own organisation's flows and read other
//! organisations' public flows. A flow the caller may not see does not exist for them (404);
//! writing for another organisation is refused (403).

use std::sync::Arc;

use chrono::Utc;
use synergies_platform::auth::{Role, Verifier};
use synergies_platform::context::{CallerContext, authenticate};
use synergies_platform::error::FieldError;
use synergies_platform::outbox::RelayWaker;
use synergies_platform::validate;
use synergies_proto::flows::v1 as pb;
use synergies_proto::flows::v1::flows_service_server::FlowsService;
use synergies_proto::matching::v1::ListItemSynergiesRequest as MatchingRequest;
use synergies_proto::matching::v1::matching_service_client::MatchingServiceClient;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert::{fields_from_message, flow_message, revision_event, revision_message};
use crate::domain::{
    Change, Direction, Flow, FlowFields, Provenance, ResourceClass, Revision, Viewer,
};
use crate::error::FlowsError;
use crate::organisations::{Organisation, Organisations};
use crate::store::{FlowQuery, FlowStore};

pub struct FlowsApi {
    pub(crate) store: Arc<dyn FlowStore>,
    pub(crate) relay: RelayWaker,
    verifier: Arc<Verifier>,
    pub(crate) organisations: Organisations,
    /// Where `Idempotency-Key`s of recordings are kept.
    database: synergies_platform::db::Database,
    /// Asked whether a partners-only flow is part of a synergy proposed to a member.
    matching: MatchingServiceClient<synergies_platform::grpc::ServiceChannel>,
}

/// How the caller reads flows: a facilitator of the tenant, or a member of an organisation.
pub(crate) fn viewer(caller: &CallerContext) -> Result<Viewer, FlowsError> {
    if caller.tenant.is_empty() {
        return Err(FlowsError::NotAMember);
    }
    let has = |role| caller.roles.contains(&role);
    if caller.is_operator() || has(Role::Facilitator) || has(Role::TenantAdmin) {
        return Ok(Viewer::Facilitator);
    }
    match (caller.user_id, caller.organisation_id) {
        (Some(_), Some(organisation_id)) => Ok(Viewer::Member { organisation_id }),
        _ => Err(FlowsError::NotAMember),
    }
}

/// The user who writes: a facilitator, or an approved member of an organisation.
pub(crate) fn writer(caller: &CallerContext, viewer: Viewer) -> Result<Uuid, FlowsError> {
    let user = caller.user_id.ok_or(FlowsError::NotAMember)?;
    match viewer {
        Viewer::Facilitator => Ok(user),
        Viewer::Member { .. } if caller.roles.contains(&Role::Member) => Ok(user),
        Viewer::Member { .. } => Err(FlowsError::NotAMember),
    }
}

fn optional<T: Copy>(
    field: &'static str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> String,
) -> Result<Option<T>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    parse(text).map(Some).ok_or_else(|| {
        let names = names();
        FieldError::new(
            field,
            format!("must be one of {names}"),
            format!("doit valoir l'une des valeurs {names}"),
        )
    })
}

impl FlowsApi {
    pub fn new(
        store: Arc<dyn FlowStore>,
        relay: RelayWaker,
        verifier: Arc<Verifier>,
        organisations: Organisations,
        database: synergies_platform::db::Database,
        matching: synergies_platform::grpc::ServiceChannel,
    ) -> Self {
        Self {
            store,
            relay,
            verifier,
            organisations,
            database,
            matching: MatchingServiceClient::new(matching),
        }
    }

    /// The flow `id` if the caller may see it; `NotFound` otherwise (another tenant's, or
    /// another organisation's non-public flow for a member).
    async fn visible(
        &self,
        caller: &CallerContext,
        viewer: Viewer,
        id: &str,
    ) -> Result<Flow, FlowsError> {
        let id = validate::uuid("flow_id", id)?;
        let flow = self
            .store
            .get(&caller.tenant, id)
            .await?
            .ok_or(FlowsError::NotFound)?;
        if viewer.sees(&flow) || self.proposed_to(caller, viewer, &flow).await? {
            Ok(flow)
        } else {
            Err(FlowsError::NotFound)
        }
    }

    /// Whether a `partners` flow of another organisation is part of a synergy proposed to the
    /// member's organisation (matching answers for the synergies the caller may see).
    async fn proposed_to(
        &self,
        caller: &CallerContext,
        viewer: Viewer,
        flow: &Flow,
    ) -> Result<bool, FlowsError> {
        if !matches!(viewer, Viewer::Member { .. })
            || flow.content.confidentiality != crate::domain::Confidentiality::Partners
        {
            return Ok(false);
        }
        let message = MatchingRequest {
            item_kind: "flow".to_owned(),
            item_id: flow.id.to_string(),
        };
        match self
            .matching
            .clone()
            .list_item_synergies(synergies_platform::context::request(message, caller))
            .await
        {
            Ok(answer) => Ok(!answer.into_inner().synergies.is_empty()),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(false),
            Err(status) => Err(FlowsError::Matching(status.to_string())),
        }
    }

    /// The flow's organisation as identity describes it now.
    async fn organisation(
        &self,
        caller: &CallerContext,
        viewer: Viewer,
        id: Uuid,
    ) -> Result<Organisation, FlowsError> {
        match viewer {
            Viewer::Member { .. } => self.organisations.own(caller).await,
            Viewer::Facilitator => self.organisations.of_tenant(caller, id).await,
        }
    }

    async fn commit(&self, revision: &Revision) -> Result<(), FlowsError> {
        if !self
            .store
            .write(revision, &revision_event(revision))
            .await?
        {
            return Err(FlowsError::ChangedMeanwhile);
        }
        self.relay.wake();
        tracing::info!(
            flow_id = %revision.flow.id,
            version = revision.version,
            change = revision.change.as_str(),
            "flow written"
        );
        Ok(())
    }

    async fn record(
        &self,
        caller: &CallerContext,
        message: pb::FlowFields,
    ) -> Result<Flow, FlowsError> {
        let viewer = viewer(caller)?;
        let by = writer(caller, viewer)?;
        let organisation_id = match message.organisation_id.trim() {
            "" => caller
                .organisation_id
                .ok_or_else(|| required("organisation_id"))?,
            id => validate::uuid("organisation_id", id)?,
        };
        if !viewer.writes_for(organisation_id) {
            return Err(FlowsError::OtherOrganisation);
        }
        let fields: FlowFields = fields_from_message(message);
        let content = fields.validate()?;
        let organisation = self.organisation(caller, viewer, organisation_id).await?;
        let site = organisation.site(&fields.site_id)?;
        let provenance = if caller.organisation_id == Some(organisation_id) {
            Provenance::Declared
        } else {
            Provenance::Recorded
        };
        let flow = Flow::record(
            &caller.tenant,
            organisation_id,
            content,
            organisation.facts,
            site,
            by,
            provenance,
            Utc::now(),
        );
        let revision = Revision {
            version: flow.version,
            change: Change::Recorded,
            by,
            at: flow.recorded_at,
            flow,
        };
        self.commit(&revision).await?;
        Ok(revision.flow)
    }

    async fn update(
        &self,
        caller: &CallerContext,
        id: &str,
        message: pb::FlowFields,
    ) -> Result<Flow, FlowsError> {
        let viewer = viewer(caller)?;
        let current = self.visible(caller, viewer, id).await?;
        if !viewer.writes_for(current.organisation_id) {
            return Err(FlowsError::OtherOrganisation);
        }
        let by = writer(caller, viewer)?;
        let named = message.organisation_id.trim();
        if !named.is_empty() && named != current.organisation_id.to_string() {
            return Err(FieldError::new(
                "organisation_id",
                "cannot change: record the flow again for the other organisation",
                "ne peut pas changer : saisissez à nouveau le flux pour l'autre organisation",
            )
            .into());
        }
        let fields = fields_from_message(message);
        let content = fields.validate()?;
        let organisation = self
            .organisation(caller, viewer, current.organisation_id)
            .await?;
        let site = organisation.site(&fields.site_id)?;
        let flow = current.changed(content, organisation.facts, site, by, Utc::now());
        let revision = Revision {
            version: flow.version,
            change: Change::Changed,
            by,
            at: flow.updated_at,
            flow,
        };
        self.commit(&revision).await?;
        Ok(revision.flow)
    }

    async fn remove(&self, caller: &CallerContext, id: &str) -> Result<(), FlowsError> {
        let viewer = viewer(caller)?;
        let flow = self.visible(caller, viewer, id).await?;
        if !viewer.writes_for(flow.organisation_id) {
            return Err(FlowsError::OtherOrganisation);
        }
        let by = writer(caller, viewer)?;
        let revision = Revision {
            version: flow.version + 1,
            change: Change::Removed,
            by,
            at: Utc::now(),
            flow,
        };
        self.commit(&revision).await
    }

    async fn list(
        &self,
        caller: &CallerContext,
        message: pb::ListFlowsRequest,
    ) -> Result<pb::ListFlowsResponse, FlowsError> {
        let viewer = viewer(caller)?;
        let limit = validate::page_size(message.page_size)?;
        let organisation = match message.organisation_id.trim() {
            "" => None,
            id => Some(validate::uuid("organisation_id", id)?),
        };
        let query = FlowQuery {
            organisation,
            direction: optional(
                "direction",
                &message.direction,
                Direction::parse,
                Direction::names,
            )?,
            resource_class: optional(
                "resource_class",
                &message.resource_class,
                ResourceClass::parse,
                ResourceClass::names,
            )?,
            own_or_public: viewer.own_or_public(),
            text: search_text(&message.text)?,
            after: None,
            after_score: None,
            limit: limit + 1,
        };
        // With words, flows come best first and a page ends on a score and an id.
        let ranked = !crate::search::analysis::query_groups(&query.text).is_empty();
        let (after_score, after) = page_cursor(&message.page_token, ranked)?;
        let query = FlowQuery {
            after,
            after_score,
            ..query
        };
        let found = self.store.search(&caller.tenant, &query).await?;
        debug_assert!(found.iter().all(|scored| viewer.sees(&scored.flow)));
        let (found, next_page_token) = validate::into_page(found, limit, |s| s.flow.id);
        let next_page_token = match found.last() {
            Some(last) if ranked && !next_page_token.is_empty() => {
                format!("{}.{}", last.score, last.flow.id)
            }
            _ => next_page_token,
        };
        Ok(pb::ListFlowsResponse {
            flows: found.iter().map(|s| flow_message(&s.flow)).collect(),
            next_page_token,
        })
    }

    async fn history(
        &self,
        caller: &CallerContext,
        id: &str,
    ) -> Result<pb::GetFlowHistoryResponse, FlowsError> {
        let viewer = viewer(caller)?;
        let id = validate::uuid("flow_id", id)?;
        let revisions = self.store.history(&caller.tenant, id).await?;
        let organisation_id = revisions
            .last()
            .map(|revision| revision.flow.organisation_id)
            .ok_or(FlowsError::NotFound)?;
        if !viewer.reads_history_of(organisation_id) {
            return Err(FlowsError::NotFound);
        }
        Ok(pb::GetFlowHistoryResponse {
            revisions: revisions.iter().map(revision_message).collect(),
        })
    }
}

fn required(field: &'static str) -> FlowsError {
    FieldError::new(field, "is required", "est obligatoire").into()
}

#[tonic::async_trait]
impl FlowsService for FlowsApi {
    async fn record_flow(
        &self,
        request: Request<pb::RecordFlowRequest>,
    ) -> Result<Response<pb::FlowResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let call = synergies_platform::idempotency::IdempotentCall::for_caller(
            &request,
            &caller,
            "RecordFlow",
        )?;
        let fields = request.into_inner().fields.unwrap_or_default();
        let caller = &caller;
        synergies_platform::idempotency::IdempotentCall::run(
            call,
            &self.database,
            || async {
                let flow = self.record(caller, fields).await?;
                Ok(pb::FlowResponse {
                    flow: Some(flow_message(&flow)),
                })
            },
            // Recorded, but the answer was lost: the flow as its event names it.
            |effect| async move {
                let recorded = synergies_platform::events::payload::<
                    synergies_proto::events::v1::FlowRecorded,
                >(&effect)
                .map_err(|error| {
                    Status::internal(format!("the flow's event does not decode: {error}"))
                })?;
                let flow_id = recorded.flow.unwrap_or_default().flow_id;
                let flow = self.visible(caller, viewer(caller)?, &flow_id).await?;
                Ok(pb::FlowResponse {
                    flow: Some(flow_message(&flow)),
                })
            },
        )
        .await
        .map(Response::new)
    }

    async fn get_flow(
        &self,
        request: Request<pb::GetFlowRequest>,
    ) -> Result<Response<pb::FlowResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let viewer = viewer(&caller)?;
        let flow = self
            .visible(&caller, viewer, &request.get_ref().flow_id)
            .await?;
        Ok(Response::new(pb::FlowResponse {
            flow: Some(flow_message(&flow)),
        }))
    }

    async fn list_flows(
        &self,
        request: Request<pb::ListFlowsRequest>,
    ) -> Result<Response<pb::ListFlowsResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        Ok(Response::new(
            self.list(&caller, request.into_inner()).await?,
        ))
    }

    async fn update_flow(
        &self,
        request: Request<pb::UpdateFlowRequest>,
    ) -> Result<Response<pb::FlowResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let message = request.into_inner();
        let flow = self
            .update(
                &caller,
                &message.flow_id,
                message.fields.unwrap_or_default(),
            )
            .await?;
        Ok(Response::new(pb::FlowResponse {
            flow: Some(flow_message(&flow)),
        }))
    }

    async fn remove_flow(
        &self,
        request: Request<pb::RemoveFlowRequest>,
    ) -> Result<Response<pb::RemoveFlowResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        self.remove(&caller, &request.get_ref().flow_id).await?;
        Ok(Response::new(pb::RemoveFlowResponse {}))
    }

    async fn import_flows(
        &self,
        request: Request<pb::ImportFlowsRequest>,
    ) -> Result<Response<pb::ImportFlowsResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let message = request.into_inner();
        Ok(Response::new(
            self.import(&caller, &message.file, message.dry_run).await?,
        ))
    }

    async fn export_flows(
        &self,
        request: Request<pb::ExportFlowsRequest>,
    ) -> Result<Response<pb::ExportFlowsResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let message = request.into_inner();
        let rows = if message.template {
            crate::csv::read(&crate::csv::template())
                .into_iter()
                .map(|(_, cells)| cells)
                .collect()
        } else {
            self.export(&caller).await?
        };
        let content = match message.format.trim() {
            "" | "csv" => crate::csv::write(&rows).into_bytes(),
            "xlsx" => crate::xlsx::write(&rows).map_err(|error| {
                tracing::error!(%error, "the XLSX export could not be written");
                Status::internal("the workbook could not be written")
            })?,
            _ => {
                return Err(FlowsError::from(FieldError::new(
                    "format",
                    "must be csv or xlsx",
                    "doit valoir csv ou xlsx",
                ))
                .into());
            }
        };
        Ok(Response::new(pb::ExportFlowsResponse { content }))
    }

    async fn get_flow_history(
        &self,
        request: Request<pb::GetFlowHistoryRequest>,
    ) -> Result<Response<pb::GetFlowHistoryResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        Ok(Response::new(
            self.history(&caller, &request.get_ref().flow_id).await?,
        ))
    }
}

/// Where the page of `token` starts: a flow id, and with words (`ranked`) the score before
/// it (`<score>.<id>`, as [`FlowsApi::list`] writes it).
fn page_cursor(token: &str, ranked: bool) -> Result<(Option<i64>, Option<Uuid>), FieldError> {
    let invalid = || {
        FieldError::new(
            "page_token",
            "must be a token returned by a previous page",
            "doit être un jeton renvoyé par une page précédente",
        )
    };
    match token.split_once('.') {
        None if ranked && !token.is_empty() => Err(invalid()),
        None => Ok((None, validate::page_token(token)?)),
        Some((score, id)) => {
            let score = score.parse::<i64>().map_err(|_| invalid())?;
            let id = validate::page_token(id)?.ok_or_else(invalid)?;
            Ok((ranked.then_some(score), Some(id)))
        }
    }
}

/// Longest text a flow search takes, in characters.
const SEARCH_TEXT_MAX: usize = 200;

/// The words of a flow search, checked.
fn search_text(text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.chars().count() > SEARCH_TEXT_MAX {
        return Err(FieldError::new(
            "q",
            format!("must be at most {SEARCH_TEXT_MAX} characters"),
            format!("doit compter au plus {SEARCH_TEXT_MAX} caractères"),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_search_pages_on_a_score_and_an_id() {
        let id = Uuid::now_v7();
        assert_eq!(page_cursor("", true).unwrap(), (None, None));
        assert_eq!(
            page_cursor(&format!("1234.{id}"), true).unwrap(),
            (Some(1234), Some(id))
        );
        assert_eq!(
            page_cursor(&id.to_string(), false).unwrap(),
            (None, Some(id))
        );
        // A list token does not continue a search, nor garbage anything.
        assert_eq!(
            page_cursor(&id.to_string(), true).unwrap_err().field,
            "page_token"
        );
        assert!(page_cursor(&format!("x.{id}"), true).is_err());
        assert!(page_cursor("12.not-an-id", true).is_err());
    }
}
