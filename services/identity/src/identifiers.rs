//! French organisation identifiers: SIREN (legal unit), SIRET (establishment), RNA
//! (association) and NAF/APE activity codes.
//!
//! Each `validate_*` function takes what a person typed, strips the spaces people copy from
//! documents (including non-breaking ones), checks the format and the checksum, and returns the
//! identifier in its canonical form. The rule of a refusal says what is expected, because it is
//! shown to the person who typed the value.

use std::fmt;

use synergies_codes::nace;
use synergies_platform::error::FieldError;

/// La Poste groups all its establishments under one SIREN; their SIRETs follow their own rule.
const LA_POSTE_SIREN: &str = "356000000";

/// La Poste's head office is the one La Poste SIRET that follows Luhn instead of the La Poste
/// rule (its digits sum to 26), so it must be accepted explicitly.
const LA_POSTE_HEAD_OFFICE_SIRET: &str = "35600000000048";

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// A SIREN: 9 digits whose Luhn checksum holds.
    Siren
);
identifier!(
    /// A SIRET: 14 digits, the SIREN followed by the establishment's NIC.
    Siret
);
identifier!(
    /// An RNA number: `W` followed by 9 digits.
    Rna
);

/// A NAF/APE code of a NACE Rev. 2 class, in the form `18.12Z`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NafCode {
    code: String,
    description: &'static str,
}

impl NafCode {
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The NACE class the code refines, e.g. `18.12` for `18.12Z`.
    pub fn nace_class(&self) -> &str {
        self.code.get(..5).unwrap_or(&self.code)
    }

    /// The class's activity in English, e.g. "Other printing".
    pub fn description(&self) -> &'static str {
        self.description
    }
}

impl fmt::Display for NafCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

pub fn validate_siren(input: &str) -> Result<Siren, FieldError> {
    let siren = without_spaces(input);
    if !is_digits(&siren, 9) {
        return Err(FieldError::new(
            "siren",
            "must be 9 digits (spaces allowed), e.g. 732 829 320",
            "doit compter 9 chiffres (espaces permises), par exemple 732 829 320",
        ));
    }
    if !luhn_holds(&siren) {
        return Err(FieldError::new(
            "siren",
            "this SIREN looks mistyped: check its 9 digits against a Kbis extract or an invoice",
            "le numéro SIREN semble mal recopié : vérifiez ses 9 chiffres sur un extrait Kbis ou une facture",
        ));
    }
    Ok(Siren(siren))
}

pub fn validate_siret(input: &str) -> Result<Siret, FieldError> {
    let siret = without_spaces(input);
    if !is_digits(&siret, 14) {
        return Err(FieldError::new(
            "siret",
            "must be 14 digits (spaces allowed), e.g. 732 829 320 00074",
            "doit compter 14 chiffres (espaces permises), par exemple 732 829 320 00074",
        ));
    }
    if siret.starts_with(LA_POSTE_SIREN) {
        return la_poste_siret(siret);
    }
    if !luhn_holds(&siret) {
        return Err(FieldError::new(
            "siret",
            "this SIRET looks mistyped: check its 14 digits against a Kbis extract or an invoice",
            "le numéro SIRET semble mal recopié : vérifiez ses 14 chiffres sur un extrait Kbis ou une facture",
        ));
    }
    Ok(Siret(siret))
}

/// La Poste's establishments are too many for Luhn check digits: the sum of their 14 digits is
/// a multiple of 5 instead, except for the head office (French Wikipedia, "Système
/// d'identification du répertoire des établissements", section on La Poste).
fn la_poste_siret(siret: String) -> Result<Siret, FieldError> {
    if siret == LA_POSTE_HEAD_OFFICE_SIRET || digit_sum(&siret).is_multiple_of(5) {
        Ok(Siret(siret))
    } else {
        Err(FieldError::new(
            "siret",
            "this La Poste SIRET looks mistyped: check its 14 digits",
            "ce SIRET de La Poste semble mal recopié : vérifiez ses 14 chiffres",
        ))
    }
}

/// The SIREN of the legal unit an establishment belongs to: the first 9 digits of its SIRET.
pub fn siren_of(siret: &Siret) -> Siren {
    Siren(siret.0.get(..9).unwrap_or_default().to_owned())
}

