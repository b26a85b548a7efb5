//! Identifiers typed by people (SIREN, SIRET, RNA, NAF) never crash validation, whatever is
//! typed, and every refusal names the field it is about; every well-formed SIRET is taken.

use proptest::prelude::*;
use synergies_identity::identifiers::{
    siren_of, validate_naf, validate_rna, validate_siren, validate_siret,
};

/// The Luhn check digit that completes `digits`.
fn luhn_completed(digits: &str) -> String {
    let sum: u32 = digits
        .chars()
        .rev()
        .enumerate()
        .map(|(position, c)| {
            let digit = c.to_digit(10).expect("digits");
            // The check digit will come last: the digits before it double from the right.
            if position % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

proptest! {
    #[test]
    fn whatever_is_typed_a_refusal_names_its_field(input in any::<String>()) {
        if let Err(error) = validate_siren(&input) {
            prop_assert_eq!(error.field, "siren");
        }
        if let Err(error) = validate_siret(&input) {
            prop_assert_eq!(error.field, "siret");
        }
        if let Err(error) = validate_rna(&input) {
            prop_assert_eq!(error.field, "rna");
        }
        if let Err(error) = validate_naf(&input) {
            prop_assert_eq!(error.field, "naf");
        }
    }

    #[test]
    fn digits_and_spaces_never_crash_siret_validation(input in "[0-9 ]{0,20}") {
        if let Err(error) = validate_siret(&input) {
            prop_assert_eq!(error.field, "siret");
            prop_assert!(!error.rule.fr.is_empty());
        }
    }

    #[test]
    fn a_well_formed_siret_is_taken_however_it_is_spaced(
        siren_digits in "[1-9][0-9]{7}",
        establishment in "[0-9]{4}",
    ) {
        let siren = luhn_completed(&siren_digits);
        let siret = luhn_completed(&format!("{siren}{establishment}"));
        let spaced = format!("{} {} {} {}", &siret[..3], &siret[3..6], &siret[6..9], &siret[9..]);
        let taken = validate_siret(&spaced).expect("a well-formed SIRET");
        prop_assert_eq!(taken.as_str(), siret.as_str());
        let taken_siren = siren_of(&taken);
        prop_assert_eq!(taken_siren.as_str(), siren.as_str());
    }
}
