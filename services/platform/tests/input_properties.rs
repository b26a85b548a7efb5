//! What reaches the platform from outside — event bytes from the bus, identifiers and page
//! tokens from requests, free text — never crashes it, and every refusal of a request's value
//! names the field it is about.

use proptest::prelude::*;
use synergies_platform::validate;
use synergies_proto::events::v1::{EventEnvelope, ListingPublished};

proptest! {
    #[test]
    fn any_bytes_on_the_bus_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(envelope) = synergies_platform::events::decode_envelope(&bytes) {
            // A decodable envelope with any payload: the payload decodes or is refused.
            let _ = synergies_platform::events::payload::<ListingPublished>(&envelope);
            let _ = synergies_platform::events::event_id(&envelope);
        }
    }

    #[test]
    fn any_payload_in_a_valid_envelope_decodes_or_is_refused(
        payload in proptest::collection::vec(any::<u8>(), 0..512),
        event_type in "[a-z._]{0,30}",
    ) {
        let envelope = EventEnvelope {
            event_id: uuid::Uuid::now_v7().to_string(),
            tenant: "dijon".into(),
            event_type,
            payload,
            ..Default::default()
        };
        let _ = synergies_platform::events::payload::<ListingPublished>(&envelope);
    }

    #[test]
    fn identifiers_and_page_tokens_are_refused_by_name(input in any::<String>()) {
        if let Err(error) = validate::uuid("listing_id", &input) {
            prop_assert_eq!(error.field, "listing_id");
        }
        if let Err(error) = validate::page_token(&input) {
            prop_assert_eq!(error.field, "page_token");
        }
    }

    #[test]
    fn free_text_is_refused_by_name_and_never_keeps_hidden_controls(input in any::<String>()) {
        match validate::required_text("title", &input, 120) {
            Ok(kept) => {
                prop_assert!(!kept.trim().is_empty());
                let hidden = kept
                    .chars()
                    .any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c));
                prop_assert!(!hidden, "kept a hidden control character");
            }
            Err(error) => prop_assert_eq!(error.field, "title"),
        }
        if let Err(error) = validate::bounded_multiline_text("description", &input, 4000) {
            prop_assert_eq!(error.field, "description");
        }
    }

    #[test]
    fn page_sizes_are_refused_by_name(requested in any::<u32>()) {
        if let Err(error) = validate::page_size(requested) {
            prop_assert_eq!(error.field, "page_size");
        }
    }
}
