//! European Waste Catalogue (EWC / code déchet) entries, from `data/ewc-codes.csv` (the
//! six-digit `entry` rows), parsed once. Members may write a code as `150101`, `15 01 01` or
//! with the hazardous-waste asterisk (`16 02 13*`); it is stored as six digits.

use std::collections::HashSet;
use std::sync::LazyLock;

use synergies_platform::error::FieldError;

static ENTRIES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../data/ewc-codes.csv")
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split(',');
            let code = fields.next()?;
            (fields.next()? == "entry").then(|| code.to_owned())
        })
        .collect()
});

/// The six-digit code of a known EWC entry.
pub fn validate(code: &str) -> Result<String, FieldError> {
    let digits: String = code
        .trim()
        .trim_end_matches('*')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if ENTRIES.contains(&digits) {
        Ok(digits)
    } else {
        Err(FieldError::new(
            "ewc_code",
            "must be a six-digit code of the European Waste Catalogue, such as 15 01 01",
            "doit être un code à six chiffres de la nomenclature européenne des déchets, tel que 15 01 01",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_accepted_in_every_usual_spelling() {
        assert_eq!(validate("150101").unwrap(), "150101");
        assert_eq!(validate("15 01 01").unwrap(), "150101");
        assert_eq!(validate("150103*").unwrap(), "150103");
    }

    #[test]
    fn chapters_and_unknown_codes_are_refused() {
        assert_eq!(validate("1501").unwrap_err().field, "ewc_code");
        assert!(validate("999999").is_err());
        assert!(validate("abc").is_err());
    }
}
