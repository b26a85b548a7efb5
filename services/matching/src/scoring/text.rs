//! French (and English) text as the scorer compares it: lowercase, no diacritics, stop words
//! dropped, a light stemmer for the plural and feminine endings members vary in, and a synonym
//! file that folds the words members use for the same thing (trade names, abbreviations,
//! everyday words, the English of the literature) onto one concept.
//!
//! The stemmer is deliberately light (endings only), like the listings search one: an
//! aggressive stemmer merges words a member would not expect ("carton" and "cartonnage").

use std::collections::BTreeSet;

/// Words that carry no meaning for matching: French and English articles, prepositions,
/// pronouns, auxiliaries.
const STOP_WORDS: &[&str] = &[
    "a", "afin", "au", "aux", "avec", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du",
    "en", "est", "et", "l", "la", "le", "les", "leur", "leurs", "n", "ne", "nos", "notre", "nous",
    "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sont",
    "sur", "un", "une", "vos", "votre", "vous", "y", "the", "of", "and", "for", "to", "in", "as",
    "from", "with", "or", "by", "an", "is", "are", "be", "at", "on", "into", "its", "their",
    "other", "etc",
];

/// Words so common in resource descriptions that sharing them says little.
const GENERIC_WORDS: &[&str] = &[
    // The broader concept of every kind of packaging (cartons, pallets, drums, film): sharing
    // it alone does not make a crate request a use for stretch film.
    "emballage",
    "dechet",
    "waste",
    "material",
    "matiere",
    "materiau",
    "produit",
    "product",
    "raw",
    "premiere",
    "residu",
    "residue",
    "rebut",
    "divers",
    "autre",
    "process",
    "procede",
    "industriel",
    "industrial",
    "recherche",
    "cherche",
    "besoin",
    "donne",
    "propose",
    "disponible",
    "an",
    "annee",
    "par",
    "lot",
    "stock",
];

/// Weight of a generic word relative to a meaningful one.
const GENERIC_WEIGHT: f64 = 0.15;

pub use synergies_codes::french::{stem, words};

/// The stems of a text, in order, stop words dropped.
pub fn stems(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// The synonym groups (`services/codes/data/synonyms.tsv`, shared with search): each variant, as
/// a sequence of stems, stands for its concept, and optionally for a broader concept too (a palox
/// is also a kind of pallet). The shared parser, in matching's stems.
#[derive(Debug, Clone, Default)]
pub struct Synonyms(synergies_codes::synonyms::Synonyms);

impl Synonyms {
    /// The synonym file shared with search.
    pub fn bundled() -> Self {
        Self::parse(synergies_codes::SYNONYMS)
            .expect("the shipped synonym file parses (checked by a unit test)")
    }

    /// Parses lines `concept<TAB>variant|variant|…[<TAB>broader]`; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Self, String> {
        synergies_codes::synonyms::Synonyms::parse(text, stems).map(Self)
    }

    /// The terms of a text: its stems, each synonym variant replaced by its concept (longest
    /// variant first), plus the broader concepts.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let stems = stems(text);
        let mut terms = Vec::with_capacity(stems.len());
        let mut index = 0;
        for span in self.0.spans(&stems) {
            terms.extend_from_slice(&stems[index..span.start]);
            terms.push(span.concept);
            terms.extend(span.broader);
            index = span.start + span.len;
        }
        terms.extend_from_slice(&stems[index..]);
        terms
    }
}

/// How much a term says about what a thing is: 1, or less for generic words.
pub fn weight(term: &str) -> f64 {
    // Asked for every term of every pair scored: a set, not a scan of the list, with a hash
    // made for short keys (SipHash was most of this function's time).
    static GENERIC: std::sync::LazyLock<foldhash::HashSet<&str>> =
        std::sync::LazyLock::new(|| GENERIC_WORDS.iter().copied().collect());
    if GENERIC.contains(term) {
        GENERIC_WEIGHT
    } else {
        1.0
    }
}

