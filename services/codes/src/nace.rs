//! NACE Rev. 2, the European classification of economic activities that French NAF/APE codes
//! refine (`data/nace-rev2.csv`, Eurostat): identity checks that an organisation's NAF code
//! names one of its classes ([`class_description`], parsed once, on first use); matching
//! compares activities by the text of [`ACTIVITIES`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

/// NACE Rev. 2, embedded so that validation needs neither the network nor files beside the binary.
const NACE_REV2_CSV: &str = include_str!("../data/nace-rev2.csv");

/// NACE Rev. 2 divisions, groups and classes with the text the matching scorer reads
/// (`data/nace-activities.tsv`, derived from `nace-rev2.csv`): code (digits), title and what the
/// class includes, separated by tabs; `#` starts a comment line.
pub const ACTIVITIES: &str = include_str!("../data/nace-activities.tsv");

/// NACE Rev. 2 classes (level 4, e.g. `18.12`) and their English descriptions, parsed once.
static NACE_CLASSES: LazyLock<HashMap<Cow<'static, str>, Cow<'static, str>>> =
    LazyLock::new(|| nace_classes(NACE_REV2_CSV));

/// The English description of a NACE Rev. 2 class written `18.12`, if the class exists.
pub fn class_description(class: &str) -> Option<&'static str> {
    let classes: &'static HashMap<_, _> = &NACE_CLASSES;
    classes.get(class).map(AsRef::as_ref)
}

/// NACE classes by code, from CSV whose header names the columns: the file is read by column
/// name so that a reordered export still loads. Rows missing a column are skipped.
fn nace_classes(csv: &str) -> HashMap<Cow<'_, str>, Cow<'_, str>> {
    let mut records = CsvRecords::new(csv);
    let Some(header) = records.next() else {
        return HashMap::new();
    };
    let column = |name: &str| header.iter().position(|title| title == name);
    let (Some(code), Some(level), Some(description)) =
        (column("code"), column("level"), column("description"))
    else {
        return HashMap::new();
    };
    records
        .filter(|record| record.get(level).is_some_and(|l| l == "4"))
        .filter_map(|mut record| {
            let description = std::mem::take(record.get_mut(description)?);
            let code = std::mem::take(record.get_mut(code)?);
            Some((code, description))
        })
        .collect()
}

/// Records of CSV text (RFC 4180): fields are separated by commas, records by LF or CRLF, and a
/// quoted field may hold commas, line breaks and doubled quotes. Unquoted fields are borrowed.
struct CsvRecords<'a> {
    text: &'a str,
    position: usize,
}

enum FieldEnd {
    Comma,
    Record,
}

impl<'a> CsvRecords<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, position: 0 }
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.position..).unwrap_or_default()
    }

    fn field(&mut self) -> (Cow<'a, str>, FieldEnd) {
        let field = if self.rest().starts_with('"') {
            Cow::Owned(self.quoted())
        } else {
            Cow::Borrowed(self.unquoted())
        };
        (field, self.field_end())
    }

    /// Up to the next separator. The separators are ASCII, so any byte index found is a char
    /// boundary.
    fn unquoted(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest.find([',', '\r', '\n']).unwrap_or(rest.len());
        self.position += len;
        rest.get(..len).unwrap_or_default()
    }

    /// From the opening quote to the closing one, doubled quotes read as one. Text between the
    /// closing quote and the separator is kept rather than lost, and an unclosed quote runs to
    /// the end of the text.
    fn quoted(&mut self) -> String {
        self.position += 1;
        let mut value = String::new();
        loop {
            let rest = self.rest();
            let Some(quote) = rest.find('"') else {
                value.push_str(rest);
                self.position = self.text.len();
                return value;
            };
            value.push_str(rest.get(..quote).unwrap_or_default());
            self.position += quote + 1;
            if !self.rest().starts_with('"') {
                value.push_str(self.unquoted());
                return value;
            }
            value.push('"');
            self.position += 1;
        }
    }

    fn field_end(&mut self) -> FieldEnd {
        let rest = self.rest();
        let (skip, end) = if rest.starts_with(',') {
            (1, FieldEnd::Comma)
        } else if rest.starts_with("\r\n") {
            (2, FieldEnd::Record)
        } else if rest.is_empty() {
            (0, FieldEnd::Record)
        } else {
            (1, FieldEnd::Record)
        };
        self.position += skip;
        end
    }
}

impl<'a> Iterator for CsvRecords<'a> {
    type Item = Vec<Cow<'a, str>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest().is_empty() {
            return None;
        }
        let mut record = Vec::new();
        loop {
            let (field, end) = self.field();
            record.push(field);
            if let FieldEnd::Record = end {
                return Some(record);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_nace_file_yields_every_class() {
        // NACE Rev. 2 has 615 classes; 86 of their descriptions hold commas, so are quoted.
        assert_eq!(NACE_CLASSES.len(), 615);
        assert_eq!(
            class_description("01.11"),
            Some("Growing of cereals (except rice), leguminous crops and oil seeds")
        );
        assert_eq!(class_description("18.1"), None);
        assert_eq!(class_description("A"), None);
    }

    #[test]
    fn csv_quoted_fields_keep_commas_quotes_and_line_breaks() {
        let csv = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\nthen go\"\r\n2,,end\n3,\"open";
        let records: Vec<Vec<Cow<'_, str>>> = CsvRecords::new(csv).collect();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0], ["a", "b", "c"]);
        assert_eq!(records[1], ["1", "x, y", "say \"hi\"\nthen go"]);
        assert_eq!(records[2], ["2", "", "end"]);
        assert_eq!(records[3], ["3", "open"]);
    }

    #[test]
    fn nace_columns_are_found_by_header_name() {
        let csv = "description,level,code\n\"Printing, other\",4,18.12\nPrinting,3,18.1\n";
        let classes = nace_classes(csv);
        assert_eq!(classes.len(), 1);
        assert_eq!(classes["18.12"], "Printing, other");
        assert!(nace_classes("name,value\nx,1\n").is_empty());
    }
}
