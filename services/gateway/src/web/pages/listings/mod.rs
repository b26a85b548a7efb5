//! Listings in the browser: searching the territory's offers and requests, a listing's page
//! with its photos, publishing, "my listings", and the facilitators' approval queue.

mod listing_page;
mod mine;
mod photos;
mod publish;
mod search;

pub use listing_page::{act, show};
pub use mine::{approval_queue, mine};
pub use photos::{add_photo, arrange, thumbnail};
pub use publish::{ListingForm, PUBLISH_BODY_LIMIT, create, edit_form, new_form, update};
pub use search::{newest_listings, search};

use std::collections::HashMap;

use synergies_platform::i18n::Language;
use synergies_proto::listings::v1 as pb;

use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::format::{day, euros};
use crate::web::page::Page;

/// Category labels in the page's language, by code.
pub(crate) async fn category_labels(
    state: &GatewayState,
    lang: Language,
) -> Result<Vec<(String, String, String)>, ApiError> {
    let categories = state.listings.categories().await?;
    Ok(categories
        .into_iter()
        .map(|c| {
            let label = match lang {
                Language::Fr => c.label_fr,
                Language::En => c.label_en,
            };
            (c.code, c.parent, label)
        })
        .collect())
}

/// (code, label) for a category picker: sub-categories indented under their parent.
fn indented(labels: Vec<(String, String, String)>) -> Vec<(String, String)> {
    labels
        .into_iter()
        .map(|(code, parent, label)| {
            let label = if parent.is_empty() {
                label
            } else {
                format!("— {label}")
            };
            (code, label)
        })
        .collect()
}

/// Category labels in the page's language, by code alone.
async fn category_names(
    state: &GatewayState,
    lang: Language,
) -> Result<HashMap<String, String>, ApiError> {
    Ok(category_labels(state, lang)
        .await?
        .into_iter()
        .map(|(code, _, label)| (code, label))
        .collect())
}

/// A listing as cards and pages show it: every value already worded for the page.
pub struct ListingView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub kind: &'static str,
    pub category: String,
    pub mode: &'static str,
    pub price: String,
    pub quantity: String,
    pub commune: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub status_reason: String,
    pub available: String,
    pub ewc_code: String,
    pub distance: String,
    /// "comme neuf"; empty when not stated.
    pub condition: String,
    /// The day it was published (created), as the visitor reads it.
    pub published: String,
    /// Where the map places it (`47.3216`, `5.0415`): its site, else its commune's centre; both
    /// empty when it is placed nowhere.
    pub latitude: String,
    pub longitude: String,
}

use crate::clients::listings::status_name;

fn view(
    page: &Page,
    listing: pb::Listing,
    labels: &HashMap<String, String>,
    distance_km: Option<f64>,
) -> ListingView {
    let t = |key: String| page.t(&key);
    let kind = if listing.kind == pb::ListingKind::Request as i32 {
        page.t("listing.kind.request")
    } else {
        page.t("listing.kind.offer")
    };
    let price = match listing.price_cents {
        Some(cents) if !listing.price_per.is_empty() => format!(
            "{} / {}",
            euros(cents, page.lang),
            t(format!("listing.per.{}", listing.price_per))
        ),
        Some(cents) => euros(cents, page.lang),
        None if matches!(listing.exchange_mode.as_str(), "give" | "lend") => {
            page.t("listing.free").to_owned()
        }
        None => String::new(),
    };
    let quantity = if listing.quantity.is_empty() {
        String::new()
    } else {
        let amount = match page.lang {
            Language::Fr => listing.quantity.replace('.', ","),
            Language::En => listing.quantity.clone(),
        };
        let unit = t(format!("listing.unit.{}", listing.unit));
        // A recurring offer says how often: "2 t par an".
        match listing.recurrence.as_str() {
            "week" | "month" | "year" => format!(
                "{amount} {unit} {}",
                t(format!("listing.every.{}", listing.recurrence))
            ),
            _ => format!("{amount} {unit}"),
        }
    };
    let condition = if listing.condition.is_empty() {
        String::new()
    } else {
        t(format!("publish.condition.{}", listing.condition)).to_owned()
    };
    let published = crate::clients::rfc3339(listing.created_at.as_ref());
    let published = published
        .get(..10)
        .map(|iso| day(iso, page.lang))
        .unwrap_or_default();
    let commune = listing
        .location
        .as_ref()
        .and_then(|l| {
            page.tenant
                .communes
                .iter()
                .find(|c| c.insee_code == l.insee_code)
        })
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let available = match (
        listing.available_from.as_str(),
        listing.available_until.as_str(),
    ) {
        ("", "") => String::new(),
        (from, "") => format!("{} {}", page.t("listing.from"), day(from, page.lang)),
        ("", until) => format!("{} {}", page.t("listing.until"), day(until, page.lang)),
        (from, until) => format!(
            "{} {} {} {}",
            page.t("listing.from"),
            day(from, page.lang),
            page.t("listing.to"),
            day(until, page.lang)
        ),
    };
    let code = status_name(listing.status);
    let (latitude, longitude) = listing
        .location
        .as_ref()
        .and_then(|l| {
            let own = l
                .latitude
                .zip(l.longitude)
                .filter(|(lat, lon)| lat.is_finite() && lon.is_finite());
            // Placed by its commune only: the map shows it at the commune's centre.
            own.or_else(|| {
                synergies_codes::centres::centre(&l.insee_code)
                    .map(|centre| (centre.latitude, centre.longitude))
            })
        })
        .map_or_else(Default::default, |(lat, lon)| {
            (format!("{lat:.5}"), format!("{lon:.5}"))
        });
    ListingView {
        latitude,
        longitude,
        category: labels
            .get(&listing.category)
            .cloned()
            .unwrap_or_else(|| listing.category.clone()),
        mode: t(format!("mode.{}", listing.exchange_mode)),
        status: t(format!("listing.status.{code}")),
        status_code: code,
        distance: distance_km.map_or_else(String::new, |km| format!("{km:.1} km")),
        id: listing.id,
        title: listing.title,
        description: listing.description,
        kind,
        price,
        quantity,
        commune,
        status_reason: listing.status_reason,
        available,
        ewc_code: listing.ewc_code,
        condition,
        published,
    }
}
