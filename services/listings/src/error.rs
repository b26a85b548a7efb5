use synergies_platform::error::{ErrorCode, FieldError, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum ListingsError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("listing not found")]
    NotFound,
    #[error("listings storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ServiceError for ListingsError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidArgument,
            Self::NotFound => ErrorCode::NotFound,
            Self::Storage(_) => ErrorCode::Internal,
        }
    }

    fn in_french(&self) -> String {
        match self {
            Self::Invalid(error) => error.in_french(),
            Self::NotFound => "annonce introuvable".to_owned(),
            Self::Storage(_) => "erreur interne".to_owned(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(error) => Some(error.field),
            _ => None,
        }
    }
}

impl From<ListingsError> for tonic::Status {
    fn from(error: ListingsError) -> Self {
        synergies_platform::error::to_status(&error)
    }
}
