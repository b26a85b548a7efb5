//! Territories of the demo tenants: which communes a tenant covers, by INSEE code.
//!
//! Sources, checked 2026-11-28:
//! - INSEE codes and names: INSEE's Code officiel géographique (COG), `v_commune` file as
//!   committed in `sources/communes.csv` of github.com/datagouv/decoupage-administratif
//!   (release v6.0.0, March 2026; Crimolois, 21213, appears there only as a `COMD` row attached
//!   to 21452).
//! - Membership of each intercommunality: DGCL/BANATIC "composition communale des EPCI à
//!   fiscalité propre" (`sources/epcicom.xlsx` of the same repository, 2025 populations):
//!   Dijon Métropole is SIREN 242100410 with 23 members; the CC de Gevrey-Chambertin et de
//!   Nuits-Saint-Georges is SIREN 200070894 with 55 members.
//! - Postal codes: La Poste's "Base officielle des codes postaux" (laposte_hexasmal), as exported
//!   in 2022 (github.com/giloop/parrainages-communes-2022) and in 2014
//!   (github.com/BaseAdresseNationale/codes-postaux, `code_postaux_v201410.csv`); both give each
//!   commune below a single postal code, the same in both years (in 2014, before the merger,
//!   Neuilly-lès-Dijon and Crimolois were both 21800).
//! - Cross-check of the Dijon list, codes and postal codes: German Wikipedia, "Dijon Métropole",
//!   members table (fully legible for Ahuy to Hauteville-lès-Dijon), and French Wikipedia,
//!   "Neuilly-Crimolois" (code commune 21452, code postal 21800).
//!
//! Centres are the commune coordinates given by La Poste's base (2022 export), rounded to 4
//! decimals (about 10 m): good enough to centre a map, not to geocode.

/// A commune, identified by its INSEE (COG) code; postal codes do not identify communes, as
/// several communes share one and a commune may have several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commune {
    pub insee_code: &'static str,
    pub name: &'static str,
    pub postal_codes: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TerritorySeed {
    pub slug: &'static str,
    pub display_name: &'static str,
    pub communes: &'static [Commune],
    /// Latitude, longitude (WGS 84).
    pub centre: (f64, f64),
}

const fn commune(
    insee_code: &'static str,
    name: &'static str,
    postal_codes: &'static [&'static str],
) -> Commune {
    Commune {
        insee_code,
        name,
        postal_codes,
    }
}

/// Dijon Métropole as it is since 28 February 2019, when Crimolois and Neuilly-lès-Dijon merged
/// into Neuilly-Crimolois (COG `mouvements-communes`, same repository): 23 communes.
pub const DIJON_METROPOLE: TerritorySeed = TerritorySeed {
    slug: "dijon-metropole",
    display_name: "Dijon Métropole",
    communes: &[
        commune("21003", "Ahuy", &["21121"]),
        commune("21105", "Bressey-sur-Tille", &["21560"]),
        commune("21106", "Bretenière", &["21110"]),
        commune("21166", "Chenôve", &["21300"]),
        commune("21171", "Chevigny-Saint-Sauveur", &["21800"]),
        commune("21192", "Corcelles-les-Monts", &["21160"]),
        commune("21223", "Daix", &["21121"]),
        commune("21231", "Dijon", &["21000"]),
        commune("21263", "Fénay", &["21600"]),
        commune("21270", "Flavignerot", &["21160"]),
        commune("21278", "Fontaine-lès-Dijon", &["21121"]),
        commune("21315", "Hauteville-lès-Dijon", &["21121"]),
        commune("21355", "Longvic", &["21600"]),
        commune("21370", "Magny-sur-Tille", &["21110"]),
        commune("21390", "Marsannay-la-Côte", &["21160"]),
        commune("21452", "Neuilly-Crimolois", &["21800"]),
        commune("21473", "Ouges", &["21600"]),
        commune("21481", "Perrigny-lès-Dijon", &["21160"]),
        commune("21485", "Plombières-lès-Dijon", &["21370"]),
        commune("21515", "Quetigny", &["21800"]),
        commune("21540", "Saint-Apollinaire", &["21850"]),
        commune("21605", "Sennecey-lès-Dijon", &["21800"]),
        commune("21617", "Talant", &["21240"]),
    ],
    // The commune of Dijon.
    centre: (47.3229, 5.0379),
};

/// A second tenant for isolation tests: a DEMO SUBSET of 5 of the 55 communes of the
/// Communauté de communes de Gevrey-Chambertin et de Nuits-Saint-Georges (the wine villages
/// from Gevrey-Chambertin to Nuits-Saint-Georges), not the real territory of any tenant.
pub const GEVREY_NUITS_DEMO: TerritorySeed = TerritorySeed {
    slug: "gevrey-nuits-demo",
    display_name: "Gevrey-Chambertin et Nuits-Saint-Georges (demo subset)",
    communes: &[
        commune("21295", "Gevrey-Chambertin", &["21220"]),
        commune("21442", "Morey-Saint-Denis", &["21220"]),
        commune("21716", "Vougeot", &["21640"]),
        commune("21714", "Vosne-Romanée", &["21700"]),
        commune("21464", "Nuits-Saint-Georges", &["21700"]),
    ],
    // Vougeot, midway between Gevrey-Chambertin and Nuits-Saint-Georges.
    centre: (47.1743, 4.9599),
};

pub fn commune_by_insee(seed: &TerritorySeed, insee_code: &str) -> Option<&'static Commune> {
    let insee_code = insee_code.trim();
    seed.communes.iter().find(|c| c.insee_code == insee_code)
}

pub fn is_in_territory(seed: &TerritorySeed, insee_code: &str) -> bool {
    commune_by_insee(seed, insee_code).is_some()
}

/// Every commune of the territory served by `postal_code`: one postal code often covers several.
pub fn communes_for_postal_code(seed: &TerritorySeed, postal_code: &str) -> Vec<&'static Commune> {
    let postal_code = postal_code.trim();
    seed.communes
        .iter()
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
        assert_eq!(DIJON_METROPOLE.communes.len(), 23);
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
                .communes
                .iter()
                .all(|c| !c.name.starts_with("Crimolois"))
        );
    }

    #[test]
    fn codes_are_unique_well_formed_and_in_cote_d_or() {
        for seed in SEEDS {
            let codes: HashSet<_> = seed.communes.iter().map(|c| c.insee_code).collect();
            assert_eq!(codes.len(), seed.communes.len(), "{}", seed.slug);
            for commune in seed.communes {
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
    fn the_two_tenants_share_no_commune() {
        assert!(
            GEVREY_NUITS_DEMO
                .communes
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
