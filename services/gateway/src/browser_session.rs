//! Sessions for web browsers: the tokens live in `HttpOnly` cookies that scripts cannot read,
//! and every state-changing request carries a CSRF token.
//!
//! CSRF tokens are bound to the browser's session: every browser gets a random session id in
//! an `HttpOnly` cookie (a new one at each API sign-in), and its CSRF token is an HMAC of that
//! id under the gateway's key (`gateway.csrf_secret`). A cookie-authenticated
//! `POST`/`PUT`/`PATCH`/`DELETE` is accepted only if that token comes back in the
//! `X-CSRF-Token` header (or a form's `csrf_token` field). Another site can make the browser
//! send our cookies, but cannot read them to copy the token; and a token taken from another
//! session — even planted in this browser's CSRF cookie — does not match this session's id. The
//! token is also in a cookie pages may read, for their scripts. With `secure` cookies the names
//! carry the `__Host-` prefix, which forbids a sibling sub-domain from planting cookies.
//! `SameSite=Lax` is a further, independent barrier. API clients that send `Authorization:
//! Bearer` need none of this: a browser never adds that header by itself.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use synergies_platform::error::ErrorCode;
use synergies_platform::i18n::Text;

use crate::error::ApiError;

/// Header a page's script sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Form field a server-rendered form sends the CSRF token in.
pub const CSRF_FORM_FIELD: &str = "csrf_token";
/// How long the refresh cookie lives: identity's refresh tokens last 30 days.
const REFRESH_COOKIE_SECONDS: u32 = 30 * 24 * 3600;

/// How session cookies are written, and the key CSRF tokens are derived with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    /// `Secure` and `__Host-` names. Off only for plain-HTTP deployments on a trusted network;
    /// browsers treat `http://localhost` and `http://127.0.0.1` as secure already.
    pub secure: bool,
    /// HMAC key of CSRF tokens.
    key: [u8; 32],
}

impl std::fmt::Debug for CookiePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookiePolicy")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl Default for CookiePolicy {
    /// Secure cookies and a random key (tokens then hold for this process only).
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self { secure: true, key }
    }
}

#[derive(Debug, Clone, Copy)]
enum Cookie {
    Access,
    Refresh,
    Csrf,
    Session,
}

impl CookiePolicy {
    /// `secret` (`gateway.csrf_secret`) keys the CSRF tokens; every gateway replica needs the
    /// same one. Empty: a random key, for this process only.
    pub fn new(secure: bool, secret: &str) -> Self {
        let mut policy = Self {
            secure,
            ..Self::default()
        };
        if !secret.is_empty() {
            policy.key = Sha256::digest(secret.as_bytes()).into();
        }
        policy
    }

