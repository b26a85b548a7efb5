//! What an exchange weighs and avoids: kg diverted, CO2e avoided, euros saved. The factors are
//! in `data/impact.tsv`, each with its source (ADEME Base Carbone element ids for CO2e) — read
//! its header note for what the factors mean and their limits.
//!
//! Figures are stored as integers (grams, euro cents) so that sums are exact and identical on
//! both databases.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::domain::{ExchangeMode, Listing, PriceBasis, Unit};

/// Euro cents per kg of the estimated saving on goods given or exchanged without a declared
/// value: what the giver no longer pays to get rid of them, taken at its floor, the lowest
/// 2025 rate of the French tax on waste (TGAP, code des douanes art. 266 nonies): 41 EUR/t for
/// incineration (65 EUR/t for landfill, Banque des Territoires, "TGAP Déchets : la surtaxe pour
/// le stockage fixée à cinq euros"). The tax alone: gate fees, collection and transport would
/// only add to it.
const DISPOSAL_FLOOR_CENTS_PER_KG: f64 = 4.1;

/// Impact of one exchange; `None` where it cannot be said (a unit with no known mass, a
/// category with no factor, a loan or a rent with no declared value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Impact {
    pub kg_diverted_grams: Option<i64>,
    pub co2e_grams: Option<i64>,
    pub value_cents: Option<i64>,
    /// The value is an estimate (no price was declared), not what the members stated.
    pub value_estimated: bool,
}

/// The factors of one category line; each is inherited from the parent when unset.
#[derive(Debug, Clone, Copy, Default)]
struct CategoryFactors {
    kg_per_piece: Option<f64>,
    co2e_per_kg: Option<f64>,
    co2e_per_piece: Option<f64>,
    eur_per_piece: Option<f64>,
}

pub struct Factors {
    by_category: BTreeMap<String, CategoryFactors>,
}

pub fn factors() -> &'static Factors {
    static FACTORS: OnceLock<Factors> = OnceLock::new();
    FACTORS.get_or_init(|| {
        Factors::parse(include_str!("../../data/impact.tsv")).expect("data/impact.tsv is valid")
    })
}

impl Factors {
    fn parse(text: &str) -> Result<Self, String> {
        let mut by_category = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let line_number = index + 1;
            let number = |value: &str| -> Result<Option<f64>, String> {
                match value.trim() {
                    "-" | "" => Ok(None),
                    v => match v.parse::<f64>() {
                        Ok(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
                        _ => Err(format!("line {line_number}: {v:?} is not a number ≥ 0")),
                    },
                }
            };
            let fields: Vec<&str> = line.split('\t').collect();
            let [
                code,
                kg_per_piece,
                co2e_per_kg,
                co2e_per_piece,
                eur_per_piece,
                source,
            ] = fields[..]
            else {
                return Err(format!(
                    "line {line_number}: expected 6 tab-separated fields"
                ));
            };
            if crate::taxonomy::taxonomy().get(code).is_none() {
                return Err(format!("line {line_number}: unknown category {code}"));
            }
            if source.trim().is_empty() {
                return Err(format!("line {line_number}: {code} names no source"));
            }
            let factors = CategoryFactors {
                kg_per_piece: number(kg_per_piece)?,
                co2e_per_kg: number(co2e_per_kg)?,
                co2e_per_piece: number(co2e_per_piece)?,
                eur_per_piece: number(eur_per_piece)?,
            };
            if by_category.insert(code.to_owned(), factors).is_some() {
                return Err(format!("line {line_number}: {code} is stated twice"));
            }
        }
        Ok(Self { by_category })
    }

