//! Flows as CSV: the columns of an import file (French headers, or the API's field names), a
//! small reader for what spreadsheets write (comma or semicolon, quoted fields, a UTF-8 byte
//! order mark), and the export.

use crate::domain::{Flow, FlowFields};

/// Import columns: the French header, and the API field it fills.
pub const COLUMNS: &[(&str, &str)] = &[
    ("organisation", "organisation_id"),
    ("site", "site_id"),
    ("sens", "direction"),
    ("classe", "resource_class"),
    ("libellé", "label"),
    ("description", "description"),
    ("code_déchet", "ewc_code"),
    ("catégorie", "category"),
    ("quantité", "quantity"),
    ("unité", "unit"),
    ("période", "period"),
    ("régularité", "regularity"),
    ("confidentialité", "confidentiality"),
    ("qualité", "quality"),
    ("exutoire_actuel", "current_outlet"),
    ("coût_annuel_eur", "yearly_cost_eur"),
];

/// Columns the export adds, computed by the platform: an import ignores them, so that an
/// exported file imports again.
pub const COMPUTED: &[&str] = &[
    "id",
    "nom_organisation",
    "naf",
    "code_insee",
    "quantité_annuelle",
    "provenance",
    "modifié_le",
];

/// The import template: the header line and one example row.
pub fn template() -> String {
    let header: Vec<_> = COLUMNS.iter().map(|(french, _)| *french).collect();
    format!(
        "{}\r\n;;out;waste;Cartons d'emballage;Cartons bruns propres;150101;;12,5;t;month;continuous;partners;Secs, sans agrafes;Benne DIB;4200\r\n",
        header.join(";")
    )
}

/// The API field a header names (French or API spelling, any case), if any.
pub fn field_of(header: &str) -> Option<&'static str> {
    let header = header.trim().to_lowercase();
    COLUMNS
        .iter()
        .find(|(french, field)| *french == header || *field == header)
        .map(|(_, field)| *field)
}

pub fn is_computed(header: &str) -> bool {
    COMPUTED.contains(&header.trim().to_lowercase().as_str())
}

/// The header a field's errors are reported under: as written in the file, else in French.
pub fn header_of<'a>(headers: &'a [String], field: &str) -> &'a str {
    headers
        .iter()
        .find(|h| field_of(h) == Some(field))
        .map_or_else(
            || {
                COLUMNS
                    .iter()
                    .find(|(_, f)| *f == field)
                    .map_or("", |(french, _)| french)
            },
            String::as_str,
        )
}

/// Sets the field named `field` of `fields`.
pub fn set(fields: &mut FlowFields, organisation: &mut String, field: &str, value: String) {
    let slot = match field {
        "organisation_id" => organisation,
        "site_id" => &mut fields.site_id,
        "direction" => &mut fields.direction,
        "resource_class" => &mut fields.resource_class,
        "label" => &mut fields.label,
        "description" => &mut fields.description,
        "ewc_code" => &mut fields.ewc_code,
        "category" => &mut fields.category,
        "quantity" => &mut fields.quantity,
        "unit" => &mut fields.unit,
        "period" => &mut fields.period,
        "regularity" => &mut fields.regularity,
        "confidentiality" => &mut fields.confidentiality,
        "quality" => &mut fields.quality,
        "current_outlet" => &mut fields.current_outlet,
        "yearly_cost_eur" => &mut fields.yearly_cost_eur,
        _ => return,
    };
    *slot = value;
}

/// A record and the line it starts on (1 is the first line).
pub type Record = (u32, Vec<String>);

