//! Sessions for web browsers: the tokens live in `HttpOnly` cookies that scripts cannot read,
//! and every state-changing request carries a CSRF token.
//!
//! CSRF uses the double-submit pattern: at sign-in the gateway sets a random token in a
//! cookie that pages may read, and accepts a cookie-authenticated `POST`/`PUT`/`PATCH`/`DELETE`
//! only if the same token comes back in the `X-CSRF-Token` header (or a form's `csrf_token`
//! field). Another site can make the browser send our cookies, but cannot read them to copy
//! the token. With `secure` cookies the names carry the `__Host-` prefix, which forbids a
//! sibling sub-domain from planting its own token. `SameSite=Lax` is a second, independent
//! barrier. API clients that send `Authorization: Bearer` need none of this: a browser never
//! adds that header by itself.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method};
use base64::Engine;
use rand::RngCore;
use synergies_platform::error::ErrorCode;
use synergies_platform::i18n::Text;

use crate::error::ApiError;

/// Header a page's script sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Form field a server-rendered form sends the CSRF token in.
pub const CSRF_FORM_FIELD: &str = "csrf_token";
/// How long the refresh cookie lives: identity's refresh tokens last 30 days.
const REFRESH_COOKIE_SECONDS: u32 = 30 * 24 * 3600;

/// How session cookies are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    /// `Secure` and `__Host-` names. Off only for plain-HTTP deployments on a trusted network;
    /// browsers treat `http://localhost` and `http://127.0.0.1` as secure already.
    pub secure: bool,
}

impl Default for CookiePolicy {
    fn default() -> Self {
        Self { secure: true }
    }
}

#[derive(Debug, Clone, Copy)]
enum Cookie {
    Access,
    Refresh,
    Csrf,
}

