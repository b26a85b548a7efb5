//! What can go wrong with photos, in words a member understands (English and French).

use synergies_platform::error::{ErrorCode, FieldError, ServiceError};
use synergies_platform::media::{
    MAX_PHOTOS_PER_LISTING, photo_too_large_text, unsupported_image_text,
};

use super::processing::{MAX_PIXELS, MAX_SIDE};
use crate::error::ListingsError;

#[derive(Debug, thiserror::Error)]
pub enum PhotosError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Listings(#[from] ListingsError),
    #[error("{}", unsupported_image_text().en)]
    UnsupportedImage,
    #[error("{}", photo_too_large_text().en)]
    TooLarge,
    #[error(
        "photo: the image is {width}×{height} pixels; at most {MAX_SIDE} pixels on each side and {} megapixels are accepted",
        MAX_PIXELS / 1_000_000
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("photo: the image needs too much memory to be read; send a smaller one")]
    TooLargeToDecode,
    #[error("photo: the image is damaged or incomplete and cannot be read")]
    Unreadable(#[source] image::ImageError),
    #[error(
        "a listing has at most {MAX_PHOTOS_PER_LISTING} photos: delete one before adding another"
    )]
    GalleryFull,
    #[error("photo not found")]
    NotFound,
    #[error("photo storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("photo files failed: {0}")]
    Files(#[from] std::io::Error),
    #[error("photo encoding failed: {0}")]
    Encoding(#[source] image::ImageError),
    #[error("photo processing stopped: {0}")]
    Processing(#[from] tokio::task::JoinError),
}

impl ServiceError for PhotosError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Listings(error) => error.code(),
            Self::Invalid(_)
            | Self::UnsupportedImage
            | Self::TooLarge
            | Self::TooManyPixels { .. }
            | Self::TooLargeToDecode
            | Self::Unreadable(_) => ErrorCode::InvalidArgument,
            Self::GalleryFull => ErrorCode::FailedPrecondition,
            Self::NotFound => ErrorCode::NotFound,
            Self::Storage(error) => synergies_platform::error::storage_code(error),
            Self::Files(_) | Self::Encoding(_) | Self::Processing(_) => ErrorCode::Internal,
        }
    }

    fn in_french(&self) -> String {
        match self {
            Self::Invalid(error) => error.in_french(),
            Self::Listings(error) => error.in_french(),
            Self::UnsupportedImage => unsupported_image_text().fr,
            Self::TooLarge => photo_too_large_text().fr,
            Self::TooManyPixels { width, height } => format!(
                "photo : l'image fait {width}×{height} pixels ; au plus {MAX_SIDE} pixels de côté et {} mégapixels sont acceptés",
                MAX_PIXELS / 1_000_000
            ),
            Self::TooLargeToDecode => {
                "photo : l'image demande trop de mémoire pour être lue ; envoyez-en une plus petite"
                    .to_owned()
            }
            Self::Unreadable(_) => {
                "photo : l'image est endommagée ou incomplète et ne peut pas être lue".to_owned()
            }
            Self::GalleryFull => format!(
                "une annonce a au plus {MAX_PHOTOS_PER_LISTING} photos : supprimez-en une avant d'en ajouter une autre"
            ),
            Self::NotFound => "photo introuvable".to_owned(),
            Self::Storage(_) | Self::Files(_) | Self::Encoding(_) | Self::Processing(_) => {
                "erreur interne".to_owned()
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(error) => Some(error.field),
            Self::Listings(error) => error.field(),
            Self::UnsupportedImage
            | Self::TooLarge
            | Self::TooManyPixels { .. }
            | Self::TooLargeToDecode
            | Self::Unreadable(_) => Some("photo"),
            _ => None,
        }
    }
}

impl From<PhotosError> for tonic::Status {
    fn from(error: PhotosError) -> Self {
        synergies_platform::error::to_status(&error)
    }
}
