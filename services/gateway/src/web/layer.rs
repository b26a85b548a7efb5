//! What every page request goes through: a CSRF token for its forms, the language the visitor
//! chose, a session renewed from its refresh cookie, and the security headers of every answer.

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use synergies_platform::context::anonymous_request;
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

    let mut response = next.run(request).await;
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
        .clone()
        .refresh_tokens(anonymous_request(pb::RefreshTokensRequest {
            refresh_token,
        }))
        .await
        .ok()
        .and_then(|answer| answer.into_inner().tokens);
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
