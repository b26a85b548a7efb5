//! Facilitators: the queue of organisations waiting for a decision, and the decisions.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use synergies_proto::identity::v1 as pb;

use super::{Feedback, form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// One organisation as the queue shows it.
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub identifier: String,
    pub naf: String,
    pub sites: Vec<String>,
    pub status: &'static str,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "facilitation.html")]
struct Queue {
    page: Page,
    notice: Option<&'static str>,
    feedback: Feedback,
    status: String,
    candidates: Vec<Candidate>,
}

impl Queue {
    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn statuses(&self) -> [&'static str; 5] {
        ["pending", "approved", "rejected", "suspended", "closed"]
    }

    fn status_label(&self, status: &str) -> &'static str {
        self.page.t(&format!("status.{status}"))
    }
}

#[derive(Deserialize)]
pub struct QueueQuery {
    pub status: Option<String>,
    pub notice: Option<String>,
}

fn status_filter(status: &str) -> pb::OrganisationStatus {
    match status {
        "approved" => pb::OrganisationStatus::Approved,
        "rejected" => pb::OrganisationStatus::Rejected,
        "suspended" => pb::OrganisationStatus::Suspended,
        "closed" => pb::OrganisationStatus::Closed,
        _ => pb::OrganisationStatus::Pending,
    }
}

fn candidate(page: &Page, organisation: pb::Organisation) -> Candidate {
    let kind = match pb::OrganisationKind::try_from(organisation.kind) {
        Ok(pb::OrganisationKind::Association) => "kind.association",
        Ok(pb::OrganisationKind::PublicBody) => "kind.public_body",
        _ => "kind.company",
    };
    let commune_name = |code: &str| {
        page.tenant
            .communes
            .iter()
            .find(|c| c.insee_code == code)
            .map_or_else(|| code.to_owned(), |c| c.name.clone())
    };
    Candidate {
        kind: page.t(kind),
        identifier: [organisation.siret, organisation.rna]
            .into_iter()
            .find(|i| !i.is_empty())
            .unwrap_or_default(),
        naf: organisation.naf,
        sites: organisation
            .sites
            .iter()
            .map(|s| format!("{}, {}", s.address, commune_name(&s.insee_code)))
            .collect(),
        status: page.t(super::account_status_key(organisation.status)),
        reason: organisation.status_reason,
        id: organisation.id,
        name: organisation.name,
    }
}

async fn queue_page(
    page: Page,
    state: &GatewayState,
    status: String,
    feedback: Feedback,
    notice: Option<&'static str>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let message = pb::ListOrganisationsRequest {
        status: status_filter(&status).into(),
        page_size: 100,
        page_token: String::new(),
    };
    match state.identity.list_organisations(&caller, message).await {
        Ok(answer) => {
            let candidates = answer
                .organisations
                .into_iter()
                .map(|o| candidate(&page, o))
                .collect();
            render(&Queue {
                page,
                notice,
                feedback,
                status,
                candidates,
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

pub async fn queue(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<QueueQuery>,
) -> Response {
    let notice = super::notice(
        &page,
        query.notice.map(|n| format!("notice={n}")).as_deref(),
    );
    let status = query.status.unwrap_or_else(|| "pending".to_owned());
    queue_page(page, &state, status, Feedback::none(), notice).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    pub csrf_token: String,
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn decide(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let decision = match form.decision.as_str() {
        "approve" => pb::OrganisationDecision::Approve,
        "reject" => pb::OrganisationDecision::Reject,
        "suspend" => pb::OrganisationDecision::Suspend,
        _ => pb::OrganisationDecision::Unspecified,
    };
    let message = pb::DecideOrganisationRequest {
        organisation_id: id,
        decision: decision.into(),
        reason: form.reason,
    };
    match state.identity.decide_organisation(&caller, message).await {
        Ok(_) => see_other(&page, "/animation", "decided"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            queue_page(page, &state, "pending".to_owned(), feedback, None).await
        }
    }
}
