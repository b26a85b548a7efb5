//! `/api/v1` handlers, one module per resource.

pub mod branding;
pub mod campaigns;
pub mod delivery_preferences;
pub mod email_change;
pub mod exchanges;
pub mod flows;
pub mod inbox;
pub mod inbox_stream;
pub mod listings;
pub mod mail;
pub mod me;
pub mod organisations;
pub mod photos;
pub mod saved_searches;
pub mod session;
pub mod synergies;
pub mod tenants;

/// Cursor pagination parameters shared by list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
// Query parameters: without this, utoipa takes them for path parameters behind our own
// extractors (`ApiQuery`).
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1 to 100, default 20.
    pub page_size: Option<u32>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// `en` when the client prefers English over French, else `fr` (the platform's first language).
pub(crate) fn preferred_language(headers: &axum::http::HeaderMap) -> &'static str {
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let english = accept.find("en");
    let french = accept.find("fr");
    match (english, french) {
        (Some(en), Some(fr)) if en < fr => "en",
        (Some(_), None) => "en",
        _ => "fr",
    }
}
