//! Synergies in the browser: the proposals a flow (or listing) page shows, members' "pertinent /
//! pas pertinent", the facilitators' synergy board (a column per pipeline status, a form on each
//! card to move it on with a note or a reason) and the mutualisation groups with their members.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_platform::i18n::Language;
use synergies_proto::matching::v1 as pb;

use super::FieldErrors;
use super::flows::{is_facilitator, worded};
use super::{form_caller, see_other};
use crate::clients::matching;
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

pub const STATUSES: [&str; 5] = ["proposed", "contacted", "studying", "realised", "abandoned"];

/// A score in [0, 1] as words a firm reads.
fn score_words(page: &Page, score: f64) -> &'static str {
    if score >= 0.75 {
        page.t("synergy.score.high")
    } else if score >= 0.5 {
        page.t("synergy.score.medium")
    } else {
        page.t("synergy.score.low")
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn percent(value: f64) -> u32 {
    (value.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// One named factor of a score, in words, with its weight in percent.
pub struct FactorView {
    pub name: &'static str,
    pub percent: u32,
}

/// One side of a synergy.
pub struct PartyView {
    pub organisation: String,
    pub label: String,
    pub kind: &'static str,
    pub href: String,
}

/// A synergy as proposals and cards show it.
pub struct SynergyView {
    pub id: String,
    pub mutualisation: bool,
    pub kind: &'static str,
    pub score_percent: u32,
    pub score_words: &'static str,
    pub counterpart: Option<PartyView>,
    pub parties: Vec<PartyView>,
    pub resource_class: &'static str,
    pub pool: &'static str,
    pub explanation: String,
    pub factors: Vec<FactorView>,
    pub status_code: String,
    pub status: &'static str,
    pub reason: String,
    pub notes: Vec<(String, String)>,
}

fn party(page: &Page, party: &pb::Party) -> PartyView {
    let (kind, href) = match party.kind.as_str() {
        "listing" => (
            page.t("synergy.party.listing"),
            page.href(&format!("/annonces/{}", party.id)),
        ),
        _ => (
            page.t("synergy.party.flow"),
            page.href(&format!("/flux/{}", party.id)),
        ),
    };
    PartyView {
        organisation: party.organisation_name.clone(),
        label: party.label.clone(),
        kind,
        href,
    }
}

pub fn view(page: &Page, synergy: &pb::Synergy) -> SynergyView {
    let lookup = |key: String| crate::web::i18n::lookup(&key, page.lang);
    let mutualisation = synergy.kind == "mutualisation";
    SynergyView {
        id: synergy.id.clone(),
        mutualisation,
        kind: if mutualisation {
            page.t("synergy.kind.mutualisation")
        } else {
            page.t("synergy.kind.substitution")
        },
        score_percent: percent(synergy.score),
        score_words: score_words(page, synergy.score),
        counterpart: synergy.counterpart.as_ref().map(|p| party(page, p)),
        parties: synergy.members.iter().map(|p| party(page, p)).collect(),
        resource_class: worded(page, "class", &synergy.resource_class),
        pool: lookup(format!("synergy.pool.{}", synergy.pool)).unwrap_or(""),
        explanation: match page.lang {
            Language::Fr => synergy.explanation.clone(),
            Language::En => synergy.explanation_en.clone(),
        },
        // Factors the interface cannot name are left out rather than shown as codes.
        factors: synergy
            .factors
            .iter()
            .filter_map(|f| {
                lookup(format!("synergy.factor.{}", f.name)).map(|name| FactorView {
                    name,
                    percent: percent(f.value),
                })
            })
            .collect(),
        status: lookup(format!("synergy.status.{}", synergy.status)).unwrap_or("—"),
        status_code: synergy.status.clone(),
        reason: synergy.status_reason.clone(),
        notes: synergy
            .notes
            .iter()
            .map(|n| {
                (
                    n.text.clone(),
                    page.moment(&crate::clients::rfc3339(n.at.as_ref())),
                )
            })
            .collect(),
    }
}

/// The proposals of one flow or listing, best first; none when matching cannot answer (the
/// page stays useful without them).
pub async fn proposals(
    page: &Page,
    state: &GatewayState,
    caller: &CallerContext,
    item_kind: &str,
    item_id: &str,
) -> Vec<SynergyView> {
    match matching::item_synergies(&state.matching, caller, item_kind, item_id).await {
        Ok(synergies) => synergies.iter().map(|s| view(page, s)).collect(),
        Err(status) => {
            tracing::warn!(%status, "the proposals of an item could not be read");
            Vec::new()
        }
    }
}

#[derive(Deserialize)]
pub struct FeedbackForm {
    pub csrf_token: String,
    pub relevant: String,
    #[serde(default)]
    pub back: String,
}

/// "Pertinent / pas pertinent", then back to the page the proposal was on.
pub async fn feedback(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<FeedbackForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::GiveFeedbackRequest {
        id,
        relevant: form.relevant == "yes",
    };
    match matching::give_feedback(&state.matching, &caller, message).await {
        Ok(_) => {
            // Only a page of this territory: anything else could send the browser elsewhere.
            let prefix = page.href("/");
            let back = if form.back.starts_with(&prefix) && !form.back.contains("//") {
                form.back.trim_start_matches(&page.href("")).to_owned()
            } else {
                "/synergies".to_owned()
            };
            see_other(&page, &back, "feedback_given")
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

#[derive(Template)]
#[template(path = "synergy_board.html")]
struct Board {
    page: Page,
    notice: Option<&'static str>,
    facilitator: bool,
    columns: Vec<(&'static str, &'static str, Vec<SynergyView>)>,
    groups: Vec<SynergyView>,
    failed: Option<(String, FieldErrors)>,
}

impl Board {
    fn errors_of(&self, id: &str) -> Option<&FieldErrors> {
        self.failed
            .as_ref()
            .filter(|(failed, _)| failed == id)
            .map(|(_, errors)| errors)
    }

    fn status_label(&self, status: &str) -> &'static str {
        self.page.t(&format!("synergy.status.{status}"))
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn is_status(&self, synergy: &SynergyView, status: &str) -> bool {
        synergy.status_code == status
    }

    #[allow(clippy::unused_self)] // Templates reach constants through `self` only.
    fn statuses(&self) -> [&'static str; 5] {
        STATUSES
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoardQuery {
    pub notice: Option<String>,
}

async fn board_page(
    page: Page,
    state: &GatewayState,
    notice: Option<&'static str>,
    failed: Option<(String, FieldErrors)>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let facilitator = is_facilitator(&page);
    if !facilitator && page.viewer.as_ref().is_some_and(|v| !v.is_member()) {
        return Redirect::to(&page.href("/en-attente")).into_response();
    }
    let message = pb::ListSynergiesRequest::default();
    let synergies = match matching::synergies(&state.matching, &caller, message).await {
        Ok(synergies) => synergies,
        Err(status) => return page.error(&ApiError::from(status)),
    };
    let views: Vec<SynergyView> = synergies.iter().map(|s| view(&page, s)).collect();
    let (groups, substitutions): (Vec<_>, Vec<_>) =
        views.into_iter().partition(|s| s.mutualisation);
    let mut columns: Vec<(&'static str, &'static str, Vec<SynergyView>)> = STATUSES
        .iter()
        .map(|s| (*s, page.t(&format!("synergy.status.{s}")), Vec::new()))
        .collect();
    for synergy in substitutions {
        if let Some(column) = columns.iter_mut().find(|c| c.0 == synergy.status_code) {
            column.2.push(synergy);
        }
    }
    render(&Board {
        page,
        notice,
        facilitator,
        columns,
        groups,
        failed,
    })
}

/// The synergy board: every synergy of the territory for facilitators, by status; a member
/// sees those of their organisation.
pub async fn board(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<BoardQuery>,
) -> Response {
    let notice = super::notice(
        &page,
        query.notice.map(|n| format!("notice={n}")).as_deref(),
    );
    board_page(page, &state, notice, None).await
}

#[derive(Deserialize)]
pub struct MoveForm {
    pub csrf_token: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub reason: String,
}

/// A facilitator moves a card, with a note, or a reason when the synergy is abandoned.
pub async fn move_card(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<MoveForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    if form.status == "abandoned" && form.reason.trim().is_empty() {
        let errors = FieldErrors {
            errors: vec![(
                "reason".to_owned(),
                page.t("synergy.error.reason").to_owned(),
            )],
            general: None,
        };
        return board_page(page, &state, None, Some((id, errors))).await;
    }
    let message = pb::UpdateSynergyRequest {
        id: id.clone(),
        status: form.status,
        note: form.note,
        reason: form.reason,
        ..Default::default()
    };
    match matching::update_synergy(&state.matching, &caller, message).await {
        Ok(_) => see_other(&page, "/synergies", "synergy_moved"),
        Err(status) => {
            let errors = super::flow_form::flow_errors(&page, &ApiError::from(status));
            board_page(page, &state, None, Some((id, errors))).await
        }
    }
}
