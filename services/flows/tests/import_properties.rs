//! Import files are whatever a spreadsheet or a person produced: reading them never crashes,
//! and every row refused names a column of the import template, in both languages.

use proptest::prelude::*;
use synergies_flows::csv;
use synergies_flows::domain::FlowFields;

/// The template's headers, as a CSV import starts.
fn template_headers() -> Vec<String> {
    let template = csv::template();
    let records = csv::read(&template);
    records.into_iter().next().expect("a header line").1
}

/// A cell as people type them: numbers, units, codes, words, blanks and stray characters.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9]{1,7}([.,][0-9]{1,3})?",
        "-?[0-9]{1,12}",
        "(in|out|entrée|sortie|IN|Out)",
        "(material|waste|energy|water|service|by-product|skill|space|logistics|equipment)",
        "(t|kg|MWh|m3|piece|pièce|h|an|year|month|day|week)",
        "[0-9]{2} ?[0-9]{2} ?[0-9]{2}\\*?",
        "[A-Za-zéèàç' ]{0,40}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn any_text_reads_as_records_without_crashing(text in any::<String>()) {
        for (line, _) in csv::read(&text) {
            prop_assert!(line >= 1);
        }
    }

    #[test]
    fn any_bytes_read_as_a_workbook_or_are_refused_in_both_languages(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Err((en, fr)) = synergies_flows::xlsx::read(&bytes) {
            prop_assert!(!en.is_empty() && !fr.is_empty());
        }
    }

    #[test]
    fn a_refused_row_names_a_template_column(values in proptest::collection::vec(cell(), 0..24)) {
        let headers = template_headers();
        let mut fields = FlowFields::default();
        let mut organisation = String::new();
        for (header, value) in headers.iter().zip(values) {
            if let Some(field) = csv::field_of(header) {
                csv::set(&mut fields, &mut organisation, field, value.trim().to_owned());
            }
        }
        if let Err(error) = fields.validate() {
            let column = csv::header_of(&headers, error.field);
            prop_assert!(!column.is_empty(), "{} has no column", error.field);
            prop_assert!(!error.rule.en.is_empty() && !error.rule.fr.is_empty());
        }
    }
}