    fn name(self, cookie: Cookie) -> &'static str {
        match (self.secure, cookie) {
            (true, Cookie::Access) => "__Host-synergies-access",
            (true, Cookie::Refresh) => "__Host-synergies-refresh",
            (true, Cookie::Csrf) => "__Host-synergies-csrf",
            (true, Cookie::Session) => "__Host-synergies-session",
            (false, Cookie::Access) => "synergies-access",
            (false, Cookie::Refresh) => "synergies-refresh",
            (false, Cookie::Csrf) => "synergies-csrf",
            (false, Cookie::Session) => "synergies-session",
        }
    }

    /// The CSRF token of session `id`.
    fn token_for(self, id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key size");
        mac.update(b"synergies-csrf:");
        mac.update(id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Starts a new session id: sets it and its CSRF token, and returns the token.
    fn new_session(self, headers: &mut HeaderMap) -> (String, String) {
        let id = new_random_token();
        let csrf = self.token_for(&id);
        self.set(headers, Cookie::Session, &id, REFRESH_COOKIE_SECONDS);
        self.set(headers, Cookie::Csrf, &csrf, REFRESH_COOKIE_SECONDS);
        (id, csrf)
    }

    /// The CSRF token of the request's session, if it has one: what forms must send back.
    pub fn csrf_for(self, headers: &HeaderMap) -> Option<String> {
        cookie_value(headers, self.name(Cookie::Session)).map(|id| self.token_for(id))
    }

    /// Every visitor gets a session id (and its readable CSRF cookie) before their first form,
    /// so even the sign-in and sign-up forms are protected. Sets what is missing or stale in
    /// `set_cookies`; returns the cookies the request should carry from now on.
    pub fn ensure_session(
        self,
        request: &HeaderMap,
        set_cookies: &mut HeaderMap,
    ) -> Vec<(&'static str, String)> {
        match cookie_value(request, self.name(Cookie::Session)) {
            None => {
                let (id, csrf) = self.new_session(set_cookies);
                vec![
                    (self.name(Cookie::Session), id),
                    (self.name(Cookie::Csrf), csrf),
                ]
            }
            Some(id) => {
                // A token of another key (the gateway restarted without `csrf_secret`) is
                // replaced, so that scripts reading the cookie send the right one.
                let csrf = self.token_for(id);
                if self.csrf_token(request) != Some(csrf.as_str()) {
                    self.set(set_cookies, Cookie::Csrf, &csrf, REFRESH_COOKIE_SECONDS);
                }
                Vec::new()
            }
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

    /// Sets the session cookies for a fresh token pair, in a new session, and returns the
    /// session's CSRF token.
    pub fn start(
        self,
        headers: &mut HeaderMap,
        access_token: &str,
        refresh_token: &str,
        access_seconds: u32,
    ) -> String {
        self.renew(headers, access_token, refresh_token, access_seconds);
        self.new_session(headers).1
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

    pub fn access_name(self) -> &'static str {
        self.name(Cookie::Access)
    }

    /// Sets the access cookie alone (the operator's session has no refresh token).
    pub fn set_access(self, headers: &mut HeaderMap, access_token: &str, access_seconds: u32) {
        self.set(headers, Cookie::Access, access_token, access_seconds);
    }

    /// Expires the token cookies and keeps the session id and CSRF token (forms of open pages
    /// still work).
    pub fn end_tokens(self, headers: &mut HeaderMap) {
        for cookie in [Cookie::Access, Cookie::Refresh] {
            self.set(headers, cookie, "", 0);
        }
    }

    /// Expires every session cookie.
    pub fn end(self, headers: &mut HeaderMap) {
        for cookie in [
            Cookie::Access,
            Cookie::Refresh,
            Cookie::Csrf,
            Cookie::Session,
        ] {
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
    /// header, or `form_token` for HTML forms) is not its session's.
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
        match (self.csrf_for(headers), sent) {
            (Some(expected), Some(sent)) if constant_time_eq(&expected, sent) => Ok(()),
            _ => Err(csrf_refused()),
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The refusal of a state-changing request without a valid CSRF token.
pub(crate) fn csrf_refused() -> ApiError {
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

fn new_random_token() -> String {
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
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("__Host-synergies-access=access; Path=/; Max-Age=900"));
        assert!(lines[0].contains("HttpOnly") && lines[0].contains("Secure"));
        assert!(lines[1].contains("HttpOnly") && lines[1].contains("SameSite=Lax"));
        assert!(lines[2].starts_with("__Host-synergies-session="));
        assert!(lines[2].contains("HttpOnly"));
        assert!(lines[3].starts_with(&format!("__Host-synergies-csrf={csrf};")));
        assert!(!lines[3].contains("HttpOnly"));
        assert_eq!(csrf.len(), 43);
    }

    #[test]
    fn state_changes_need_the_csrf_token_of_their_session() {
        let policy = CookiePolicy::new(true, "a secret");
        let token = policy.token_for("session-a");
        let cookies = format!(
            "theme=dark; __Host-synergies-session=session-a; __Host-synergies-csrf={token}; __Host-synergies-access=t"
        );
        let good = request_with(&cookies, Some(&token));
        let wrong = request_with(&cookies, Some("abc124"));
        let missing = request_with(&cookies, None);
        assert!(policy.check_csrf(&Method::POST, &good, None).is_ok());
        assert!(policy.check_csrf(&Method::POST, &wrong, None).is_err());
        assert!(policy.check_csrf(&Method::DELETE, &missing, None).is_err());
        assert!(
            policy
                .check_csrf(&Method::POST, &missing, Some(&token))
                .is_ok()
        );
        // Another session's token, even planted in this browser's CSRF cookie, is refused.
        let other = policy.token_for("session-b");
        let planted = request_with(
            &format!("__Host-synergies-session=session-a; __Host-synergies-csrf={other}"),
            Some(&other),
        );
        assert!(policy.check_csrf(&Method::POST, &planted, None).is_err());
        assert_ne!(
            CookiePolicy::new(true, "another secret").token_for("session-a"),
            token,
            "tokens depend on the key"
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