impl CookiePolicy {
    fn name(self, cookie: Cookie) -> &'static str {
        match (self.secure, cookie) {
            (true, Cookie::Access) => "__Host-synergies-access",
            (true, Cookie::Refresh) => "__Host-synergies-refresh",
            (true, Cookie::Csrf) => "__Host-synergies-csrf",
            (false, Cookie::Access) => "synergies-access",
            (false, Cookie::Refresh) => "synergies-refresh",
            (false, Cookie::Csrf) => "synergies-csrf",
        }
    }

    fn set(self, headers: &mut HeaderMap, cookie: Cookie, value: &str, max_age: u32) {
        let http_only = if matches!(cookie, Cookie::Csrf) {
            ""
        } else {
            "; HttpOnly"
        };
        let secure = if self.secure { "; Secure" } else { "" };
        let line = format!(
            "{}={value}; Path=/; Max-Age={max_age}; SameSite=Lax{http_only}{secure}",
            self.name(cookie)
        );
        if let Ok(line) = HeaderValue::from_str(&line) {
            headers.append(SET_COOKIE, line);
        }
    }

    /// Sets the session cookies for a fresh token pair and returns the CSRF token.
    pub fn start(
        self,
        headers: &mut HeaderMap,
        access_token: &str,
        refresh_token: &str,
        access_seconds: u32,
    ) -> String {
        self.renew(headers, access_token, refresh_token, access_seconds);
        let csrf = new_csrf_token();
        self.set(headers, Cookie::Csrf, &csrf, REFRESH_COOKIE_SECONDS);
        csrf
    }

    /// Replaces the token cookies after a refresh; the CSRF token stays, so forms already
    /// open in other tabs still work.
    pub fn renew(
        self,
        headers: &mut HeaderMap,
        access_token: &str,
        refresh_token: &str,
        access_seconds: u32,
    ) {
        self.set(headers, Cookie::Access, access_token, access_seconds);
        self.set(
            headers,
            Cookie::Refresh,
            refresh_token,
            REFRESH_COOKIE_SECONDS,
        );
    }

    /// Sets the CSRF cookie alone: every visitor gets one before their first form, so even the
    /// sign-in and sign-up forms are protected.
    pub fn set_csrf(self, headers: &mut HeaderMap, token: &str) {
        self.set(headers, Cookie::Csrf, token, REFRESH_COOKIE_SECONDS);
    }

    pub fn csrf_name(self) -> &'static str {
        self.name(Cookie::Csrf)
    }

    pub fn access_name(self) -> &'static str {
        self.name(Cookie::Access)
    }

    /// Sets the access cookie alone (the operator's session has no refresh token).
    pub fn set_access(self, headers: &mut HeaderMap, access_token: &str, access_seconds: u32) {
        self.set(headers, Cookie::Access, access_token, access_seconds);
    }

    /// Expires the token cookies and keeps the CSRF token (forms of open pages still work).
    pub fn end_tokens(self, headers: &mut HeaderMap) {
        for cookie in [Cookie::Access, Cookie::Refresh] {
            self.set(headers, cookie, "", 0);
        }
    }

    /// Expires every session cookie.
    pub fn end(self, headers: &mut HeaderMap) {
        for cookie in [Cookie::Access, Cookie::Refresh, Cookie::Csrf] {
            self.set(headers, cookie, "", 0);
        }
    }

    pub fn access_token(self, headers: &HeaderMap) -> Option<&str> {
        cookie_value(headers, self.name(Cookie::Access))
    }

    pub fn refresh_token(self, headers: &HeaderMap) -> Option<&str> {
        cookie_value(headers, self.name(Cookie::Refresh))
    }

    pub fn csrf_token(self, headers: &HeaderMap) -> Option<&str> {
        cookie_value(headers, self.name(Cookie::Csrf))
    }

    /// Refuses a cookie-authenticated state-changing request whose CSRF token (from the
    /// header, or `form_token` for HTML forms) does not match the cookie.
    pub fn check_csrf(
        self,
        method: &Method,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(), ApiError> {
        if is_safe(method) {
            return Ok(());
        }
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .or(form_token);
        match (self.csrf_token(headers), sent) {
            (Some(expected), Some(sent))
                if !expected.is_empty() && constant_time_eq(expected, sent) =>
            {
                Ok(())
            }
            _ => Err(csrf_refused()),
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_refused() -> ApiError {
    ApiError {
        code: "csrf_failed",
        ..ApiError::new(
            ErrorCode::PermissionDenied,
            Text::new(
                "missing or wrong CSRF token: reload the page and try again",
                "jeton anti-falsification absent ou erroné : rechargez la page et réessayez",
            ),
        )
    }
}

pub fn new_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares without stopping at the first difference, so timing does not reveal the prefix.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(cookies: &str, csrf_header: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookies).unwrap());
        if let Some(token) = csrf_header {
            headers.insert(CSRF_HEADER, HeaderValue::from_str(token).unwrap());
        }
        headers
    }

    #[test]
    fn cookies_are_http_only_except_the_csrf_token() {
        let mut headers = HeaderMap::new();
        let csrf = CookiePolicy::default().start(&mut headers, "access", "refresh", 900);
        let lines: Vec<_> = headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("__Host-synergies-access=access; Path=/; Max-Age=900"));
        assert!(lines[0].contains("HttpOnly") && lines[0].contains("Secure"));
        assert!(lines[1].contains("HttpOnly") && lines[1].contains("SameSite=Lax"));
        assert!(lines[2].starts_with(&format!("__Host-synergies-csrf={csrf};")));
        assert!(!lines[2].contains("HttpOnly"));
        assert_eq!(csrf.len(), 43);
    }

    #[test]
    fn state_changes_need_the_matching_csrf_token() {
        let policy = CookiePolicy::default();
        let cookies = "theme=dark; __Host-synergies-csrf=abc123; __Host-synergies-access=t";
        let good = request_with(cookies, Some("abc123"));
        let wrong = request_with(cookies, Some("abc124"));
        let missing = request_with(cookies, None);
        assert!(policy.check_csrf(&Method::POST, &good, None).is_ok());
        assert!(policy.check_csrf(&Method::POST, &wrong, None).is_err());
        assert!(policy.check_csrf(&Method::DELETE, &missing, None).is_err());
        assert!(
            policy
                .check_csrf(&Method::POST, &missing, Some("abc123"))
                .is_ok()
        );
        assert!(policy.check_csrf(&Method::GET, &missing, None).is_ok());
        let no_cookie = request_with("__Host-synergies-access=t", Some(""));
        assert_eq!(
            policy
                .check_csrf(&Method::PUT, &no_cookie, None)
                .unwrap_err()
                .code,
            "csrf_failed"
        );
        assert_eq!(policy.access_token(&good), Some("t"));
    }
}
