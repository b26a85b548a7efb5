//! Tenant admins: the territory's branding and settings, and who facilitates.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use synergies_proto::identity::v1 as pb;

use super::auth::NoticeQuery;
use super::{Feedback, form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// The exchange modes a territory may allow, in the order the form shows them.
pub const EXCHANGE_MODES: [&str; 5] = ["give", "exchange", "lend", "rent", "sell"];

/// One person of the territory and their tenant-wide roles.
pub struct Person {
    pub id: String,
    pub display_name: String,
    pub email: String,
    pub facilitator: bool,
    pub tenant_admin: bool,
}

/// The branding as it would look, before it is saved: the colours come from a stylesheet scoped
/// to the preview (`/<tenant>/apercu-theme.css`), so the page around it keeps the saved ones.
pub struct Preview {
    pub stylesheet: String,
}

#[derive(Template)]
#[template(path = "administration.html")]
struct Administration {
    page: Page,
    notice: Option<&'static str>,
    feedback: Feedback,
    settings: pb::TenantSettings,
    people: Vec<Person>,
    preview: Option<Preview>,
}

impl Administration {
    fn mode_allowed(&self, mode: &str) -> bool {
        self.settings.exchange_modes.iter().any(|m| m == mode)
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn modes(&self) -> [&'static str; 5] {
        EXCHANGE_MODES
    }

    fn mode_label(&self, mode: &str) -> &'static str {
        self.page.t(&format!("mode.{mode}"))
    }
}

pub(super) async fn administration_page(
    page: Page,
    state: &GatewayState,
    settings: Option<pb::TenantSettings>,
    feedback: Feedback,
    notice: Option<&'static str>,
) -> Response {
    with_preview(page, state, settings, feedback, notice, None).await
}

async fn with_preview(
    page: Page,
    state: &GatewayState,
    settings: Option<pb::TenantSettings>,
    feedback: Feedback,
    notice: Option<&'static str>,
    preview: Option<Preview>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let people = match super::organisation::people(state, &caller, true).await {
        Ok(people) => people,
        Err(error) => return page.error(&error),
    };
    let people = people
        .into_iter()
        .filter_map(|person| {
            let user = person.user?;
            let has = |role: &str| person.roles.iter().any(|r| r == role);
            Some(Person {
                facilitator: has("facilitator"),
                tenant_admin: has("tenant_admin"),
                id: user.id,
                display_name: user.display_name,
                email: user.email,
            })
        })
        .collect();
    render(&Administration {
        settings: settings.unwrap_or_else(|| page.tenant.settings.clone()),
        page,
        notice,
        feedback,
        people,
        preview,
    })
}

pub async fn show(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let notice = super::notice(
        &page,
        query.notice.map(|n| format!("notice={n}")).as_deref(),
    );
    administration_page(page, &state, None, Feedback::none(), notice).await
}

/// The settings form as sent. Checkboxes arrive only when ticked, so the exchange modes come as
/// a raw list of `exchange_modes` pairs.
fn settings_form(pairs: &[(String, String)]) -> (String, pb::TenantSettings) {
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let settings = pb::TenantSettings {
        brand_name: value("brand_name"),
        logo_url: value("logo_url"),
        primary_colour: value("primary_colour"),
        secondary_colour: value("secondary_colour"),
        listings_need_approval: !value("listings_need_approval").is_empty(),
        exchange_modes: pairs
            .iter()
            .filter(|(key, _)| key == "exchange_modes")
            .map(|(_, v)| v.clone())
            .collect(),
        default_language: value("default_language"),
        // Not a number: out of range on purpose, so that identity names the field.
        mutualisation_radius_km: value("mutualisation_radius_km")
            .trim()
            .parse()
            .unwrap_or(u32::MAX),
        time_zone: value("time_zone"),
        logo_digest: String::new(),
    };
    (value("csrf_token"), settings)
}

/// Sends the settings form to identity, to save it or (`dry_run`) only to check it exactly as
/// it would be saved. `Err`: the answer already decided — the caller refused, or the form
/// again with identity's refusals next to their fields.
async fn submit_settings(
    page: &Page,
    state: &GatewayState,
    headers: &HeaderMap,
    pairs: &[(String, String)],
    dry_run: bool,
) -> Result<pb::TenantSettings, Response> {
    let (csrf_token, settings) = settings_form(pairs);
    let caller = form_caller(state, page, headers, &csrf_token)?;
    let message = pb::UpdateTenantSettingsRequest {
        settings: Some(settings.clone()),
        dry_run,
    };
    match state
        .identity
        .update_tenant_settings(&caller, message)
        .await
    {
        Ok(_) => Ok(settings),
        Err(status) => {
            let feedback = Feedback::from_error(page, &ApiError::from(status));
            Err(administration_page(page.clone(), state, Some(settings), feedback, None).await)
        }
    }
}

pub async fn save_settings(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    match submit_settings(&page, &state, &headers, &pairs, false).await {
        Ok(_) => see_other(&page, "/administration", "saved"),
        Err(answer) => answer,
    }
}

/// The settings form's "Preview" button: identity checks the settings exactly as it would
/// save them (a colour that fails the contrast is refused next to its field), nothing is saved,
/// and the page shows the branding as it would look with the form still filled in.
pub async fn preview_settings(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let settings = match submit_settings(&page, &state, &headers, &pairs, true).await {
        Ok(settings) => settings,
        Err(answer) => return answer,
    };
    let preview = Preview {
        stylesheet: format!(
            "{}?primary={}&secondary={}",
            page.href("/apercu-theme.css"),
            settings.primary_colour.replace('#', "%23"),
            settings.secondary_colour.replace('#', "%23"),
        ),
    };
    let notice = Some(page.t("notice.preview"));
    with_preview(
        page,
        &state,
        Some(settings),
        Feedback::none(),
        notice,
        Some(preview),
    )
    .await
}

#[derive(Deserialize)]
pub struct RolesForm {
    pub csrf_token: String,
    pub user_id: String,
    #[serde(default)]
    pub facilitator: Option<String>,
    #[serde(default)]
    pub tenant_admin: Option<String>,
    /// Kept as they are: this form only appoints tenant-wide roles.
    #[serde(default)]
    pub organisation_admin: Option<String>,
}

pub async fn set_roles(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<RolesForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let roles = [
        (form.organisation_admin, "organisation_admin"),
        (form.facilitator, "facilitator"),
        (form.tenant_admin, "tenant_admin"),
    ]
    .into_iter()
    .filter_map(|(ticked, role)| ticked.map(|_| role.to_owned()))
    .collect();
    let message = pb::SetUserRolesRequest {
        user_id: form.user_id,
        roles,
    };
    match state.identity.set_user_roles(&caller, message).await {
        Ok(_) => see_other(&page, "/administration", "roles_saved"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            administration_page(page, &state, None, feedback, None).await
        }
    }
}
