//! What every page request goes through: a CSRF token for its forms, the language the visitor
//! chose, a session renewed from its refresh cookie, and the security headers of every answer.

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use synergies_platform::i18n::Language;
use synergies_proto::identity::v1 as pb;

use crate::state::GatewayState;

/// Cookie remembering the language a visitor chose with the toggle.
pub const LANGUAGE_COOKIE: &str = "synergies-lang";

tokio::task_local! {
    /// The status of the refusal a page shows, if it shows one (see [`refused`]).
    static REFUSAL: std::cell::Cell<Option<axum::http::StatusCode>>;
}

/// The page being answered shows a refusal (a form again with its error): it answers with the
/// refusal's status, not 200, so that clients, tests and logs see the refusal.
pub fn refused(status: axum::http::StatusCode) {
    let _ = REFUSAL.try_with(|refusal| refusal.set(Some(status)));
}

pub async fn web(State(state): State<GatewayState>, request: Request, next: Next) -> Response {
    REFUSAL
        .scope(std::cell::Cell::new(None), async move {
            let mut response = web_page(state, request, next).await;
            if response.status() == axum::http::StatusCode::OK
                && let Some(status) = REFUSAL.with(std::cell::Cell::get)
            {
                *response.status_mut() = status;
            }
            response
        })
        .await
}

async fn web_page(state: GatewayState, mut request: Request, next: Next) -> Response {
    let mut set_cookies = HeaderMap::new();
    let cookies = state.cookies;
    for (name, value) in cookies.ensure_session(request.headers(), &mut set_cookies) {
        add_request_cookie(&mut request, name, &value);
    }
    if let Some(language) = chosen_language(request.uri()) {
        let line = format!(
            "{LANGUAGE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            language.code()
        );
        if let Ok(line) = HeaderValue::from_str(&line) {
            set_cookies.append(SET_COOKIE, line);
        }
    }
    renew_session(&state, &mut request, &mut set_cookies).await;
    let policy = state.content_security_policy.clone();
    let lang = super::page::language_of(request.uri(), request.headers(), Language::Fr);

    let mut response = as_page(next.run(request).await, lang).await;
    let headers = response.headers_mut();
    for line in set_cookies.get_all(SET_COOKIE) {
        headers.append(SET_COOKIE, line.clone());
    }
    headers.insert(CONTENT_SECURITY_POLICY, policy);
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// axum's own refusals — a path segment that is not UTF-8 once decoded, a form body it cannot
/// read — are English plain text: a visitor gets a page in their language instead. A form
/// without its CSRF field is refused as one with a wrong token is.
async fn as_page(response: Response, lang: Language) -> Response {
    let plain_text = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !response.status().is_client_error() || !plain_text {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let error = if String::from_utf8_lossy(&body).contains("csrf_token") {
        crate::browser_session::csrf_refused()
    } else {
        crate::error::ApiError::with_status(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_request",
            synergies_platform::i18n::Text::new(
                "this address or form could not be read: go back and try again",
                "cette adresse ou ce formulaire est illisible : revenez en arrière et réessayez",
            ),
        )
    };
    super::page::bare_error_page(lang, &error)
}

/// The `?lang=` of the language toggle.
pub fn chosen_language(uri: &axum::http::Uri) -> Option<Language> {
    uri.query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .and_then(Language::parse)
}

/// The access cookie lives as long as the access token (15 minutes); once the browser has
/// dropped it, the refresh cookie buys a new pair here, before the page needs it.
async fn renew_session(state: &GatewayState, request: &mut Request, set_cookies: &mut HeaderMap) {
    let cookies = state.cookies;
    if cookies.access_token(request.headers()).is_some() {
        return;
    }
    let Some(refresh_token) = cookies.refresh_token(request.headers()).map(str::to_owned) else {
        return;
    };
    let renewed = state
        .identity
        .refresh_tokens(pb::RefreshTokensRequest { refresh_token })
        .await
        .ok()
        .and_then(|answer| answer.tokens);
    match renewed {
        Some(pair) => {
            cookies.renew(
                set_cookies,
                &pair.access_token,
                &pair.refresh_token,
                pair.expires_in_seconds,
            );
            add_request_cookie(request, cookies.access_name(), &pair.access_token);
        }
        // Revoked or expired: forget it, the visitor signs in again.
        None => cookies.end_tokens(set_cookies),
    }
}

fn add_request_cookie(request: &mut Request, name: &str, value: &str) {
    if let Ok(line) = HeaderValue::from_str(&format!("{name}={value}")) {
        request.headers_mut().append(COOKIE, line);
    }
}
