//! Field rules shared by every service's edge validation.

use uuid::Uuid;

use crate::error::FieldError;

/// Trimmed text of `1..=max` characters.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(
            field,
            "must not be empty",
            "ne doit pas être vide",
        ));
    }
    bounded_text(field, value, max)
}

/// Trimmed text of at most `max` characters (may be empty).
pub fn bounded_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
            format!("doit faire au plus {max} caractères"),
        ));
    }
    Ok(value.to_owned())
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
