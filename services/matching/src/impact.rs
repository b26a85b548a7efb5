//! What a realised synergy adds to the territory's impact, counted with the same factors as
//! exchanges (`synergies_codes::impact`), so that the two add up. Pure code.
//!
//! Rules:
//! - Only a **substitution** diverts anything: the output of one organisation replaces what
//!   another would have bought new. Its weight is the realised yearly quantity, in the unit the
//!   facilitator states (or the output's own unit): kilograms and tonnes weigh themselves, pieces
//!   weigh the category's typical mass; other units (MWh, m³, hours) weigh nothing we could say.
//! - The output's **category** gives the factors: a listing's own, or for a diagnosed flow the
//!   most specific category that stands for its waste code. No category, no CO2e.
//! - CO2e avoided: per piece for devices counted in pieces, otherwise per kg.
//! - Euros saved are an **estimate**, as for exchanges given without a price: the second-hand
//!   value of a piece where the category has one, otherwise the floor of what the giver no
//!   longer pays to dispose of it (the lowest TGAP rate).
//! - A **mutualisation** realised (a pooled collection or purchase) counts as a realised synergy
//!   but diverts nothing by itself: pooling changes who carries the waste, not where it goes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use synergies_codes::impact::ImpactFactors;

use crate::scoring::{Item, Knowledge};

/// Impact of one realised synergy, in exact integers; `None` where it cannot be said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RealisedImpact {
    pub kg_diverted_grams: Option<i64>,
    pub co2e_grams: Option<i64>,
    /// Always an estimate (see the module's rules).
    pub value_cents: Option<i64>,
}

/// How a unit of quantity weighs.
enum Measure {
    Kilograms(f64),
    Pieces(f64),
    Other,
}

fn measure(quantity: f64, unit: &str) -> Measure {
    match unit.trim().to_lowercase().as_str() {
        "kg" | "kilogram" | "kilograms" | "kilogramme" | "kilogrammes" => {
            Measure::Kilograms(quantity)
        }
        "t" | "tonne" | "tonnes" | "ton" | "tons" => Measure::Kilograms(quantity * 1000.0),
        "piece" | "pieces" | "pièce" | "pièces" | "u" | "unit" | "units" | "unité" | "unités" => {
            Measure::Pieces(quantity)
        }
        _ => Measure::Other,
    }
}

/// The category whose factors weigh `output`.
fn category_of<'a>(output: &'a Item, knowledge: &'a Knowledge) -> Option<&'a str> {
    output.category.as_deref().or_else(|| {
        output
            .ewc_code
            .as_deref()
            .and_then(|code| knowledge.category_of_waste(code))
    })
}

/// What realising `quantity` `unit` of `output` (a substitution's output side) adds.
pub fn of_substitution(
    output: &Item,
    quantity: f64,
    unit: &str,
    factors: &ImpactFactors,
    knowledge: &Knowledge,
) -> RealisedImpact {
    let category = category_of(output, knowledge);
    let measured = measure(quantity, unit);
    let kg = match measured {
        Measure::Kilograms(kg) => Some(kg),
        Measure::Pieces(pieces) => category
            .and_then(|c| factors.kg_per_piece(c))
            .map(|mass| pieces * mass),
        Measure::Other => None,
    };
    let pieces = match measured {
        Measure::Pieces(pieces) => Some(pieces),
        _ => None,
    };
    let co2e = category.and_then(|c| factors.co2e_kg(c, pieces, kg));
    // Without a category, what the giver no longer pays to dispose of it still stands.
    let eur = factors.estimated_eur(category.unwrap_or_default(), pieces, kg);
    let grams = |kg: f64| (kg * 1000.0).round() as i64;
    RealisedImpact {
        kg_diverted_grams: kg.map(grams),
        co2e_grams: co2e.map(grams),
        value_cents: eur.map(|eur| (eur * 100.0).round() as i64),
    }
}

/// What the synergies realised in one month (`YYYY-MM`, UTC) added.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RealisedTotals {
    pub month: String,
    pub synergies: i64,
    pub kg_diverted_grams: i64,
    pub co2e_grams: i64,
    pub value_cents: i64,
}

