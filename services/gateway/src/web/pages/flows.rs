//! Flow inventories in the browser: "Mes flux" for members, the territory's organisations and
//! their flows for facilitators, the form that records or changes a flow (declared by a member,
//! or recorded by an advisor during a visit), a flow's page with its history, and removal.
//!
//! Every code of the service (`by-product`, `m3`, `partners`…) is shown in words; every error is
//! shown next to its field, and the checks a page can make itself are made all at once before
//! the service is called, so that a person sees every mistake in one go.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::{CallerContext, anonymous_request, request};
use synergies_platform::i18n::Language;
use synergies_proto::flows::v1 as pb;
use synergies_proto::identity::v1 as identity;
use synergies_proto::listings::v1 as listings;

use super::{form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::format::moment;
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

/// A decimal of the service ("150.000", "12.5") as a person writes it ("150", "12,5").
pub fn number(text: &str, lang: Language) -> String {
    let trimmed = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    };
    match lang {
        Language::Fr => trimmed.replace('.', ","),
        Language::En => trimmed.to_owned(),
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
        updated_at: moment(&crate::api::rfc3339(flow.updated_at.as_ref()), page.lang),
    }
}

/// Every error of a form, each shown next to its field.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    pub errors: Vec<(String, String)>,
    /// An error about no field in particular.
    pub general: Option<String>,
}

impl FieldErrors {
    pub fn of(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn invalid(&self, field: &str) -> bool {
        self.of(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.general.is_none()
    }

    fn add(&mut self, page: &Page, field: &str, key: &str) {
        if !self.invalid(field) {
            self.errors.push((field.to_owned(), page.t(key).to_owned()));
        }
    }

    /// A refusal of the service: next to its field, in words of the interface for the fields
    /// a page offers as a list (the service's own message would name codes).
    pub fn from_service(page: &Page, error: &ApiError) -> Self {
        let message = error.message.get(page.lang);
        let Some(field) = error.field.as_deref() else {
            return Self {
                general: Some(message.to_owned()),
                ..Self::default()
            };
        };
        let field = field.rsplit('.').next().unwrap_or(field).to_owned();
        let worded = match field.as_str() {
            "direction" | "resource_class" | "unit" | "period" | "regularity"
            | "confidentiality" | "category" | "site_id" | "organisation_id" | "status" => {
                Some(page.t("flow.error.choose").to_owned())
            }
            "quantity" | "yearly_cost_eur" => Some(page.t("flow.error.number").to_owned()),
            _ => None,
        };
        let message = worded.unwrap_or_else(|| {
            message
                .strip_prefix(&format!("{field} : "))
                .or_else(|| message.strip_prefix(&format!("{field}: ")))
                .unwrap_or(message)
                .to_owned()
        });
        Self {
            errors: vec![(field, message)],
            general: None,
        }
    }
}

/// The flow form as typed (kept as it is when refused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FlowForm {
    pub csrf_token: String,
    pub organisation_id: String,
    pub site_id: String,
    pub direction: String,
    pub resource_class: String,
    pub label: String,
    pub description: String,
    pub ewc_code: String,
    pub category: String,
    pub quantity: String,
    pub unit: String,
    pub period: String,
    pub regularity: String,
    pub confidentiality: String,
    pub quality: String,
    pub current_outlet: String,
    pub yearly_cost_eur: String,
}

fn decimal_text(value: &str) -> String {
    value
        .trim()
        .replace([' ', '\u{a0}', '\u{202f}', '€'], "")
        .replace(',', ".")
}

fn is_positive_decimal(value: &str) -> bool {
    value.parse::<f64>().is_ok_and(|v| v > 0.0)
        && value.chars().all(|c| c.is_ascii_digit() || c == '.')
}

impl FlowForm {
    /// What the page checks itself, every mistake at once.
    fn check(&self, page: &Page, facilitator: bool) -> FieldErrors {
        let mut errors = FieldErrors::default();
        if facilitator && self.organisation_id.trim().is_empty() {
            errors.add(page, "organisation_id", "flow.error.organisation");
        }
        if !DIRECTIONS.contains(&self.direction.as_str()) {
            errors.add(page, "direction", "flow.error.direction");
        }
        if !RESOURCE_CLASSES.contains(&self.resource_class.as_str()) {
            errors.add(page, "resource_class", "flow.error.resource_class");
        }
        if self.label.trim().is_empty() {
            errors.add(page, "label", "flow.error.label");
        }
        if self.resource_class == "waste" && self.ewc_code.trim().is_empty() {
            errors.add(page, "ewc_code", "flow.error.ewc_required");
        }
        if self.quantity.trim().is_empty() {
            errors.add(page, "quantity", "flow.error.quantity_required");
        } else if !is_positive_decimal(&decimal_text(&self.quantity)) {
            errors.add(page, "quantity", "flow.error.number");
        }
        if !UNITS.contains(&self.unit.as_str()) {
            errors.add(page, "unit", "flow.error.choose");
        }
        if !PERIODS.contains(&self.period.as_str()) {
            errors.add(page, "period", "flow.error.choose");
        }
        if !self.yearly_cost_eur.trim().is_empty()
            && !is_positive_decimal(&decimal_text(&self.yearly_cost_eur))
        {
            errors.add(page, "yearly_cost_eur", "flow.error.number");
        }
        errors
    }

