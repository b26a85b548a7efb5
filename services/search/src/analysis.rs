//! How texts and queries become index terms: lowercase, accents folded, split on anything
//! that is not a letter or a digit, stop words dropped, the shared light French stemmer of
//! `codes::french`, plus the synonym concepts of `codes::synonyms`.
//!
//! A text is indexed under its stems and, for each synonym variant it contains, under the
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
use tantivy::tokenizer::{PreTokenizedString, Token};

/// Words of at least this many letters (as typed) match with one typo.
pub const TYPO_MIN_LETTERS: usize = 5;

/// Words that carry no meaning for search (articles, prepositions, pronouns, auxiliaries).
const STOP_WORDS: &[&str] = &[
    "a", "afin", "au", "aux", "avec", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du",
    "en", "est", "et", "l", "la", "le", "les", "leur", "leurs", "n", "ne", "nos", "notre", "nous",
    "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sont",
    "sur", "un", "une", "vos", "votre", "vous", "y", "the", "of", "and", "for", "to", "in",
];

static SYNONYMS: LazyLock<Synonyms> = LazyLock::new(|| Synonyms::bundled(terms));

/// Whether `word` (lowercase, folded) carries no meaning for search.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// The stems of `text`, in order (repeats kept), stop words dropped.
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|word| !is_stop_word(word))
        .map(|word| stem(&word))
        .collect()
}

/// The index terms of a text: its stems in order, then the concepts of the synonym variants
/// it contains (a concept equal to the stem it comes from is not repeated).
pub fn index_terms(text: &str) -> Vec<String> {
    let stems = terms(text);
    let mut indexed = stems.clone();
    for span in SYNONYMS.spans(&stems) {
        if !(span.len == 1 && stems[span.start] == span.concept) {
            indexed.push(span.concept);
        }
        indexed.extend(span.broader);
    }
    indexed
}

/// A text as the index takes it: its [`index_terms`], one position each (the engine's own
/// tokenizers are not used, so that indexing and queries share this analysis exactly).
pub fn pre_tokenized(text: &str) -> PreTokenizedString {
    let tokens = index_terms(text)
        .into_iter()
        .enumerate()
        .map(|(position, text)| Token {
            offset_from: 0,
            offset_to: 0,
            position,
            text,
            position_length: 1,
        })
        .collect();
    PreTokenizedString {
        text: String::new(),
        tokens,
    }
}

/// The version written with an index: the schema's and a fingerprint of the synonym file
/// (FNV-1a, stable across builds), since the synonyms decide the terms indexed.
pub fn index_version(schema_version: &str) -> String {
    let fingerprint = synergies_codes::SYNONYMS
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{schema_version}+synonyms-{fingerprint:016x}")
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
    let single = |s: &QueryStem| QueryGroup {
        stems: vec![s.clone()],
        concept: None,
    };
    let mut groups = Vec::new();
    let mut next = 0;
    for span in SYNONYMS.spans(&plain) {
        groups.extend(stems[next..span.start].iter().map(single));
        let own = &stems[span.start..span.start + span.len];
        let concept = Some(span.concept).filter(|c| !(own.len() == 1 && own[0].stem == *c));
        groups.push(QueryGroup {
            stems: own.to_vec(),
            concept,
        });
        next = span.start + span.len;
    }
    groups.extend(stems[next..].iter().map(single));
    groups.sort();
    groups.dedup();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_plurals_and_stop_words_do_not_matter() {
        assert_eq!(
            terms("Huiles de VIDANGE usagées"),
            terms("huile vidange usagee")
        );
        assert!(terms("de la").is_empty());
        assert!(query_groups("de la").is_empty());
    }

    #[test]
    fn texts_are_indexed_under_their_synonym_concepts() {
        let terms = index_terms("Palox en bois");
        assert_eq!(terms, ["palo", "bois", "caiss_palett", "palett"]);
        assert_eq!(index_terms("Palettes"), ["palett", "emballag"]);
        let tokens = pre_tokenized("Palox en bois").tokens;
        assert_eq!(tokens.len(), 4);
        assert_eq!((tokens[3].text.as_str(), tokens[3].position), ("palett", 3));
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
    }

    #[test]
    fn the_index_version_names_the_schema_and_changes_with_it() {
        let version = index_version("listings-search-2");
        assert!(version.starts_with("listings-search-2+synonyms-"));
        assert_ne!(version, index_version("flows-search-1"));
    }
}
