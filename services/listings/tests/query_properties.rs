//! A search is typed by anyone: its text, page token, point and category never crash the
//! listings service, and every refusal names the filter it is about.

use proptest::prelude::*;
use synergies_listings::search::{Cursor, Near, Sort};

const SORTS: [Sort; 3] = [Sort::Relevance, Sort::Newest, Sort::Nearest];

proptest! {
    #[test]
    fn any_search_text_gives_terms_without_crashing(text in any::<String>()) {
        for term in synergies_listings::text::query_terms(&text) {
            prop_assert!(!term.is_empty());
        }
    }

    #[test]
    fn any_page_token_is_read_or_refused_by_name(token in any::<String>()) {
        for sort in SORTS {
            match Cursor::decode(&token, sort) {
                Ok(None) => prop_assert!(token.is_empty()),
                Ok(Some(_)) => {}
                Err(error) => prop_assert_eq!(error.field, "page_token"),
            }
        }
    }

    #[test]
    fn any_point_is_taken_or_refused_by_name(
        latitude in prop_oneof![any::<f64>(), -100.0..100.0f64],
        longitude in prop_oneof![any::<f64>(), -200.0..200.0f64],
        radius_km in prop_oneof![any::<f64>(), -10.0..500.0f64],
    ) {
        if let Err(error) = Near::validate(latitude, longitude, radius_km) {
            prop_assert!(
                ["latitude", "longitude", "radius_km"].contains(&error.field),
                "{}", error.field
            );
        }
    }

    #[test]
    fn any_category_is_known_or_refused_by_name(code in any::<String>()) {
        if let Err(error) = synergies_listings::taxonomy::taxonomy().validate("category", &code) {
            prop_assert_eq!(error.field, "category");
        }
    }
}
