//! Flow inventories in the browser: "Mes flux" for members, the territory's organisations and
//! their flows for facilitators, a flow's page with its history and proposals, and removal (the
//! form that records or changes a flow is in `flow_form`).
//!
//! Every code of the service (`by-product`, `m3`, `partners`…) is shown in words.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_platform::i18n::Language;
use synergies_proto::flows::v1 as pb;
use synergies_proto::identity::v1 as identity;

use super::{form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

pub const DIRECTIONS: [&str; 2] = ["in", "out"];
pub const RESOURCE_CLASSES: [&str; 10] = [
    "material",
    "waste",
    "by-product",
    "energy",
    "water",
    "equipment",
    "service",
    "skill",
    "space",
    "logistics",
];
pub const UNITS: [&str; 11] = [
    "t", "kg", "m3", "L", "MWh", "kWh", "piece", "m", "m2", "h", "day",
];
pub const PERIODS: [&str; 4] = ["year", "month", "week", "once"];
pub const REGULARITIES: [&str; 3] = ["continuous", "seasonal", "occasional"];
pub const CONFIDENTIALITIES: [&str; 3] = ["facilitator", "partners", "public"];

/// The interface text of a code of the flows service (`flow.class.by-product` …); a code the
/// interface does not know is shown as "—" rather than raw.
pub fn worded(page: &Page, family: &str, code: &str) -> &'static str {
    if code.is_empty() {
        return "—";
    }
    crate::web::i18n::lookup(&format!("flow.{family}.{code}"), page.lang).unwrap_or("—")
}

/// A decimal of the service ("1500.000", "12.5") as a person writes it ("1 500", "12,5"; in
/// English "1,500", "12.5").
pub fn number(text: &str, lang: Language) -> String {
    let trimmed = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    };
    let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    let (separator, point) = match lang {
        Language::Fr => ('\u{202f}', ','),
        Language::En => (',', '.'),
    };
    let digits: Vec<char> = whole.chars().collect();
    let mut grouped = String::new();
    for (index, digit) in digits.iter().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) && digit.is_ascii_digit() {
            grouped.push(separator);
        }
        grouped.push(*digit);
    }
    if fraction.is_empty() {
        grouped
    } else {
        format!("{grouped}{point}{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_people_write_them() {
        assert_eq!(number("1500.000", Language::Fr), "1\u{202f}500");
        assert_eq!(number("1500.250", Language::En), "1,500.25");
        assert_eq!(number("12.5", Language::Fr), "12,5");
        assert_eq!(number("999", Language::Fr), "999");
        assert_eq!(number("1234567", Language::En), "1,234,567");
    }
}

/// "12,5 tonnes par mois".
fn amount(page: &Page, quantity: &str, unit: &str, period: &str) -> String {
    if quantity.is_empty() {
        return String::new();
    }
    format!(
        "{} {} {}",
        number(quantity, page.lang),
        worded(page, "unit", unit),
        worded(page, "period", period)
    )
}

/// A flow as lists and pages show it: every value already worded for the page.
pub struct FlowView {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub direction_code: String,
    pub direction: &'static str,
    pub resource_class: &'static str,
    pub label: String,
    pub description: String,
    pub ewc_code: String,
    pub category: String,
    pub quantity: String,
    pub yearly: String,
    pub regularity: &'static str,
    pub confidentiality: &'static str,
    pub quality: String,
    pub current_outlet: String,
    pub yearly_cost: String,
    pub provenance: &'static str,
    pub updated_at: String,
}

