//! Territories onboarded from the official list of communes and intercommunalities
//! ([`synergies_codes::communes`], shipped in the `codes` crate): identity's rules on it.

use synergies_codes::communes::{Intercommunality, OfficialCommune, communes_of, intercommunality};
use synergies_platform::error::FieldError;

use crate::domain::TerritoryCommune;

/// An intercommunality and its communes, to onboard it as a territory; a SIREN that is not one
/// of an intercommunality is refused on the field `epci`.
pub fn territory_of(siren: &str) -> Result<(Intercommunality, Vec<TerritoryCommune>), FieldError> {
    let digits: String = siren.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            "epci",
            "must be the 9-digit SIREN of an intercommunality, e.g. 242100410 for Dijon Métropole",
            "doit être le SIREN à 9 chiffres d'une intercommunalité, par exemple 242100410 pour Dijon Métropole",
        ));
    }
    let Some(intercommunality) = intercommunality(&digits) else {
        return Err(FieldError::new(
            "epci",
            format!("no intercommunality has the SIREN {digits} in the official list"),
            format!("aucune intercommunalité n'a le SIREN {digits} dans la liste officielle"),
        ));
    };
    let communes = communes_of(&digits)
        .into_iter()
        .map(TerritoryCommune::from)
        .collect();
    Ok((intercommunality, communes))
}

impl From<&OfficialCommune> for TerritoryCommune {
    fn from(commune: &OfficialCommune) -> Self {
        Self {
            insee_code: commune.insee_code.to_owned(),
            name: commune.name.to_owned(),
            postal_codes: commune.postal_codes.iter().map(|&p| p.to_owned()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_territory_is_onboarded_from_a_known_siren_only() {
        let (epci, communes) = territory_of("200070894").unwrap();
        assert_eq!(
            epci.name,
            "CC de Gevrey-Chambertin et de Nuits-Saint-Georges"
        );
        assert_eq!(communes.len(), 55);
        assert!(
            communes
                .iter()
                .any(|c| c.name == "Vougeot" && c.postal_codes == ["21640"])
        );
        assert_eq!(territory_of("24210041").unwrap_err().field, "epci");
        let unknown = territory_of("212102313").unwrap_err();
        assert!(
            unknown.rule.en.contains("no intercommunality"),
            "{unknown:?}"
        );
    }
}
