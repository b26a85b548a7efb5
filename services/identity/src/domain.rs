//! Identity's entities and the rules their fields follow.

use chrono::{DateTime, Utc};
use sha2::Digest;
use synergies_platform::error::FieldError;
pub use synergies_platform::validate::required_text;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub slug: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    /// The territory: only professionals located in these communes may join.
    pub communes: Vec<TerritoryCommune>,
    pub settings: TenantSettings,
    pub map: TerritoryMap,
}

/// Where maps of a territory open (WGS 84), when the operator said so.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TerritoryMap {
    /// Latitude, longitude.
    pub centre: Option<(f64, f64)>,
    /// South, west, north, east.
    pub bounds: Option<[f64; 4]>,
}

impl TerritoryMap {
    /// A centre on Earth, bounds with their south below their north and west of their east, and
    /// the centre inside them.
    pub fn validated(self) -> Result<Self, FieldError> {
        let on_earth = |(lat, lon): (f64, f64)| {
            (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
        };
        if let Some(centre) = self.centre
            && !on_earth(centre)
        {
            return Err(FieldError::new(
                "map.centre",
                "latitude must be within ±90 and longitude within ±180",
                "la latitude doit être comprise entre -90 et 90 et la longitude entre -180 et 180",
            ));
        }
        if let Some([south, west, north, east]) = self.bounds {
            let inside = self.centre.is_none_or(|(lat, lon)| {
                (south..=north).contains(&lat) && (west..=east).contains(&lon)
            });
            if !(on_earth((south, west))
                && on_earth((north, east))
                && south < north
                && west < east
                && inside)
            {
                return Err(FieldError::new(
                    "map.bounds",
                    "must go from the south-west corner to the north-east one, around the centre",
                    "doivent aller du coin sud-ouest au coin nord-est, autour du centre",
                ));
            }
        }
        Ok(self)
    }
}

pub const EXCHANGE_MODES: [&str; 5] = ["give", "exchange", "lend", "rent", "sell"];

/// Branding and rules a tenant admin sets for their territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    pub brand_name: String,
    pub logo_url: String,
    pub primary_colour: String,
    pub secondary_colour: String,
    pub listings_need_approval: bool,
    pub exchange_modes: Vec<String>,
    pub default_language: String,
    /// Radius of a mutualisation group, in km.
    pub mutualisation_radius_km: u32,
    /// IANA time zone of the territory, or empty for the platform's configured one.
    pub time_zone: String,
    /// The digest of the uploaded logo, empty without one. Read from the stored logo; the
    /// settings form does not change it (`crate::logo`).
    pub logo_digest: String,
}

/// The radius of a mutualisation group when a tenant sets none.
pub const DEFAULT_MUTUALISATION_RADIUS_KM: u32 = 15;
/// Beyond this, "nearby" firms would not share a collection round or a supplier's delivery.
pub const MAX_MUTUALISATION_RADIUS_KM: u32 = 100;

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            brand_name: String::new(),
            logo_url: String::new(),
            primary_colour: "#1d4f91".into(),
            // The web theme's own (a green that stands out from the offers' pale green tags).
            secondary_colour: "#2e7d32".into(),
            listings_need_approval: false,
            exchange_modes: EXCHANGE_MODES.iter().map(|&m| m.to_owned()).collect(),
            default_language: "fr".into(),
            mutualisation_radius_km: DEFAULT_MUTUALISATION_RADIUS_KM,
            time_zone: String::new(),
            logo_digest: String::new(),
        }
    }
}

/// WCAG AA's least contrast for text of normal size.
const MIN_TEXT_CONTRAST: f64 = 4.5;

/// WCAG AA's least contrast for what is not text but marks out a part of the page (1.4.11).
const MIN_NON_TEXT_CONTRAST: f64 = 3.0;

/// The pale green behind what the secondary colour borders in the web theme (the gateway's
/// `synergies.css`: `.tag.offer` and `.alert.notice`), on white pages.
pub const SECONDARY_SURFACE: &str = "#e8f4ea";

