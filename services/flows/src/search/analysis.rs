//! How flow texts and queries become index terms: the same French analysis as listing search
//! (`services/listings/src/search/analysis.rs`): lowercase, accents folded, stop words dropped,
//! the shared light stemmer of `codes::french`, the synonym concepts of `codes::synonyms`, and
//! one typo forgiven in words of 5 letters or more.
//!
//! A flow is indexed under its stems and, for each synonym variant it contains, under the
//! variant's concept and broader concept: "IBC" is found by "GRV". A query word (or a
//! multi-word variant) matches either its own stems or its concept; the broader concept is
//! never asked for, so "palox" does not return every pallet.
//!
//! This is a copy of listings' rules rather than a call into them: the flows service does not
//! depend on the listings crate, and the shared home (`synergies_codes`) is being reworked
//! meanwhile. Both copies must change together (their unit tests pin the same cases).

use std::sync::LazyLock;

use synergies_codes::french::{stem, words};
use synergies_codes::synonyms::Synonyms;

use crate::domain::Flow;

/// Words of at least this many letters (as typed) match with one typo.
pub const TYPO_MIN_LETTERS: usize = 5;

/// Words that carry no meaning for search (articles, prepositions, pronouns, auxiliaries): the
/// listings' list.
const STOP_WORDS: &[&str] = &[
    "a", "afin", "au", "aux", "avec", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du",
    "en", "est", "et", "l", "la", "le", "les", "leur", "leurs", "n", "ne", "nos", "notre", "nous",
    "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sont",
    "sur", "un", "une", "vos", "votre", "vous", "y", "the", "of", "and", "for", "to", "in",
];

static SYNONYMS: LazyLock<Synonyms> = LazyLock::new(|| Synonyms::bundled(terms));

fn is_stop_word(word: &str) -> bool {
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

/// What names a flow, weighted above the rest: its label and its organisation's name.
pub fn title_text(flow: &Flow) -> String {
    [flow.content.label.as_str(), flow.organisation.name.as_str()].join(" ")
}

/// The rest of what a flow is searched by: description, category, EWC code, quality, current
/// outlet.
pub fn body_text(flow: &Flow) -> String {
    let content = &flow.content;
    [
        content.description.as_str(),
        content.category.as_deref().unwrap_or_default(),
        content.ewc_code.as_deref().unwrap_or_default(),
        content.quality.as_str(),
        content.current_outlet.as_str(),
    ]
    .join(" ")
}

/// Everything a flow is searched by, as one text.
pub fn flow_text(flow: &Flow) -> String {
    format!("{} {}", title_text(flow), body_text(flow))
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

/// The groups of a query, each required; duplicates dropped, sorted (the sum of scores is
/// then the same whatever order the words were typed in).
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

    /// The same cases as listings' analysis: both copies analyse alike.
    #[test]
    fn texts_are_indexed_under_their_synonym_concepts_as_in_listings() {
        assert_eq!(
            index_terms("Palox en bois"),
            ["palo", "bois", "caiss_palett", "palett"]
        );
        assert_eq!(index_terms("Palettes"), ["palett", "emballag"]);
        let groups = query_groups("IBC palete de bois");
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[1].concept.as_deref(), Some("grv"));
        assert!(groups[2].stems[0].typo_allowed);
        assert!(!groups[0].stems[0].typo_allowed);
        let chips = query_groups("chutes de bois");
        assert_eq!(chips.len(), 1);
        assert_eq!(chips[0].concept.as_deref(), Some("chut_bois"));
    }
}
