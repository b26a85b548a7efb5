//! What every page knows: the territory, the visitor's language, who is signed in, and the CSRF
//! token its forms carry. Also how pages answer: a rendered template, a redirect, or an error
//! page in the visitor's language.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::StatusCode;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use synergies_platform::auth::Role;
use synergies_platform::context::CallerContext;
use synergies_platform::i18n::Language;
use synergies_proto::identity::v1 as pb;

use super::i18n;
use super::layer::{LANGUAGE_COOKIE, chosen_language};
use crate::browser_session::cookie_value;
use crate::error::ApiError;
use crate::state::GatewayState;

/// The territory a page belongs to.
#[derive(Debug, Clone)]
pub struct TenantView {
    pub slug: String,
    pub name: String,
    pub logo_url: String,
    pub default_language: Language,
    pub communes: Vec<pb::Commune>,
    pub settings: pb::TenantSettings,
}

/// The signed-in person, when there is one and they belong to this territory.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: CallerContext,
}

impl Viewer {
    fn has(&self, role: Role) -> bool {
        self.caller.roles.contains(&role)
    }
    pub fn is_member(&self) -> bool {
        self.has(Role::Member)
    }
    pub fn is_organisation_admin(&self) -> bool {
        self.has(Role::OrganisationAdmin)
    }
    pub fn is_facilitator(&self) -> bool {
        self.has(Role::Facilitator) || self.has(Role::TenantAdmin) || self.is_operator()
    }
    pub fn is_tenant_admin(&self) -> bool {
        self.has(Role::TenantAdmin) || self.is_operator()
    }
    pub fn is_operator(&self) -> bool {
        self.caller.is_operator()
    }
}

/// The context of one page.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Language,
    pub tenant: TenantView,
    pub viewer: Option<Viewer>,
    pub csrf: String,
    /// The signed-in member's unread notifications, for the header's badge; `None` for
    /// visitors, staff without an organisation, or when the count could not be read.
    pub unread: Option<u64>,
    /// The path and query of this page, where signing in comes back to.
    pub here: String,
}

impl Page {
    /// A new `Idempotency-Key` for a creating form: a double click, or a form sent again after
    /// a lost answer, creates one thing.
    pub fn fresh_idempotency_key(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }

    /// An RFC 3339 time as this page's reader reads it: in their language, in the territory's
    /// time zone.
    pub fn moment(&self, rfc3339: &str) -> String {
        super::format::moment(
            rfc3339,
            self.lang,
            super::format::zone(&self.tenant.settings.time_zone),
        )
    }

    /// The interface text `key` in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        i18n::text(key, self.lang)
    }

    /// The language the toggle switches to.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Language::Fr => "en",
            Language::En => "fr",
        }
    }

    pub fn other_lang_name(&self) -> &'static str {
        match self.lang {
            Language::Fr => "English",
            Language::En => "Français",
        }
    }

    pub fn brand(&self) -> &str {
        if self.tenant.settings.brand_name.is_empty() {
            &self.tenant.name
        } else {
            &self.tenant.settings.brand_name
        }
    }

    /// `/<tenant><path>`.
    pub fn href(&self, path: &str) -> String {
        format!("/{}{path}", self.tenant.slug)
    }

    /// The territory's stylesheet, at an address that changes with its colours: browsers
    /// keep it long, and an administrator sees new colours on the next page.
    pub fn theme_href(&self) -> String {
        let settings = &self.tenant.settings;
        format!(
            "{}?v={}",
            self.href("/theme.css"),
            super::assets::theme_version(&settings.primary_colour, &settings.secondary_colour)
        )
    }

    /// The unread notifications of the header's badge (0 when not known).
    pub fn unread_count(&self) -> u64 {
        self.unread.unwrap_or(0)
    }

    pub fn signed_in(&self) -> bool {
        self.viewer.is_some()
    }

    pub fn viewer_is(&self, what: &str) -> bool {
        self.viewer.as_ref().is_some_and(|v| match what {
            "member" => v.is_member(),
            "organisation_admin" => v.is_organisation_admin() && !v.is_operator(),
            "facilitator" => v.is_facilitator(),
            "tenant_admin" => v.is_tenant_admin(),
            "operator" => v.is_operator(),
            "user" => !v.is_operator(),
            _ => false,
        })
    }

    /// The signed-in caller, or the answer that sends the visitor to the sign-in page (which
    /// brings them back here).
    pub fn caller(&self) -> Result<&CallerContext, Response> {
        self.viewer
            .as_ref()
            .map(|v| &v.caller)
            .ok_or_else(|| Redirect::to(&self.sign_in_href()).into_response())
    }

    /// The sign-in page, asked to come back to this page afterwards.
    pub fn sign_in_href(&self) -> String {
        self.sign_in_back_to(&self.here)
    }

    /// The sign-in page, asked to come back to `path` (a path of this territory) afterwards.
    pub fn sign_in_back_to(&self, path: &str) -> String {
        match self.local_path(path) {
            Some(next) => format!("{}?next={}", self.href("/connexion"), query_value(next)),
            None => self.href("/connexion"),
        }
    }

    /// `path` when it is a page of this territory to come back to; `None` for anything that
    /// could lead elsewhere (`//other.example`, `https://…`, `/\other`) and for the pages of
    /// signing in or up themselves.
    pub fn local_path<'a>(&self, path: &'a str) -> Option<&'a str> {
        let prefix = format!("/{}/", self.tenant.slug);
        let rest = path.strip_prefix(&prefix)?;
        let safe = !path.contains("//")
            && !path.contains('\\')
            && !path.chars().any(|c| c.is_control() || c.is_whitespace())
            && !["connexion", "deconnexion", "inscription"]
                .iter()
                .any(|own| rest.starts_with(own));
        safe.then_some(path)
    }

    /// An error answer of a service, as a page.
    pub fn error(&self, error: &ApiError) -> Response {
        let page = ErrorPage {
            page: self.clone(),
            message: error.message.get(self.lang).to_owned(),
        };
        let mut response = render(&page);
        *response.status_mut() = error.status;
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    message: String,
}

