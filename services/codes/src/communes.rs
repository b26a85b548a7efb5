//! The official list of French communes and of the intercommunalities (EPCI à fiscalité propre)
//! they belong to, shipped in the binary so that a territory is onboarded from an EPCI's SIREN
//! without the network or files beside the binary (identity onboards territories from it).
//!
//! `data/communes.tsv` and `data/epci.tsv` are derived from the npm package
//! `@etalab/decoupage-administratif` (MIT licence; INSEE's Code officiel géographique and the
//! DGCL's composition of intercommunalities) by `data/refresh-communes.sh`; their header says
//! which version. They are parsed once, on first use.

use std::collections::HashMap;
use std::sync::LazyLock;

const COMMUNES_TSV: &str = include_str!("../data/communes.tsv");
const EPCI_TSV: &str = include_str!("../data/epci.tsv");

/// A current commune (`commune-actuelle` in the COG).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialCommune {
    pub insee_code: &'static str,
    pub name: &'static str,
    /// A postal code often serves several communes, and a commune may have several.
    pub postal_codes: Vec<&'static str>,
    /// SIREN of its intercommunality; a few communes (islands) belong to none.
    pub epci: Option<&'static str>,
}

/// An intercommunality: a métropole, communauté urbaine, d'agglomération or de communes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intercommunality {
    pub siren: &'static str,
    pub name: &'static str,
    /// `CC`, `CA`, `CU`, `METRO` or `MET69` (the Métropole de Lyon).
    pub kind: &'static str,
}

struct Official {
    /// By INSEE code, as the file lists them.
    communes: Vec<OfficialCommune>,
    by_insee_code: HashMap<&'static str, usize>,
    intercommunalities: HashMap<&'static str, Intercommunality>,
}

static OFFICIAL: LazyLock<Official> = LazyLock::new(|| {
    let communes: Vec<OfficialCommune> = data_lines(COMMUNES_TSV)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let (Some(insee_code), Some(name), Some(postal_codes), Some(epci)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return None;
            };
            Some(OfficialCommune {
                insee_code,
                name,
                postal_codes: postal_codes.split(',').filter(|p| !p.is_empty()).collect(),
                epci: Some(epci).filter(|e| !e.is_empty()),
            })
        })
        .collect();
    let by_insee_code = communes
        .iter()
        .enumerate()
        .map(|(index, commune)| (commune.insee_code, index))
        .collect();
    let intercommunalities = data_lines(EPCI_TSV)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let (Some(siren), Some(name), Some(kind)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return None;
            };
            Some((siren, Intercommunality { siren, name, kind }))
        })
        .collect();
    Official {
        communes,
        by_insee_code,
        intercommunalities,
    }
});

/// Lines that carry data: neither the `#` header nor blank.
fn data_lines(file: &'static str) -> impl Iterator<Item = &'static str> {
    file.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// The current commune with this INSEE code.
pub fn commune(insee_code: &str) -> Option<&'static OfficialCommune> {
    let official = &*OFFICIAL;
    official
        .by_insee_code
        .get(insee_code.trim())
        .map(|&index| &official.communes[index])
}

/// The intercommunality with this SIREN (spaces allowed: `242 100 410`).
pub fn intercommunality(siren: &str) -> Option<Intercommunality> {
    let siren: String = siren.chars().filter(|c| !c.is_whitespace()).collect();
    OFFICIAL.intercommunalities.get(siren.as_str()).copied()
}

/// The communes of the intercommunality with this SIREN, by INSEE code (none if unknown).
pub fn communes_of(siren: &str) -> Vec<&'static OfficialCommune> {
    let Some(intercommunality) = intercommunality(siren) else {
        return Vec::new();
    };
    OFFICIAL
        .communes
        .iter()
        .filter(|c| c.epci == Some(intercommunality.siren))
        .collect()
}

/// Every current commune, by INSEE code.
pub fn all() -> &'static [OfficialCommune] {
    &OFFICIAL.communes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_shipped_files_is_read() {
        assert_eq!(all().len(), data_lines(COMMUNES_TSV).count());
        assert_eq!(
            OFFICIAL.intercommunalities.len(),
            data_lines(EPCI_TSV).count()
        );
        // France has about 35 000 communes and 1 250 intercommunalities.
        assert!((34_000..36_000).contains(&all().len()));
        assert!((1_200..1_300).contains(&OFFICIAL.intercommunalities.len()));
        assert!(
            all()
                .windows(2)
                .all(|pair| pair[0].insee_code < pair[1].insee_code),
            "sorted and unique"
        );
        assert!(
            all()
                .iter()
                .filter_map(|c| c.epci)
                .all(|siren| intercommunality(siren).is_some()),
            "every commune's intercommunality is listed"
        );
    }

    #[test]
    fn dijon_metropole_has_its_23_communes() {
        let metropole = intercommunality("242 100 410").unwrap();
        assert_eq!(metropole.name, "Dijon Métropole");
        assert_eq!(metropole.kind, "METRO");
        let communes = communes_of("242100410");
        assert_eq!(communes.len(), 23);
        let dijon = commune("21231").unwrap();
        assert!(communes.contains(&dijon));
        assert_eq!(
            (dijon.name, dijon.postal_codes.as_slice()),
            ("Dijon", &["21000"][..])
        );
        // Crimolois merged into Neuilly-Crimolois in 2019: no longer a current commune.
        assert!(commune("21213").is_none());
        assert_eq!(commune("21452").unwrap().name, "Neuilly-Crimolois");
    }

    #[test]
    fn unknown_sirens_have_no_communes() {
        assert!(intercommunality("000000000").is_none());
        assert!(communes_of("000000000").is_empty());
        assert!(communes_of("").is_empty());
    }

    #[test]
    fn a_commune_can_have_several_postal_codes() {
        let paris = commune("75056").unwrap();
        assert_eq!(paris.name, "Paris");
        assert!(paris.postal_codes.len() > 1);
        assert!(paris.postal_codes.contains(&"75001"));
    }
}
