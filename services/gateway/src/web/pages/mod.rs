//! The pages, one module per journey.

pub mod account;
pub mod administration;
pub mod auth;
pub mod branding;
pub mod campaigns;
pub mod dashboard;
pub mod delivery_preferences;
pub mod exchanges;
pub mod facilitation;
pub mod flow_form;
pub mod flow_import;
pub mod flows;
pub mod home;
pub mod inbox;
pub mod listings;
pub mod members;
pub mod operator;
pub mod organisation;
pub mod publish_checks;
pub mod saved_searches;
pub mod signup;
pub mod synergies;

use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};
use synergies_platform::i18n::Language;

pub use account::status_key as account_status_key;

use super::page::Page;
use crate::error::ApiError;
use crate::state::GatewayState;

/// What a refused form says, in the page's language, and which field it is about.
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    pub message: Option<String>,
    pub field: Option<String>,
}

impl Feedback {
    pub fn none() -> Self {
        Self::default()
    }

    /// The services name fields as the API does (`site.insee_code : …`); a page names them
    /// by their label instead.
    pub fn from_error(page: &Page, error: &ApiError) -> Self {
        super::layer::refused(error.status);
        let message = error.message.get(page.lang);
        let label = error.field.as_deref().and_then(|field| {
            let name = field.rsplit('.').next().unwrap_or(field);
            let name = if name == "insee_code" {
                "commune"
            } else {
                name
            };
            super::i18n::lookup(&format!("field.{name}"), page.lang)
        });
        let rule = error
            .field
            .as_deref()
            .filter(|_| label.is_some())
            .and_then(|field| {
                message
                    .strip_prefix(&format!("{field} : "))
                    .or_else(|| message.strip_prefix(&format!("{field}: ")))
            })
            .unwrap_or(message);
        let message = match (label, page.lang) {
            (Some(label), Language::Fr) => format!("{label} : {rule}"),
            (Some(label), Language::En) => format!("{label}: {rule}"),
            (None, _) => rule.to_owned(),
        };
        Self {
            message: Some(message),
            field: error.field.clone(),
        }
    }

    /// Whether `field` is the one at fault (`aria-invalid` and the message next to it).
    pub fn invalid(&self, field: &str) -> bool {
        self.field.as_deref() == Some(field)
    }
}

/// Every error of a form, each shown next to its field (`errors.of("siret")`), with a summary
/// at the top of the form.
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

    /// `aria-describedby` of a field: its hint (when it has one) and its error.
    pub fn described(&self, field: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{field}-hint"));
        }
        if self.invalid(field) {
            ids.push(format!("{field}-error"));
        }
        ids.join(" ")
    }

    pub fn add(&mut self, page: &Page, field: &str, key: &str) {
        if !self.invalid(field) {
            self.errors.push((field.to_owned(), page.t(key).to_owned()));
        }
    }

    /// A refusal of a service: each field it names (all of them, when the service checked
    /// every field) next to its field, known by the last part of its API name
    /// (`site.insee_code` is `insee_code`). `reword` may replace a service's rule by words of
    /// the interface (a list's rule would name codes).
    pub fn from_service(
        page: &Page,
        error: &ApiError,
        reword: impl Fn(&str) -> Option<String>,
    ) -> Self {
        super::layer::refused(error.status);
        let message = error.message.get(page.lang);
        let single;
        let named: &[(String, synergies_platform::i18n::Text)] = if error.fields.is_empty() {
            let Some(field) = error.field.clone() else {
                return Self {
                    general: Some(message.to_owned()),
                    ..Self::default()
                };
            };
            let rule = message
                .strip_prefix(&format!("{field} : "))
                .or_else(|| message.strip_prefix(&format!("{field}: ")))
                .unwrap_or(message)
                .to_owned();
            single = [(
                field,
                synergies_platform::i18n::Text::new(rule.clone(), rule),
            )];
            &single
        } else {
            &error.fields
        };
        let mut errors: Vec<(String, String)> = Vec::new();
        for (field, rule) in named {
            let short = field.rsplit('.').next().unwrap_or(field).to_owned();
            if errors.iter().any(|(f, _)| *f == short) {
                continue;
            }
            let message = reword(&short).unwrap_or_else(|| sentence(rule.get(page.lang)));
            errors.push((short, message));
        }
        Self {
            errors,
            general: None,
        }
    }
}

/// A rule shown on its own, next to its field: a sentence.
fn sentence(rule: &str) -> String {
    let mut chars = rule.chars();
    chars.next().map_or_else(String::new, |first| {
        let mut sentence = first.to_uppercase().collect::<String>() + chars.as_str();
        if !sentence.ends_with('.') {
            sentence.push('.');
        }
        sentence
    })
}

/// Refuses a form whose CSRF token does not match the visitor's cookie.
pub fn check_csrf(
    state: &GatewayState,
    page: &Page,
    headers: &HeaderMap,
    token: &str,
) -> Result<(), Response> {
    state
        .cookies
        .check_csrf(&Method::POST, headers, Some(token))
        .map_err(|error| page.error(&error))
}

/// The sender of a form that changes something: its CSRF token checked, then the signed-in
/// caller — or the answer that refuses the form or sends the visitor to the sign-in page.
pub fn form_caller(
    state: &GatewayState,
    page: &Page,
    headers: &HeaderMap,
    token: &str,
) -> Result<synergies_platform::context::CallerContext, Response> {
    check_csrf(state, page, headers, token)?;
    page.caller().cloned()
}

/// After a successful form: back to a page (POST/redirect/GET), with a notice to show.
pub fn see_other(page: &Page, path: &str, notice: &str) -> Response {
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{}{separator}notice={notice}", page.href(path))).into_response()
}

/// The notice a redirect asked a page to show: one of the interface's `notice.*` texts (never
/// free text from the URL).
pub fn notice(page: &Page, query: Option<&str>) -> Option<&'static str> {
    let key = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("notice="))?;
    crate::web::i18n::lookup(&format!("notice.{key}"), page.lang)
}
