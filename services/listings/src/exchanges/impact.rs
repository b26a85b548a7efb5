//! What an exchange weighs and avoids: kg diverted, CO2e avoided, declared value. The factors
//! are in `data/impact.tsv` with where each comes from — read its note: the CO2e factors are
//! orders of magnitude, not checked against ADEME Base Empreinte.
//!
//! Figures are stored as integers (grams, euro cents) so that sums are exact and identical on
//! both databases.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::domain::{Listing, PriceBasis, Unit};

/// Impact of one exchange; `None` where it cannot be said (a unit with no known mass, a
/// category with no factor, a free exchange with no declared value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Impact {
    pub kg_diverted_grams: Option<i64>,
    pub co2e_grams: Option<i64>,
    pub value_cents: Option<i64>,
}

pub struct Factors {
    mass_per_piece_kg: BTreeMap<String, f64>,
    co2e_per_kg: BTreeMap<String, f64>,
}

pub fn factors() -> &'static Factors {
    static FACTORS: OnceLock<Factors> = OnceLock::new();
    FACTORS.get_or_init(|| {
        Factors::parse(include_str!("../../data/impact.tsv")).expect("data/impact.tsv is valid")
    })
}

impl Factors {
    fn parse(text: &str) -> Result<Self, String> {
        let mut factors = Self {
            mass_per_piece_kg: BTreeMap::new(),
            co2e_per_kg: BTreeMap::new(),
        };
        let number = |value: &str, line: usize| -> Result<Option<f64>, String> {
            match value.trim() {
                "-" | "" => Ok(None),
                v => v
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| format!("line {line}: {v:?} is not a number")),
            }
        };
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [code, mass, co2e, _source] = fields[..] else {
                return Err(format!(
                    "line {}: expected 4 tab-separated fields",
                    index + 1
                ));
            };
            if crate::taxonomy::taxonomy().get(code).is_none() {
                return Err(format!("line {}: unknown category {code}", index + 1));
            }
            if let Some(mass) = number(mass, index + 1)? {
                factors.mass_per_piece_kg.insert(code.to_owned(), mass);
            }
            if let Some(co2e) = number(co2e, index + 1)? {
                factors.co2e_per_kg.insert(code.to_owned(), co2e);
            }
        }
        Ok(factors)
    }

    /// Mass of one piece of `category` (or of its nearest parent that states one).
    fn mass_per_piece(&self, category: &str) -> Option<f64> {
        let mut code = category;
        loop {
            if let Some(mass) = self.mass_per_piece_kg.get(code) {
                return Some(*mass);
            }
            code = &code[..code.rfind('/')?];
        }
    }

    /// Kilograms of `thousandths` of `unit` of `category`, when the unit is a mass or pieces
    /// of known mass.
    /// `kg_per_unit_grams`, when members stated it, replaces the category's mass per piece and
    /// gives one to any other unit that is not a mass.
    pub fn kg(
        &self,
        category: &str,
        thousandths: i64,
        unit: Unit,
        kg_per_unit_grams: Option<i64>,
    ) -> Option<f64> {
        let quantity = thousandths as f64 / 1000.0;
        let stated = kg_per_unit_grams.map(|grams| grams as f64 / 1000.0);
        match unit {
            Unit::Kg => Some(quantity),
            Unit::Tonne => Some(quantity * 1000.0),
            Unit::Piece => stated
                .or_else(|| self.mass_per_piece(category))
                .map(|mass| quantity * mass),
            _ => stated.map(|mass| quantity * mass),
        }
    }

    pub fn co2e_per_kg(&self, category: &str) -> Option<f64> {
        self.co2e_per_kg
            .get(crate::taxonomy::root(category))
            .copied()
    }
}

/// The impact of exchanging `thousandths` of `unit` of `listing`.
pub fn of(
    listing: &Listing,
    thousandths: i64,
    unit: Unit,
    kg_per_unit_grams: Option<i64>,
) -> Impact {
    let factors = factors();
    let kg = factors.kg(&listing.category, thousandths, unit, kg_per_unit_grams);
    let grams = |kg: f64| (kg * 1000.0).round() as i64;
    // The declared value: the listing's price for the lot, or per unit times the quantity.
    // A rent's price is per period, and gifts and loans declare none.
    let value_cents = listing.price.and_then(|price| match price.basis {
        PriceBasis::Lot => Some(price.cents),
        PriceBasis::Unit => Some(price.cents.saturating_mul(thousandths) / 1000),
        _ => None,
    });
    Impact {
        kg_diverted_grams: kg.map(grams),
        co2e_grams: kg
            .zip(factors.co2e_per_kg(&listing.category))
            .map(|(kg, factor)| grams(kg * factor)),
        value_cents,
    }
}

/// Totals of one month (`YYYY-MM`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonthTotals {
    pub month: String,
    pub exchanges: i64,
    pub kg_diverted_grams: i64,
    pub co2e_grams: i64,
    pub value_cents: i64,
}

/// What a territory shows the public.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TerritorySummary {
    /// Published and reserved listings.
    pub listings_online: i64,
    pub exchanges_completed: i64,
    pub kg_diverted_grams: i64,
    pub co2e_grams: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_parses_and_names_known_categories() {
        let factors = factors();
        let kg =
            |category, thousandths, unit, stated| factors.kg(category, thousandths, unit, stated);
        assert_eq!(
            kg("packaging/pallets", 40_000, Unit::Piece, None),
            Some(1000.0)
        );
        // A sub-category takes its parent's mass per piece.
        assert_eq!(kg("furniture/office", 2_000, Unit::Piece, None), Some(50.0));
        assert_eq!(kg("wood/offcuts", 1_500, Unit::Tonne, None), Some(1500.0));
        assert_eq!(kg("wood/offcuts", 3_000, Unit::CubicMetre, None), None);
        // What members state replaces the default and gives other units a mass.
        assert_eq!(
            kg("packaging/pallets", 40_000, Unit::Piece, Some(20_000)),
            Some(800.0)
        );
        assert_eq!(
            kg("wood/offcuts", 3_000, Unit::CubicMetre, Some(500_000)),
            Some(1500.0)
        );
        assert_eq!(
            kg("wood/offcuts", 3_000, Unit::Kg, Some(500_000)),
            Some(3.0)
        );
        assert_eq!(factors.co2e_per_kg("packaging/pallets"), Some(1.0));
        assert_eq!(factors.co2e_per_kg("spaces/storage"), None);
    }
}
