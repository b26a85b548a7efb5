//! Saved searches on the web: the search page's "save this search" form, and the member's
//! list, with delete, on their e-mail settings page (alerts are one of those settings).

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use synergies_platform::context::CallerContext;
use synergies_proto::notifications::v1 as pb;

use super::{form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::Page;

/// A saved search as the settings page lists it.
pub struct SavedSearchView {
    pub id: String,
    /// What it looks for, in words: `« palette » · Offres · Palettes · Don · Chenôve · Gratuit
    /// uniquement · Les plus récentes d'abord`.
    pub description: String,
    /// The search page's query that runs it again, with its filters and sort.
    pub search: pb::SavedSearch,
}

impl SavedSearchView {
    /// The search page's `free_only` value: what its checkbox sends, or nothing.
    pub fn free_only(&self) -> &'static str {
        if self.search.free_only { "on" } else { "" }
    }
}

/// The signed-in member's saved searches, described in the page's language.
pub(crate) async fn views(
    state: &GatewayState,
    page: &Page,
    caller: &CallerContext,
) -> Result<Vec<SavedSearchView>, ApiError> {
    let searches = state.notifications.saved_searches(caller).await?;
    if searches.is_empty() {
        return Ok(Vec::new());
    }
    let categories: HashMap<String, String> = super::listings::category_labels(state, page.lang)
        .await?
        .into_iter()
        .map(|(code, _, label)| (code, label))
        .collect();
    Ok(searches
        .into_iter()
        .map(|search| SavedSearchView {
            id: search.id.clone(),
            description: describe(page, &categories, &search),
            search,
        })
        .collect())
}

fn describe(page: &Page, categories: &HashMap<String, String>, search: &pb::SavedSearch) -> String {
    let mut parts = Vec::new();
    if !search.text.is_empty() {
        parts.push(match page.lang {
            synergies_platform::i18n::Language::Fr => format!("« {} »", search.text),
            synergies_platform::i18n::Language::En => format!("“{}”", search.text),
        });
    }
    if !search.kind.is_empty() {
        parts.push(
            page.t(&format!("search.saved_kind.{}", search.kind))
                .to_owned(),
        );
    }
    if !search.category.is_empty() {
        parts.push(
            categories
                .get(&search.category)
                .cloned()
                .unwrap_or_else(|| search.category.clone()),
        );
    }
    if !search.exchange_mode.is_empty() {
        parts.push(page.t(&format!("mode.{}", search.exchange_mode)).to_owned());
    }
    if !search.insee_code.is_empty() {
        let commune = page
            .tenant
            .communes
            .iter()
            .find(|c| c.insee_code == search.insee_code)
            .map_or_else(|| search.insee_code.clone(), |c| c.name.clone());
        parts.push(commune);
    }
    if search.free_only {
        parts.push(page.t("search.free_only").to_owned());
    }
    if !search.sort.is_empty() && search.sort != "relevance" {
        parts.push(
            page.t(&format!("search.saved_sort.{}", search.sort))
                .to_owned(),
        );
    }
    parts.join(" · ")
}

/// The search page's "save this search": its words and filters, as they are on the page.
pub async fn save(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let caller = match form_caller(&state, &page, &headers, &field("csrf_token")) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::CreateSavedSearchRequest {
        text: field("q"),
        kind: field("kind"),
        category: field("category"),
        exchange_mode: field("exchange_mode"),
        insee_code: field("insee_code"),
        // The search page's checkbox sends "on" when ticked, and nothing otherwise.
        free_only: !field("free_only").is_empty(),
        sort: field("sort"),
    };
    match state.notifications.save_search(&caller, message).await {
        Ok(_) => see_other(&page, "/notifications/reglages", "search_saved"),
        Err(status) => page.error(&ApiError::from(status)),
    }
}

/// The delete button of a saved search on the settings page.
pub async fn delete(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let token = form.get("csrf_token").cloned().unwrap_or_default();
    let caller = match form_caller(&state, &page, &headers, &token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    match state.notifications.delete_saved_search(&caller, id).await {
        Ok(()) => see_other(&page, "/notifications/reglages", "search_deleted"),
        Err(status) => page.error(&ApiError::from(status)),
    }
}
