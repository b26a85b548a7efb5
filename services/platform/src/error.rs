//! The one error vocabulary of the platform. Every service's `thiserror` enum says which
//! [`ErrorCode`] each variant is; the code decides the gRPC status and the HTTP status, once.

use http::StatusCode;
use tonic::metadata::{BinaryMetadataValue, MetadataValue};

use crate::i18n::Text;

/// Metadata key carrying the name of the request field an `InvalidArgument` is about.
pub const FIELD_METADATA_KEY: &str = "x-synergies-field";
/// Metadata key carrying, on a `ResourceExhausted` status, the seconds to wait before retrying
/// (the gateway's `Retry-After`).
pub const RETRY_AFTER_METADATA_KEY: &str = "x-synergies-retry-after";
/// Binary metadata key carrying the French text of a status (its message is the English one).
pub const FRENCH_METADATA_KEY: &str = "x-synergies-message-fr-bin";
/// Binary metadata key carrying every field error of a refused request (JSON), when a service
/// checked them all at once: a form then shows each next to its field instead of one at a time.
pub const FIELDS_METADATA_KEY: &str = "x-synergies-fields-bin";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    Unauthenticated,
    FailedPrecondition,
    ResourceExhausted,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn grpc(self) -> tonic::Code {
        match self {
            Self::InvalidArgument => tonic::Code::InvalidArgument,
            Self::NotFound => tonic::Code::NotFound,
            Self::AlreadyExists => tonic::Code::AlreadyExists,
            Self::PermissionDenied => tonic::Code::PermissionDenied,
            Self::Unauthenticated => tonic::Code::Unauthenticated,
            Self::FailedPrecondition => tonic::Code::FailedPrecondition,
            Self::ResourceExhausted => tonic::Code::ResourceExhausted,
            Self::Unavailable => tonic::Code::Unavailable,
            Self::Internal => tonic::Code::Internal,
        }
    }

    pub fn http(self) -> StatusCode {
        match self {
            Self::InvalidArgument => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::AlreadyExists => StatusCode::CONFLICT,
            Self::PermissionDenied => StatusCode::FORBIDDEN,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::FailedPrecondition => StatusCode::UNPROCESSABLE_ENTITY,
            Self::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Reads back what a call to a downstream service got: its answer's code, or for a call
    /// whose connection broke (the service died mid-call, which tonic reports as `Unknown`),
    /// an outage.
    pub fn of_status(status: &tonic::Status) -> Self {
        if is_transport_failure(status) {
            Self::Unavailable
        } else {
            Self::from_grpc(status.code())
        }
    }

    /// Reads back the code a downstream service answered with.
    pub fn from_grpc(code: tonic::Code) -> Self {
        match code {
            tonic::Code::InvalidArgument | tonic::Code::OutOfRange => Self::InvalidArgument,
            tonic::Code::NotFound => Self::NotFound,
            tonic::Code::AlreadyExists => Self::AlreadyExists,
            tonic::Code::PermissionDenied => Self::PermissionDenied,
            tonic::Code::Unauthenticated => Self::Unauthenticated,
            tonic::Code::FailedPrecondition | tonic::Code::Aborted => Self::FailedPrecondition,
            tonic::Code::ResourceExhausted => Self::ResourceExhausted,
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Cancelled => {
                Self::Unavailable
            }
            _ => Self::Internal,
        }
    }

    /// Stable snake_case name used in JSON error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid_argument",
            Self::NotFound => "not_found",
            Self::AlreadyExists => "already_exists",
            Self::PermissionDenied => "permission_denied",
            Self::Unauthenticated => "unauthenticated",
            Self::FailedPrecondition => "failed_precondition",
            Self::ResourceExhausted => "resource_exhausted",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

/// Implemented by every service's error enum. `Display` is the English message.
/// The code of a storage failure: an outage of the database is `Unavailable` (the client may
/// retry: 503 with `Retry-After`), anything else `Internal`.
pub fn storage_code(error: &sqlx::Error) -> ErrorCode {
    if crate::db::is_outage(error) {
        ErrorCode::Unavailable
    } else {
        ErrorCode::Internal
    }
}

pub trait ServiceError: std::error::Error {
    fn code(&self) -> ErrorCode;
    /// The same message in French. Internal and unavailable errors are never shown, so their
    /// French text may be anything.
    fn in_french(&self) -> String;
    /// The request field at fault, for validation errors.
    fn field(&self) -> Option<&str> {
        None
    }
    /// Every field at fault, when the service checked them all (the first is [`Self::field`]).
    fn field_errors(&self) -> &[FieldError] {
        &[]
    }
}

/// Turns a service error into the status sent to clients. Internal details are logged here
/// and replaced by a generic message: they never reach a client.
pub fn to_status<E: ServiceError>(error: &E) -> tonic::Status {
    let code = error.code();
    let message = match code {
        ErrorCode::Internal => {
            tracing::error!(error = %error, "internal error");
            internal_error_text()
        }
        ErrorCode::Unavailable => {
            tracing::warn!(error = %error, "dependency unavailable");
            unavailable_text()
        }
        _ => Text::new(error.to_string(), error.in_french()),
    };
    let mut status = status(code, &message);
    if let Some(field) = error.field()
        && let Ok(value) = MetadataValue::try_from(field)
    {
        status.metadata_mut().insert(FIELD_METADATA_KEY, value);
    }
    let all = error.field_errors();
    if !all.is_empty() {
        let encoded: Vec<serde_json::Value> = all
            .iter()
            .map(|e| serde_json::json!({"field": e.field, "en": e.rule.en, "fr": e.rule.fr}))
            .collect();
        if let Ok(bytes) = serde_json::to_vec(&encoded) {
            status
                .metadata_mut()
                .insert_bin(FIELDS_METADATA_KEY, BinaryMetadataValue::from_bytes(&bytes));
        }
    }
    status
}

/// Every field error a status carries, as (field, rule) pairs; empty when the service named
/// one field at most (see [`status_field`]).
pub fn status_field_errors(status: &tonic::Status) -> Vec<(String, Text)> {
    let Some(bytes) = status
        .metadata()
        .get_bin(FIELDS_METADATA_KEY)
        .and_then(|v| v.to_bytes().ok())
    else {
        return Vec::new();
    };
    let decoded: Vec<serde_json::Value> = serde_json::from_slice(&bytes).unwrap_or_default();
    decoded
        .iter()
        .filter_map(|e| {
            Some((
                e["field"].as_str()?.to_owned(),
                Text::new(e["en"].as_str()?, e["fr"].as_str()?),
            ))
        })
        .collect()
}

/// A status whose message a person may read, in both languages.
pub fn status(code: ErrorCode, message: &Text) -> tonic::Status {
    let mut status = tonic::Status::new(code.grpc(), message.en.clone());
    status.metadata_mut().insert_bin(
        FRENCH_METADATA_KEY,
        BinaryMetadataValue::from_bytes(message.fr.as_bytes()),
    );
    status
}

/// The message of a status in both languages; statuses from outside the platform only have
/// the English one.
pub fn status_text(status: &tonic::Status) -> Text {
    let french = status
        .metadata()
        .get_bin(FRENCH_METADATA_KEY)
        .and_then(|v| v.to_bytes().ok())
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok());
    let english = status.message().to_owned();
    Text {
        fr: french.unwrap_or_else(|| english.clone()),
        en: english,
    }
}

pub fn internal_error_text() -> Text {
    Text::new("internal error", "erreur interne")
}

pub fn unavailable_text() -> Text {
    Text::new(
        "service temporarily unavailable, please retry",
        "service momentanément indisponible, veuillez réessayer",
    )
}

/// The field a status names, if any.
pub fn status_field(status: &tonic::Status) -> Option<String> {
    status
        .metadata()
        .get(FIELD_METADATA_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A validation failure: which field, and what is expected of it, in English and French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {}", rule.en)]
pub struct FieldError {
    pub field: &'static str,
    pub rule: Text,
}

impl FieldError {
    pub fn new(field: &'static str, english: impl Into<String>, french: impl Into<String>) -> Self {
        Self {
            field,
            rule: Text::new(english, french),
        }
    }

    /// The same rule about another field (e.g. a password rule applied to `new_password`).
    #[must_use]
    pub fn for_field(self, field: &'static str) -> Self {
        Self { field, ..self }
    }

    /// The French message, naming the field like the English one.
    pub fn in_french(&self) -> String {
        format!("{} : {}", self.field, self.rule.fr)
    }
}

/// True when a call failed because its connection did (refused, reset, closed mid-call), not
/// because the service answered: the service is away, and the call may be tried again.
pub fn is_transport_failure(status: &tonic::Status) -> bool {
    if status.code() != tonic::Code::Unknown {
        return false;
    }
    let mut source = std::error::Error::source(status);
    while let Some(error) = source {
        if error.is::<tonic::transport::Error>() || error.is::<std::io::Error>() {
            return true;
        }
        source = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Sample {
        #[error("database password is hunter2")]
        Database,
        #[error(transparent)]
        Invalid(FieldError),
    }

    impl ServiceError for Sample {
        fn code(&self) -> ErrorCode {
            match self {
                Self::Database => ErrorCode::Internal,
                Self::Invalid(_) => ErrorCode::InvalidArgument,
            }
        }
        fn in_french(&self) -> String {
            match self {
                Self::Database => "le mot de passe est hunter2".to_owned(),
                Self::Invalid(e) => e.in_french(),
            }
        }
        fn field(&self) -> Option<&str> {
            match self {
                Self::Invalid(e) => Some(e.field),
                Self::Database => None,
            }
        }
    }

    #[test]
    fn internal_details_never_reach_the_client() {
        let status = to_status(&Sample::Database);
        assert_eq!(status.code(), tonic::Code::Internal);
        assert!(!status.message().contains("hunter2"));
        assert!(!status_text(&status).fr.contains("hunter2"));
    }

    #[test]
    fn a_broken_connection_is_an_outage_and_an_unknown_answer_is_not() {
        let broken = tonic::Status::from_error(Box::new(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "stream closed because of a broken pipe",
        )));
        assert_eq!(broken.code(), tonic::Code::Unknown);
        assert_eq!(ErrorCode::of_status(&broken), ErrorCode::Unavailable);
        let answered = tonic::Status::unknown("a service answered so");
        assert_eq!(ErrorCode::of_status(&answered), ErrorCode::Internal);
    }

    #[test]
    fn validation_errors_name_their_field() {
        let status = to_status(&Sample::Invalid(FieldError::new(
            "title",
            "must not be empty",
            "ne doit pas être vide",
        )));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(status_field(&status).as_deref(), Some("title"));
        let text = status_text(&status);
        assert_eq!(text.en, "title: must not be empty");
        assert_eq!(text.fr, "title : ne doit pas être vide");
        assert_eq!(
            ErrorCode::from_grpc(status.code()).http(),
            StatusCode::BAD_REQUEST
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{}", .0[0])]
    struct Several(Vec<FieldError>);

    impl ServiceError for Several {
        fn code(&self) -> ErrorCode {
            ErrorCode::InvalidArgument
        }
        fn in_french(&self) -> String {
            self.0[0].in_french()
        }
        fn field(&self) -> Option<&str> {
            Some(self.0[0].field)
        }
        fn field_errors(&self) -> &[FieldError] {
            &self.0
        }
    }

    #[test]
    fn every_field_error_travels_in_the_status() {
        let status = to_status(&Several(vec![
            FieldError::new("siret", "looks mistyped", "semble mal recopié"),
            FieldError::new("email", "is not an address", "n'est pas une adresse"),
        ]));
        assert_eq!(status_field(&status).as_deref(), Some("siret"));
        let all = status_field_errors(&status);
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].0, "email");
        assert_eq!(all[1].1.fr, "n'est pas une adresse");
        let single = to_status(&Sample::Invalid(FieldError::new("title", "a", "b")));
        assert!(status_field_errors(&single).is_empty());
    }
}
