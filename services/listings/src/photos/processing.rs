//! From an uploaded file to the two JPEG renditions that are stored: the platform's image
//! processing ([`synergies_platform::media::processing`]), shared with the territories' logos so
//! that both are checked, decoded and stripped of metadata by one code path.

pub use synergies_platform::media::processing::{
    Encoded, JPEG_QUALITY, MAX_EDGE, MAX_PIXELS, MAX_SIDE, Processed, ProcessingError,
    STORED_CONTENT_TYPE, THUMBNAIL_EDGE, decode_jpeg_scaled, fit, process,
};

use super::error::PhotosError;

impl From<ProcessingError> for PhotosError {
    fn from(error: ProcessingError) -> Self {
        match error {
            ProcessingError::UnsupportedImage => Self::UnsupportedImage,
            ProcessingError::TooLarge { .. } => Self::TooLarge,
            ProcessingError::TooManyPixels { width, height } => {
                Self::TooManyPixels { width, height }
            }
            ProcessingError::TooLargeToDecode => Self::TooLargeToDecode,
            ProcessingError::Unreadable(error) => Self::Unreadable(error),
            ProcessingError::Encoding(error) => Self::Encoding(error),
        }
    }
}
