//! What a search asks for, the cursor that continues it, and the engine that answers it.
//!
//! Search runs on an embedded full-text index ([`engine::SearchEngine`], [`tantivy_engine`]),
//! kept by each replica on its local disk and fed from the database, which stays the truth
//! ([`indexed_store`], [`follower`]). Text is analysed by [`analysis`] (shared with flow
//! search, in `synergies_search`): French words folded and stemmed as [`crate::text`] does,
//! synonyms, one typo allowed in longer words; every query
//! word must match, the score is BM25 with the title weighted above the description, ties
//! broken by id. The SQL term tables remain as the reference the conformance tests compare to.
//!
//! Distance: an equirectangular projection around the search point (x = Δlon·cos(lat₀),
//! y = Δlat), in kilometres. Over a territory (tens of kilometres) it differs from the
//! haversine distance by well under 0.1 %, and it needs only `+ − ×` in SQL — which PostgreSQL
//! and SQLite compute bit-for-bit alike in IEEE doubles — where trigonometry would depend on each
//! engine's maths library (and SQLite may be built without it). Identical ordering on both
//! backends matters more than the last metre. A bounding box narrows rows before the formula.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use synergies_platform::error::FieldError;
use uuid::Uuid;

use crate::domain::{ExchangeMode, ListingKind, ResourceType};

pub use synergies_search::analysis;

pub mod collector;
pub mod engine;
pub mod follower;
pub mod indexed_store;
pub mod tantivy_engine;

/// Mean Earth radius, km.
const EARTH_RADIUS_KM: f64 = 6371.0;
/// Kilometres per degree of latitude.
pub const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;
/// Farther than this is not "near" on a territory; it also bounds the rows a distance search reads.
pub const MAX_RADIUS_KM: f64 = 200.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best text score first; without text, the same as newest.
    #[default]
    Relevance,
    Newest,
    /// Nearest to the search point first (needs a point).
    Nearest,
}

impl Sort {
    fn letter(self) -> &'static str {
        match self {
            Self::Relevance => "r",
            Self::Newest => "n",
            Self::Nearest => "d",
        }
    }
}

/// A point and a radius; `to_sql` gives the constants the SQL distance needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub latitude: f64,
    pub longitude: f64,
    pub radius_km: f64,
}

impl Near {
    /// Kilometres per degree of longitude at the search point.
    pub fn km_per_degree_longitude(&self) -> f64 {
        KM_PER_DEGREE * self.latitude.to_radians().cos()
    }

    /// (min lat, max lat, min lon, max lon) containing the radius.
    pub fn bounding_box(&self) -> (f64, f64, f64, f64) {
        let dlat = self.radius_km / KM_PER_DEGREE;
        let dlon = self.radius_km / self.km_per_degree_longitude().max(1e-6);
        (
            self.latitude - dlat,
            self.latitude + dlat,
            self.longitude - dlon,
            self.longitude + dlon,
        )
    }

    /// The distance the SQL computes, for a row at (latitude, longitude), squared, in km².
    pub fn distance_squared(&self, latitude: f64, longitude: f64) -> f64 {
        let x = (longitude - self.longitude) * self.km_per_degree_longitude();
        let y = (latitude - self.latitude) * KM_PER_DEGREE;
        x * x + y * y
    }

    pub fn validate(latitude: f64, longitude: f64, radius_km: f64) -> Result<Self, FieldError> {
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(FieldError::new(
                "latitude",
                "must be between -90 and 90",
                "doit être comprise entre -90 et 90",
            ));
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return Err(FieldError::new(
                "longitude",
                "must be between -180 and 180",
                "doit être comprise entre -180 et 180",
            ));
        }
        if !(radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
            return Err(FieldError::new(
                "radius_km",
                format!("must be greater than 0 and at most {MAX_RADIUS_KM} km"),
                format!("doit être supérieur à 0 et d'au plus {MAX_RADIUS_KM} km"),
            ));
        }
        Ok(Self {
            latitude,
            longitude,
            radius_km,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What the member typed, as the engine analyses it (see [`SearchQuery::with_text`]).
    pub text: String,
    /// Normalised query terms (see [`crate::text::query_terms`]); empty: no text condition.
    pub terms: Vec<String>,
    pub kind: Option<ListingKind>,
    pub resource_type: Option<ResourceType>,
    /// A category and its sub-categories.
    pub category: Option<String>,
    pub exchange_mode: Option<ExchangeMode>,
    /// Give and lend only.
    pub free_only: bool,
    pub insee_code: Option<String>,
    pub near: Option<Near>,
    /// Available on that day (no window, or a window containing it).
    pub available_on: Option<NaiveDate>,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub limit: u32,
}

impl SearchQuery {
    /// A search for `text` (both its raw form and its normalised terms), 20 hits a page.
    pub fn with_text(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            terms: crate::text::query_terms(text),
            limit: 20,
            ..Default::default()
        }
    }

    /// Whether the search has a text condition (stop words alone have none).
    pub fn has_text(&self) -> bool {
        !self.terms.is_empty()
    }
}

/// Where a page ended, in the sort's own key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cursor {
    Relevance {
        score: i64,
        id: Uuid,
    },
    Newest {
        id: Uuid,
    },
    /// Exact bits of the squared distance, so the next page resumes exactly.
    Nearest {
        distance_squared: f64,
        id: Uuid,
    },
}

