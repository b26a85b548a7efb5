//! A territory's logo (issue 17): uploaded by its tenant admin, checked like a listing photo —
//! the same size limit family, content sniffing, bounded decoding and re-encoding, by the
//! platform's one image code path ([`synergies_platform::media::processing`]) — and stored as a
//! PNG of pixels only. Its digest goes into the logo's address, so a new logo is seen at once.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use synergies_platform::error::FieldError;
use synergies_platform::media::processing::{
    LOGO_CONTENT_TYPE, MAX_PIXELS, MAX_SIDE, ProcessingError, process_logo,
};
use synergies_platform::media::{logo_too_large_text, unsupported_logo_text};

use crate::error::IdentityError;

/// A stored logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantLogo {
    /// The first 16 hex digits of the image's SHA-256: names this version in addresses.
    pub digest: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub image: Vec<u8>,
    pub updated_at: DateTime<Utc>,
}

/// The field a logo's refusals name, in the API (multipart field) and on the page.
pub const LOGO_FIELD: &str = "logo";

/// Checks and re-encodes an upload off the async workers (decoding is CPU-bound).
pub async fn prepare(upload: Vec<u8>, now: DateTime<Utc>) -> Result<TenantLogo, IdentityError> {
    let encoded = tokio::task::spawn_blocking(move || process_logo(&upload))
        .await
        .map_err(|error| IdentityError::LogoProcessing(error.to_string()))?
        .map_err(refusal)?;
    let digest = hex::encode(Sha256::digest(&encoded.bytes))[..16].to_owned();
    Ok(TenantLogo {
        digest,
        content_type: LOGO_CONTENT_TYPE.to_owned(),
        width: encoded.width,
        height: encoded.height,
        image: encoded.bytes,
        updated_at: now,
    })
}

/// What the admin is told, next to the logo field, in both languages.
fn refusal(error: ProcessingError) -> IdentityError {
    let invalid = |text: synergies_platform::i18n::Text| {
        IdentityError::Invalid(FieldError::new(LOGO_FIELD, text.en, text.fr))
    };
    match error {
        ProcessingError::UnsupportedImage => invalid(unsupported_logo_text()),
        ProcessingError::TooLarge { .. } => invalid(logo_too_large_text()),
        ProcessingError::TooManyPixels { width, height } => {
            IdentityError::Invalid(FieldError::new(
                LOGO_FIELD,
                format!(
                    "logo: the image is {width}×{height} pixels; at most {MAX_SIDE} pixels on each side and {} megapixels are accepted",
                    MAX_PIXELS / 1_000_000
                ),
                format!(
                    "logo : l'image fait {width}×{height} pixels ; au plus {MAX_SIDE} pixels de côté et {} mégapixels sont acceptés",
                    MAX_PIXELS / 1_000_000
                ),
            ))
        }
        ProcessingError::TooLargeToDecode => IdentityError::Invalid(FieldError::new(
            LOGO_FIELD,
            "logo: the image needs too much memory to be read; send a smaller one",
            "logo : l'image demande trop de mémoire pour être lue ; envoyez-en une plus petite",
        )),
        ProcessingError::Unreadable(_) => IdentityError::Invalid(FieldError::new(
            LOGO_FIELD,
            "logo: the image is damaged or incomplete and cannot be read",
            "logo : l'image est endommagée ou incomplète et ne peut pas être lue",
        )),
        ProcessingError::Encoding(error) => IdentityError::LogoProcessing(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synergies_platform::error::ServiceError;

    #[tokio::test]
    async fn an_svg_logo_is_refused_by_name_of_the_field_in_both_languages() {
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        let refused = prepare(svg.to_vec(), Utc::now()).await.unwrap_err();
        assert_eq!(refused.field(), Some(LOGO_FIELD));
        assert!(refused.in_french().contains("pas de SVG"), "{refused}");
        assert!(refused.to_string().contains("not SVG"), "{refused}");
    }
}
