use synergies_platform::error::{ErrorCode, FieldError, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("tenant {0} already exists")]
    TenantExists(String),
    #[error("tenant not found")]
    TenantNotFound,
    #[error("organisation not found")]
    OrganisationNotFound,
    #[error("user not found")]
    UserNotFound,
    #[error("a user with this e-mail address already exists in this territory")]
    EmailTaken,
    #[error("an organisation with this identifier is already registered in this territory")]
    IdentifierTaken,
    #[error(
        "this platform is reserved to professionals of {territory}: commune {insee_code} is outside it"
    )]
    OutsideTerritory {
        territory: String,
        insee_code: String,
    },
    #[error("e-mail or password is incorrect")]
    BadCredentials,
    #[error("too many failed sign-ins: try again in {minutes} minutes")]
    Throttled { minutes: u64 },
    #[error("this session has ended; sign in again")]
    SessionEnded,
    #[error("confirm your e-mail address first: follow the link sent to it")]
    EmailNotVerified,
    #[error("this confirmation link is invalid, already used or expired")]
    VerificationInvalid,
    #[error("the operator sign-in is disabled on this platform")]
    OperatorDisabled,
    #[error("no token signing key is available")]
    NoSigningKey,
    #[error("identity storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ServiceError for IdentityError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidArgument,
            Self::TenantExists(_) | Self::EmailTaken | Self::IdentifierTaken => {
                ErrorCode::AlreadyExists
            }
            Self::OutsideTerritory { .. } => ErrorCode::FailedPrecondition,
            Self::TenantNotFound | Self::OrganisationNotFound | Self::UserNotFound => {
                ErrorCode::NotFound
            }
            Self::BadCredentials | Self::SessionEnded => ErrorCode::Unauthenticated,
            Self::OperatorDisabled | Self::EmailNotVerified => ErrorCode::PermissionDenied,
            Self::VerificationInvalid => ErrorCode::NotFound,
            Self::Throttled { .. } => ErrorCode::ResourceExhausted,
            Self::Storage(_) | Self::NoSigningKey => ErrorCode::Internal,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(error) => Some(error.field),
            Self::EmailTaken => Some("email"),
            Self::IdentifierTaken => Some("siret"),
            Self::OutsideTerritory { .. } => Some("site.insee_code"),
            Self::TenantExists(_) => Some("slug"),
            _ => None,
        }
    }
}

impl From<IdentityError> for tonic::Status {
    fn from(error: IdentityError) -> Self {
        synergies_platform::error::to_status(&error)
    }
}