impl Cursor {
    /// An opaque token (URL-safe base64).
    pub fn encode(&self) -> String {
        let text = match self {
            Self::Relevance { score, id } => format!("r:{score}:{id}"),
            Self::Newest { id } => format!("n::{id}"),
            Self::Nearest {
                distance_squared,
                id,
            } => format!("d:{:x}:{id}", distance_squared.to_bits()),
        };
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Reads a token back; it must have been made for the same sort.
    pub fn decode(token: &str, sort: Sort) -> Result<Option<Self>, FieldError> {
        if token.is_empty() {
            return Ok(None);
        }
        let invalid = || {
            FieldError::new(
                "page_token",
                "must be a token returned by a previous page of the same search",
                "doit être un jeton renvoyé par une page précédente de la même recherche",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(3, ':');
        let (Some(letter), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        if letter != sort.letter() && !(sort == Sort::Relevance && letter == "n") {
            return Err(invalid());
        }
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        let cursor = match letter {
            "r" => Self::Relevance {
                score: key.parse().map_err(|_| invalid())?,
                id,
            },
            "n" => Self::Newest { id },
            "d" => Self::Nearest {
                distance_squared: f64::from_bits(
                    u64::from_str_radix(key, 16).map_err(|_| invalid())?,
                ),
                id,
            },
            _ => return Err(invalid()),
        };
        Ok(Some(cursor))
    }
}

/// A listing found, with what ranked it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub listing: crate::domain::Listing,
    pub score: i64,
    /// Kilometres from the search point, when searching near one.
    pub distance_km: Option<f64>,
    pub(crate) distance_squared: Option<f64>,
}

impl Hit {
    pub fn cursor(&self, query: &SearchQuery) -> Cursor {
        let id = self.listing.id;
        match (query.sort, self.distance_squared) {
            (Sort::Nearest, Some(distance_squared)) => Cursor::Nearest {
                distance_squared,
                id,
            },
            (Sort::Relevance, _) if !query.terms.is_empty() => Cursor::Relevance {
                score: self.score,
                id,
            },
            _ => Cursor::Newest { id },
        }
    }
}

/// How many listings of the current search fall in each value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Top-level category code → count, sorted by code.
    pub categories: Vec<(String, i64)>,
    /// Exchange mode → count, sorted by mode.
    pub exchange_modes: Vec<(String, i64)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    pub hits: Vec<Hit>,
    /// Empty on the last page.
    pub next_page_token: String,
    pub facets: Facets,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        let id = Uuid::now_v7();
        for (cursor, sort) in [
            (Cursor::Relevance { score: 7, id }, Sort::Relevance),
            (Cursor::Newest { id }, Sort::Newest),
            (Cursor::Newest { id }, Sort::Relevance),
            (
                Cursor::Nearest {
                    distance_squared: 0.1 + 0.2,
                    id,
                },
                Sort::Nearest,
            ),
        ] {
            assert_eq!(
                Cursor::decode(&cursor.encode(), sort).unwrap(),
                Some(cursor)
            );
        }
        let newest = Cursor::Newest { id }.encode();
        assert_eq!(
            Cursor::decode(&newest, Sort::Nearest).unwrap_err().field,
            "page_token"
        );
        assert!(Cursor::decode("garbage!", Sort::Newest).is_err());
    }

    #[test]
    fn the_flat_distance_is_close_to_haversine_on_a_territory() {
        let haversine = |(lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)| {
            let (dlat, dlon) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
            let a = (dlat / 2.0).sin().powi(2)
                + lat1.to_radians().cos() * lat2.to_radians().cos() * (dlon / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
        };
        // Dijon centre to Chenôve, and to the far end of the métropole.
        let near = Near::validate(47.322, 5.041, 10.0).unwrap();
        for point in [(47.293, 5.005), (47.40, 4.90)] {
            let flat = near.distance_squared(point.0, point.1).sqrt();
            let exact = haversine((47.322, 5.041), point);
            assert!((flat - exact).abs() / exact < 0.001, "{flat} vs {exact}");
        }
        assert_eq!(
            Near::validate(47.0, 5.0, 0.0).unwrap_err().field,
            "radius_km"
        );
        assert_eq!(
            Near::validate(91.0, 5.0, 1.0).unwrap_err().field,
            "latitude"
        );
    }
}
