//! Field rules shared by every service's edge validation.

use uuid::Uuid;

use crate::error::FieldError;

/// Trimmed one-line text (a title, a name) of `1..=max` characters.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    not_empty(field, value)?;
    bounded_text(field, value, max)
}

/// Trimmed one-line text of at most `max` characters (may be empty).
pub fn bounded_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    bounded(field, value, max, Lines::One)
}

/// Trimmed text of `1..=max` characters that may span lines (a description, a message).
pub fn required_multiline_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, FieldError> {
    not_empty(field, value)?;
    bounded_multiline_text(field, value, max)
}

/// Trimmed text of at most `max` characters that may span lines; `\r\n` becomes `\n`.
pub fn bounded_multiline_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, FieldError> {
    bounded(field, &value.replace("\r\n", "\n"), max, Lines::Many)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

fn not_empty(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(
            field,
            "must not be empty",
            "ne doit pas être vide",
        ));
    }
    Ok(())
}

fn bounded(
    field: &'static str,
    value: &str,
    max: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
            format!("doit faire au plus {max} caractères"),
        ));
    }
    if let Some(refused) = value
        .chars()
        .find(|&c| is_hidden_control(c) && !(lines == Lines::Many && matches!(c, '\n' | '\t')))
    {
        let code = format!("U+{:04X}", u32::from(refused));
        return Err(if refused == '\n' {
            FieldError::new(
                field,
                "must fit on one line",
                "doit tenir sur une seule ligne",
            )
        } else {
            FieldError::new(
                field,
                format!("contains an invisible control character ({code}): retype it"),
                format!("contient un caractère de contrôle invisible ({code}) : ressaisissez-le"),
            )
        });
    }
    Ok(value.to_owned())
}

/// Characters that change how text shows or behaves without being seen: C0/C1 controls (NUL,
/// ESC, …) and the bidirectional embeddings, overrides and isolates that can make a name
/// read backwards (U+202A–U+202E, U+2066–U+2069).
fn is_hidden_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub fn uuid(field: &'static str, value: &str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(value)
        .map_err(|_| FieldError::new(field, "must be a UUID", "doit être un identifiant UUID"))
}

/// Page size in `1..=100`; 0 means the default of 20.
pub fn page_size(requested: u32) -> Result<u32, FieldError> {
    match requested {
        0 => Ok(20),
        1..=100 => Ok(requested),
        _ => Err(FieldError::new(
            "page_size",
            "must be between 1 and 100",
            "doit être compris entre 1 et 100",
        )),
    }
}

/// Page tokens are the id of the last item of the previous page (ids are time-ordered UUIDv7).
pub fn page_token(token: &str) -> Result<Option<Uuid>, FieldError> {
    if token.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(token).map(Some).map_err(|_| {
        FieldError::new(
            "page_token",
            "must be a token returned by a previous page",
            "doit être un jeton renvoyé par une page précédente",
        )
    })
}

/// Cuts a page fetched with `limit + 1` rows down to `limit`, and returns the token of the
/// next page (empty on the last page).
pub fn into_page<T>(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> Uuid) -> (Vec<T>, String) {
    if items.len() <= limit as usize {
        return (items, String::new());
    }
    items.truncate(limit as usize);
    let token = items
        .last()
        .map(|item| id(item).to_string())
        .unwrap_or_default();
    (items, token)
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn one_line_text_refuses_controls_and_direction_overrides_with_the_field() {
        for bad in [
            "a\0b",
            "esc\u{1b}[31m",
            "gnp.exe\u{202E}fdp",
            "x\u{2066}y",
            "two\nlines",
        ] {
            let error = required_text("title", bad, 100).unwrap_err();
            assert_eq!(error.field, "title", "{bad:?}");
        }
        assert!(
            required_text("title", "a\nb", 100)
                .unwrap_err()
                .rule
                .en
                .contains("one line")
        );
        assert_eq!(
            required_text("title", "  Palettes Europe — 40 ", 100).unwrap(),
            "Palettes Europe — 40"
        );
    }

    #[test]
    fn multiline_text_keeps_newlines_and_tabs_only() {
        assert_eq!(
            bounded_multiline_text("description", "ligne 1\r\n\tligne 2", 100).unwrap(),
            "ligne 1\n\tligne 2"
        );
        assert!(bounded_multiline_text("description", "bell\u{7}", 100).is_err());
        assert!(bounded_multiline_text("description", "\u{202D}x", 100).is_err());
        assert!(required_multiline_text("text", " \n ", 100).is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            required_text("title", "  Palettes  ", 10).unwrap(),
            "Palettes"
        );
        assert_eq!(
            required_text("title", "   ", 10).unwrap_err().rule.en,
            "must not be empty"
        );
        assert!(required_text("title", "ééééé", 4).is_err());
        assert_eq!(bounded_text("description", "", 4).unwrap(), "");
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0).unwrap(), 20);
        assert_eq!(page_size(100).unwrap(), 100);
        assert_eq!(page_size(101).unwrap_err().field, "page_size");
        assert!(page_token("").unwrap().is_none());
        assert!(page_token("garbage").is_err());
    }
}