/// Whether `value` has the shape of a territory slug. Redirects built from a slug check it
/// first: anything else (`//other.example`) could send the browser to another site.
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `value` percent-encoded for a query string (slashes kept: they are safe there).
fn query_value(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(byte as char);
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// A rendered template as an HTML answer.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// The visitor's language: the toggle (`?lang=`, then its cookie), then the browser's
/// preference, then the territory's default.
fn language(parts: &Parts, default: Language) -> Language {
    language_of(&parts.uri, &parts.headers, default)
}

/// The visitor's language: the toggle (`?lang=`, then its cookie), else `Accept-Language`,
/// else `default`.
pub(crate) fn language_of(
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    default: Language,
) -> Language {
    let toggled = chosen_language(uri)
        .or_else(|| cookie_value(headers, LANGUAGE_COOKIE).and_then(Language::parse));
    toggled.unwrap_or_else(|| {
        let header = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Language::negotiate(header, default)
    })
}

async fn tenant_view(state: &GatewayState, slug: &str) -> Result<TenantView, ApiError> {
    let tenant = state
        .identity
        .get_tenant(pb::GetTenantRequest {
            slug: slug.to_owned(),
        })
        .await?
        .tenant
        .ok_or_else(ApiError::incomplete_answer)?;
    let settings = tenant.settings.unwrap_or_default();
    Ok(TenantView {
        default_language: Language::parse(&settings.default_language).unwrap_or(Language::Fr),
        // An uploaded logo wins over a logo given by its address.
        logo_url: if settings.logo_digest.is_empty() {
            settings.logo_url.clone()
        } else {
            crate::clients::identity::logo_address(&tenant.slug, &settings.logo_digest)
        },
        slug: tenant.slug,
        name: tenant.display_name,
        communes: tenant.communes,
        settings,
    })
}

/// The signed-in person of this territory, from the session cookie (or a bearer token).
async fn viewer(parts: &Parts, state: &GatewayState, tenant: &str) -> Option<Viewer> {
    let token = state.cookies.access_token(&parts.headers)?;
    let claims = state.verifier.verify(token).await.ok()?;
    let caller = CallerContext::from_claims(&claims, token.to_owned(), None);
    if caller.is_operator() {
        return Some(Viewer {
            caller: caller.acting_on(tenant),
        });
    }
    (caller.tenant == tenant).then_some(Viewer { caller })
}

impl FromRequestParts<GatewayState> for Page {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &GatewayState,
    ) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let slug = params
            .iter()
            .find(|(name, _)| *name == "tenant")
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default();
        let csrf = state.cookies.csrf_for(&parts.headers).unwrap_or_default();
        let tenant = match tenant_view(state, &slug).await {
            Ok(tenant) => tenant,
            Err(error) => {
                let lang = language(parts, Language::Fr);
                return Err(bare_error_page(lang, &error));
            }
        };
        let lang = language(parts, tenant.default_language);
        let viewer = viewer(parts, state, &slug).await;
        let unread = match &viewer {
            Some(viewer) if viewer.is_member() => unread_count(state, &viewer.caller, lang).await,
            _ => None,
        };
        // Only a page that was read can be come back to: a form's address answers no GET.
        let here = parts
            .uri
            .path_and_query()
            .filter(|_| parts.method == axum::http::Method::GET)
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        Ok(Self {
            lang,
            tenant,
            viewer,
            csrf,
            unread,
            here,
        })
    }
}

/// The badge's count. Best effort and asked once (no retries): a page is shown without it
/// rather than late or not at all.
async fn unread_count(state: &GatewayState, caller: &CallerContext, lang: Language) -> Option<u64> {
    // The page's language tells notifications which language to write e-mails in.
    let message = synergies_proto::notifications::v1::CountUnreadInboxRequest {
        language: lang.code().to_owned(),
    };
    match state.notifications.count_unread_once(caller, message).await {
        Ok(unread_count) => Some(unread_count),
        Err(status) => {
            tracing::warn!(%status, "unread count not read for the header");
            None
        }
    }
}

#[derive(Template)]
#[template(path = "no_tenant.html")]
struct NoTenantPage {
    lang: Language,
    message: String,
}

impl NoTenantPage {
    fn t(&self, key: &str) -> &'static str {
        i18n::text(key, self.lang)
    }
}

/// An error before any territory is known (an unknown slug).
pub(crate) fn bare_error_page(lang: Language, error: &ApiError) -> Response {
    let mut response = render(&NoTenantPage {
        lang,
        message: error.message.get(lang).to_owned(),
    });
    *response.status_mut() = error.status;
    response
}
