//! A JSON body extractor whose errors name the offending field (400), and say when the body
//! is too large (413) or not JSON (415).

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

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
                "expected a body with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::with_status(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "request body is too large",
                    )
                } else {
                    ApiError::with_status(rejection.status(), "bad_request", rejection.body_text())
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
        if matches!(
            inner.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ) {
            return ApiError::with_status(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("malformed JSON: {message}"),
            );
        }
        // A missing field is reported at its parent's path: name the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        match missing {
            Some(field) if path == "." => ApiError::invalid(field, message.clone()),
            Some(field) => ApiError::invalid(format!("{path}.{field}"), message.clone()),
            None => ApiError::invalid(path, message),
        }
    })
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
        let malformed = parse::<Body>(b"{not json").unwrap_err();
        assert_eq!(
            (malformed.status, malformed.code),
            (StatusCode::BAD_REQUEST, "malformed_json")
        );
    }
}