pub fn view(page: &Page, flow: &pb::Flow, categories: &HashMap<String, String>) -> FlowView {
    FlowView {
        id: flow.id.clone(),
        organisation_id: flow.organisation_id.clone(),
        organisation_name: flow.organisation_name.clone(),
        direction_code: flow.direction.clone(),
        direction: worded(page, "direction", &flow.direction),
        resource_class: worded(page, "class", &flow.resource_class),
        label: flow.label.clone(),
        description: flow.description.clone(),
        ewc_code: flow.ewc_code.clone(),
        category: categories.get(&flow.category).cloned().unwrap_or_default(),
        quantity: amount(page, &flow.quantity, &flow.unit, &flow.period),
        yearly: amount(page, &flow.yearly_quantity, &flow.unit, "year"),
        regularity: worded(page, "regularity", &flow.regularity),
        confidentiality: worded(page, "confidentiality", &flow.confidentiality),
        quality: flow.quality.clone(),
        current_outlet: flow.current_outlet.clone(),
        yearly_cost: if flow.yearly_cost_eur.is_empty() {
            String::new()
        } else {
            format!("{} €", number(&flow.yearly_cost_eur, page.lang))
        },
        provenance: worded(page, "provenance", &flow.provenance),
        updated_at: page.moment(&crate::clients::rfc3339(flow.updated_at.as_ref())),
    }
}

/// Category labels of the listings taxonomy in the page's language, by code, in order.
pub async fn categories(state: &GatewayState, lang: Language) -> Vec<(String, String, String)> {
    let Ok(categories) = state.listings.categories().await else {
        return Vec::new();
    };
    categories
        .into_iter()
        .map(|c| {
            let label = match lang {
                Language::Fr => c.label_fr,
                Language::En => c.label_en,
            };
            (c.code, c.parent, label)
        })
        .collect()
}

async fn category_names(state: &GatewayState, lang: Language) -> HashMap<String, String> {
    categories(state, lang)
        .await
        .into_iter()
        .map(|(code, _, label)| (code, label))
        .collect()
}

/// Whether the visitor is one of the territory's facilitators (or administrators).
pub fn is_facilitator(page: &Page) -> bool {
    page.viewer
        .as_ref()
        .is_some_and(crate::web::page::Viewer::is_facilitator)
}

/// `ORGANISATION_STATUS_DIAGNOSED` of identity: an organisation a facilitator registered during
/// a diagnostic.
const DIAGNOSED_STATUS: i32 = 6;

/// An organisation a facilitator may record flows for, with its sites.
pub struct OrganisationChoice {
    pub id: String,
    /// Registered by a facilitator during a diagnostic; nobody of it has signed up yet.
    pub diagnosed: bool,
    pub name: String,
    pub naf: String,
    pub sites: Vec<(String, String)>,
    pub flows_in: usize,
    pub flows_out: usize,
}

/// The territory's organisations (approved ones, and any other that already has flows, such as
/// those met during a diagnostic), by name.
pub async fn territory_organisations(
    page: &Page,
    state: &GatewayState,
    caller: &CallerContext,
    flows: &[pb::Flow],
) -> Vec<OrganisationChoice> {
    let commune = |code: &str| {
        page.tenant
            .communes
            .iter()
            .find(|c| c.insee_code == code)
            .map_or_else(|| code.to_owned(), |c| c.name.clone())
    };
    let mut by_id: BTreeMap<String, OrganisationChoice> = BTreeMap::new();
    let mut page_token = String::new();
    for _ in 0..20 {
        // Every status, filtered here: approved members and organisations met during a
        // diagnostic (a status older identity services do not know, hence its number).
        let message = identity::ListOrganisationsRequest {
            status: identity::OrganisationStatus::Unspecified.into(),
            page_size: 100,
            page_token: page_token.clone(),
        };
        let Ok(answer) = state.identity.list_organisations(caller, message).await else {
            break;
        };
        for organisation in answer.organisations {
            let diagnosed = organisation.status == DIAGNOSED_STATUS;
            if organisation.status != identity::OrganisationStatus::Approved as i32 && !diagnosed {
                continue;
            }
            by_id.insert(
                organisation.id.clone(),
                OrganisationChoice {
                    sites: organisation
                        .sites
                        .iter()
                        .map(|s| {
                            (
                                s.id.clone(),
                                format!("{}, {}", s.address, commune(&s.insee_code)),
                            )
                        })
                        .collect(),
                    id: organisation.id,
                    diagnosed,
                    name: organisation.name,
                    naf: organisation.naf,
                    flows_in: 0,
                    flows_out: 0,
                },
            );
        }
        if answer.next_page_token.is_empty() {
            break;
        }
        page_token = answer.next_page_token;
    }
    for flow in flows {
        let entry = by_id
            .entry(flow.organisation_id.clone())
            .or_insert_with(|| OrganisationChoice {
                id: flow.organisation_id.clone(),
                diagnosed: false,
                name: flow.organisation_name.clone(),
                naf: flow.nace.clone(),
                sites: Vec::new(),
                flows_in: 0,
                flows_out: 0,
            });
        if flow.direction == "in" {
            entry.flows_in += 1;
        } else {
            entry.flows_out += 1;
        }
    }
    let mut organisations: Vec<_> = by_id.into_values().collect();
    organisations.sort_by_key(|o| o.name.to_lowercase());
    organisations
}

