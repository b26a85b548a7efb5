//! The one JSON error shape of the API: `{"error": {"code", "message", "field"?}}`. gRPC
//! statuses are mapped through the platform's error codes, once, here.
//!
//! Messages exist in English and French; [`localize`] answers in the caller's language
//! (`Accept-Language`, English by default: the API's language).

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use synergies_platform::error::{
    ErrorCode, internal_error_text, status_field, status_field_errors, status_text,
    unavailable_text,
};
use synergies_platform::i18n::{Language, Text};

/// What `Retry-After` says on a 503: outages the platform rides out (a database restart, a
/// service replaced) last seconds.
pub const RETRY_AFTER_SECONDS: &str = "5";
/// What `Retry-After` says on a 429 whose service did not say how long to wait.
const THROTTLED_RETRY_AFTER_SECONDS: u64 = 60;

tokio::task_local! {
    /// The wait a service asked for while this request was answered (see [`retry_after`]).
    static RETRY_AFTER: std::cell::Cell<Option<u64>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Text,
    pub field: Option<String>,
    /// Every field at fault with its rule, when the service checked them all at once (the
    /// first is `field`); empty otherwise. Boxed: an error travels in every `Result` of the
    /// gateway, and is kept small.
    pub fields: Box<[(String, Text)]>,
    /// Seconds to wait before retrying, on a 429 (`Retry-After`).
    pub retry_after: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"error": {
    "code": "invalid_argument",
    "message": "siret: this SIRET looks mistyped: check its 14 digits against a Kbis extract or an invoice",
    "field": "siret"
}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_argument`.
    pub code: String,
    /// What went wrong, for a person, in the caller's language (`Accept-Language`: `fr` or
    /// `en`; English by default).
    pub message: String,
    /// The request field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault, when the request had several mistakes (the first is `field`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDetail>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldDetail {
    pub field: String,
    /// What is expected of the field, in the caller's language.
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: Text) -> Self {
        Self {
            status: code.http(),
            code: code.as_str(),
            message,
            field: None,
            fields: Box::default(),
            retry_after: None,
        }
    }

    pub fn invalid(field: impl Into<String>, message: Text) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(ErrorCode::InvalidArgument, message)
        }
    }

    /// A service answered without the part its contract promises.
    pub fn incomplete_answer() -> Self {
        tracing::error!("a service answered without the expected message");
        Self::new(ErrorCode::Internal, internal_error_text())
    }

    pub fn with_status(status: StatusCode, code: &'static str, message: Text) -> Self {
        Self {
            status,
            code,
            message,
            field: None,
            fields: Box::default(),
            retry_after: None,
        }
    }

    fn body(&self, language: Language) -> Json<ErrorBody> {
        Json(ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.get(language).to_owned(),
                field: self.field.clone(),
                fields: self
                    .fields
                    .iter()
                    .map(|(field, rule)| FieldDetail {
                        field: field.clone(),
                        message: rule.get(language).to_owned(),
                    })
                    .collect(),
            },
        })
    }

    fn render(&self, language: Language) -> Response {
        let mut response = (self.status, self.body(language)).into_response();
        response.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(language.code()),
        );
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            let seconds = self
                .retry_after
                .map_or(THROTTLED_RETRY_AFTER_SECONDS, u64::from);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // An outage (a database or a service down) passes: tell clients when to retry.
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let code = ErrorCode::of_status(&status);
        let message = match code {
            // The service already hid its internals; transport errors are hidden here.
            ErrorCode::Internal => {
                tracing::error!(status = %status, "downstream service failed");
                internal_error_text()
            }
            ErrorCode::Unavailable => {
                tracing::warn!(status = %status, "downstream service unavailable");
                unavailable_text()
            }
            _ => status_text(&status),
        };
        let retry_after = status
            .metadata()
            .get(synergies_platform::error::RETRY_AFTER_METADATA_KEY)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u32>().ok());
        if let Some(seconds) = retry_after {
            // A page that shows this refusal as a form error answers with it too.
            let _ = RETRY_AFTER.try_with(|wait| wait.set(Some(u64::from(seconds))));
        }
        Self {
            field: status_field(&status),
            fields: status_field_errors(&status).into_boxed_slice(),
            retry_after,
            ..Self::new(code, message)
        }
    }
}

/// Middleware: every 429 carries `Retry-After` — API errors set it themselves; pages that show
/// a throttled sign-in as a form error get the wait the service stated.
pub async fn retry_after(request: Request, next: Next) -> Response {
    RETRY_AFTER
        .scope(std::cell::Cell::new(None), async move {
            let mut response = next.run(request).await;
            if response.status() == StatusCode::TOO_MANY_REQUESTS
                && !response.headers().contains_key(header::RETRY_AFTER)
            {
                let seconds = RETRY_AFTER
                    .with(std::cell::Cell::get)
                    .unwrap_or(THROTTLED_RETRY_AFTER_SECONDS);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        })
        .await
}

impl IntoResponse for ApiError {
    /// Answers in English; [`localize`] re-renders the answer in the caller's language.
    fn into_response(self) -> Response {
        let mut response = self.render(Language::En);
        response.extensions_mut().insert(self);
        response
    }
}

/// The language an API caller asked for.
pub fn api_language(request: &Request) -> Language {
    let header = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Language::negotiate(header, Language::En)
}

/// Middleware: error answers in the caller's language.
pub async fn localize(request: Request, next: Next) -> Response {
    let language = api_language(&request);
    let response = next.run(request).await;
    match response.extensions().get::<ApiError>() {
        Some(error) if language != Language::En => {
            let mut localized = error.render(language);
            // What the handler decided about the connection (`close` after a refused upload
            // whose body was left unread) and when to retry hold in every language.
            for name in [header::CONNECTION, header::RETRY_AFTER] {
                if let Some(value) = response.headers().get(&name) {
                    localized.headers_mut().insert(name, value.clone());
                }
            }
            localized
        }
        _ => response,
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        Text::new("no such route", "cette adresse n'existe pas"),
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        Text::new(
            "method not allowed on this route",
            "méthode non autorisée sur cette adresse",
        ),
    )
}
