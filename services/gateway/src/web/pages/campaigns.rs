//! Facilitators' diagnostic campaigns: the list with each campaign's progress, the form that
//! starts one, and a campaign's page with its organisations, their state (to visit, visited,
//! validated by the firm) and a link to record a flow during the visit.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_proto::flows::v1 as pb;

use super::FieldErrors;
use super::flows::{OrganisationChoice, all_flows, is_facilitator, territory_organisations};
use super::{form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::format::day;
use crate::web::page::{Page, render};

pub const STATES: [&str; 3] = ["to_visit", "visited", "validated"];

/// A campaign's progress in words and percentages.
pub struct ProgressView {
    pub targets: u32,
    pub to_visit: u32,
    pub visited: u32,
    pub validated: u32,
    /// Visited or validated, in percent of the targets.
    pub done_percent: u32,
}

fn progress(campaign: &pb::Campaign) -> ProgressView {
    let p = campaign.progress.unwrap_or_default();
    let done = p.visited + p.validated;
    ProgressView {
        targets: p.targets,
        to_visit: p.to_visit,
        visited: p.visited,
        validated: p.validated,
        done_percent: (done * 100).checked_div(p.targets).unwrap_or(0),
    }
}

pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub period: String,
    pub progress: ProgressView,
    pub targets: Vec<(String, String, &'static str, String)>,
}

pub fn view(page: &Page, campaign: &pb::Campaign) -> CampaignView {
    CampaignView {
        id: campaign.id.clone(),
        name: campaign.name.clone(),
        period: format!(
            "{} {} {} {}",
            page.t("listing.from"),
            day(&campaign.starts_on, page.lang),
            page.t("listing.to"),
            day(&campaign.ends_on, page.lang)
        ),
        progress: progress(campaign),
        targets: campaign
            .targets
            .iter()
            .map(|t| {
                (
                    t.organisation_id.clone(),
                    t.organisation_name.clone(),
                    page.t(&format!("campaign.state.{}", t.state)),
                    t.state.clone(),
                )
            })
            .collect(),
    }
}

/// The campaign form as typed.
#[derive(Debug, Clone, Default)]
pub struct CampaignForm {
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub organisation_ids: Vec<String>,
}

#[derive(Template)]
#[template(path = "flow_campaigns.html")]
struct CampaignsPage {
    page: Page,
    notice: Option<&'static str>,
    campaigns: Vec<CampaignView>,
    organisations: Vec<OrganisationChoice>,
    form: CampaignForm,
    errors: FieldErrors,
}

impl CampaignsPage {
    fn chosen(&self, id: &str) -> bool {
        self.form.organisation_ids.iter().any(|o| o == id)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

fn notice_of(page: &Page, notice: Option<String>) -> Option<&'static str> {
    super::notice(page, notice.map(|n| format!("notice={n}")).as_deref())
}

fn facilitator_only(page: &Page) -> Result<CallerContext, Response> {
    let caller = page.caller()?.clone();
    if is_facilitator(page) {
        Ok(caller)
    } else {
        Err(page.error(&ApiError::new(
            synergies_platform::error::ErrorCode::PermissionDenied,
            synergies_platform::i18n::Text::new(
                "this page is for the territory's facilitators",
                "cette page est réservée aux animateurs du territoire",
            ),
        )))
    }
}

async fn campaigns_page(
    page: Page,
    state: &GatewayState,
    notice: Option<&'static str>,
    form: CampaignForm,
    errors: FieldErrors,
) -> Response {
    let caller = match facilitator_only(&page) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let campaigns = match state
        .flows
        .campaigns(
            &caller,
            pb::ListCampaignsRequest {
                page_size: 100,
                page_token: String::new(),
            },
        )
        .await
    {
        Ok(answer) => answer.campaigns.iter().map(|c| view(&page, c)).collect(),
        Err(status) => return page.error(&ApiError::from(status)),
    };
    let flows = all_flows(state, &caller, "").await.unwrap_or_default();
    let organisations = territory_organisations(&page, state, &caller, &flows).await;
    let mut response = render(&CampaignsPage {
        page,
        notice,
        campaigns,
        organisations,
        form,
        errors: errors.clone(),
    });
    if !errors.is_empty() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

pub async fn list(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let notice = notice_of(&page, query.notice);
    campaigns_page(
        page,
        &state,
        notice,
        CampaignForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// A form's fields as sent, repeated ones (check boxes) included.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn all_of(fields: &Fields, name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

pub async fn create(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, field(&fields, "csrf_token")) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let form = CampaignForm {
        name: field(&fields, "name").to_owned(),
        starts_on: field(&fields, "starts_on").to_owned(),
        ends_on: field(&fields, "ends_on").to_owned(),
        organisation_ids: all_of(&fields, "organisation_ids"),
    };
    let mut errors = FieldErrors::default();
    let mut add = |field: &str, key: &str| {
        errors
            .errors
            .push((field.to_owned(), page.t(key).to_owned()));
    };
    if form.name.trim().is_empty() {
        add("name", "campaign.error.name");
    }
    let date = |text: &str| chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    let (starts, ends) = (date(&form.starts_on), date(&form.ends_on));
    if starts.is_none() {
        add("starts_on", "campaign.error.date");
    }
    if ends.is_none() {
        add("ends_on", "campaign.error.date");
    }
    if let (Some(starts), Some(ends)) = (starts, ends)
        && ends < starts
    {
        add("ends_on", "campaign.error.ends_before");
    }
    if !errors.is_empty() {
        return campaigns_page(page, &state, None, form, errors).await;
    }
    let message = pb::CreateCampaignRequest {
        name: form.name.clone(),
        starts_on: form.starts_on.clone(),
        ends_on: form.ends_on.clone(),
        advisor_user_ids: caller
            .user_id
            .map(|id| vec![id.to_string()])
            .unwrap_or_default(),
        organisation_ids: form.organisation_ids.clone(),
    };
    match state.flows.create_campaign(&caller, message).await {
        Ok(campaign) => see_other(
            &page,
            &format!("/animation/campagnes/{}", campaign.id),
            "campaign_created",
        ),
        Err(status) => {
            let errors = super::flow_form::flow_errors(&page, &ApiError::from(status));
            campaigns_page(page, &state, None, form, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "flow_campaign.html")]
struct CampaignPage {
    page: Page,
    notice: Option<&'static str>,
    campaign: CampaignView,
    others: Vec<OrganisationChoice>,
}

impl CampaignPage {
    fn state_label(&self, state: &str) -> &'static str {
        self.page.t(&format!("campaign.state.{state}"))
    }

    #[allow(clippy::unused_self)] // Templates reach constants through `self` only.
    fn states(&self) -> [&'static str; 3] {
        STATES
    }

    #[allow(clippy::unused_self)]
    fn is(&self, current: &str, state: &str) -> bool {
        current == state
    }
}

pub async fn show(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let caller = match facilitator_only(&page) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let campaign = match state.flows.campaign(&caller, &id).await {
        Ok(campaign) => campaign,
        Err(status) => return page.error(&ApiError::from(status)),
    };
    let flows = all_flows(&state, &caller, "").await.unwrap_or_default();
    let others = territory_organisations(&page, &state, &caller, &flows)
        .await
        .into_iter()
        .filter(|o| !campaign.targets.iter().any(|t| t.organisation_id == o.id))
        .collect();
    let notice = notice_of(&page, query.notice);
    render(&CampaignPage {
        campaign: view(&page, &campaign),
        page,
        notice,
        others,
    })
}

pub async fn add_targets(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, field(&fields, "csrf_token")) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::AddTargetsRequest {
        campaign_id: id.clone(),
        organisation_ids: all_of(&fields, "organisation_ids"),
    };
    match state.flows.add_targets(&caller, message).await {
        Ok(_) => see_other(
            &page,
            &format!("/animation/campagnes/{id}"),
            "campaign_changed",
        ),
        Err(status) => page.error(&ApiError::from(status)),
    }
}

#[derive(Deserialize)]
pub struct StateForm {
    pub csrf_token: String,
    pub organisation_id: String,
    pub state: String,
}

pub async fn set_state(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<StateForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::SetTargetStateRequest {
        campaign_id: id.clone(),
        organisation_id: form.organisation_id,
        state: form.state,
    };
    match state.flows.set_target_state(&caller, message).await {
        Ok(_) => see_other(
            &page,
            &format!("/animation/campagnes/{id}"),
            "campaign_changed",
        ),
        Err(status) => page.error(&ApiError::from(status)),
    }
}
