//! Synergy scoring: pure functions (no I/O, no clock, no database) that say whether one
//! organisation's output can replace another's input, how well, and why, and which groups of
//! nearby organisations could pool a collection, a purchase or a service. The rules are written
//! in `README.md` beside this file; the store only fetches candidates and calls these functions.

use synergies_platform::i18n::Text;

pub mod candidates;
pub mod codes;
pub mod evaluation;
mod explanation;
mod knowledge;
mod mutualisation;
mod substitution;
pub mod text;

#[cfg(test)]
mod tests;

pub use candidates::CandidateIndex;
pub use knowledge::{Knowledge, MAESTRI, MaestriRecord, maestri_records};
pub use mutualisation::{MINIMUM_ORGANISATIONS, mutualisation_groups, pool_of};
pub use substitution::{
    PreparedItem, SCORE_THRESHOLD, best_of, category_closeness, class_compatibility,
    distance_decay, distance_scale_km, haversine_km, mode_compatibility, quantity_fit,
    score_prepared, score_substitution,
};

/// Whether an item comes from the classified listings or from a diagnosed flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    Listing,
    Flow,
}

/// Out: what an organisation lets go (offer listing, out-flow). In: what it needs (request, in-flow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Out,
    In,
}

/// The nature of a resource, shared by flows and listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceClass {
    Material,
    Waste,
    ByProduct,
    Energy,
    Water,
    Equipment,
    Service,
    Skill,
    Space,
    Logistics,
}

impl ResourceClass {
    pub const ALL: [ResourceClass; 10] = [
        Self::Material,
        Self::Waste,
        Self::ByProduct,
        Self::Energy,
        Self::Water,
        Self::Equipment,
        Self::Service,
        Self::Skill,
        Self::Space,
        Self::Logistics,
    ];

    /// Parses the API spelling (`by-product`; `by_product` and any case are accepted too).
    pub fn parse(text: &str) -> Option<Self> {
        let normalised = text.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|class| class.as_str() == normalised)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Material => "material",
            Self::Waste => "waste",
            Self::ByProduct => "by-product",
            Self::Energy => "energy",
            Self::Water => "water",
            Self::Equipment => "equipment",
            Self::Service => "service",
            Self::Skill => "skill",
            Self::Space => "space",
            Self::Logistics => "logistics",
        }
    }

    /// The class of a listing from its resource type (`goods`, `skill`, `space`) and category.
    pub fn of_listing(resource_type: &str, category: &str) -> Self {
        match resource_type {
            "skill" => Self::Skill,
            "space" => Self::Space,
            _ if EQUIPMENT_CATEGORIES
                .iter()
                .any(|root| category == *root || category.starts_with(&format!("{root}/"))) =>
            {
                Self::Equipment
            }
            _ if category == "energy" || category.starts_with("energy/") => Self::Energy,
            _ if category == "water" => Self::Water,
            _ => Self::Material,
        }
    }
}

/// Listing categories whose goods are equipment (used again as they are) rather than material.
const EQUIPMENT_CATEGORIES: &[&str] = &[
    "furniture",
    "office-supplies",
    "it-electronics/computers",
    "it-electronics/screens",
    "it-electronics/phones",
    "lighting/lamps",
    "machines-equipment",
    "vehicles-handling",
    "hygiene-safety/ppe",
];

/// A quantity: a yearly figure for flows, as stated for listings.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub amount: f64,
    pub unit: String,
}

/// WGS 84 coordinates, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub latitude: f64,
    pub longitude: f64,
}

/// Anything that can take part in a synergy: a listing or a flow, seen the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: uuid::Uuid,
    pub kind: ItemKind,
    pub tenant: String,
    pub organisation_id: uuid::Uuid,
    pub organisation_name: String,
    /// The organisation's activity: "24.10Z", "2410", "" when unknown.
    pub nace: String,
    pub direction: Direction,
    pub resource_class: ResourceClass,
    /// Listings taxonomy code, e.g. "packaging/pallets".
    pub category: Option<String>,
    /// "100202", possibly with a trailing '*' (hazardous).
    pub ewc_code: Option<String>,
    pub label: String,
    pub description: String,
    pub yearly_quantity: Option<Quantity>,
    pub position: Option<Position>,
    pub available_from: Option<chrono::NaiveDate>,
    pub available_until: Option<chrono::NaiveDate>,
    /// Listings: give, exchange, lend, rent, sell.
    pub exchange_mode: Option<String>,
}

/// One named part of a score, in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub name: &'static str,
    pub value: f64,
}

/// A pair worth proposing: its score in [0, 1], the factors behind it and why, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub score: f64,
    pub factors: Vec<Factor>,
    pub explanation: Text,
}

/// A documented exchange: the provider's activity and output, the receiver's activity and use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownExchange {
    pub provider_nace: String,
    pub receiver_nace: String,
    pub ewc_code: String,
    pub material: String,
    pub final_use: String,
    /// The study (industrial park) that documents it: the exchanges of one study are one
    /// testimony, however many of them it lists.
    pub case: String,
}

/// What a group of organisations would pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PoolKind {
    Collection,
    Purchasing,
    SharedService,
}

/// Three or more organisations nearby with items of the same nature and direction.
#[derive(Debug, Clone, PartialEq)]
pub struct MutualisationGroup {
    pub kind: PoolKind,
    pub direction: Direction,
    pub resource_class: ResourceClass,
    /// What is pooled, e.g. EWC code, category or normalised label.
    pub key: String,
    /// Item ids, from at least three organisations.
    pub members: Vec<uuid::Uuid>,
    pub explanation: Text,
}
