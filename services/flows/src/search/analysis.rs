//! How flow text becomes search terms: French words folded and stemmed as everywhere else
//! (`synergies_codes::french`), without the words that carry no meaning.

use synergies_codes::french::{stem, words};

/// Words that carry no meaning for search (articles, prepositions, conjunctions).
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "d", "dans", "de", "des", "du", "en", "et", "l", "la", "le", "les",
    "ou", "par", "pour", "sur", "un", "une",
];

/// The terms of `text`, in order (repeats kept).
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|word| !STOP_WORDS.contains(&word.as_str()))
        .map(|word| stem(&word))
        .collect()
}

/// Everything a flow is searched by, as one text.
pub fn flow_text(flow: &crate::domain::Flow) -> String {
    let content = &flow.content;
    [
        content.label.as_str(),
        content.description.as_str(),
        content.category.as_deref().unwrap_or_default(),
        content.ewc_code.as_deref().unwrap_or_default(),
        content.quality.as_str(),
        content.current_outlet.as_str(),
        flow.organisation.name.as_str(),
    ]
    .join(" ")
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
    }
}