impl RealisedTotals {
    fn add(&mut self, impact: &RealisedImpact) {
        self.synergies += 1;
        self.kg_diverted_grams += impact.kg_diverted_grams.unwrap_or(0);
        self.co2e_grams += impact.co2e_grams.unwrap_or(0);
        self.value_cents += impact.value_cents.unwrap_or(0);
    }
}

/// Realised synergies summed per month of realisation, oldest first.
pub fn by_month(realised: &[(DateTime<Utc>, RealisedImpact)]) -> Vec<RealisedTotals> {
    let mut months: BTreeMap<String, RealisedTotals> = BTreeMap::new();
    for (at, impact) in realised {
        let month = at.format("%Y-%m").to_string();
        months
            .entry(month.clone())
            .or_insert_with(|| RealisedTotals {
                month,
                ..RealisedTotals::default()
            })
            .add(impact);
    }
    months.into_values().collect()
}

/// Realised synergies summed over all time (`month` empty).
pub fn total(realised: &[(DateTime<Utc>, RealisedImpact)]) -> RealisedTotals {
    let mut total = RealisedTotals::default();
    for (_, impact) in realised {
        total.add(impact);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{Direction, ItemKind, ResourceClass};
    use synergies_codes::impact::impact_factors;

    fn output(category: Option<&str>, ewc: Option<&str>) -> Item {
        Item {
            id: uuid::Uuid::nil(),
            kind: ItemKind::Flow,
            tenant: "dijon".into(),
            organisation_id: uuid::Uuid::nil(),
            organisation_name: String::new(),
            nace: String::new(),
            direction: Direction::Out,
            resource_class: ResourceClass::Waste,
            category: category.map(Into::into),
            ewc_code: ewc.map(Into::into),
            label: "Palettes".into(),
            description: String::new(),
            yearly_quantity: None,
            position: None,
            available_from: None,
            available_until: None,
            exchange_mode: None,
        }
    }

    #[test]
    fn a_flow_is_weighed_with_the_category_of_its_waste_code() {
        let knowledge = Knowledge::global();
        // Ferrous metal scrap (17 04 05) reused: 2 t, 2.211 kg CO2e per kg.
        let impact = of_substitution(
            &output(None, Some("170405")),
            2.0,
            "t",
            impact_factors(),
            knowledge,
        );
        assert_eq!(impact.kg_diverted_grams, Some(2_000_000));
        assert_eq!(impact.co2e_grams, Some(4_422_000));
        // The disposal floor: 41 € per tonne.
        assert_eq!(impact.value_cents, Some(8_200));
    }

    #[test]
    fn pieces_weigh_the_category_typical_mass_and_energy_weighs_nothing() {
        let knowledge = Knowledge::global();
        let pallets = of_substitution(
            &output(Some("packaging/pallets"), None),
            40.0,
            "piece",
            impact_factors(),
            knowledge,
        );
        assert_eq!(pallets.kg_diverted_grams, Some(1_000_000));
        // A used EUR-pallet is worth 10 €.
        assert_eq!(pallets.value_cents, Some(40_000));
        let heat = of_substitution(
            &output(None, None),
            2500.0,
            "MWh",
            impact_factors(),
            knowledge,
        );
        assert_eq!(heat, RealisedImpact::default());
    }

    #[test]
    fn realised_synergies_add_up_per_month_of_realisation() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let ton = RealisedImpact {
            kg_diverted_grams: Some(1_000_000),
            co2e_grams: Some(2_000),
            value_cents: Some(4_100),
        };
        let realised = [
            (at("2026-10-31T23:00:00Z"), ton),
            (at("2026-11-01T08:00:00Z"), ton),
            (at("2026-11-20T08:00:00Z"), RealisedImpact::default()),
        ];
        let months = by_month(&realised);
        assert_eq!(months.len(), 2);
        assert_eq!(
            (months[0].month.as_str(), months[0].synergies),
            ("2026-10", 1)
        );
        assert_eq!(
            (
                months[1].month.as_str(),
                months[1].synergies,
                months[1].kg_diverted_grams
            ),
            ("2026-11", 2, 1_000_000)
        );
        assert_eq!(total(&realised).value_cents, 8_200);
    }
}