/// Every flow the caller sees, filtered by organisation (all pages of the list, up to a bound
/// that no territory's inventory reaches today).
pub async fn all_flows(
    state: &GatewayState,
    caller: &CallerContext,
    organisation_id: &str,
) -> Result<Vec<pb::Flow>, ApiError> {
    let mut flows = Vec::new();
    let mut page_token = String::new();
    for _ in 0..100 {
        let answer = state
            .flows
            .list(
                caller,
                pb::ListFlowsRequest {
                    organisation_id: organisation_id.to_owned(),
                    page_size: 100,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
            )
            .await?;
        flows.extend(answer.flows);
        if answer.next_page_token.is_empty() {
            break;
        }
        page_token = answer.next_page_token;
    }
    Ok(flows)
}

#[derive(Template)]
#[template(path = "flows.html")]
struct FlowsPage {
    page: Page,
    notice: Option<&'static str>,
    facilitator: bool,
    organisations: Vec<OrganisationChoice>,
    chosen: Option<(String, String)>,
    flows: Vec<FlowView>,
    /// A member's diagnostic campaigns: its own entry in each.
    campaigns: Vec<CampaignEntry>,
    /// A facilitator's search: the words, and the flows found, best first.
    q: String,
    found: Option<Vec<FlowView>>,
}

/// A campaign as the member it targets sees it.
pub struct CampaignEntry {
    pub id: String,
    pub name: String,
    /// `to_visit`, `visited` or `validated`.
    pub state: String,
}

/// The campaigns that target the member's organisation (empty when they cannot be read: the
/// flows page still shows).
async fn campaigns_of_member(state: &GatewayState, caller: &CallerContext) -> Vec<CampaignEntry> {
    let message = synergies_proto::flows::v1::ListCampaignsRequest::default();
    match state.flows.campaigns(caller, message).await {
        Ok(page) => page
            .campaigns
            .into_iter()
            .map(|campaign| CampaignEntry {
                state: campaign
                    .targets
                    .first()
                    .map(|t| t.state.clone())
                    .unwrap_or_default(),
                id: campaign.id,
                name: campaign.name,
            })
            .collect(),
        Err(status) => {
            tracing::warn!(%status, "a member's campaigns could not be read");
            Vec::new()
        }
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    pub csrf_token: String,
}

/// The member confirms the flows an advisor recorded during a campaign.
pub async fn confirm_campaign(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, campaign_id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = synergies_proto::flows::v1::SetTargetStateRequest {
        campaign_id,
        organisation_id: caller
            .organisation_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        state: "validated".to_owned(),
    };
    match state.flows.set_target_state(&caller, message).await {
        Ok(_) => see_other(&page, "/flux", "campaign_confirmed"),
        Err(status) => page.error(&ApiError::from(status)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    pub organisation: String,
    pub notice: Option<String>,
    /// A facilitator's search words (`q`, as in the API).
    pub q: String,
}

/// The flows of the territory with `q`'s words, best first: the first page of the search.
async fn search(
    page: &Page,
    state: &GatewayState,
    caller: &CallerContext,
    q: &str,
    names: &HashMap<String, String>,
) -> Result<Vec<FlowView>, ApiError> {
    let message = pb::ListFlowsRequest {
        text: q.to_owned(),
        page_size: 100,
        ..Default::default()
    };
    let answer = state.flows.list(caller, message).await?;
    Ok(answer.flows.iter().map(|f| view(page, f, names)).collect())
}

fn notice_of(page: &Page, notice: Option<&String>) -> Option<&'static str> {
    super::notice(page, notice.map(|n| format!("notice={n}")).as_deref())
}

/// "Mes flux": a member's organisation's flows; for facilitators, the territory's
/// organisations and the flows of the one chosen.
pub async fn list(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<ListQuery>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let facilitator = is_facilitator(&page);
    if !facilitator && page.viewer.as_ref().is_some_and(|v| !v.is_member()) {
        return Redirect::to(&page.href("/en-attente")).into_response();
    }
    let notice = notice_of(&page, query.notice.as_ref());
    let names = category_names(&state, page.lang).await;
    if facilitator {
        let every = match all_flows(&state, &caller, "").await {
            Ok(flows) => flows,
            Err(error) => return page.error(&error),
        };
        let organisations = territory_organisations(&page, &state, &caller, &every).await;
        let chosen = organisations
            .iter()
            .find(|o| o.id == query.organisation)
            .map(|o| (o.id.clone(), o.name.clone()));
        let flows = every
            .iter()
            .filter(|f| {
                chosen
                    .as_ref()
                    .is_some_and(|(id, _)| *id == f.organisation_id)
            })
            .map(|f| view(&page, f, &names))
            .collect();
        let q = query.q.trim().to_owned();
        let found = if q.is_empty() {
            None
        } else {
            match search(&page, &state, &caller, &q, &names).await {
                Ok(found) => Some(found),
                Err(error) => return page.error(&error),
            }
        };
        return render(&FlowsPage {
            page,
            notice,
            facilitator,
            organisations,
            chosen,
            flows,
            campaigns: Vec::new(),
            q,
            found,
        });
    }
    let own = caller
        .organisation_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let campaigns = campaigns_of_member(&state, &caller).await;
    match all_flows(&state, &caller, &own).await {
        Ok(flows) => {
            let flows = flows
                .iter()
                .filter(|f| f.organisation_id == own)
                .map(|f| view(&page, f, &names))
                .collect();
            render(&FlowsPage {
                page,
                notice,
                facilitator,
                organisations: Vec::new(),
                chosen: None,
                flows,
                campaigns,
                q: String::new(),
                found: None,
            })
        }
        Err(error) => page.error(&error),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    pub csrf_token: String,
}

pub async fn remove(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let organisation = state
        .flows
        .get(&caller, &id)
        .await
        .map(|f| f.organisation_id)
        .unwrap_or_default();
    match state.flows.remove(&caller, &id).await {
        Ok(()) => {
            let facilitator = is_facilitator(&page);
            let path = if facilitator && !organisation.is_empty() {
                format!("/flux?organisation={organisation}")
            } else {
                "/flux".to_owned()
            };
            see_other(&page, &path, "flow_removed")
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

/// One change of a flow's history as a person reads it.
pub struct RevisionView {
    pub at: String,
    pub who: String,
    pub change: &'static str,
    pub details: Vec<String>,
}

/// What differs between two versions of a flow, field by field ("Quantité : 10 t → 12 t").
fn differences(page: &Page, before: &FlowView, after: &FlowView) -> Vec<String> {
    let pairs: [(&str, &str, &str); 14] = [
        ("flow.field.direction", before.direction, after.direction),
        (
            "flow.field.resource_class",
            before.resource_class,
            after.resource_class,
        ),
        ("flow.field.label", &before.label, &after.label),
        ("field.description", &before.description, &after.description),
        ("field.ewc_code", &before.ewc_code, &after.ewc_code),
        ("field.category", &before.category, &after.category),
        ("field.quantity", &before.quantity, &after.quantity),
        ("flow.field.regularity", before.regularity, after.regularity),
        (
            "flow.field.confidentiality",
            before.confidentiality,
            after.confidentiality,
        ),
        ("flow.field.quality", &before.quality, &after.quality),
        (
            "flow.field.current_outlet",
            &before.current_outlet,
            &after.current_outlet,
        ),
        (
            "flow.field.yearly_cost_eur",
            &before.yearly_cost,
            &after.yearly_cost,
        ),
        (
            "flow.field.organisation",
            &before.organisation_name,
            &after.organisation_name,
        ),
        ("flow.provenance", before.provenance, after.provenance),
    ];
    let or_dash = |s: &str| {
        if s.is_empty() {
            "—".to_owned()
        } else {
            s.to_owned()
        }
    };
    let separator = match page.lang {
        Language::Fr => " : ",
        Language::En => ": ",
    };
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(key, a, b)| format!("{}{separator}{} → {}", page.t(key), or_dash(a), or_dash(b)))
        .collect()
}

async fn history(
    page: &Page,
    state: &GatewayState,
    caller: &CallerContext,
    id: &str,
    names: &HashMap<String, String>,
) -> Vec<RevisionView> {
    let Ok(revisions) = state.flows.history(caller, id).await else {
        return Vec::new();
    };
    let mut people: HashMap<String, String> = HashMap::new();
    let mut views = Vec::new();
    let mut previous: Option<FlowView> = None;
    for revision in revisions {
        if !people.contains_key(&revision.by_user_id) {
            let name = state
                .identity
                .get_user(
                    caller,
                    identity::GetUserRequest {
                        user_id: revision.by_user_id.clone(),
                    },
                )
                .await
                .ok()
                .and_then(|a| a.user)
                .map_or_else(
                    || page.t("flow.history.someone").to_owned(),
                    |u| u.display_name,
                );
            people.insert(revision.by_user_id.clone(), name);
        }
        let current = revision.flow.as_ref().map(|f| view(page, f, names));
        let details = match (&previous, &current, revision.change.as_str()) {
            (Some(before), Some(after), "changed") => differences(page, before, after),
            _ => Vec::new(),
        };
        views.push(RevisionView {
            at: page.moment(&crate::clients::rfc3339(revision.at.as_ref())),
            who: people
                .get(&revision.by_user_id)
                .cloned()
                .unwrap_or_default(),
            change: worded(page, "change", &revision.change),
            details,
        });
        previous = current;
    }
    views.reverse();
    views
}

#[derive(Template)]
#[template(path = "flow.html")]
struct FlowPage {
    page: Page,
    notice: Option<&'static str>,
    flow: FlowView,
    nace: String,
    may_change: bool,
    facilitator: bool,
    history: Vec<RevisionView>,
    proposals: Vec<super::synergies::SynergyView>,
    back: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    pub notice: Option<String>,
}

/// A flow's page: what it is, and for those who may change it, its history.
pub async fn show(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let flow = match state.flows.get(&caller, &id).await {
        Ok(flow) => flow,
        Err(status) => return page.error(&ApiError::from(status)),
    };
    let names = category_names(&state, page.lang).await;
    let facilitator = is_facilitator(&page);
    let may_change = facilitator
        || caller
            .organisation_id
            .is_some_and(|o| o.to_string() == flow.organisation_id);
    let history = if may_change {
        history(&page, &state, &caller, &id, &names).await
    } else {
        Vec::new()
    };
    let notice = notice_of(&page, query.notice.as_ref());
    let proposals = super::synergies::proposals(&page, &state, &caller, "flow", &id).await;
    let back = page.href(&format!("/flux/{id}"));
    render(&FlowPage {
        flow: view(&page, &flow, &names),
        nace: flow.nace.clone(),
        page,
        notice,
        may_change,
        facilitator,
        history,
        proposals,
        back,
    })
}
