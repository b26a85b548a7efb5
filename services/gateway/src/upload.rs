//! Reading an upload from a `multipart/form-data` body, for the API and the pages alike: an
//! image — a listing photo or a territory's logo — is refused as soon as it is too large or does
//! not start like an image.

use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::http::StatusCode;
use synergies_platform::i18n::Text;
use synergies_platform::media::{
    MAX_LOGO_BYTES, MAX_PHOTO_BYTES, logo_too_large_text, photo_too_large_text, sniff_image,
    unsupported_image_text, unsupported_logo_text,
};

use crate::error::ApiError;

/// Body limit of an upload: one photo plus the multipart envelope around it.
pub const UPLOAD_BODY_LIMIT: usize = MAX_PHOTO_BYTES + 64 * 1024;
/// Body limit of a logo upload, envelope (and the page form's CSRF token) included.
pub const LOGO_BODY_LIMIT: usize = MAX_LOGO_BYTES + 64 * 1024;

/// What kind of image a form carries: its field, its limit and what a person is told.
#[derive(Debug, Clone, Copy)]
pub struct ImageKind {
    /// The multipart field holding it.
    pub field: &'static str,
    pub max_bytes: usize,
    too_large: fn() -> Text,
    unsupported: fn() -> Text,
    /// What a client is told that sends no such field, or no multipart form.
    missing: (&'static str, &'static str),
    not_a_form: (&'static str, &'static str),
}

/// A listing photo.
pub const PHOTO: ImageKind = ImageKind {
    field: "photo",
    max_bytes: MAX_PHOTO_BYTES,
    too_large: photo_too_large_text,
    unsupported: unsupported_image_text,
    missing: (
        "photo: the form has no field named photo",
        "photo : le formulaire n'a pas de champ nommé photo",
    ),
    not_a_form: (
        "send the photo as multipart/form-data, in a field named photo",
        "envoyez la photo en multipart/form-data, dans un champ nommé photo",
    ),
};

/// A territory's logo.
pub const LOGO: ImageKind = ImageKind {
    field: "logo",
    max_bytes: MAX_LOGO_BYTES,
    too_large: logo_too_large_text,
    unsupported: unsupported_logo_text,
    missing: (
        "logo: choose an image file (PNG, JPEG or WebP)",
        "logo : choisissez un fichier image (PNG, JPEG ou WebP)",
    ),
    not_a_form: (
        "send the logo as multipart/form-data, in a field named logo",
        "envoyez le logo en multipart/form-data, dans un champ nommé logo",
    ),
};

impl ImageKind {
    fn too_large(self) -> ApiError {
        ApiError {
            field: Some(self.field.to_owned()),
            ..ApiError::with_status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                (self.too_large)(),
            )
        }
    }

    fn unsupported_media(self) -> ApiError {
        ApiError {
            field: Some(self.field.to_owned()),
            ..ApiError::with_status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                (self.unsupported)(),
            )
        }
    }

    pub fn not_a_form(self) -> ApiError {
        ApiError::with_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Text::new(self.not_a_form.0, self.not_a_form.1),
        )
    }

    pub fn no_field(self) -> ApiError {
        ApiError::invalid(self.field, Text::new(self.missing.0, self.missing.1))
    }

    /// Reads this kind's field, refusing as soon as it is too large or does not start like an
    /// image (a 10 MB PDF is refused after its first bytes, not after all of them).
    pub async fn read(self, mut form: Multipart) -> Result<Vec<u8>, ApiError> {
        while let Some(field) = form.next_field().await.map_err(|e| self.unreadable(&e))? {
            if field.name() != Some(self.field) {
                continue;
            }
            return self.read_field(field).await;
        }
        Err(self.no_field())
    }

    /// The bytes of one field, refused as soon as they are too many or not an image.
    pub async fn read_field(self, mut field: Field<'_>) -> Result<Vec<u8>, ApiError> {
        let mut image = Vec::new();
        let mut sniffed = false;
        while let Some(chunk) = field.chunk().await.map_err(|e| self.unreadable(&e))? {
            if image.len() + chunk.len() > self.max_bytes {
                return Err(self.too_large());
            }
            image.extend_from_slice(&chunk);
            // 12 bytes tell every accepted type apart (WebP's signature is the longest).
            if !sniffed && image.len() >= 12 {
                sniff_image(&image).ok_or_else(|| self.unsupported_media())?;
                sniffed = true;
            }
        }
        sniff_image(&image).ok_or_else(|| self.unsupported_media())?;
        Ok(image)
    }

    /// A form that cannot be read; over the body limit it is this kind's "too large".
    pub fn unreadable(self, error: &MultipartError) -> ApiError {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return self.too_large();
        }
        unreadable_form(error)
    }
}

pub fn not_a_form() -> ApiError {
    PHOTO.not_a_form()
}

pub fn unreadable_form(error: &MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return PHOTO.too_large();
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

/// Reads the `photo` field (see [`ImageKind::read`]).
pub async fn read_photo(form: Multipart) -> Result<Vec<u8>, ApiError> {
    PHOTO.read(form).await
}

/// The bytes of a `photo` field, refused as soon as they are too many or not an image.
pub async fn read_photo_field(field: Field<'_>) -> Result<Vec<u8>, ApiError> {
    PHOTO.read_field(field).await
}

pub fn no_photo_field() -> ApiError {
    PHOTO.no_field()
}