pub fn validate_rna(input: &str) -> Result<Rna, FieldError> {
    let rna = without_spaces(input);
    let digits = rna.strip_prefix(['W', 'w']).unwrap_or_default();
    if !is_digits(digits, 9) {
        return Err(FieldError::new(
            "rna",
            "must be W followed by 9 digits, e.g. W212001234",
            "doit être un W suivi de 9 chiffres, par exemple W212001234",
        ));
    }
    Ok(Rna(format!("W{digits}")))
}

/// A NAF/APE code: a NACE Rev. 2 class and a letter, written `18.12Z` or `1812Z`. The letter is
/// not checked against INSEE's NAF list (the embedded data, [`synergies_codes::nace`], is NACE
/// only), the class is.
pub fn validate_naf(input: &str) -> Result<NafCode, FieldError> {
    let naf = without_spaces(input);
    let Some((class, letter)) = split_naf(&naf) else {
        return Err(FieldError::new(
            "naf",
            "must be 4 digits and a letter, e.g. 18.12Z or 1812Z",
            "doit compter 4 chiffres et une lettre, par exemple 18.12Z ou 1812Z",
        ));
    };
    let Some(description) = nace::class_description(&class) else {
        return Err(FieldError::new(
            "naf",
            format!("must name a NACE Rev. 2 class, and {class} is not one"),
            format!("doit désigner une classe de la NACE rév. 2, ce que {class} n'est pas"),
        ));
    };
    Ok(NafCode {
        code: format!("{class}{letter}"),
        description,
    })
}

/// Splits `18.12Z` or `1812Z` into the class `18.12` and the upper-cased letter.
fn split_naf(naf: &str) -> Option<(String, char)> {
    let (digits, letter) = match naf.as_bytes() {
        [a, b, b'.', c, d, letter] | [a, b, c, d, letter] => ([*a, *b, *c, *d], *letter),
        _ => return None,
    };
    if !digits.iter().all(u8::is_ascii_digit) || !letter.is_ascii_alphabetic() {
        return None;
    }
    let [a, b, c, d] = digits.map(char::from);
    Some((
        format!("{a}{b}.{c}{d}"),
        char::from(letter.to_ascii_uppercase()),
    ))
}

