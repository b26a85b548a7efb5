//! A JSON body extractor whose errors name the offending field (400), and say when the body
//! is too large (413) or not JSON (415).

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use synergies_platform::i18n::Text;

use crate::error::ApiError;

pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::with_status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                Text::new(
                    "expected a body with Content-Type: application/json",
                    "le corps de la requête doit être du JSON (Content-Type: application/json)",
                ),
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::with_status(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        Text::new(
                            "request body is too large",
                            "le corps de la requête est trop volumineux",
                        ),
                    )
                } else {
                    let message = rejection.body_text();
                    ApiError::with_status(
                        rejection.status(),
                        "bad_request",
                        Text::new(message, "le corps de la requête n'a pas pu être lu"),
                    )
                }
            })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses JSON, reporting the path of the field that failed (`kind`, `items[2].title`).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        let (line, column) = (inner.line(), inner.column());
        if matches!(
            inner.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ) {
            return ApiError::with_status(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                Text::new(
                    format!("malformed JSON: {message}"),
                    // serde's own words are English: the French says where instead.
                    format!("JSON mal formé (ligne {line}, colonne {column})"),
                ),
            );
        }
        // A missing field is reported at its parent's path: name the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let text = Text::new(message.clone(), in_french(&message));
        match missing {
            Some(field) if path == "." => ApiError::invalid(field, text),
            Some(field) => ApiError::invalid(format!("{path}.{field}"), text),
            None => ApiError::invalid(path, text),
        }
    })
}

/// serde's messages, said in French: the shapes serde produces for a JSON body.
fn in_french(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        return format!("le champ `{field}` est obligatoire");
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (value, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let expected = expected.replace("one of ", "").replace(" or ", ", ");
        return format!("valeur inconnue {value} ; valeurs possibles : {expected}");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = rest.split(", expected").next().unwrap_or(rest);
        return format!("champ inconnu {field}");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return format!("type invalide ({found}) ; attendu : {expected}");
    }
    format!("valeur invalide : {message}")
}

/// A query-string extractor whose errors name the parameter (400) in the caller's language,
/// like [`ApiJson`] does for bodies.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection| query_error(&rejection.body_text()))
    }
}

/// A path extractor whose refusals (a segment that is not UTF-8 once decoded, say) come in the
/// one JSON error shape, in the caller's language, instead of axum's plain text.
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection| {
                ApiError::invalid(
                    "path",
                    Text::new(
                        format!("path: {}", rejection.body_text()),
                        "adresse illisible : un de ses segments n'est pas du texte valide",
                    ),
                )
            })
    }
}

/// axum says `Failed to deserialize query string: <parameter>: <reason>`.
fn query_error(text: &str) -> ApiError {
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(text);
    let (field, reason) = match detail.split_once(": ") {
        Some((field, reason)) if !field.contains(' ') => (field, reason),
        _ => ("query", detail),
    };
    ApiError::invalid(
        field,
        Text::new(
            format!("{field}: {reason}"),
            // serde's reason is English: the French message does without it.
            format!("{field} : valeur illisible, vérifiez ce paramètre de l'adresse"),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        kind: Kind,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Offer,
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            parse::<Body>(br#"{"kind":"offer"}"#)
                .unwrap_err()
                .field
                .as_deref(),
            Some("title")
        );
        assert_eq!(
            parse::<Body>(br#"{"title":"x","kind":"gift"}"#)
                .unwrap_err()
                .field
                .as_deref(),
            Some("kind")
        );
        assert_eq!(
            parse::<Body>(br#"{"title":3,"kind":"offer"}"#)
                .unwrap_err()
                .field
                .as_deref(),
            Some("title")
        );
        let unknown = parse::<Body>(br#"{"title":"x","kind":"gift"}"#).unwrap_err();
        assert_eq!(
            unknown.message.fr,
            "valeur inconnue `gift` ; valeurs possibles : `offer`"
        );
        let missing = parse::<Body>(br#"{"kind":"offer"}"#).unwrap_err();
        assert_eq!(missing.message.fr, "le champ `title` est obligatoire");
        let malformed = parse::<Body>(b"{not json").unwrap_err();
        assert_eq!(
            (malformed.status, malformed.code),
            (StatusCode::BAD_REQUEST, "malformed_json")
        );
    }
}
