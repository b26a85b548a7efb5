//! How listing texts and queries become index terms: the words of [`crate::text`] (lowercase,
//! accents folded, stop words dropped, the shared light French stemmer of `codes::french`),
//! plus the synonym concepts of `codes::synonyms`.
//!
//! A listing is indexed under its stems and, for each synonym variant it contains, under the
//! variant's concept and broader concept: "Palox" is found by "caisse palette" and by
//! "palette". A query word (or a multi-word variant) matches either its own stems or its
//! concept; the broader concept is never asked for, so "palox" does not return every pallet.
//!
//! The stemmer is the shared one rather than a Snowball stemmer so that search and matching
//! compare words alike, and because Snowball merges words members keep apart ("carton" and
//! "cartonnage").

use std::sync::LazyLock;

use synergies_codes::french::{stem, words};
use synergies_codes::synonyms::Synonyms;

use crate::text::is_stop_word;

/// Words of at least this many letters (as typed) match with one typo.
pub const TYPO_MIN_LETTERS: usize = 5;

static SYNONYMS: LazyLock<Synonyms> = LazyLock::new(|| Synonyms::bundled(crate::text::terms));

/// The index terms of a text: its stems in order, then the concepts of the synonym variants
/// it contains (a concept equal to the stem it comes from is not repeated).
pub fn index_terms(text: &str) -> Vec<String> {
    let stems = crate::text::terms(text);
    let mut terms = stems.clone();
    for span in SYNONYMS.spans(&stems) {
        if !(span.len == 1 && stems[span.start] == span.concept) {
            terms.push(span.concept);
        }
        terms.extend(span.broader);
    }
    terms
}

/// One stem of a query and whether a typo is forgiven in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueryStem {
    pub stem: String,
    pub typo_allowed: bool,
}

/// What one query word (or a multi-word synonym variant) needs: all its stems, or its concept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueryGroup {
    pub stems: Vec<QueryStem>,
    pub concept: Option<String>,
}

/// The groups of a query, each required; duplicates dropped, sorted (the engine's sum of
/// scores is then the same whatever order the words were typed in).
pub fn query_groups(text: &str) -> Vec<QueryGroup> {
    let stems: Vec<QueryStem> = words(text)
        .into_iter()
        .filter(|w| !is_stop_word(w))
        .map(|w| QueryStem {
            typo_allowed: w.chars().count() >= TYPO_MIN_LETTERS
                && !w.chars().all(|c| c.is_ascii_digit()),
            stem: stem(&w),
        })
        .collect();
    let plain: Vec<String> = stems.iter().map(|s| s.stem.clone()).collect();
    let mut groups = Vec::new();
    let mut next = 0;
    for span in SYNONYMS.spans(&plain) {
        groups.extend(stems[next..span.start].iter().map(|s| QueryGroup {
            stems: vec![s.clone()],
            concept: None,
        }));
        let own = &stems[span.start..span.start + span.len];
        let concept = Some(span.concept).filter(|c| !(own.len() == 1 && own[0].stem == *c));
        groups.push(QueryGroup {
            stems: own.to_vec(),
            concept,
        });
        next = span.start + span.len;
    }
    groups.extend(stems[next..].iter().map(|s| QueryGroup {
        stems: vec![s.clone()],
        concept: None,
    }));
    groups.sort();
    groups.dedup();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_are_indexed_under_their_synonym_concepts() {
        let terms = index_terms("Palox en bois");
        assert_eq!(terms, ["palo", "bois", "caiss_palett", "palett"]);
        assert_eq!(index_terms("Palettes"), ["palett", "emballag"]);
    }

    #[test]
    fn a_query_word_asks_for_its_stem_or_its_concept_with_typos_in_long_words() {
        let groups = query_groups("IBC palete de bois");
        assert_eq!(
            groups,
            [
                QueryGroup {
                    stems: vec![QueryStem {
                        stem: "bois".into(),
                        typo_allowed: false
                    }],
                    concept: None,
                },
                QueryGroup {
                    stems: vec![QueryStem {
                        stem: "ibc".into(),
                        typo_allowed: false
                    }],
                    concept: Some("grv".into()),
                },
                QueryGroup {
                    stems: vec![QueryStem {
                        stem: "palet".into(),
                        typo_allowed: true
                    }],
                    concept: None,
                },
            ]
        );
        let chips = query_groups("chutes de bois");
        assert_eq!(chips.len(), 1);
        assert_eq!(chips[0].concept.as_deref(), Some("chut_bois"));
        assert!(query_groups("de la").is_empty());
    }
}
