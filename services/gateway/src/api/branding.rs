//! A territory's logo (issue 17): its tenant admin uploads it (`multipart/form-data`, field
//! `logo`) or removes it; anyone reads it, since every page's header shows it.
//!
//! The gateway refuses what it sees at once (a body over 2 MB, content that is not a PNG, JPEG or
//! WebP image by its first bytes — SVG included); identity decodes, checks and re-encodes it
//! with the photos' code path and stores it. The logo's address carries the digest of the
//! stored image (`?v=`), so a new logo is a new address — seen at once — and one version may be
//! cached for good.

use axum::Json;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_platform::error::ErrorCode;
use synergies_platform::i18n::Text;
use synergies_proto::identity::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use super::tenants::{Tenant, tenant_json};
use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;
use crate::state::GatewayState;
use crate::upload::LOGO;

/// The upload form.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the multipart body for OpenAPI; read field by field.
pub struct LogoUpload {
    /// A PNG, JPEG or WebP image of at most 2 MB (SVG is refused). Its content decides, not
    /// its name or declared type. It is decoded and re-encoded as PNG (transparency kept, at
    /// most 512 px a side) without any metadata.
    #[schema(value_type = String, format = Binary)]
    pub logo: Vec<u8>,
}

#[derive(Deserialize, IntoParams)]
pub struct LogoVersion {
    /// The digest the territory's `settings.logo` address carries: that version is cached for
    /// good.
    #[serde(default)]
    pub v: Option<String>,
}

/// Only the caller's own territory can be changed (the operator acts on any); another answers
/// as if it did not exist.
fn own_territory(member: &Member, tenant: &str) -> Result<CallerContext, ApiError> {
    if member.caller.is_operator() {
        Ok(member.caller.acting_on(tenant))
    } else if member.caller.tenant == tenant {
        Ok(member.caller.clone())
    } else {
        Err(ApiError::new(
            ErrorCode::NotFound,
            Text::new("territory not found", "territoire introuvable"),
        ))
    }
}

/// Tenant admins: upload the territory's logo, replacing any.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/branding/logo",
    params(("tenant" = String, Path, description = "Territory slug", example = "dijon")),
    request_body(content = LogoUpload, content_type = "multipart/form-data"),
    security(("member" = [])),
    responses(
        (status = 200, body = Tenant, description = "Stored; `settings.logo` is its new address"),
        (status = 400, body = ErrorBody, description = "Not a readable image, or too many pixels (`field`: `logo`)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not a tenant admin"),
        (status = 404, body = ErrorBody, description = "Another territory"),
        (status = 413, body = ErrorBody, description = "The logo is over 2 MB"),
        (status = 415, body = ErrorBody, description = "Not a PNG, JPEG or WebP image (by content; SVG is refused), or not a multipart form"),
    ))]
pub async fn upload(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Json<Tenant>, ApiError> {
    let caller = own_territory(&member, &tenant)?;
    // Refused by role before the body is read: a member who may not brand the territory
    // learns that, not what was wrong with what they sent.
    synergies_platform::policy::authorize(
        &caller,
        synergies_platform::policy::Action::ManageTenant,
        &synergies_platform::policy::Resource::tenant(&tenant),
    )?;
    let form = form.map_err(|_| LOGO.not_a_form())?;
    let image = LOGO.read(form).await?;
    let message = pb::SetTenantLogoRequest { image };
    let tenant = state
        .identity
        .set_tenant_logo(&caller, message)
        .await?
        .tenant;
    Ok(Json(tenant_json(
        tenant.ok_or_else(ApiError::incomplete_answer)?,
    )))
}

/// Tenant admins: remove the territory's logo (removing none is not an error).
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/branding/logo",
    params(("tenant" = String, Path, description = "Territory slug", example = "dijon")),
    security(("member" = [])),
    responses((status = 204, description = "Removed"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not a tenant admin"),
        (status = 404, body = ErrorBody, description = "Another territory")))]
pub async fn remove(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let caller = own_territory(&member, &tenant)?;
    state.identity.remove_tenant_logo(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A territory's logo, as PNG (public).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/branding/logo",
    params(("tenant" = String, Path, description = "Territory slug", example = "dijon"), LogoVersion),
    responses(
        (status = 200, content_type = "image/png", body = Vec<u8>, description = "The logo; with the current `v`, `Cache-Control: public, max-age=31536000, immutable`, otherwise `no-cache` with an `ETag`"),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, body = ErrorBody, description = "No such territory, or it has no logo"),
    ))]
pub async fn logo(
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
    Query(version): Query<LogoVersion>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let logo = state.identity.get_tenant_logo(&tenant).await?;
    let etag = format!("\"{}\"", logo.digest);
    // A versioned address names one image for good; any other may change at the next upload.
    let cache = if version.v.as_deref() == Some(logo.digest.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, no-cache"
    };
    let headers_of = |etag: &str| {
        [
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::ETAG,
                HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"\"")),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ]
    };
    let seen = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    if seen {
        return Ok((StatusCode::NOT_MODIFIED, headers_of(&etag)).into_response());
    }
    let content_type =
        HeaderValue::from_str(&logo.content_type).unwrap_or(HeaderValue::from_static("image/png"));
    Ok((
        headers_of(&etag),
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        logo.image,
    )
        .into_response())
}