/// A set of distinct terms, for comparisons.
pub type TermSet = BTreeSet<String>;

pub fn term_set(terms: Vec<String>) -> TermSet {
    terms.into_iter().collect()
}

/// Weighted cosine similarity of two term sets, in [0, 1].
pub fn similarity(a: &TermSet, b: &TermSet) -> f64 {
    similarity_with_norms(a, norm(a), b, norm(b))
}

/// The weighted norm of a term set, which [`similarity_with_norms`] takes computed once.
pub fn norm(set: &TermSet) -> f64 {
    set.iter().map(|t| weight(t).powi(2)).sum::<f64>().sqrt()
}

/// [`similarity`] for sets whose norms are known (a prepared item is compared with many).
pub fn similarity_with_norms(a: &TermSet, norm_a: f64, b: &TermSet, norm_b: f64) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut shared, mut confidence) = (0.0, 0.0);
    for term in a.intersection(b) {
        let weight = weight(term);
        shared += weight.powi(2);
        confidence += weight;
    }
    // Sharing only generic words ("raw material") is weak evidence however short the texts.
    let confidence: f64 = f64::min(confidence, 1.0);
    (confidence * shared / (norm_a * norm_b)).clamp(0.0, 1.0)
}

/// How much of `a`'s meaning is found in `b`, in [0, 1]: the weight of the shared terms over
/// the weight of `a`'s (for a short label against a long activity description).
pub fn coverage(a: &TermSet, b: &TermSet) -> f64 {
    let total: f64 = a.iter().map(|t| weight(t)).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let shared: f64 = a.intersection(b).map(|t| weight(t)).sum();
    // Generic words alone ("waste") do not make a receiver's activity relevant.
    if shared < 1.0 { 0.0 } else { shared / total }
}

/// The meaningful terms two sets share, for explanations.
pub fn shared_terms(a: &TermSet, b: &TermSet) -> Vec<String> {
    a.intersection(b)
        .filter(|t| weight(t) >= 1.0)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synonyms() -> Synonyms {
        Synonyms::parse(synergies_codes::SYNONYMS).expect("the synonym file parses")
    }

    #[test]
    fn accents_case_and_plurals_do_not_matter() {
        assert_eq!(stems("Palettes usagées"), stems("palette usagée"));
        assert_eq!(stems("MÉTAUX"), stems("métal"));
        assert_eq!(stems("chutes de bois"), vec!["chut", "bois"]);
    }

    #[test]
    fn trade_names_and_abbreviations_meet_on_one_concept() {
        let synonyms = synonyms();
        let grv = term_set(synonyms.terms("GRV 1000 L"));
        let ibc = term_set(synonyms.terms("IBC containers"));
        let cubi = term_set(synonyms.terms("Cubitainers vides"));
        assert!(similarity(&grv, &ibc) > 0.5, "{grv:?} {ibc:?}");
        assert!(similarity(&grv, &cubi) > 0.5, "{grv:?} {cubi:?}");
        let dib = term_set(synonyms.terms("DIB en mélange"));
        let dae = term_set(synonyms.terms("déchets d'activités économiques"));
        assert!(dib.intersection(&dae).next().is_some(), "{dib:?} {dae:?}");
    }

    #[test]
    fn a_palox_is_also_a_pallet() {
        let synonyms = synonyms();
        let palox = term_set(synonyms.terms("Palox en bois"));
        let palettes = term_set(synonyms.terms("palettes Europe"));
        assert!(
            palox.intersection(&palettes).next().is_some(),
            "{palox:?} {palettes:?}"
        );
    }

    #[test]
    fn generic_words_alone_make_a_weak_similarity() {
        let synonyms = synonyms();
        let a = term_set(synonyms.terms("déchets divers"));
        let b = term_set(synonyms.terms("déchets de bureau"));
        let c = term_set(synonyms.terms("déchets de bois"));
        let d = term_set(synonyms.terms("chutes de bois"));
        assert!(similarity(&a, &b) < similarity(&c, &d));
    }
}