/// The WCAG relative luminance of a `#rrggbb` colour (0 for black to 1 for white).
fn relative_luminance(colour: &str) -> f64 {
    let channel = |at: usize| {
        let value = colour
            .get(at..at + 2)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .map_or(0.0, |v| f64::from(v) / 255.0);
        if value <= 0.040_45 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

/// The WCAG contrast ratio of two `#rrggbb` colours (1 to 21).
pub fn contrast(one: &str, other: &str) -> f64 {
    let (one, other) = (relative_luminance(one), relative_luminance(other));
    (one.max(other) + 0.05) / (one.min(other) + 0.05)
}

/// The WCAG contrast ratio of a `#rrggbb` colour against white (1 to 21).
pub fn contrast_with_white(colour: &str) -> f64 {
    contrast(colour, "#ffffff")
}

/// A ratio as French writes it: `2,4`.
fn french_ratio(ratio: f64) -> String {
    format!("{ratio:.1}").replace('.', ",")
}

impl TenantSettings {
    /// Checks every field, naming the first that is wrong.
    pub fn validated(self) -> Result<Self, FieldError> {
        let brand_name =
            synergies_platform::validate::bounded_text("brand_name", &self.brand_name, 120)?;
        let logo_url = self.logo_url.trim().to_owned();
        let web_address = logo_url.starts_with("https://") || logo_url.starts_with("http://");
        if logo_url.len() > 500 || (!logo_url.is_empty() && !web_address) {
            return Err(FieldError::new(
                "logo_url",
                "must be an http(s) address of at most 500 characters",
                "doit être une adresse http(s) d'au plus 500 caractères",
            ));
        }
        for (field, colour) in [
            ("primary_colour", &self.primary_colour),
            ("secondary_colour", &self.secondary_colour),
        ] {
            let valid = colour.len() == 7
                && colour.starts_with('#')
                && colour[1..].chars().all(|c| c.is_ascii_hexdigit());
            if !valid {
                return Err(FieldError::new(
                    field,
                    "must be a colour such as #1d4f91",
                    "doit être une couleur telle que #1d4f91",
                ));
            }
        }
        // The primary colour is the links' text on white and the buttons' background under
        // white text: WCAG AA asks 4.5:1 for text.
        let primary = contrast_with_white(&self.primary_colour);
        if primary < MIN_TEXT_CONTRAST {
            return Err(FieldError::new(
                "primary_colour",
                format!(
                    "is too light to read on white (contrast {primary:.1}:1, at least 4.5:1 is needed for accessibility): choose a darker shade"
                ),
                format!(
                    "est trop claire pour être lue sur fond blanc (contraste de {}:1, il faut au moins 4,5:1 pour l'accessibilité) : choisissez une teinte plus foncée",
                    french_ratio(primary)
                ),
            ));
        }
        // The secondary colour carries no text: it is the border of the offers' tags and of
        // notices, pale green boxes on white pages. A border that marks out a part of the page
        // needs 3:1 against what it separates (WCAG AA, non-text contrast), here the weaker of
        // the box's background and the page's white.
        let secondary = contrast(&self.secondary_colour, SECONDARY_SURFACE)
            .min(contrast_with_white(&self.secondary_colour));
        if secondary < MIN_NON_TEXT_CONTRAST {
            return Err(FieldError::new(
                "secondary_colour",
                format!(
                    "is too pale to stand out around offers and notices (contrast {secondary:.1}:1 with their pale green background, at least 3:1 is needed for accessibility): choose a darker shade"
                ),
                format!(
                    "est trop pâle pour se détacher autour des offres et des messages (contraste de {}:1 avec leur fond vert pâle, il faut au moins 3:1 pour l'accessibilité) : choisissez une teinte plus foncée",
                    french_ratio(secondary)
                ),
            ));
        }
        if self.exchange_modes.is_empty()
            || self
                .exchange_modes
                .iter()
                .any(|m| !EXCHANGE_MODES.contains(&m.as_str()))
        {
            return Err(FieldError::new(
                "exchange_modes",
                "must list some of give, exchange, lend, rent, sell",
                "doit citer certains des modes : don, échange, prêt, location, vente",
            ));
        }
        if !["fr", "en"].contains(&self.default_language.as_str()) {
            return Err(FieldError::new(
                "default_language",
                "must be fr or en",
                "doit valoir fr ou en",
            ));
        }
        if self.mutualisation_radius_km > MAX_MUTUALISATION_RADIUS_KM {
            return Err(FieldError::new(
                "mutualisation_radius_km",
                "must be between 1 and 100 km",
                "doit être compris entre 1 et 100 km",
            ));
        }
        let time_zone = self.time_zone.trim().to_owned();
        if !time_zone.is_empty() && time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(FieldError::new(
                "time_zone",
                "must be a time zone of the IANA database, e.g. Europe/Paris",
                "doit être un fuseau horaire de la base IANA, par exemple Europe/Paris",
            ));
        }
        // 0 is what a client that does not know the setting sends: the default.
        let mutualisation_radius_km = match self.mutualisation_radius_km {
            0 => DEFAULT_MUTUALISATION_RADIUS_KM,
            radius => radius,
        };
        Ok(Self {
            brand_name,
            logo_url,
            mutualisation_radius_km,
            time_zone,
            ..self
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryCommune {
    pub insee_code: String,
    pub name: String,
    pub postal_codes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationStatus {
    Pending,
    Approved,
    Rejected,
    Suspended,
    /// Closed by its own administrator.
    Closed,
    /// Registered by a facilitator during a diagnostic: known to the territory (its flows can be
    /// recorded) but nobody of it has signed up yet.
    Diagnosed,
}

impl OrganisationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
            Self::Closed => "closed",
            Self::Diagnosed => "diagnosed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Approved,
            Self::Rejected,
            Self::Suspended,
            Self::Closed,
            Self::Diagnosed,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// A place where an organisation works, inside the tenant's territory.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: Uuid,
    pub address: String,
    pub insee_code: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationKind {
    Company,
    Association,
    PublicBody,
}

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Association => "association",
            Self::PublicBody => "public_body",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "company" => Some(Self::Company),
            "association" => Some(Self::Association),
            "public_body" => Some(Self::PublicBody),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub id: Uuid,
    pub tenant: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub created_at: DateTime<Utc>,
    pub siret: Option<String>,
    pub rna: Option<String>,
    pub naf: Option<String>,
    pub status: OrganisationStatus,
    /// Why it was last rejected or suspended.
    pub status_reason: String,
    pub sites: Vec<Site>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub tenant: String,
    pub organisation_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

/// Slugs the web interface's own addresses use (`/static/…`, `/operateur`, …): a territory
/// cannot be named like them.
const RESERVED_SLUGS: &[&str] = &[
    "api",
    "static",
    "operateur",
    "healthz",
    "readyz",
    "metrics",
    "well-known",
];

/// A new territory, checked: slug, name, and each commune's INSEE code (5 characters: digits,
/// or 2A/2B for Corsica) and postal codes (5 digits).
pub fn new_tenant(
    slug: &str,
    display_name: &str,
    communes: Vec<TerritoryCommune>,
) -> Result<Tenant, FieldError> {
    validate_slug(slug)?;
    for commune in &communes {
        let code = commune.insee_code.as_bytes();
        let insee = code.len() == 5
            && code[0].is_ascii_digit()
            && (code[1].is_ascii_digit() || matches!(code[1], b'A' | b'B'))
            && code[2..].iter().all(u8::is_ascii_digit);
        if !insee {
            return Err(FieldError::new(
                "communes.insee_code",
                format!(
                    "{:?} is not an INSEE commune code (5 characters, e.g. 21231)",
                    commune.insee_code
                ),
                format!(
                    "{:?} n'est pas un code commune INSEE (5 caractères, par exemple 21231)",
                    commune.insee_code
                ),
            ));
        }
        required_text("communes.name", &commune.name, 120)?;
        if commune
            .postal_codes
            .iter()
            .any(|p| p.len() != 5 || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(FieldError::new(
                "communes.postal_codes",
                "each must be 5 digits, e.g. 21000",
                "chacun doit compter 5 chiffres, par exemple 21000",
            ));
        }
    }
    Ok(Tenant {
        settings: TenantSettings::default(),
        map: TerritoryMap::default(),
        slug: slug.to_owned(),
        display_name: required_text("display_name", display_name, 120)?,
        created_at: synergies_platform::time::now(),
        communes,
    })
}

/// A new territory covering every commune of an intercommunality (by SIREN, from the official
/// list shipped with the code), named after it unless `display_name` says otherwise.
pub fn new_tenant_of_intercommunality(
    slug: &str,
    display_name: &str,
    siren: &str,
) -> Result<Tenant, FieldError> {
    let (intercommunality, communes) = crate::communes::territory_of(siren)?;
    let display_name = if display_name.trim().is_empty() {
        intercommunality.name
    } else {
        display_name
    };
    new_tenant(slug, display_name, communes)
}

/// The organisation that facilitates a territory (its chamber of commerce, say): a public body,
/// approved from the start since the operator vouches for it.
pub fn facilitator_organisation(tenant: &str, name: &str) -> Result<Organisation, FieldError> {
    Ok(Organisation {
        id: Uuid::now_v7(),
        tenant: tenant.to_owned(),
        name: required_text("name", name, 200)?,
        kind: OrganisationKind::PublicBody,
        created_at: synergies_platform::time::now(),
        siret: None,
        rna: None,
        naf: None,
        status: OrganisationStatus::Approved,
        status_reason: String::new(),
        sites: Vec::new(),
    })
}

/// Tenant slugs become subject tokens and host names: lowercase letters, digits, hyphens.
pub fn validate_slug(slug: &str) -> Result<(), FieldError> {
    if RESERVED_SLUGS.contains(&slug) {
        return Err(FieldError::new(
            "slug",
            format!("{slug} is reserved by the platform's own addresses"),
            format!("{slug} est réservé par les adresses de la plateforme"),
        ));
    }
    let valid = (2..=40).contains(&slug.len())
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "slug",
            "2 to 40 lowercase letters, digits or hyphens, starting with a letter",
            "de 2 à 40 minuscules, chiffres ou tirets, commençant par une lettre",
        ))
    }
}

/// A plausible e-mail address, lowercased (verification proves it; this only catches typos).
pub fn validate_email(email: &str) -> Result<String, FieldError> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if plausible {
        Ok(email)
    } else {
        Err(FieldError::new(
            "email",
            "must be an e-mail address such as name@example.fr",
            "doit être une adresse e-mail telle que nom@exemple.fr",
        ))
    }
}

/// A new random refresh token and the hash stored for it (the token itself is never stored).
pub fn new_refresh_token() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = format!("rt_{}", hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_primary_colour_too_light_to_read_is_refused() {
        // Black and white are the extremes; #767676 is the lightest grey that passes AA.
        assert!((contrast_with_white("#000000") - 21.0).abs() < 0.01);
        assert!((contrast_with_white("#ffffff") - 1.0).abs() < 0.01);
        assert!(contrast_with_white("#767676") >= 4.5);
        assert!(contrast_with_white("#777777") < 4.5);
        let settings = |primary: &str| TenantSettings {
            primary_colour: primary.to_owned(),
            ..TenantSettings::default()
        };
        assert!(settings("#1d4f91").validated().is_ok());
        let refused = settings("#f2a900").validated().unwrap_err();
        assert_eq!(refused.field, "primary_colour");
        assert!(
            refused.rule.fr.contains("trop claire"),
            "{}",
            refused.rule.fr
        );
    }

    #[test]
    fn a_secondary_colour_that_does_not_stand_out_from_its_background_is_refused() {
        let settings = |secondary: &str| TenantSettings {
            secondary_colour: secondary.to_owned(),
            ..TenantSettings::default()
        };
        // The default, and dark shades, stand out from the pale green and the white.
        assert!(TenantSettings::default().validated().is_ok());
        assert!(settings("#000000").validated().is_ok());
        assert!(
            contrast(
                &TenantSettings::default().secondary_colour,
                SECONDARY_SURFACE
            ) >= 3.0
        );
        // Amber and a light green: not enough against the pale green; white: nothing at all.
        for pale in ["#f2a900", "#00aa00", "#ffffff"] {
            let refused = settings(pale).validated().unwrap_err();
            assert_eq!(refused.field, "secondary_colour", "{pale}");
            assert!(refused.rule.fr.contains("trop pâle"), "{}", refused.rule.fr);
            assert!(
                refused.rule.en.contains("at least 3:1"),
                "{}",
                refused.rule.en
            );
        }
        // Symmetric, from 1 (the same colour) to 21 (black on white).
        assert!((contrast("#e8f4ea", "#e8f4ea") - 1.0).abs() < 1e-9);
        assert!((contrast("#ffffff", "#000000") - contrast("#000000", "#ffffff")).abs() < 1e-9);
    }

    #[test]
    fn slugs_are_subject_and_host_safe() {
        assert!(validate_slug("dijon").is_ok());
        assert!(validate_slug("grand-besancon2").is_ok());
        // Names the web interface's own addresses use.
        assert!(
            validate_slug("static")
                .unwrap_err()
                .rule
                .fr
                .contains("réservé")
        );
        assert!(validate_slug("operateur").is_err());
        for bad in [
            "",
            "d",
            "Dijon",
            "dijon.metropole",
            "2dijon",
            "dijon métropole",
        ] {
            assert_eq!(validate_slug(bad).unwrap_err().field, "slug", "{bad}");
        }
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            validate_email(" Marie@CCI-Dijon.fr ").unwrap(),
            "marie@cci-dijon.fr"
        );
        for bad in ["marie", "marie@", "@cci.fr", "marie@cci", "ma rie@cci.fr"] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (token, hash) = new_refresh_token();
        let (other, _) = new_refresh_token();
        assert_ne!(token, other);
        assert_eq!(token_hash(&token), hash);
        assert!(!hash.contains(&token));
    }
}
