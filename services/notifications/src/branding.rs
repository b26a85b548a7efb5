//! What e-mails take from the territory's settings: its branding, as the web theme uses it
//! (name, primary colour and logo in the HTML part's header), and its time zone (digests go at
//! 08:00 there). Read from identity (`GetTenant`, public) and kept a few minutes per territory
//! (`notifications.branding_cache_secs`), so that a digest run or a burst of messages asks
//! once. When identity cannot answer, what was read last is used; never read, mails go out with
//! the territory's slug and the platform's default colour, and digests follow the configured
//! time zone, rather than wait.
//!
//! The logo a tenant admin uploaded wins over one given by its address, as on the pages: the
//! gateway serves it at an address that names its version (the logo's digest), so a mail
//! client that cached an earlier logo fetches the new one, and a removed logo leaves the header
//! without an image.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use synergies_platform::context::anonymous_request;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::identity::v1 as identity;
use synergies_proto::identity::v1::identity_service_client::IdentityServiceClient;

use crate::item_mail::escaped;

/// The web theme's default primary colour, for territories that chose none.
pub const DEFAULT_COLOUR: &str = "#1d4f91";

/// What an e-mail's header shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    /// Absolute, or empty for none.
    pub logo_url: String,
}

impl Branding {
    /// Without identity's answer: the slug, the default colour, no logo.
    pub fn plain(tenant: &str) -> Self {
        Self {
            name: tenant.to_owned(),
            colour: DEFAULT_COLOUR.to_owned(),
            logo_url: String::new(),
        }
    }

    /// From the territory's settings. The uploaded logo, if any, is named by the gateway's
    /// address for its version; a logo given as a path is made absolute with the platform's
    /// public address (mail clients have no page to resolve it against).
    pub fn of_tenant(tenant: &identity::Tenant, public_url: &str) -> Self {
        let settings = tenant.settings.clone().unwrap_or_default();
        let name = if settings.brand_name.trim().is_empty() {
            tenant.display_name.clone()
        } else {
            settings.brand_name
        };
        let public_url = public_url.trim_end_matches('/');
        let logo = settings.logo_url.trim();
        let logo_url = if is_digest(&settings.logo_digest) && is_slug(&tenant.slug) {
            format!(
                "{public_url}{}",
                uploaded_logo_path(&tenant.slug, &settings.logo_digest)
            )
        } else if logo.starts_with("https://") || logo.starts_with("http://") {
            logo.to_owned()
        } else if logo.starts_with('/') {
            format!("{public_url}{logo}")
        } else {
            String::new()
        };
        Self {
            name,
            colour: if is_hex_colour(&settings.primary_colour) {
                settings.primary_colour
            } else {
                DEFAULT_COLOUR.to_owned()
            },
            logo_url,
        }
    }

    /// The HTML part's header: a band of the territory's colour with its logo and name.
    /// Styles are inline: mail clients drop style sheets.
    pub fn header_html(&self) -> String {
        let logo = if self.logo_url.is_empty() {
            String::new()
        } else {
            format!(
                "<img src=\"{}\" alt=\"\" height=\"32\" style=\"vertical-align:middle;margin-right:8px\">",
                escaped(&self.logo_url)
            )
        };
        format!(
            "<div class=\"brand\" style=\"background:{};color:#ffffff;padding:12px 16px;font-family:sans-serif\">{logo}<strong>{}</strong></div>\n",
            self.colour,
            escaped(&self.name)
        )
    }
}

/// Where the gateway serves a territory's uploaded logo, by version: the address the web pages
/// use (`PUT /api/v1/tenants/{tenant}/branding/logo` answers it as `settings.logo`).
fn uploaded_logo_path(tenant: &str, digest: &str) -> String {
    format!("/api/v1/tenants/{tenant}/branding/logo?v={digest}")
}

/// A logo digest as identity writes it (hex), so that nothing else reaches an address.
fn is_digest(value: &str) -> bool {
    !value.is_empty() && value.len() <= 128 && value.chars().all(|c| c.is_ascii_hexdigit())
}

/// A territory slug as identity accepts them: lower-case letters, digits and hyphens.
fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_hex_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// What is kept of a territory's settings.
#[derive(Debug, Clone)]
struct Territory {
    branding: Branding,
    /// Its own time zone, when it set one.
    time_zone: Option<chrono_tz::Tz>,
}

/// Territories' branding and time zone, read from identity and kept for a while.
#[derive(Clone)]
pub struct TerritoryBrands {
    client: Option<IdentityServiceClient<ServiceChannel>>,
    public_url: String,
    /// How long what was read is used before identity is asked again.
    kept_for: Duration,
    kept: Arc<Mutex<HashMap<String, (Instant, Territory)>>>,
}

