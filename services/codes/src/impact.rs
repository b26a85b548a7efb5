//! What reusing goods of a listing category weighs, avoids and is worth: the factors of
//! `data/impact-factors.tsv`, each with its source (ADEME Base Carbone element ids for CO2e).
//! Read the file's header note for what the factors mean and their limits.
//!
//! Exchanges (listings) and realised synergies (matching) count their impact with the same
//! factors, so that the territory's figures add up; the rules of each stay in its service.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Euro cents per kg of the estimated saving on goods given or exchanged without a declared
/// value: what the giver no longer pays to get rid of them, taken at its floor, the lowest
/// 2025 rate of the French tax on waste (TGAP, code des douanes art. 266 nonies): 41 EUR/t for
/// incineration (65 EUR/t for landfill, Banque des Territoires, "TGAP Déchets : la surtaxe pour
/// le stockage fixée à cinq euros"). The tax alone: gate fees, collection and transport would
/// only add to it.
pub const DISPOSAL_FLOOR_CENTS_PER_KG: f64 = 4.1;

/// The factors of one category line; each is inherited from the parent when unset.
#[derive(Debug, Clone, Copy, Default)]
struct CategoryFactors {
    kg_per_piece: Option<f64>,
    co2e_per_kg: Option<f64>,
    co2e_per_piece: Option<f64>,
    eur_per_piece: Option<f64>,
}

/// The impact factors of the listing categories.
pub struct ImpactFactors {
    by_category: BTreeMap<String, CategoryFactors>,
}

/// The factors shipped with the code, parsed once.
pub fn impact_factors() -> &'static ImpactFactors {
    static FACTORS: OnceLock<ImpactFactors> = OnceLock::new();
    FACTORS.get_or_init(|| {
        ImpactFactors::parse(include_str!("../data/impact-factors.tsv"))
            .expect("data/impact-factors.tsv is valid")
    })
}

impl ImpactFactors {
    pub fn parse(text: &str) -> Result<Self, String> {
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
            if !crate::is_listing_category(code) {
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

    /// Typical mass of one piece, in kg.
    pub fn kg_per_piece(&self, category: &str) -> Option<f64> {
        self.nearest(category, |f| f.kg_per_piece)
    }

    /// kg CO2e avoided per kg reused, when a cited factor exists.
    pub fn co2e_per_kg(&self, category: &str) -> Option<f64> {
        self.nearest(category, |f| f.co2e_per_kg)
    }

    /// kg CO2e avoided per piece reused (devices), when a cited factor exists.
    pub fn co2e_per_piece(&self, category: &str) -> Option<f64> {
        self.nearest(category, |f| f.co2e_per_piece)
    }

    /// Second-hand reference value of one piece, in euros.
    pub fn eur_per_piece(&self, category: &str) -> Option<f64> {
        self.nearest(category, |f| f.eur_per_piece)
    }

    /// kg CO2e avoided by reusing goods of `category` weighing `kg`, or counted in `pieces`:
    /// per piece when the category has a per-piece factor (devices), otherwise per kg.
    pub fn co2e_kg(&self, category: &str, pieces: Option<f64>, kg: Option<f64>) -> Option<f64> {
        pieces
            .zip(self.co2e_per_piece(category))
            .map(|(pieces, f)| pieces * f)
            .or_else(|| kg.zip(self.co2e_per_kg(category)).map(|(kg, f)| kg * f))
    }

    /// Estimated euros saved by goods of `category` weighing `kg`, or counted in `pieces`,
    /// whose value nobody declared: a piece's second-hand reference value when the category
    /// has one, otherwise the disposal floor ([`DISPOSAL_FLOOR_CENTS_PER_KG`]).
    pub fn estimated_eur(
        &self,
        category: &str,
        pieces: Option<f64>,
        kg: Option<f64>,
    ) -> Option<f64> {
        pieces
            .zip(self.eur_per_piece(category))
            .map(|(pieces, f)| pieces * f)
            .or_else(|| kg.map(|kg| kg * DISPOSAL_FLOOR_CENTS_PER_KG / 100.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_parses_and_names_known_categories() {
        let factors = impact_factors();
        assert_eq!(factors.kg_per_piece("packaging/pallets"), Some(25.0));
        // Sub-categories state their own factor or take their parent's.
        assert_eq!(factors.co2e_per_kg("packaging/cardboard"), Some(0.390));
        assert_eq!(factors.co2e_per_kg("packaging/pallets"), Some(0.700));
        assert_eq!(factors.co2e_per_kg("metals/ferrous"), Some(2.211));
        assert_eq!(factors.co2e_per_kg("metals/non-ferrous"), Some(7.803));
        assert_eq!(factors.co2e_per_kg("spaces/storage"), None);
        assert_eq!(factors.co2e_per_kg("hygiene-safety/ppe"), None);
        assert_eq!(
            factors.co2e_per_piece("it-electronics/computers"),
            Some(156.0)
        );
        assert_eq!(factors.eur_per_piece("packaging/pallets"), Some(10.0));
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
            let error = ImpactFactors::parse(line).err().unwrap_or_default();
            assert!(error.contains(why), "{line:?}: {error}");
        }
    }
}
