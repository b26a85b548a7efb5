//! Exact decimal quantities: a flow's quantity, its yearly figure and its yearly cost are
//! written and read as decimal text ("12.5"), kept as an integer count of millionths so that
//! normalising 0.1 t a week to a year gives exactly 5.2 t, not 5.200000000000001.

use serde::{Deserialize, Serialize};
use synergies_platform::error::FieldError;

/// Millionths per unit.
const SCALE: i128 = 1_000_000;
/// Digits before the decimal point: a trillion tonnes a year is no flow of this world.
const MAX_INTEGER_DIGITS: usize = 12;
const MAX_FRACTION_DIGITS: usize = 6;

/// A non-negative decimal with at most six decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Decimal {
    millionths: i128,
}

impl Decimal {
    pub const ZERO: Decimal = Decimal { millionths: 0 };

    pub fn from_integer(value: i64) -> Self {
        Self {
            millionths: i128::from(value) * SCALE,
        }
    }

    /// Parses `12`, `12.5` or the French `12,5`; refuses signs, exponents and more than six
    /// decimals, naming `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, FieldError> {
        let malformed = || {
            FieldError::new(
                field,
                "must be a positive decimal number such as 12.5, with at most 6 decimals",
                "doit être un nombre décimal positif tel que 12,5, avec au plus 6 décimales",
            )
        };
        let text = text.trim();
        let (integer, fraction) = match text.split_once(['.', ',']) {
            Some((integer, fraction)) => (integer, fraction),
            None => (text, ""),
        };
        let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        if integer.is_empty()
            || !digits(integer)
            || !digits(fraction)
            || integer.len() > MAX_INTEGER_DIGITS
            || fraction.len() > MAX_FRACTION_DIGITS
            || (text.contains(['.', ',']) && fraction.is_empty())
        {
            return Err(malformed());
        }
        let integer: i128 = integer.parse().map_err(|_| malformed())?;
        let mut padded = fraction.to_owned();
        while padded.len() < MAX_FRACTION_DIGITS {
            padded.push('0');
        }
        let fraction: i128 = padded.parse().map_err(|_| malformed())?;
        Ok(Self {
            millionths: integer * SCALE + fraction,
        })
    }

    #[must_use]
    pub fn times(self, factor: i64) -> Self {
        Self {
            millionths: self.millionths * i128::from(factor),
        }
    }

    pub fn is_zero(self) -> bool {
        self.millionths == 0
    }

    /// Whole units, rounded down (for sums and charts).
    pub fn as_f64(self) -> f64 {
        self.millionths as f64 / SCALE as f64
    }
}

impl std::fmt::Display for Decimal {
    /// Shortest exact text: `12.5`, `3`, `0.000001`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let integer = self.millionths / SCALE;
        let fraction = self.millionths % SCALE;
        if fraction == 0 {
            return write!(f, "{integer}");
        }
        let fraction = format!("{fraction:06}");
        write!(f, "{integer}.{}", fraction.trim_end_matches('0'))
    }
}

impl From<Decimal> for String {
    fn from(value: Decimal) -> Self {
        value.to_string()
    }
}

impl TryFrom<String> for Decimal {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Decimal::parse("decimal", &text).map_err(|error| format!("{error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse("quantity", text).unwrap()
    }

    #[test]
    fn decimals_read_and_write_back_exactly() {
        assert_eq!(d("12.5").to_string(), "12.5");
        assert_eq!(d("12,50").to_string(), "12.5");
        assert_eq!(d("007").to_string(), "7");
        assert_eq!(d("0.000001").to_string(), "0.000001");
        assert_eq!(d("0.1").times(52).to_string(), "5.2");
    }

    #[test]
    fn malformed_quantities_name_their_field() {
        for bad in [
            "",
            "-1",
            "1e3",
            "1.",
            ".5",
            "1.2345678",
            "abc",
            "1 000",
            "1234567890123",
        ] {
            let error = Decimal::parse("quantity", bad).unwrap_err();
            assert_eq!(error.field, "quantity", "{bad:?}");
        }
    }
}
