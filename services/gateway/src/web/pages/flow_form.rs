//! The form that records or changes a flow: declared by a member for their organisation, or
//! recorded by an advisor for the organisation visited. The checks a page can make itself are
//! made all at once before the service is called, and every error is shown next to its field,
//! with what was typed kept.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_platform::i18n::Language;
use synergies_proto::flows::v1 as pb;
use synergies_proto::identity::v1 as identity;

use super::flows::{
    CONFIDENTIALITIES, DIRECTIONS, ListQuery, OrganisationChoice, PERIODS, REGULARITIES,
    RESOURCE_CLASSES, UNITS, all_flows, categories, is_facilitator, number,
    territory_organisations, worded,
};
use super::{FieldErrors, form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// A refusal of the flows service, next to its field, in words of the interface for the
/// fields the page offers as a list (the service's own message would name codes).
pub fn flow_errors(page: &Page, error: &ApiError) -> FieldErrors {
    FieldErrors::from_service(page, error, |field| match field {
        "direction" | "resource_class" | "unit" | "period" | "regularity" | "confidentiality"
        | "category" | "site_id" | "organisation_id" | "status" => {
            Some(page.t("flow.error.choose").to_owned())
        }
        "quantity" | "yearly_cost_eur" => Some(page.t("flow.error.number").to_owned()),
        _ => None,
    })
}

/// The flow form as typed (kept as it is when refused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FlowForm {
    pub csrf_token: String,
    /// One per rendered recording form (see `Page::fresh_idempotency_key`).
    pub idempotency_key: String,
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
            idempotency_key: String::new(),
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
        .get_my_organisation(caller, identity::GetMyOrganisationRequest {})
        .await
        .ok()
        .and_then(|a| a.organisation)
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
    let key = Some(form.idempotency_key.clone()).filter(|k| !k.is_empty());
    let recorded = synergies_platform::idempotency::scope(key, async {
        state.flows.record(&caller, form.fields()).await
    })
    .await;
    match recorded {
        Ok(flow) => see_other(&page, &format!("/flux/{}", flow.id), "flow_recorded"),
        Err(status) => {
            let errors = flow_errors(&page, &ApiError::from(status));
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
            let errors = flow_errors(&page, &ApiError::from(status));
            form_page(page, &state, form, errors, Some(&id)).await
        }
    }
}