/// Reads CSV text: the separator is the header line's most frequent of `;` and `,`; fields may
/// be quoted (`""` is a quote); blank lines are skipped.
pub fn read(text: &str) -> Vec<Record> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line = text.lines().next().unwrap_or("");
    let separator = if first_line.matches(';').count() >= first_line.matches(',').count() {
        ';'
    } else {
        ','
    };
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1u32;
    let mut start = 1u32;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field.is_empty() => quoted = true,
            '\n' if quoted => {
                field.push('\n');
                line += 1;
            }
            c if c == separator && !quoted => record.push(std::mem::take(&mut field)),
            '\r' if !quoted => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if record.iter().any(|f| !f.trim().is_empty()) {
                    records.push((start, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                start = line;
            }
            c => field.push(c),
        }
    }
    record.push(field);
    if record.iter().any(|f| !f.trim().is_empty()) {
        records.push((start, record));
    }
    records
}

fn quote(value: &str) -> String {
    if value.contains([';', '"', '\n', '\r', ',']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// The export's lines: the header, then one line per flow.
pub fn rows(flows: &[Flow]) -> Vec<Vec<String>> {
    let header: Vec<String> = COMPUTED[..1]
        .iter()
        .copied()
        .chain(COLUMNS.iter().map(|(french, _)| *french))
        .chain(COMPUTED[1..].iter().copied())
        .map(str::to_owned)
        .collect();
    let mut rows = vec![header];
    for flow in flows {
        let c = &flow.content;
        let site = flow.site.as_ref();
        rows.push(vec![
            flow.id.to_string(),
            flow.organisation_id.to_string(),
            site.map(|s| s.site_id.to_string()).unwrap_or_default(),
            c.direction.as_str().to_owned(),
            c.resource_class.as_str().to_owned(),
            c.label.clone(),
            c.description.clone(),
            c.ewc_code.clone().unwrap_or_default(),
            c.category.clone().unwrap_or_default(),
            c.quantity.to_string(),
            c.unit.as_str().to_owned(),
            c.period.as_str().to_owned(),
            c.regularity
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            c.confidentiality.as_str().to_owned(),
            c.quality.clone(),
            c.current_outlet.clone(),
            c.yearly_cost_eur.map(|d| d.to_string()).unwrap_or_default(),
            flow.organisation.name.clone(),
            flow.organisation.nace.clone(),
            site.map(|s| s.insee_code.clone()).unwrap_or_default(),
            c.yearly_quantity().to_string(),
            flow.provenance.as_str().to_owned(),
            flow.updated_at.to_rfc3339(),
        ]);
    }
    rows
}

/// Lines as CSV with a byte order mark (spreadsheets then read UTF-8), semicolon-separated.
pub fn write(rows: &[Vec<String>]) -> String {
    let mut out = String::from('\u{feff}');
    for row in rows {
        out.push_str(&row.iter().map(|v| quote(v)).collect::<Vec<_>>().join(";"));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_csv_is_read_with_its_line_numbers() {
        let text = "\u{feff}sens;libellé;description\r\nout;\"Bois; chutes\";\"dit \"\"propre\"\"\"\r\n\r\nin;Eau;\"deux\nlignes\"\nout;Vapeur;\n";
        let records = read(text);
        assert_eq!(
            records[0],
            (
                1,
                vec!["sens".into(), "libellé".into(), "description".into()]
            )
        );
        assert_eq!(
            records[1],
            (
                2,
                vec!["out".into(), "Bois; chutes".into(), "dit \"propre\"".into()]
            )
        );
        assert_eq!(
            records[2],
            (4, vec!["in".into(), "Eau".into(), "deux\nlignes".into()])
        );
        assert_eq!(records[3].0, 6);
    }

    #[test]
    fn commas_work_too_and_headers_are_french_or_english() {
        let records = read("direction,label\nout,Bois\n");
        assert_eq!(records[1].1, ["out", "Bois"]);
        assert_eq!(field_of("Libellé"), Some("label"));
        assert_eq!(field_of("label"), Some("label"));
        assert_eq!(field_of("tonnage"), None);
        assert!(is_computed("quantité_annuelle"));
    }

    #[test]
    fn the_template_reads_back_into_every_column() {
        let records = read(&template());
        assert_eq!(records[0].1.len(), COLUMNS.len());
        assert_eq!(records[1].1.len(), COLUMNS.len());
    }
}
