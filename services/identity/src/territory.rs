//! Territories of the demo tenants: which communes each covers, taken from the official list of
//! communes and intercommunalities shipped with the code (see [`synergies_codes::communes`]).
//!
//! Dijon Métropole is the intercommunality SIREN 242100410: 23 communes since 28 February 2019,
//! when Crimolois and Neuilly-lès-Dijon merged into Neuilly-Crimolois.
//!
//! Centres are the commune coordinates given by La Poste's base of postal codes (2022 export),
//! rounded to 4 decimals (about 10 m): good enough to centre a map, not to geocode.

use synergies_codes::communes::{self, OfficialCommune};

/// Which communes a demo territory covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Communes {
    /// Every commune of the intercommunality with this SIREN.
    Intercommunality(&'static str),
    /// These communes, by INSEE code.
    Listed(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TerritorySeed {
    pub slug: &'static str,
    pub display_name: &'static str,
    pub communes: Communes,
    /// Latitude, longitude (WGS 84).
    pub centre: (f64, f64),
}

impl TerritorySeed {
    /// The territory's communes, by INSEE code; postal codes do not identify communes, as
    /// several communes share one and a commune may have several.
    pub fn communes(&self) -> Vec<&'static OfficialCommune> {
        match self.communes {
            Communes::Intercommunality(siren) => communes::communes_of(siren),
            Communes::Listed(codes) => codes.iter().filter_map(|c| communes::commune(c)).collect(),
        }
    }
}

pub const DIJON_METROPOLE: TerritorySeed = TerritorySeed {
    slug: "dijon-metropole",
    display_name: "Dijon Métropole",
    communes: Communes::Intercommunality("242100410"),
    // The commune of Dijon.
    centre: (47.3229, 5.0379),
};

/// A second tenant for isolation tests: a DEMO SUBSET of 5 of the 55 communes of the
/// Communauté de communes de Gevrey-Chambertin et de Nuits-Saint-Georges (SIREN 200070894; the
/// wine villages from Gevrey-Chambertin to Nuits-Saint-Georges), not the real territory of any
/// tenant.
pub const GEVREY_NUITS_DEMO: TerritorySeed = TerritorySeed {
    slug: "gevrey-nuits-demo",
    display_name: "Gevrey-Chambertin et Nuits-Saint-Georges (demo subset)",
    communes: Communes::Listed(&["21295", "21442", "21716", "21714", "21464"]),
    // Vougeot, midway between Gevrey-Chambertin and Nuits-Saint-Georges.
    centre: (47.1743, 4.9599),
};

pub fn commune_by_insee(
    seed: &TerritorySeed,
    insee_code: &str,
) -> Option<&'static OfficialCommune> {
    let insee_code = insee_code.trim();
    seed.communes()
        .into_iter()
        .find(|c| c.insee_code == insee_code)
}

pub fn is_in_territory(seed: &TerritorySeed, insee_code: &str) -> bool {
    commune_by_insee(seed, insee_code).is_some()
}

/// Every commune of the territory served by `postal_code`: one postal code often covers several.
pub fn communes_for_postal_code(
    seed: &TerritorySeed,
    postal_code: &str,
) -> Vec<&'static OfficialCommune> {
    let postal_code = postal_code.trim();
    seed.communes()
        .into_iter()
        .filter(|c| c.postal_codes.contains(&postal_code))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::validate_slug;

    const SEEDS: [TerritorySeed; 2] = [DIJON_METROPOLE, GEVREY_NUITS_DEMO];

    fn is_cote_d_or_code(code: &str) -> bool {
        code.len() == 5 && code.starts_with("21") && code.bytes().all(|b| b.is_ascii_digit())
    }

    #[test]
    fn dijon_metropole_has_its_23_communes() {
        assert_eq!(DIJON_METROPOLE.communes().len(), 23);
        let dijon = commune_by_insee(&DIJON_METROPOLE, "21231").unwrap();
        assert_eq!(dijon.name, "Dijon");
        assert_eq!(dijon.postal_codes, ["21000"]);
    }

    #[test]
    fn crimolois_is_now_part_of_neuilly_crimolois() {
        let merged = commune_by_insee(&DIJON_METROPOLE, "21452").unwrap();
        assert_eq!(merged.name, "Neuilly-Crimolois");
        assert!(!is_in_territory(&DIJON_METROPOLE, "21213"));
        assert!(
            DIJON_METROPOLE
                .communes()
                .iter()
                .all(|c| !c.name.starts_with("Crimolois"))
        );
    }

    #[test]
    fn codes_are_unique_well_formed_and_in_cote_d_or() {
        for seed in SEEDS {
            let communes = seed.communes();
            assert!(
                communes.len() >= 5,
                "{}: every listed code is known",
                seed.slug
            );
            let codes: HashSet<_> = communes.iter().map(|c| c.insee_code).collect();
            assert_eq!(codes.len(), communes.len(), "{}", seed.slug);
            for commune in communes {
                assert!(is_cote_d_or_code(commune.insee_code), "{commune:?}");
                assert!(!commune.postal_codes.is_empty(), "{commune:?}");
                assert!(
                    commune.postal_codes.iter().all(|p| is_cote_d_or_code(p)),
                    "{commune:?}"
                );
            }
        }
    }

    #[test]
    fn the_demo_subset_lists_five_real_communes_of_its_intercommunality() {
        let communes = GEVREY_NUITS_DEMO.communes();
        assert_eq!(communes.len(), 5);
        assert!(communes.iter().all(|c| c.epci == Some("200070894")));
    }

    #[test]
    fn the_two_tenants_share_no_commune() {
        assert!(
            GEVREY_NUITS_DEMO
                .communes()
                .iter()
                .all(|c| !is_in_territory(&DIJON_METROPOLE, c.insee_code))
        );
        assert!(!is_in_territory(&GEVREY_NUITS_DEMO, "21231"));
    }

    #[test]
    fn slugs_are_valid_tenant_slugs() {
        for seed in SEEDS {
            assert!(validate_slug(seed.slug).is_ok(), "{}", seed.slug);
        }
        assert_ne!(DIJON_METROPOLE.slug, GEVREY_NUITS_DEMO.slug);
    }

    #[test]
    fn a_postal_code_can_serve_several_communes() {
        let names = |postal: &str| -> Vec<&'static str> {
            communes_for_postal_code(&DIJON_METROPOLE, postal)
                .iter()
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(
            names("21121"),
            ["Ahuy", "Daix", "Fontaine-lès-Dijon", "Hauteville-lès-Dijon"]
        );
        assert_eq!(
            names("21800"),
            [
                "Chevigny-Saint-Sauveur",
                "Neuilly-Crimolois",
                "Quetigny",
                "Sennecey-lès-Dijon"
            ]
        );
        assert_eq!(names(" 21000 "), ["Dijon"]);
        assert!(names("21700").is_empty());
        assert_eq!(
            communes_for_postal_code(&GEVREY_NUITS_DEMO, "21700").len(),
            2
        );
    }

    #[test]
    fn lookups_ignore_surrounding_spaces_only() {
        assert!(is_in_territory(&DIJON_METROPOLE, " 21231 "));
        assert!(!is_in_territory(&DIJON_METROPOLE, "21 231"));
        assert!(!is_in_territory(&DIJON_METROPOLE, ""));
    }

    #[test]
    fn centres_lie_in_cote_d_or() {
        for seed in SEEDS {
            let (lat, lon) = seed.centre;
            assert!((46.9..=48.1).contains(&lat), "{}", seed.slug);
            assert!((4.0..=5.6).contains(&lon), "{}", seed.slug);
        }
    }
}
