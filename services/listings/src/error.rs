use synergies_platform::error::{ErrorCode, FieldError, ServiceError};

use crate::domain::WrongStatus;

#[derive(Debug, thiserror::Error)]
pub enum ListingsError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("listing not found")]
    NotFound,
    #[error(transparent)]
    WrongStatus(#[from] WrongStatus),
    #[error("the listing changed meanwhile: reload it and try again")]
    ChangedMeanwhile,
    #[error("the territory could not be read: {0}")]
    Identity(String),
    #[error("listings storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    /// This replica's search index failed (disk); the database is untouched.
    #[error("listing search failed: {0}")]
    Search(String),
}

impl ServiceError for ListingsError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidArgument,
            Self::NotFound => ErrorCode::NotFound,
            Self::WrongStatus(_) | Self::ChangedMeanwhile => ErrorCode::FailedPrecondition,
            Self::Identity(_) | Self::Search(_) => ErrorCode::Unavailable,
            Self::Storage(error) => synergies_platform::error::storage_code(error),
        }
    }

    fn in_french(&self) -> String {
        match self {
            Self::Invalid(error) => error.in_french(),
            Self::NotFound => "annonce introuvable".to_owned(),
            Self::WrongStatus(error) => error.message.fr.clone(),
            Self::ChangedMeanwhile => {
                "l'annonce a changé entre-temps : rechargez-la et réessayez".to_owned()
            }
            Self::Identity(_) => "service momentanément indisponible".to_owned(),
            Self::Storage(_) => "erreur interne".to_owned(),
            Self::Search(_) => "recherche momentanément indisponible".to_owned(),
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
