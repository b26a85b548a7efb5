//! What an exchange weighs and avoids: kg diverted, CO2e avoided, euros saved. The factors are
//! shared with matching's realised synergies (`synergies_codes::impact`, data file
//! `services/codes/data/impact-factors.tsv`, each factor with its source); the rules of an
//! exchange — units, declared prices, what is estimated — are here.
//!
//! Figures are stored as integers (grams, euro cents) so that sums are exact and identical on
//! both databases.

use synergies_codes::impact::{ImpactFactors, impact_factors};

use crate::domain::{ExchangeMode, Listing, PriceBasis, Unit};

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

/// Kilograms of `thousandths` of `unit` of `category`, when the unit is a mass or pieces
/// of known mass.
/// `kg_per_unit_grams`, when members stated it, replaces the category's mass per piece and
/// gives one to any other unit that is not a mass.
pub fn kg(
    factors: &ImpactFactors,
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
            .or_else(|| factors.kg_per_piece(category))
            .map(|mass| quantity * mass),
        _ => stated.map(|mass| quantity * mass),
    }
}

/// kg CO2e avoided: per piece when the category has a per-piece factor and the quantity is
/// in pieces, otherwise per kg.
pub fn co2e_kg(
    factors: &ImpactFactors,
    category: &str,
    thousandths: i64,
    unit: Unit,
    kg: Option<f64>,
) -> Option<f64> {
    factors.co2e_kg(category, pieces(thousandths, unit), kg)
}

/// The quantity, when it counts pieces.
fn pieces(thousandths: i64, unit: Unit) -> Option<f64> {
    (unit == Unit::Piece).then(|| thousandths as f64 / 1000.0)
}

/// The impact of exchanging `thousandths` of `unit` of `listing`.
pub fn of(
    listing: &Listing,
    thousandths: i64,
    unit: Unit,
    kg_per_unit_grams: Option<i64>,
) -> Impact {
    let factors = impact_factors();
    let category = listing.category.as_str();
    let kg = kg(factors, category, thousandths, unit, kg_per_unit_grams);
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
            .estimated_eur(category, pieces(thousandths, unit), kg)
            .map(|eur| (eur * 100.0).round() as i64),
        _ => None,
    };
    Impact {
        kg_diverted_grams: kg.map(grams),
        co2e_grams: co2e_kg(factors, category, thousandths, unit, kg).map(grams),
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
    fn quantities_weigh_by_their_unit_or_what_members_state() {
        let factors = impact_factors();
        let kg =
            |category, thousandths, unit, stated| kg(factors, category, thousandths, unit, stated);
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
    }

    #[test]
    fn devices_count_per_piece_and_other_goods_per_kg() {
        let factors = impact_factors();
        // Three laptops: 3 × 156, whatever they weigh.
        assert_eq!(
            co2e_kg(
                factors,
                "it-electronics/computers",
                3_000,
                Unit::Piece,
                Some(6.0)
            ),
            Some(468.0)
        );
        // Computers by the kilogram: no per-kg factor for devices.
        assert_eq!(
            co2e_kg(
                factors,
                "it-electronics/computers",
                50_000,
                Unit::Kg,
                Some(50.0)
            ),
            None
        );
        assert_eq!(
            co2e_kg(factors, "metals/ferrous", 2_000, Unit::Tonne, Some(2000.0)),
            Some(4422.0)
        );
    }
}
