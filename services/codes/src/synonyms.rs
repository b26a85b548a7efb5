//! The synonym groups of `data/synonyms.tsv` (trade names, abbreviations, everyday words and
//! the English of the literature for one thing), found in a text already cut into stems.
//!
//! Each service stems with its own stop words, so the parser takes the stemming function: a
//! variant is then compared in the very stems the service's texts are made of.

use std::collections::HashMap;

/// A variant as stems, the concept it stands for, and the broader concept if any.
type Variant = (Vec<String>, String, Option<String>);

/// Where a synonym variant was found in a sequence of stems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Index of the variant's first stem.
    pub start: usize,
    /// Number of stems of the variant.
    pub len: usize,
    /// The concept the variant stands for (its stems joined by `_`).
    pub concept: String,
    /// A broader concept it also stands for (a palox is a kind of pallet).
    pub broader: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    /// First stem → variants starting with it, longest first.
    variants: HashMap<String, Vec<Variant>>,
}

impl Synonyms {
    /// The synonym file shipped with the code.
    pub fn bundled(stems: impl Fn(&str) -> Vec<String>) -> Self {
        Self::parse(crate::SYNONYMS, stems)
            .expect("the shipped synonym file parses (checked by a unit test)")
    }

    /// Parses lines `concept<TAB>variant|variant|…[<TAB>broader]`; `#` starts a comment.
    pub fn parse(text: &str, stems: impl Fn(&str) -> Vec<String>) -> Result<Self, String> {
        let concept_token = |name: &str| stems(name).join("_");
        let mut variants = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() < 2 {
                return Err(format!(
                    "synonyms line {}: expected concept and variants",
                    number + 1
                ));
            }
            let concept = concept_token(fields[0]);
            let broader = fields
                .get(2)
                .map(|b| concept_token(b))
                .filter(|b| !b.is_empty());
            for variant in fields[1].split('|').chain(std::iter::once(fields[0])) {
                let sequence = stems(variant);
                if !sequence.is_empty() {
                    variants.push((sequence, concept.clone(), broader.clone()));
                }
            }
        }
        // Longest first; for one sequence, the first group of the file wins (stable sort).
        variants.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        variants.dedup_by(|a, b| a.0 == b.0);
        let mut by_first: HashMap<String, Vec<Variant>> = HashMap::new();
        for variant in variants {
            by_first
                .entry(variant.0[0].clone())
                .or_default()
                .push(variant);
        }
        Ok(Self { variants: by_first })
    }

    /// The variants found in `stems`, left to right, the longest at each place, not overlapping.
    pub fn spans(&self, stems: &[String]) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut index = 0;
        'outer: while index < stems.len() {
            let candidates = self
                .variants
                .get(&stems[index])
                .map_or(&[][..], Vec::as_slice);
            for (sequence, concept, broader) in candidates {
                if stems[index..].starts_with(sequence) {
                    spans.push(Span {
                        start: index,
                        len: sequence.len(),
                        concept: concept.clone(),
                        broader: broader.clone(),
                    });
                    index += sequence.len();
                    continue 'outer;
                }
            }
            index += 1;
        }
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        crate::french::words(text)
            .iter()
            .filter(|w| !["de", "d", "l"].contains(&w.as_str()))
            .map(|w| crate::french::stem(w))
            .collect()
    }

    #[test]
    fn the_shipped_file_parses_and_finds_the_longest_variant() {
        let synonyms = Synonyms::parse(crate::SYNONYMS, stems).unwrap();
        let text = stems("Palox et chutes de bois, IBC");
        let spans = synonyms.spans(&text);
        let found: Vec<(&str, Option<&str>)> = spans
            .iter()
            .map(|s| (s.concept.as_str(), s.broader.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                ("caiss_palett", Some("palett")),
                ("chut_bois", Some("bois")),
                ("grv", Some("emballag")),
            ]
        );
        assert_eq!((spans[1].start, spans[1].len), (2, 2));
        assert!(Synonyms::parse("lonely", stems).is_err());
    }
}
