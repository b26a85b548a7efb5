//! Reading an upload from a `multipart/form-data` body, for the API and the pages alike: a photo
//! is refused as soon as it is too large or does not start like an image.

use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::http::StatusCode;
use synergies_platform::i18n::Text;
use synergies_platform::media::{
    MAX_PHOTO_BYTES, photo_too_large_text, sniff_image, unsupported_image_text,
};

use crate::error::ApiError;

/// Body limit of an upload: one photo plus the multipart envelope around it.
pub const UPLOAD_BODY_LIMIT: usize = MAX_PHOTO_BYTES + 64 * 1024;
/// The multipart field holding the photo.
const PHOTO_FIELD: &str = "photo";

fn too_large() -> ApiError {
    ApiError::with_status(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        photo_too_large_text(),
    )
}

fn unsupported_media() -> ApiError {
    ApiError {
        field: Some(PHOTO_FIELD.to_owned()),
        ..ApiError::with_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            unsupported_image_text(),
        )
    }
}

pub fn not_a_form() -> ApiError {
    ApiError::with_status(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        Text::new(
            "send the photo as multipart/form-data, in a field named photo",
            "envoyez la photo en multipart/form-data, dans un champ nommé photo",
        ),
    )
}

pub fn unreadable_form(error: &MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    let message = error.body_text();
    ApiError::with_status(
        StatusCode::BAD_REQUEST,
        "bad_request",
        Text::new(
            format!("unreadable form: {message}"),
            "le formulaire envoyé n'a pas pu être lu (multipart/form-data attendu)".to_owned(),
        ),
    )
}

/// Reads the `photo` field, refusing as soon as it is too large or does not start like an image
/// (a 10 MB PDF is refused after its first bytes, not after all of them).
pub async fn read_photo(mut form: Multipart) -> Result<Vec<u8>, ApiError> {
    while let Some(field) = form.next_field().await.map_err(|e| unreadable_form(&e))? {
        if field.name() != Some(PHOTO_FIELD) {
            continue;
        }
        return read_photo_field(field).await;
    }
    Err(no_photo_field())
}

/// The bytes of a `photo` field, refused as soon as they are too many or not an image.
pub async fn read_photo_field(mut field: Field<'_>) -> Result<Vec<u8>, ApiError> {
    let mut photo = Vec::new();
    let mut sniffed = false;
    while let Some(chunk) = field.chunk().await.map_err(|e| unreadable_form(&e))? {
        if photo.len() + chunk.len() > MAX_PHOTO_BYTES {
            return Err(too_large());
        }
        photo.extend_from_slice(&chunk);
        // 12 bytes tell every accepted type apart (WebP's signature is the longest).
        if !sniffed && photo.len() >= 12 {
            sniff_image(&photo).ok_or_else(unsupported_media)?;
            sniffed = true;
        }
    }
    sniff_image(&photo).ok_or_else(unsupported_media)?;
    Ok(photo)
}

pub fn no_photo_field() -> ApiError {
    ApiError::invalid(
        PHOTO_FIELD,
        Text::new(
            "photo: the form has no field named photo",
            "photo : le formulaire n'a pas de champ nommé photo",
        ),
    )
}