    /// The factor `pick` of `category`, or of its nearest parent that states it.
    fn nearest(&self, category: &str, pick: fn(&CategoryFactors) -> Option<f64>) -> Option<f64> {
        let mut code = category;
        loop {
            if let Some(value) = self.by_category.get(code).and_then(pick) {
                return Some(value);
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
                .or_else(|| self.nearest(category, |f| f.kg_per_piece))
                .map(|mass| quantity * mass),
            _ => stated.map(|mass| quantity * mass),
        }
    }

    /// kg CO2e avoided per kg reused of `category`, when a cited factor exists.
    pub fn co2e_per_kg(&self, category: &str) -> Option<f64> {
        self.nearest(category, |f| f.co2e_per_kg)
    }

    /// kg CO2e avoided: per piece when the category has a per-piece factor and the quantity is
    /// in pieces, otherwise per kg.
    pub fn co2e_kg(
        &self,
        category: &str,
        thousandths: i64,
        unit: Unit,
        kg: Option<f64>,
    ) -> Option<f64> {
        let per_kg = || kg.zip(self.co2e_per_kg(category)).map(|(kg, f)| kg * f);
        self.per_piece_or(category, |f| f.co2e_per_piece, thousandths, unit, per_kg)
    }

    /// Estimated euros saved by goods given or exchanged without a declared value: a piece's
    /// second-hand reference value when the category has one, otherwise the disposal floor.
    fn estimated_eur(
        &self,
        category: &str,
        thousandths: i64,
        unit: Unit,
        kg: Option<f64>,
    ) -> Option<f64> {
        let disposal = || kg.map(|kg| kg * DISPOSAL_FLOOR_CENTS_PER_KG / 100.0);
        self.per_piece_or(category, |f| f.eur_per_piece, thousandths, unit, disposal)
    }

    /// The quantity times the category's per-piece figure `pick`, when the quantity is in pieces
    /// and the category has one; `otherwise` else.
    fn per_piece_or(
        &self,
        category: &str,
        pick: fn(&CategoryFactors) -> Option<f64>,
        thousandths: i64,
        unit: Unit,
        otherwise: impl FnOnce() -> Option<f64>,
    ) -> Option<f64> {
        match (unit, self.nearest(category, pick)) {
            (Unit::Piece, Some(per_piece)) => Some(thousandths as f64 / 1000.0 * per_piece),
            _ => otherwise(),
        }
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
    let category = listing.category.as_str();
    let kg = factors.kg(category, thousandths, unit, kg_per_unit_grams);
    let grams = |kg: f64| (kg * 1000.0).round() as i64;
    // The declared value: the listing's price for the lot, or per unit times the quantity.
    // A rent's price is per period, and gifts and loans declare none.
    let declared_cents = listing.price.and_then(|price| match price.basis {
        PriceBasis::Lot => Some(price.cents),
        PriceBasis::Unit => Some(price.cents.saturating_mul(thousandths) / 1000),
        _ => None,
    });
    // Without one, goods given or exchanged are estimated; a loan's goods come back, so it
    // saves no purchase and no disposal that could be estimated.
    let estimated_cents = match (declared_cents, listing.exchange_mode) {
        (None, ExchangeMode::Give | ExchangeMode::Exchange) => factors
            .estimated_eur(category, thousandths, unit, kg)
            .map(|eur| (eur * 100.0).round() as i64),
        _ => None,
    };
    Impact {
        kg_diverted_grams: kg.map(grams),
        co2e_grams: factors.co2e_kg(category, thousandths, unit, kg).map(grams),
        value_cents: declared_cents.or(estimated_cents),
        value_estimated: estimated_cents.is_some(),
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
        assert_eq!(
            kg("furniture/storage", 2_000, Unit::Piece, None),
            Some(68.0)
        );
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
        // Sub-categories state their own factor or take their parent's.
        assert_eq!(factors.co2e_per_kg("packaging/cardboard"), Some(0.390));
        assert_eq!(factors.co2e_per_kg("packaging/pallets"), Some(0.700));
        assert_eq!(factors.co2e_per_kg("metals/ferrous"), Some(2.211));
        assert_eq!(factors.co2e_per_kg("metals/non-ferrous"), Some(7.803));
        assert_eq!(factors.co2e_per_kg("spaces/storage"), None);
        assert_eq!(factors.co2e_per_kg("hygiene-safety/ppe"), None);
    }

    #[test]
    fn devices_count_per_piece_and_other_goods_per_kg() {
        let factors = factors();
        // Three laptops: 3 × 156, whatever they weigh.
        assert_eq!(
            factors.co2e_kg("it-electronics/computers", 3_000, Unit::Piece, Some(6.0)),
            Some(468.0)
        );
        // Computers by the kilogram: no per-kg factor for devices.
        assert_eq!(
            factors.co2e_kg("it-electronics/computers", 50_000, Unit::Kg, Some(50.0)),
            None
        );
        assert_eq!(
            factors.co2e_kg("metals/ferrous", 2_000, Unit::Tonne, Some(2000.0)),
            Some(4422.0)
        );
    }

    #[test]
    fn the_data_file_refuses_what_it_cannot_mean() {
        for (line, why) in [
            ("packaging\t-\t0.39\t-\t-", "expected 6"),
            ("crockery\t-\t1\t-\t-\tsource", "unknown category"),
            ("paper\t-\t-1\t-\t-\tsource", "not a number"),
            ("paper\t-\t1\t-\t-\t ", "names no source"),
            ("paper\t-\t1\t-\t-\ta\npaper\t-\t1\t-\t-\tb", "stated twice"),
        ] {
            let error = Factors::parse(line).err().unwrap_or_default();
            assert!(error.contains(why), "{line:?}: {error}");
        }
    }
}
