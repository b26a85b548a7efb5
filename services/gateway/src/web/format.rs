//! How the pages write numbers, amounts, days and moments in the visitor's language. Moments
//! are shown in French time (Europe/Paris), the time of every territory so far.

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use synergies_platform::i18n::Language;

/// A decimal with `places` digits, with a decimal comma in French.
pub fn decimal(value: f64, places: usize, lang: Language) -> String {
    let text = format!("{value:.places$}");
    match lang {
        Language::Fr => text.replace('.', ","),
        Language::En => text,
    }
}

/// "3,00 €" in French, "€3.00" in English.
pub fn euros(cents: i64, lang: Language) -> String {
    let (whole, rest) = (cents / 100, (cents % 100).abs());
    match lang {
        Language::Fr => format!("{whole},{rest:02} €"),
        Language::En => format!("€{whole}.{rest:02}"),
    }
}

/// "28/11/2026 à 21:37" in French, "28 Nov 2026, 21:37" in English, in the territory's time
/// zone (the IANA database's rules: summer time and all), of an RFC 3339 time; one that cannot
/// be read is shown as it came.
pub fn moment(rfc3339: &str, lang: Language, zone: Tz) -> String {
    let Ok(at) = DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let local = at.with_timezone(&zone);
    match lang {
        Language::Fr => local.format("%d/%m/%Y à %H:%M").to_string(),
        Language::En => local.format("%-d %b %Y, %H:%M").to_string(),
    }
}

/// The zone a territory's settings name, Paris's when they name none or one the database does
/// not know (identity refuses unknown zones; an older setting may predate that check).
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Europe::Paris)
}

/// "28/11/2026" in French, "28 Nov 2026" in English, of a `YYYY-MM-DD` day; one that cannot be
/// read is shown as it came.
pub fn day(iso: &str, lang: Language) -> String {
    let Ok(day) = NaiveDate::parse_from_str(iso, "%Y-%m-%d") else {
        return iso.to_owned();
    };
    match lang {
        Language::Fr => day.format("%d/%m/%Y").to_string(),
        Language::En => day.format("%-d %b %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_written_in_the_territorys_time_in_each_language() {
        let paris = zone("Europe/Paris");
        let at = "2026-11-28T20:37:35.341264Z";
        assert_eq!(moment(at, Language::Fr, paris), "28/11/2026 à 21:37");
        assert_eq!(moment(at, Language::En, paris), "28 Nov 2026, 21:37");
        assert_eq!(
            moment("2026-07-14T10:00:00Z", Language::Fr, paris),
            "14/07/2026 à 12:00"
        );
        // Summer time starts on the last Sunday of March at 01:00 UTC, ends on October's.
        assert_eq!(
            moment("2026-03-29T00:59:00Z", Language::Fr, paris),
            "29/03/2026 à 01:59"
        );
        assert_eq!(
            moment("2026-03-29T01:00:00Z", Language::Fr, paris),
            "29/03/2026 à 03:00"
        );
        assert_eq!(
            moment("2026-10-25T00:59:00Z", Language::Fr, paris),
            "25/10/2026 à 02:59"
        );
        assert_eq!(
            moment("2026-10-25T01:00:00Z", Language::Fr, paris),
            "25/10/2026 à 02:00"
        );
        assert_eq!(moment("yesterday", Language::Fr, paris), "yesterday");
        // Another territory's zone, and an unknown one falling back to Paris.
        assert_eq!(
            moment(
                "2026-11-28T20:37:00Z",
                Language::Fr,
                zone("America/Cayenne")
            ),
            "28/11/2026 à 17:37"
        );
        assert_eq!(zone(""), chrono_tz::Europe::Paris);
        assert_eq!(zone("Mars/Olympus"), chrono_tz::Europe::Paris);
    }

    #[test]
    fn days_numbers_and_amounts_follow_the_language() {
        assert_eq!(day("2026-12-01", Language::Fr), "01/12/2026");
        assert_eq!(day("2026-12-01", Language::En), "1 Dec 2026");
        assert_eq!(decimal(0.25, 2, Language::Fr), "0,25");
        assert_eq!(euros(40_000, Language::En), "€400.00");
    }
}