impl TerritoryBrands {
    pub fn new(channel: ServiceChannel, public_url: &str, kept_for: Duration) -> Self {
        Self {
            client: Some(IdentityServiceClient::new(channel)),
            public_url: public_url.to_owned(),
            kept_for,
            kept: Arc::default(),
        }
    }

    /// Every territory plain (tests of what is written, without identity).
    pub fn plain() -> Self {
        Self {
            client: None,
            public_url: String::new(),
            kept_for: Duration::ZERO,
            kept: Arc::default(),
        }
    }

    /// The territory's branding for an e-mail's header.
    pub async fn of(&self, tenant: &str) -> Branding {
        self.territory(tenant)
            .await
            .map_or_else(|| Branding::plain(tenant), |t| t.branding)
    }

    /// The time zone the territory set, if any (else the configured one applies).
    pub async fn time_zone(&self, tenant: &str) -> Option<chrono_tz::Tz> {
        self.territory(tenant).await.and_then(|t| t.time_zone)
    }

    async fn territory(&self, tenant: &str) -> Option<Territory> {
        let kept = self
            .kept
            .lock()
            .ok()
            .and_then(|kept| kept.get(tenant).cloned());
        if let Some((at, territory)) = &kept
            && at.elapsed() < self.kept_for
        {
            return Some(territory.clone());
        }
        let client = self.client.as_ref()?;
        let message = identity::GetTenantRequest {
            slug: tenant.to_owned(),
        };
        match client.clone().get_tenant(anonymous_request(message)).await {
            Ok(answer) => {
                let found = answer.into_inner().tenant?;
                let settings = found.settings.clone().unwrap_or_default();
                let territory = Territory {
                    branding: Branding::of_tenant(&found, &self.public_url),
                    time_zone: settings.time_zone.trim().parse().ok(),
                };
                if let Ok(mut kept) = self.kept.lock() {
                    kept.insert(tenant.to_owned(), (Instant::now(), territory.clone()));
                }
                Some(territory)
            }
            Err(status) => {
                tracing::debug!(%status, tenant, "identity did not give the territory's settings");
                kept.map(|(_, territory)| territory)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_carries_the_territorys_name_colour_and_logo() {
        let tenant = identity::Tenant {
            slug: "dijon".into(),
            display_name: "Dijon métropole".into(),
            settings: Some(identity::TenantSettings {
                primary_colour: "#7a1f3d".into(),
                logo_url: "/dijon/logo.png".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let branding = Branding::of_tenant(&tenant, "https://synergies.example/");
        let header = branding.header_html();
        assert!(header.contains("background:#7a1f3d"), "{header}");
        assert!(
            header.contains("<strong>Dijon métropole</strong>"),
            "{header}"
        );
        assert!(
            header.contains("src=\"https://synergies.example/dijon/logo.png\""),
            "{header}"
        );

        let odd = identity::Tenant {
            display_name: "A <b>".into(),
            settings: Some(identity::TenantSettings {
                primary_colour: "red;x".into(),
                logo_url: "javascript:x".into(),
                brand_name: String::new(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let header = Branding::of_tenant(&odd, "https://s.example").header_html();
        assert!(
            header.contains(DEFAULT_COLOUR) && header.contains("A &lt;b&gt;"),
            "{header}"
        );
        assert!(!header.contains("<img"), "{header}");
    }

    #[test]
    fn an_uploaded_logo_is_named_by_its_version_at_the_platforms_address() {
        let mut tenant = identity::Tenant {
            slug: "dijon".into(),
            display_name: "Dijon métropole".into(),
            settings: Some(identity::TenantSettings {
                logo_url: "https://www.dijon.fr/old.png".into(),
                logo_digest: "3f1c9a0b7d2e4f68".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let branding = Branding::of_tenant(&tenant, "https://synergies.example/");
        assert_eq!(
            branding.logo_url,
            "https://synergies.example/api/v1/tenants/dijon/branding/logo?v=3f1c9a0b7d2e4f68"
        );

        // Removed: the address given in the settings again, or none.
        let settings = tenant.settings.as_mut().unwrap();
        settings.logo_digest = String::new();
        assert_eq!(
            Branding::of_tenant(&tenant, "https://synergies.example").logo_url,
            "https://www.dijon.fr/old.png"
        );
        tenant.settings.as_mut().unwrap().logo_url = String::new();
        let header = Branding::of_tenant(&tenant, "https://synergies.example").header_html();
        assert!(!header.contains("<img"), "{header}");

        // What is not a digest never reaches an address.
        tenant.settings.as_mut().unwrap().logo_digest = "\"><script>".into();
        let header = Branding::of_tenant(&tenant, "https://synergies.example").header_html();
        assert!(
            !header.contains("<img") && !header.contains("script"),
            "{header}"
        );
    }
}
