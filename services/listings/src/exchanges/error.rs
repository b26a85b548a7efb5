//! What can go wrong with conversations and exchanges, in English and French.

use synergies_platform::error::{ErrorCode, FieldError, ServiceError};

use crate::error::ListingsError;

#[derive(Debug, thiserror::Error)]
pub enum ExchangesError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Listings(#[from] ListingsError),
    #[error("conversation not found")]
    ConversationNotFound,
    #[error("this is your organisation's own listing: conversations are with other organisations")]
    OwnListing,
    #[error("a listing can be discussed only while it is published or reserved")]
    NotOnOffer,
    #[error("exchanges storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ServiceError for ExchangesError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidArgument,
            Self::Listings(error) => error.code(),
            Self::ConversationNotFound => ErrorCode::NotFound,
            Self::OwnListing | Self::NotOnOffer => ErrorCode::FailedPrecondition,
            Self::Storage(error) => synergies_platform::error::storage_code(error),
        }
    }

    fn in_french(&self) -> String {
        match self {
            Self::Invalid(error) => error.in_french(),
            Self::Listings(error) => error.in_french(),
            Self::ConversationNotFound => "conversation introuvable".to_owned(),
            Self::OwnListing => "c'est une annonce de votre propre organisation : les conversations se tiennent avec d'autres organisations".to_owned(),
            Self::NotOnOffer => "on ne peut discuter d'une annonce que lorsqu'elle est publiée ou réservée".to_owned(),
            Self::Storage(_) => "erreur interne".to_owned(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(error) => Some(error.field),
            Self::Listings(error) => error.field(),
            _ => None,
        }
    }
}

impl From<ExchangesError> for tonic::Status {
    fn from(error: ExchangesError) -> Self {
        synergies_platform::error::to_status(&error)
    }
}
