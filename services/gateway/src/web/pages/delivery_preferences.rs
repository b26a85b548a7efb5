//! The e-mail settings page: for each category of notification, when the member gets an
//! e-mail (at once, in a daily or weekly digest, or never). The inbox keeps everything.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use super::{form_caller, notice, see_other};
use crate::api::delivery_preferences::{read, write};
use crate::state::GatewayState;
use crate::web::page::{Page, render};

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
}

pub async fn show(page: Page, State(state): State<GatewayState>, uri: Uri) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let chosen: HashMap<String, String> = match read(&state, &caller).await {
        Ok(answer) => answer
            .preferences
            .into_iter()
            .map(|p| (p.category, p.frequency))
            .collect(),
        Err(error) => return page.error(&error),
    };
    let rows = CATEGORIES
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
        .collect();
    let notice = notice(&page, uri.query());
    render(&PreferencesPage { page, rows, notice })
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
    match write(&state, &caller, choices).await {
        Ok(_) => see_other(&page, "/notifications/reglages", "delivery_saved"),
        Err(error) => page.error(&error),
    }
}
