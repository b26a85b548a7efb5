//! Uploaded images — listing photos and territory logos: what the platform accepts, shared by
//! the gateway (which refuses at the edge, before a large body travels further) and the service
//! that owns them (listings for photos, identity for logos), which checks again, decodes and
//! re-encodes them with [`processing`] (feature `images`) and owns the decision.
//!
//! A file's type is read from its first bytes (its "magic number"), never from its name or the
//! `Content-Type` a client declares: both are whatever the client says.

#[cfg(feature = "images")]
pub mod processing;

use crate::i18n::Text;

/// Largest photo accepted, in bytes (issue 4: "10 MB each").
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// Largest logo accepted, in bytes: a logo is a small picture, and what is stored is re-encoded
/// at most 512 pixels a side anyway.
pub const MAX_LOGO_BYTES: usize = 2 * 1024 * 1024;
/// Most photos one listing may have.
pub const MAX_PHOTOS_PER_LISTING: u32 = 8;

/// The image types a photo may be uploaded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    WebP,
}

impl ImageType {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }
}

/// The image type `bytes` start like, if it is one we accept.
pub fn sniff_image(bytes: &[u8]) -> Option<ImageType> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageType::Jpeg)
    } else if bytes.starts_with(PNG) {
        Some(ImageType::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageType::WebP)
    } else {
        None
    }
}

/// What a person is told when a file is not a photo we accept.
pub fn unsupported_image_text() -> Text {
    Text::new(
        "photo: only JPEG, PNG and WebP images are accepted (the file's content is checked, not its name)",
        "photo : seules les images JPEG, PNG et WebP sont acceptées (le contenu du fichier est vérifié, pas son nom)",
    )
}

/// What a person is told when a photo is larger than [`MAX_PHOTO_BYTES`].
pub fn photo_too_large_text() -> Text {
    let megabytes = MAX_PHOTO_BYTES / (1024 * 1024);
    Text::new(
        format!("photo: a photo may be at most {megabytes} MB"),
        format!("photo : une photo ne doit pas dépasser {megabytes} Mo"),
    )
}

/// What a person is told when a logo is not an image we accept. SVG is refused: it is a
/// document that may carry scripts and outside references, and no sanitiser is trusted here.
pub fn unsupported_logo_text() -> Text {
    Text::new(
        "logo: only PNG, JPEG and WebP images are accepted (not SVG: send the logo as a PNG); the file's content is checked, not its name",
        "logo : seules les images PNG, JPEG et WebP sont acceptées (pas de SVG : envoyez le logo en PNG) ; le contenu du fichier est vérifié, pas son nom",
    )
}

/// What a person is told when a logo is larger than [`MAX_LOGO_BYTES`].
pub fn logo_too_large_text() -> Text {
    let megabytes = MAX_LOGO_BYTES / (1024 * 1024);
    Text::new(
        format!("logo: a logo may be at most {megabytes} MB"),
        format!("logo : un logo ne doit pas dépasser {megabytes} Mo"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_from_the_content() {
        assert_eq!(
            sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n\0\0"), Some(ImageType::Png));
        assert_eq!(
            sniff_image(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageType::WebP)
        );
        assert_eq!(sniff_image(b"%PDF-1.7\n"), None);
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_image(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_image(b""), None);
    }
}
