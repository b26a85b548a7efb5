use synergies_platform::error::{ErrorCode, FieldError, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum MatchingError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("not found")]
    NotFound,
    #[error("only facilitators of the territory may do this")]
    FacilitatorsOnly,
    #[error("only members of an organisation involved may do this")]
    NotInvolved,
    #[error("matching storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ServiceError for MatchingError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidArgument,
            Self::NotFound => ErrorCode::NotFound,
            Self::FacilitatorsOnly | Self::NotInvolved => ErrorCode::PermissionDenied,
            Self::Storage(_) => ErrorCode::Internal,
        }
    }

    fn in_french(&self) -> String {
        match self {
            Self::Invalid(error) => error.in_french(),
            Self::NotFound => "introuvable".to_owned(),
            Self::FacilitatorsOnly => {
                "seuls les animateurs du territoire peuvent le faire".to_owned()
            }
            Self::NotInvolved => {
                "seuls les membres d'une organisation concernée peuvent le faire".to_owned()
            }
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

impl From<MatchingError> for tonic::Status {
    fn from(error: MatchingError) -> Self {
        synergies_platform::error::to_status(&error)
    }
}
