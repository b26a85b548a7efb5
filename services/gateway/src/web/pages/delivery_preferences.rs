//! The e-mail settings page: for each category of notification, when the member gets an
//! e-mail (at once, in a daily or weekly digest, or never). The inbox keeps everything.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use super::{form_caller, notice, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};
use synergies_proto::notifications::v1 as pb;

/// The categories in the order the page shows them.
const CATEGORIES: [&str; 6] = [
    "message",
    "reservation",
    "synergy",
    "alert",
    "moderation",
    "reminder",
];
const FREQUENCIES: [&str; 4] = ["immediate", "daily", "weekly", "none"];

pub struct OptionView {
    pub value: &'static str,
    pub label_key: String,
    pub chosen: bool,
}

pub struct RowView {
    pub category: &'static str,
    pub label_key: String,
    pub options: Vec<OptionView>,
}

#[derive(Template)]
#[template(path = "delivery_preferences.html")]
struct PreferencesPage {
    page: Page,
    rows: Vec<RowView>,
    notice: Option<&'static str>,
    /// Where the form goes, under the tenant.
    action: &'static str,
    /// The signed token of an e-mail's link; empty for a signed-in member.
    token: String,
    /// The member's address when it refuses our mail (signed-in members only); else empty.
    undeliverable_email: String,
    /// The member's saved searches (signed-in members only).
    saved_searches: Vec<super::saved_searches::SavedSearchView>,
}

pub async fn show(page: Page, State(state): State<GatewayState>, uri: Uri) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let saved_searches = match super::saved_searches::views(&state, &page, &caller).await {
        Ok(views) => views,
        Err(error) => return page.error(&error),
    };
    match state.notifications.delivery_preferences(&caller).await {
        Ok(answer) => {
            let notice = notice(&page, uri.query());
            render(&PreferencesPage {
                saved_searches,
                undeliverable_email: answer.undeliverable_email.clone(),
                rows: rows(answer),
                page,
                notice,
                action: "/notifications/reglages",
                token: String::new(),
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

fn rows(answer: pb::DeliveryPreferences) -> Vec<RowView> {
    let chosen: HashMap<String, String> = answer
        .preferences
        .into_iter()
        .map(|p| (p.category, p.frequency))
        .collect();
    CATEGORIES
        .into_iter()
        .map(|category| RowView {
            category,
            label_key: format!("inbox.category.{category}"),
            options: FREQUENCIES
                .into_iter()
                .map(|value| OptionView {
                    value,
                    label_key: format!("inbox.frequency.{value}"),
                    chosen: chosen.get(category).is_some_and(|c| c == value),
                })
                .collect(),
        })
        .collect()
}

/// The form: one radio group per category, plus the CSRF token.
pub async fn save(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let token = form.get("csrf_token").cloned().unwrap_or_default();
    let caller = match form_caller(&state, &page, &headers, &token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let choices = form
        .into_iter()
        .filter(|(field, _)| CATEGORIES.contains(&field.as_str()))
        .collect();
    match state
        .notifications
        .set_delivery_preferences(&caller, choices)
        .await
    {
        Ok(_) => see_other(&page, "/notifications/reglages", "delivery_saved"),
        Err(status) => page.error(&ApiError::from(status)),
    }
}

/// The member confirms the address that refused mail: the held e-mails go out again.
pub async fn confirm_email(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let token = form.get("csrf_token").cloned().unwrap_or_default();
    let caller = match form_caller(&state, &page, &headers, &token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    match state.notifications.confirm_email(&caller).await {
        Ok(_) => see_other(&page, "/notifications/reglages", "email_confirmed"),
        Err(status) => page.error(&ApiError::from(status)),
    }
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

/// The settings page of an e-mail's link: no sign-in, the signed token stands for the member.
pub async fn show_by_token(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<TokenQuery>,
    uri: Uri,
) -> Response {
    match state
        .notifications
        .preferences_by_token(&page.tenant.slug, &query.token)
        .await
    {
        Ok(answer) => {
            let notice = notice(&page, uri.query());
            render(&PreferencesPage {
                rows: rows(answer),
                page,
                notice,
                action: "/e-mails",
                token: query.token,
                undeliverable_email: String::new(),
                saved_searches: Vec::new(),
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

/// The form of the settings page of an e-mail's link.
pub async fn save_by_token(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let csrf = form.get("csrf_token").cloned().unwrap_or_default();
    if let Err(refused) = super::check_csrf(&state, &page, &headers, &csrf) {
        return refused;
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let choices = form
        .into_iter()
        .filter(|(field, _)| CATEGORIES.contains(&field.as_str()))
        .collect();
    match state
        .notifications
        .set_preferences_by_token(&page.tenant.slug, &token, choices)
        .await
    {
        Ok(_) => {
            let path = format!("/e-mails?token={}", urlencoding(&token));
            see_other(&page, &path, "delivery_saved")
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

/// Tokens are URL-safe already (base64url, hex, dots); anything else is dropped.
fn urlencoding(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect()
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    page: Page,
    token: String,
    category_key: String,
    done: bool,
}

/// The category a token unsubscribes from, read from the token itself (the service checks
/// the signature when it is used).
fn category_key(token: &str) -> String {
    let category = token.split('.').nth(1).unwrap_or_default();
    if CATEGORIES.contains(&category) || ["daily", "weekly"].contains(&category) {
        format!("inbox.category.{category}")
    } else {
        "inbox.settings".to_owned()
    }
}

/// The link of `List-Unsubscribe` opened in a browser: a button, since a GET must change
/// nothing (mail scanners open links).
pub async fn unsubscribe_form(page: Page, Query(query): Query<TokenQuery>) -> Response {
    render(&UnsubscribePage {
        page,
        category_key: category_key(&query.token),
        token: query.token,
        done: false,
    })
}

/// One-click unsubscribe (RFC 8058): mail clients POST `List-Unsubscribe=One-Click` without
/// cookies, so no CSRF token is asked; the signed token is the authority.
pub async fn unsubscribe(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<TokenQuery>,
) -> Response {
    match state
        .notifications
        .unsubscribe(&page.tenant.slug, &query.token)
        .await
    {
        Ok(category) => render(&UnsubscribePage {
            category_key: format!("inbox.category.{category}"),
            page,
            token: String::new(),
            done: true,
        }),
        Err(status) => page.error(&ApiError::from(status)),
    }
}
