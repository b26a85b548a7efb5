//! Reference lists shipped with the code and shared by the services: the European Waste
//! Catalogue ([`ewc`]), the NACE Rev. 2 activities that NAF codes refine ([`nace`]), the French
//! communes and intercommunalities ([`communes`]) and where they are ([`centres`]), the listings
//! category taxonomy
//! ([`LISTING_TAXONOMY`]), the impact factors of reused goods ([`impact`]), how French words are
//! compared ([`french`]) and the words members use for the same thing ([`SYNONYMS`], read by
//! [`synonyms`]). Each is parsed once, in the service that reads it; the files live here so that
//! no service depends on another.

pub mod centres;
pub mod communes;
pub mod ewc;
pub mod french;
pub mod impact;
pub mod nace;
pub mod synonyms;

/// The listings category tree (`data/listing-taxonomy.tsv`): code, resource type, French label,
/// English label, separated by tabs; `#` starts a comment line.
pub const LISTING_TAXONOMY: &str = include_str!("../data/listing-taxonomy.tsv");

/// Synonym groups shared by search and matching (`data/synonyms.tsv`): one group a line,
/// `concept<TAB>variant|variant|…[<TAB>broader concept]`; `#` starts a comment line.
pub const SYNONYMS: &str = include_str!("../data/synonyms.tsv");

/// Whether `code` is a category of [`LISTING_TAXONOMY`].
pub fn is_listing_category(code: &str) -> bool {
    LISTING_TAXONOMY
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split('\t').next())
        .any(|known| !known.is_empty() && known == code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn listing_categories_are_known_by_their_code() {
        assert!(super::is_listing_category("packaging/cardboard"));
        assert!(!super::is_listing_category("packaging/cardboard/none"));
        assert!(!super::is_listing_category(""));
    }
}