    fn fields(&self) -> pb::FlowFields {
        pb::FlowFields {
            organisation_id: self.organisation_id.trim().to_owned(),
            site_id: self.site_id.clone(),
            direction: self.direction.clone(),
            resource_class: self.resource_class.clone(),
            label: self.label.clone(),
            description: self.description.clone(),
            ewc_code: self.ewc_code.clone(),
            category: self.category.clone(),
            quantity: decimal_text(&self.quantity),
            unit: self.unit.clone(),
            period: self.period.clone(),
            regularity: self.regularity.clone(),
            confidentiality: self.confidentiality.clone(),
            quality: self.quality.clone(),
            current_outlet: self.current_outlet.clone(),
            yearly_cost_eur: decimal_text(&self.yearly_cost_eur),
        }
    }

    fn of(flow: &pb::Flow, lang: Language) -> Self {
        Self {
            csrf_token: String::new(),
            organisation_id: flow.organisation_id.clone(),
            site_id: flow.site_id.clone(),
            direction: flow.direction.clone(),
            resource_class: flow.resource_class.clone(),
            label: flow.label.clone(),
            description: flow.description.clone(),
            ewc_code: flow.ewc_code.clone(),
            category: flow.category.clone(),
            quantity: number(&flow.quantity, lang),
            unit: flow.unit.clone(),
            period: flow.period.clone(),
            regularity: flow.regularity.clone(),
            confidentiality: flow.confidentiality.clone(),
            quality: flow.quality.clone(),
            current_outlet: flow.current_outlet.clone(),
            yearly_cost_eur: if flow.yearly_cost_eur.is_empty() {
                String::new()
            } else {
                number(&flow.yearly_cost_eur, lang)
            },
        }
    }
}

/// Category labels of the listings taxonomy in the page's language, by code, in order.
pub async fn categories(state: &GatewayState, lang: Language) -> Vec<(String, String, String)> {
    let Ok(answer) = state
        .listings
        .clone()
        .list_categories(anonymous_request(listings::ListCategoriesRequest {}))
        .await
    else {
        return Vec::new();
    };
    answer
        .into_inner()
        .categories
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

/// An organisation a facilitator may record flows for, with its sites.
pub struct OrganisationChoice {
    pub id: String,
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
        let message = identity::ListOrganisationsRequest {
            status: identity::OrganisationStatus::Approved.into(),
            page_size: 100,
            page_token: page_token.clone(),
        };
        let Ok(answer) = state
            .identity
            .clone()
            .list_organisations(request(message, caller))
            .await
        else {
            break;
        };
        let answer = answer.into_inner();
        for organisation in answer.organisations {
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
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    pub organisation: String,
    pub notice: Option<String>,
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
        return render(&FlowsPage {
            page,
            notice,
            facilitator,
            organisations,
            chosen,
            flows,
        });
    }
    let own = caller
        .organisation_id
        .map(|id| id.to_string())
        .unwrap_or_default();
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
            })
        }
        Err(error) => page.error(&error),
    }
}

#[derive(Template)]
#[template(path = "flow_form.html")]
struct FlowFormPage {
    page: Page,
    form: FlowForm,
    errors: FieldErrors,
    action: String,
    editing: bool,
    facilitator: bool,
    organisations: Vec<OrganisationChoice>,
    sites: Vec<(String, String)>,
    categories: Vec<(String, String)>,
}

impl FlowFormPage {
    fn is(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "organisation_id" => &self.form.organisation_id,
            "site_id" => &self.form.site_id,
            "direction" => &self.form.direction,
            "resource_class" => &self.form.resource_class,
            "category" => &self.form.category,
            "unit" => &self.form.unit,
            "period" => &self.form.period,
            "regularity" => &self.form.regularity,
            "confidentiality" => &self.form.confidentiality,
            _ => return false,
        };
        current == value
    }

    fn word(&self, family: &str, code: &str) -> &'static str {
        worded(&self.page, family, code)
    }

    /// `aria-describedby` of a field: its hint and its error, when it has them.
    fn described(&self, field: &str) -> String {
        if self.errors.invalid(field) {
            format!("{field}-error")
        } else {
            String::new()
        }
    }

    #[allow(clippy::unused_self)] // Templates reach constants through `self` only.
    fn directions(&self) -> [&'static str; 2] {
        DIRECTIONS
    }
    #[allow(clippy::unused_self)]
    fn classes(&self) -> [&'static str; 10] {
        RESOURCE_CLASSES
    }
    #[allow(clippy::unused_self)]
    fn units(&self) -> [&'static str; 11] {
        UNITS
    }
    #[allow(clippy::unused_self)]
    fn periods(&self) -> [&'static str; 4] {
        PERIODS
    }
    #[allow(clippy::unused_self)]
    fn regularities(&self) -> [&'static str; 3] {
        REGULARITIES
    }
    #[allow(clippy::unused_self)]
    fn confidentialities(&self) -> [&'static str; 3] {
        CONFIDENTIALITIES
    }
}

