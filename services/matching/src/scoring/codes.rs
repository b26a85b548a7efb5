//! The two code lists the scorer reads: NACE activities (French NAF codes are NACE classes plus
//! a letter) and European List of Waste entries (six digits, `*` when hazardous).

/// The NACE codes of an activity as digits only: "24.10Z" → `2410`; "1102;0126" → both;
/// markers and letters dropped. A code may be a division ("01"), a group ("231") or a class.
pub fn nace_codes(text: &str) -> Vec<String> {
    text.split([';', ',', '/'])
        .map(|part| {
            let part = part.trim();
            // A NAF code ends with a letter ("24.10Z"); the digits before it are the NACE class.
            part.chars()
                .filter(char::is_ascii_digit)
                .take(4)
                .collect::<String>()
        })
        .filter(|code| code.len() >= 2)
        .collect()
}

/// How close two activities are, from the longest common prefix of their codes: the same
/// class 1, the same group 0.8, the same division 0.6, otherwise 0.
pub fn nace_closeness(a: &[String], b: &[String]) -> f64 {
    let mut best: f64 = 0.0;
    for x in a {
        for y in b {
            let common = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
            let value = match common {
                4.. => 1.0,
                3 => 0.8,
                2 => 0.6,
                _ => 0.0,
            };
            best = best.max(value);
        }
    }
    best
}

/// A European List of Waste entry as the scorer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasteCode {
    /// Six digits, "100202".
    pub code: String,
    /// Marked with `*` in the list: hazardous waste.
    pub hazardous: bool,
}

impl WasteCode {
    /// The first code of a text such as "10 02 02", "130205*", "150103;150104"; None when there
    /// are not six digits.
    pub fn parse(text: &str) -> Option<Self> {
        let first = text.split([';', ',']).next()?.trim();
        let digits: String = first.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 6 {
            return None;
        }
        Some(Self {
            code: digits,
            hazardous: first.contains('*'),
        })
    }

    /// The chapter, "10".
    pub fn chapter(&self) -> &str {
        &self.code[..2]
    }

    /// The sub-chapter, "1002".
    pub fn sub_chapter(&self) -> &str {
        &self.code[..4]
    }

    /// The code as the list prints it: "10 02 02*".
    pub fn display(&self) -> String {
        format!(
            "{} {} {}{}",
            &self.code[..2],
            &self.code[2..4],
            &self.code[4..],
            if self.hazardous { "*" } else { "" }
        )
    }

    /// How close two entries are: the same entry 1, the same sub-chapter 0.75, the same
    /// chapter 0.4 (chapters are broad: chapter 10 holds both slag and flue-gas sludge).
    pub fn closeness(&self, other: &WasteCode) -> f64 {
        if self.code == other.code {
            1.0
        } else if MIXED_SUB_CHAPTERS.contains(&self.sub_chapter()) {
            // Entries grouped by how they are collected, not by what they are: paper and
            // kitchen waste are both 20 01, cardboard and wooden packaging both 15 01.
            if self.sub_chapter() == other.sub_chapter() {
                0.15
            } else {
                0.0
            }
        } else if self.sub_chapter() == other.sub_chapter() {
            0.75
        } else if self.chapter() == other.chapter() {
            0.4
        } else {
            0.0
        }
    }
}

/// EWC sub-chapters that gather different materials by their collection channel: packaging
/// (15 01), construction wood, glass and plastic (17 02), sorting outputs (19 12), separately
/// collected municipal fractions (20 01).
const MIXED_SUB_CHAPTERS: [&str; 4] = ["1501", "1702", "1912", "2001"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naf_and_maestri_spellings_read_as_nace_digits() {
        assert_eq!(nace_codes("24.10Z"), vec!["2410"]);
        assert_eq!(nace_codes("1102;0126"), vec!["1102", "0126"]);
        assert_eq!(nace_codes("3811*"), vec!["3811"]);
        assert_eq!(nace_codes(""), Vec::<String>::new());
    }

    #[test]
    fn activities_are_close_by_their_common_prefix() {
        let steel = nace_codes("2410");
        assert!((nace_closeness(&steel, &nace_codes("24.10Z")) - 1.0).abs() < 1e-9);
        assert!((nace_closeness(&steel, &nace_codes("2420")) - 0.6).abs() < 1e-9);
        assert!((nace_closeness(&steel, &nace_codes("2411")) - 0.8).abs() < 1e-9);
        assert!(nace_closeness(&nace_codes("231"), &nace_codes("2351")) > 0.5);
        assert!(nace_closeness(&steel, &nace_codes("0113")).abs() < 1e-9);
    }

    #[test]
    fn waste_codes_read_with_their_hazard_marker() {
        let oil = WasteCode::parse("13 02 05*").expect("a code");
        assert_eq!(oil.code, "130205");
        assert!(oil.hazardous);
        assert_eq!(oil.display(), "13 02 05*");
        let slag = WasteCode::parse("100202").expect("a code");
        assert!(!slag.hazardous);
        assert!((slag.closeness(&WasteCode::parse("100210").expect("a code")) - 0.75).abs() < 1e-9);
        assert_eq!(WasteCode::parse("1002"), None);
    }
}
