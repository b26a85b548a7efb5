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

/// Words that carry no meaning for search (articles, prepositions, pronouns, auxiliaries).
const STOP_WORDS: &[&str] = &[
    "a", "afin", "au", "aux", "avec", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du",
    "en", "est", "et", "l", "la", "le", "les", "leur", "leurs", "n", "ne", "nos", "notre", "nous",
    "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sont",
    "sur", "un", "une", "vos", "votre", "vous", "y", "the", "of", "and", "for", "to", "in",
];

/// Removes the diacritics of the Latin letters French uses; other characters stay as they are.
fn fold(c: char) -> &'static str {
    match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
        'ç' => "c",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'î' | 'ï' | 'í' | 'ì' => "i",
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
        'ù' | 'û' | 'ü' | 'ú' => "u",
        'ÿ' | 'ý' => "y",
        'ñ' => "n",
        'æ' => "ae",
        'œ' => "oe",
        _ => "",
    }
}

/// Lowercase words without diacritics, split on everything that is not a letter or digit.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = fold(c);
        if !folded.is_empty() {
            current.push_str(folded);
        } else if c.is_alphanumeric() {
            current.push(c);
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Folds the inflections of a French word onto one stem. Words of three letters or fewer, and
/// numbers, are kept whole.
pub fn stem(word: &str) -> String {
    if word.chars().count() <= 3 || word.chars().all(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    let mut stem = word.to_owned();
    // Plurals: "métaux" → "metal", "bureaux" → "bureau", "palettes" → "palette".
    if stem.ends_with("eaux") {
        stem.pop();
    } else if let Some(base) = stem.strip_suffix("aux") {
        stem = format!("{base}al");
    } else if let Some(base) = stem.strip_suffix('x') {
        stem = base.to_owned();
    } else if stem.len() > 4
        && let Some(base) = stem.strip_suffix('s')
        && !base.ends_with('s')
    {
        stem = base.to_owned();
    }
    // Feminine and final mute e: "palette" → "palett", "électronique" → "electroniqu",
    // "usagée" → "usag", so that both genders and numbers meet.
    for ending in ["ee", "e"] {
        if stem.len() > 4
            && let Some(base) = stem.strip_suffix(ending)
        {
            stem = base.to_owned();
            break;
        }
    }
    stem
}

/// The search terms of a text, in order, stop words dropped.
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

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
