//! Static files compiled into the binary, and each tenant's colours as a stylesheet (the
//! Content-Security-Policy forbids inline styles).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use synergies_proto::identity::v1 as pb;

use crate::state::GatewayState;

const FILES: &[(&str, &str, &str)] = &[
    (
        "synergies.css",
        "text/css; charset=utf-8",
        include_str!("../../static/synergies.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../static/favicon.svg"),
    ),
    (
        "synergies.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/synergies.js"),
    ),
    (
        "synergies-map.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/synergies-map.js"),
    ),
    // Leaflet 1.9.4 (BSD-2-Clause, `static/leaflet.LICENSE`), from the npm registry's `leaflet`
    // package (`dist/`): served from here, never from a CDN.
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_str!("../../static/leaflet.css"),
    ),
    (
        "listing-placeholder.svg",
        "image/svg+xml",
        include_str!("../../static/listing-placeholder.svg"),
    ),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        // The one error shape, in the caller's language, as for any unknown address.
        None => crate::error::not_found().await.into_response(),
    }
}

/// Default colours when a tenant chose none.
const PRIMARY: &str = "#1d4f91";
const SECONDARY: &str = "#2e7d32";

/// What the theme stylesheet's address carries (`?v=`): a digest of the colours, so that the
/// address changes when they do (FNV-1a: stable across builds, unlike `DefaultHasher`).
pub fn theme_version(primary: &str, secondary: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in primary.bytes().chain([b'|']).chain(secondary.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

#[derive(serde::Deserialize)]
pub struct ThemeQuery {
    #[serde(default)]
    pub v: String,
}

/// `:root` custom properties with the tenant's two colours. Identity only stores `#rrggbb`
/// values, and they are checked again here since they land in CSS.
pub async fn theme(
    State(state): State<GatewayState>,
    Path(tenant): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ThemeQuery>,
) -> Response {
    let settings = state
        .identity
        .get_tenant(pb::GetTenantRequest { slug: tenant })
        .await
        .ok()
        .and_then(|answer| answer.tenant)
        .and_then(|tenant| tenant.settings)
        .unwrap_or_default();
    let css = format!(
        ":root {{ --brand: {}; --brand-2: {}; }}\n",
        colour_or(&settings.primary_colour, PRIMARY),
        colour_or(&settings.secondary_colour, SECONDARY)
    );
    // A versioned address names one set of colours: it may be kept for a day (the colours a
    // version names are the ones served while they are current).
    let cache = if query.v.is_empty() {
        "public, max-age=60"
    } else {
        "public, max-age=86400"
    };
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        css,
    )
        .into_response()
}

/// `value` when it is a `#rrggbb` colour, else `default`: whatever lands in CSS is a colour.
fn colour_or(value: &str, default: &str) -> String {
    if is_hex_colour(value) {
        value.to_owned()
    } else {
        default.to_owned()
    }
}

#[derive(serde::Deserialize)]
pub struct PreviewColours {
    #[serde(default)]
    pub primary: String,
    #[serde(default)]
    pub secondary: String,
}

/// The colours of the branding preview, scoped to it (`.brand-preview`): the administration
/// page shows them before they are saved, without changing the page around. The values land in
/// CSS, so anything but `#rrggbb` is replaced by the defaults.
pub async fn theme_preview(
    axum::extract::Query(colours): axum::extract::Query<PreviewColours>,
) -> Response {
    let css = format!(
        ".brand-preview {{ --brand: {}; --brand-2: {}; }}\n",
        colour_or(&colours.primary, PRIMARY),
        colour_or(&colours.secondary, SECONDARY)
    );
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            // The address names the colours: it never changes meaning.
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        css,
    )
        .into_response()
}

fn is_hex_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}