/// Every kind of space goes: numbers are printed grouped, often with non-breaking spaces.
fn without_spaces(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

fn digit_values(value: &str) -> impl DoubleEndedIterator<Item = u32> {
    value.chars().filter_map(|c| c.to_digit(10))
}

fn digit_sum(value: &str) -> u32 {
    digit_values(value).sum()
}

/// Luhn: from the right, every second digit is doubled (minus 9 past 9); the total must end in 0.
fn luhn_holds(value: &str) -> bool {
    let total: u32 = digit_values(value)
        .rev()
        .enumerate()
        .map(|(position, digit)| match (position % 2, digit * 2) {
            (0, _) => digit,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .sum();
    total.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every number below was checked by computing its Luhn checksum and digit sum, not copied.

    #[test]
    fn sirens_pass_luhn_and_lose_their_spaces() {
        // 732829320: INSEE's documentation example; 242100410: Dijon Métropole (BANATIC);
        // 212102313: the commune of Dijon; 356000000: La Poste.
        for valid in ["732829320", "242100410", "212102313", "356000000"] {
            assert_eq!(validate_siren(valid).unwrap().as_str(), valid);
        }
        assert_eq!(
            validate_siren(" 732 829 320 ").unwrap().as_str(),
            "732829320"
        );
        assert_eq!(
            validate_siren("732\u{a0}829\u{202f}320").unwrap().as_str(),
            "732829320"
        );
    }

    #[test]
    fn sirens_with_a_wrong_check_digit_or_shape_are_refused() {
        for bad in [
            "732829321",
            "732829330",
            "73282932",
            "7328293200",
            "73282932A",
            "732-829-320",
            "७३२८२९३२०",
            "",
        ] {
            let error = validate_siren(bad).unwrap_err();
            assert_eq!(error.field, "siren", "{bad}");
        }
        assert!(
            validate_siren("732829321")
                .unwrap_err()
                .rule
                .en
                .contains("mistyped")
        );
        assert!(
            validate_siren("73282932")
                .unwrap_err()
                .rule
                .en
                .contains("9 digits")
        );
    }

    #[test]
    fn sirets_pass_luhn_over_14_digits() {
        let siret = validate_siret("732 829 320 00074").unwrap();
        assert_eq!(siret.as_str(), "73282932000074");
        assert_eq!(siren_of(&siret).as_str(), "732829320");
        for bad in [
            "73282932000075",
            "7328293200007",
            "732829320000744",
            "7328293200007A",
        ] {
            assert_eq!(validate_siret(bad).unwrap_err().field, "siret", "{bad}");
        }
    }

    #[test]
    fn the_la_poste_rule_only_applies_to_la_poste() {
        // 73282932000013: its digits sum to 40, a multiple of 5, but Luhn fails.
        assert_eq!(digit_sum("73282932000013"), 40);
        assert!(!luhn_holds("73282932000013"));
        assert!(validate_siret("73282932000013").is_err());
    }

    #[test]
    fn la_poste_sirets_sum_to_a_multiple_of_5() {
        // 35600000000015 (sum 20) and 35600000000047 (sum 25) both fail Luhn.
        for valid in ["35600000000015", "35600000000047"] {
            assert_eq!(digit_sum(valid) % 5, 0, "{valid}");
            assert!(!luhn_holds(valid), "{valid}");
            assert_eq!(validate_siret(valid).unwrap().as_str(), valid);
        }
        // 35600000000049: sum 27, Luhn fails. 35600000000014: sum 19, yet Luhn holds, which
        // does not count for La Poste.
        assert!(luhn_holds("35600000000014"));
        for bad in ["35600000000049", "35600000000014"] {
            assert_ne!(digit_sum(bad) % 5, 0, "{bad}");
            let error = validate_siret(bad).unwrap_err();
            assert!(error.rule.en.contains("mistyped"), "{bad}");
        }
    }

    #[test]
    fn la_poste_head_office_follows_luhn() {
        // Its digits sum to 26, but it is the one La Poste SIRET with a Luhn check digit.
        assert!(luhn_holds(LA_POSTE_HEAD_OFFICE_SIRET));
        assert_eq!(digit_sum(LA_POSTE_HEAD_OFFICE_SIRET), 26);
        let siret = validate_siret("356 000 000 00048").unwrap();
        assert_eq!(siren_of(&siret).as_str(), LA_POSTE_SIREN);
    }

    #[test]
    fn rna_numbers_are_w_and_9_digits() {
        assert_eq!(validate_rna("W212345678").unwrap().as_str(), "W212345678");
        assert_eq!(
            validate_rna("w 212 345 678").unwrap().as_str(),
            "W212345678"
        );
        for bad in [
            "212345678",
            "W21234567",
            "W2123456789",
            "X212345678",
            "W21234567A",
            "W",
        ] {
            assert_eq!(validate_rna(bad).unwrap_err().field, "rna", "{bad}");
        }
    }

    #[test]
    fn naf_codes_are_nace_classes_and_a_letter() {
        for input in ["18.12Z", "1812Z", "18.12z", " 18 . 12 Z "] {
            let naf = validate_naf(input).unwrap();
            assert_eq!(naf.as_str(), "18.12Z", "{input}");
            assert_eq!(naf.nace_class(), "18.12");
            assert_eq!(naf.description(), "Other printing");
        }
        assert_eq!(
            validate_naf("3832Z").unwrap().description(),
            "Recovery of sorted materials"
        );
    }

    #[test]
    fn naf_codes_of_unknown_classes_or_shapes_are_refused() {
        let unknown = validate_naf("99.99Z").unwrap_err();
        assert_eq!(unknown.field, "naf");
        assert!(unknown.rule.en.contains("99.99"));
        // 18.1 is a NACE group, not a class: the letter makes it look like one.
        for bad in [
            "18.12", "1812", "18.1Z", "1.812Z", "18.12ZZ", "18,12Z", "18.1ZZ", "",
        ] {
            assert_eq!(validate_naf(bad).unwrap_err().field, "naf", "{bad}");
        }
    }
}