async fn own_sites(state: &GatewayState, caller: &CallerContext) -> Vec<(String, String)> {
    state
        .identity
        .clone()
        .get_my_organisation(request(identity::GetMyOrganisationRequest {}, caller))
        .await
        .ok()
        .and_then(|a| a.into_inner().organisation)
        .map(|o| o.sites.into_iter().map(|s| (s.id, s.address)).collect())
        .unwrap_or_default()
}

async fn form_page(
    page: Page,
    state: &GatewayState,
    form: FlowForm,
    errors: FieldErrors,
    editing: Option<&str>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let facilitator = is_facilitator(&page);
    let (organisations, sites) = if facilitator {
        let flows = all_flows(state, &caller, "").await.unwrap_or_default();
        let organisations = territory_organisations(&page, state, &caller, &flows).await;
        let sites = organisations
            .iter()
            .find(|o| o.id == form.organisation_id)
            .map(|o| o.sites.clone())
            .unwrap_or_default();
        (organisations, sites)
    } else {
        (Vec::new(), own_sites(state, &caller).await)
    };
    let categories = categories(state, page.lang)
        .await
        .into_iter()
        .map(|(code, parent, label)| {
            let label = if parent.is_empty() {
                label
            } else {
                format!("— {label}")
            };
            (code, label)
        })
        .collect();
    let action = match editing {
        Some(id) => page.href(&format!("/flux/{id}/modifier")),
        None => page.href("/flux/nouveau"),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&FlowFormPage {
        page,
        form,
        errors,
        action,
        editing: editing.is_some(),
        facilitator,
        organisations,
        sites,
        categories,
    });
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

pub async fn new_form(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<ListQuery>,
) -> Response {
    if page
        .viewer
        .as_ref()
        .is_some_and(|v| !v.is_member() && !v.is_facilitator())
    {
        return Redirect::to(&page.href("/en-attente")).into_response();
    }
    let form = FlowForm {
        organisation_id: query.organisation,
        direction: "out".to_owned(),
        unit: "t".to_owned(),
        period: "year".to_owned(),
        confidentiality: "partners".to_owned(),
        ..FlowForm::default()
    };
    form_page(page, &state, form, FieldErrors::default(), None).await
}

pub async fn create(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<FlowForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let facilitator = is_facilitator(&page);
    let errors = form.check(&page, facilitator);
    if !errors.is_empty() {
        return form_page(page, &state, form, errors, None).await;
    }
    match state.flows.record(&caller, form.fields()).await {
        Ok(flow) => see_other(&page, &format!("/flux/{}", flow.id), "flow_recorded"),
        Err(status) => {
            let errors = FieldErrors::from_service(&page, &ApiError::from(status));
            form_page(page, &state, form, errors, None).await
        }
    }
}

pub async fn edit_form(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    match state.flows.get(&caller, &id).await {
        Ok(flow) => {
            let form = FlowForm::of(&flow, page.lang);
            form_page(page, &state, form, FieldErrors::default(), Some(&id)).await
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

pub async fn update(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<FlowForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    // The organisation of a flow does not change; the form shows it but does not send it.
    let errors = form.check(&page, false);
    if !errors.is_empty() {
        return form_page(page, &state, form, errors, Some(&id)).await;
    }
    let fields = pb::FlowFields {
        organisation_id: String::new(),
        ..form.fields()
    };
    match state.flows.update(&caller, &id, fields).await {
        Ok(flow) => see_other(&page, &format!("/flux/{}", flow.id), "flow_changed"),
        Err(status) => {
            let errors = FieldErrors::from_service(&page, &ApiError::from(status));
            form_page(page, &state, form, errors, Some(&id)).await
        }
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
                .clone()
                .get_user(request(
                    identity::GetUserRequest {
                        user_id: revision.by_user_id.clone(),
                    },
                    caller,
                ))
                .await
                .ok()
                .and_then(|a| a.into_inner().user)
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
            at: moment(&crate::api::rfc3339(revision.at.as_ref()), page.lang),
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
