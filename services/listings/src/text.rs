//! French full-text normalisation, done in Rust so that PostgreSQL and SQLite index and search
//! exactly the same terms: lowercase, no diacritics, split on anything that is not a letter or
//! a digit, stop words dropped, and a light French stemmer that folds the plural and feminine
//! endings people actually vary in listings ("palette"/"Palettes", "électroniques", "métaux").
//!
//! The stemmer is deliberately light (endings only, never the middle of a word): an aggressive
//! one (Snowball) merges words a member would not expect ("carton" and "cartonnage"), and a
//! territory's listings are few enough that recall beyond plurals is not the problem.

use std::collections::BTreeSet;

/// Weight of a term found in the title; a term of the description weighs 1.
pub const TITLE_WEIGHT: i32 = 3;
pub const DESCRIPTION_WEIGHT: i32 = 1;

pub use synergies_codes::french::{stem, words};
/// The stop words and the terms of a text are the search index's (`synergies_search`), so that
/// the SQL reference and the index analyse alike.
pub use synergies_search::analysis::{is_stop_word, terms};

/// Distinct terms of a listing with their weight: 3 when in the title, 1 when in the
/// description, 4 when in both. Sorted, so the rows written are deterministic.
pub fn weighted_terms(title: &str, description: &str) -> Vec<(String, i32)> {
    let title: BTreeSet<String> = terms(title).into_iter().collect();
    let description: BTreeSet<String> = terms(description).into_iter().collect();
    title
        .union(&description)
        .map(|term| {
            let weight = if title.contains(term) {
                TITLE_WEIGHT
            } else {
                0
            } + if description.contains(term) {
                DESCRIPTION_WEIGHT
            } else {
                0
            };
            (term.clone(), weight)
        })
        .collect()
}

/// The distinct terms of a query, sorted.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut terms = terms(query);
    terms.sort();
    terms.dedup();
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_plurals_do_not_matter() {
        for (a, b) in [
            ("palette", "Palettes"),
            ("electronique", "électroniques"),
            ("carton", "cartons"),
            ("métal", "MÉTAUX"),
            ("bureau", "bureaux"),
            ("usagé", "usagées"),
            ("caisse", "caisses"),
        ] {
            assert_eq!(query_terms(a), query_terms(b), "{a} / {b}");
        }
        assert_ne!(query_terms("carton"), query_terms("cartouche"));
    }

    #[test]
    fn stop_words_and_punctuation_are_dropped() {
        assert_eq!(
            terms("Lot de 40 palettes (Europe) — l'entrepôt"),
            ["lot", "40", "palett", "europ", "entrepot"]
        );
        assert!(terms("de la et les").is_empty());
    }

    #[test]
    fn title_terms_weigh_more_than_description_terms() {
        let weights = weighted_terms("Palettes Europe", "Des palettes et des caisses");
        assert_eq!(
            weights,
            vec![
                ("caiss".to_owned(), DESCRIPTION_WEIGHT),
                ("europ".to_owned(), TITLE_WEIGHT),
                ("palett".to_owned(), TITLE_WEIGHT + DESCRIPTION_WEIGHT),
            ]
        );
    }
}
