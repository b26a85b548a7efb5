use synergies_platform::error::{ErrorCode, FieldError, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("inbox item not found")]
    ItemNotFound,
    #[error("saved search not found")]
    SavedSearchNotFound,
    #[error("notifications storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ServiceError for NotificationsError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidArgument,
            Self::ItemNotFound | Self::SavedSearchNotFound => ErrorCode::NotFound,
            Self::Storage(error) => synergies_platform::error::storage_code(error),
        }
    }

    fn in_french(&self) -> String {
        match self {
            Self::Invalid(error) => error.in_french(),
            Self::ItemNotFound => "notification introuvable".to_owned(),
            Self::SavedSearchNotFound => "recherche enregistrée introuvable".to_owned(),
            Self::Storage(_) => "erreur interne".to_owned(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(error) => Some(error.field),
            Self::ItemNotFound | Self::SavedSearchNotFound | Self::Storage(_) => None,
        }
    }
}

impl From<NotificationsError> for tonic::Status {
    fn from(error: NotificationsError) -> Self {
        synergies_platform::error::to_status(&error)
    }
}
