//! How flow texts and queries become index terms: the French analysis shared with listing
//! search (`synergies_search::analysis`): lowercase, accents folded, stop words dropped, the
//! shared light stemmer of `codes::french`, the synonym concepts of `codes::synonyms`, and one
//! typo forgiven in words of 5 letters or more. What is the flows' own is which texts of a flow
//! are searched, and how they are weighed.

// Its rules and their tests live in the shared crate.
pub use synergies_search::analysis::{
    QueryGroup, QueryStem, TYPO_MIN_LETTERS, index_terms, query_groups, terms,
};

use crate::domain::Flow;

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
