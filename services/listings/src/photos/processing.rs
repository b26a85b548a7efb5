//! From an uploaded file to the two JPEG renditions that are stored.
//!
//! Nothing of the upload is kept: it is decoded to pixels (within limits, so a small file that
//! claims a huge picture — a decompression bomb — is refused before any large allocation),
//! turned upright by its EXIF orientation (phones store photos sideways and say so in EXIF), made
//! opaque, shrunk, and encoded anew. The encoder writes pixels only: EXIF (GPS position, camera
//! serial number, date), XMP, IPTC, comments and colour profiles do not survive.
//!
//! Everything here is CPU-bound and blocking: callers run it on `spawn_blocking`.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{
    DynamicImage, ExtendedColorType, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits,
    RgbImage,
};
use synergies_platform::media::{ImageType, MAX_PHOTO_BYTES, sniff_image};

use super::error::PhotosError;

/// Longest side of the stored photo: enough for a full-screen view, far less than a camera's.
pub const MAX_EDGE: u32 = 2000;
/// Longest side of a thumbnail (listing cards, galleries).
pub const THUMBNAIL_EDGE: u32 = 400;
/// JPEG quality of both renditions: visually clean for photos at a third of the size of q=95.
pub const JPEG_QUALITY: u8 = 85;
/// Longest side accepted before decoding.
pub const MAX_SIDE: u32 = 16_384;
/// Most pixels accepted before decoding: 50 megapixels covers every current camera, and keeps
/// one decoded photo under 200 MB even with an alpha channel.
pub const MAX_PIXELS: u64 = 50_000_000;
/// Ceiling on what a decoder may allocate (16-bit PNG at [`MAX_PIXELS`] fits).
const MAX_DECODER_ALLOCATION: u64 = 512 * 1024 * 1024;

/// An encoded rendition.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// What is stored of an upload.
#[derive(Debug, Clone)]
pub struct Processed {
    /// What the upload was (for logs): the stored renditions are always JPEG.
    pub uploaded_as: ImageType,
    pub full: Encoded,
    pub thumbnail: Encoded,
}

/// Content type of every stored rendition.
pub const STORED_CONTENT_TYPE: &str = "image/jpeg";

/// Checks, decodes and re-encodes an uploaded photo.
pub fn process(upload: &[u8]) -> Result<Processed, PhotosError> {
    if upload.len() > MAX_PHOTO_BYTES {
        return Err(PhotosError::TooLarge);
    }
    let uploaded_as = sniff_image(upload).ok_or(PhotosError::UnsupportedImage)?;
    let upright = decode(upload, uploaded_as)?;
    let pixels = opaque(upright);
    let full = shrink(&pixels, MAX_EDGE);
    // The thumbnail comes from the already shrunk photo: same result, a fraction of the work.
    let thumbnail = shrink(&full, THUMBNAIL_EDGE);
    Ok(Processed {
        uploaded_as,
        full: encode(&full)?,
        thumbnail: encode(&thumbnail)?,
    })
}

/// Decodes within limits and applies the EXIF orientation.
fn decode(upload: &[u8], uploaded_as: ImageType) -> Result<DynamicImage, PhotosError> {
    let format = match uploaded_as {
        ImageType::Jpeg => ImageFormat::Jpeg,
        ImageType::Png => ImageFormat::Png,
        ImageType::WebP => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODER_ALLOCATION);
    reader.limits(limits);
    // Only the headers are read here: the size the file claims is checked before decoding.
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(PhotosError::TooManyPixels { width, height });
    }
    // A damaged EXIF block only costs the orientation, not the photo.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn unreadable(error: ImageError) -> PhotosError {
    match error {
        // The decoder's own allocation guard: the same answer as a too large picture.
        ImageError::Limits(_) => PhotosError::TooLargeToDecode,
        ImageError::Unsupported(_) => PhotosError::UnsupportedImage,
        other => PhotosError::Unreadable(other),
    }
}

/// RGB pixels; transparent areas become white (JPEG has no transparency, and black — what
/// dropping the alpha channel gives — looks broken on a logo with a transparent background).
fn opaque(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, alpha] = rgba.get_pixel(x, y).0;
        let over_white = |channel: u8| {
            let alpha = u32::from(alpha);
            ((u32::from(channel) * alpha + 255 * (255 - alpha) + 127) / 255) as u8
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

/// The image itself when it fits in `edge`×`edge`, else shrunk to fit, keeping its proportions.
fn shrink(pixels: &RgbImage, edge: u32) -> RgbImage {
    let (width, height) = pixels.dimensions();
    if width <= edge && height <= edge {
        return pixels.clone();
    }
    let (width, height) = fit(width, height, edge);
    // Triangle (bilinear) over the whole source footprint: smooth downscaling at a fraction of
    // Lanczos's cost, which matters at 12 megapixels on a shared 2-core machine.
    image::imageops::resize(pixels, width, height, FilterType::Triangle)
}

/// Dimensions of `width`×`height` scaled to fit in `edge`×`edge` (never below 1 pixel).
pub fn fit(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let scale = f64::from(edge) / f64::from(width.max(height));
    let scaled = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, edge);
    (scaled(width), scaled(height))
}

fn encode(pixels: &RgbImage) -> Result<Encoded, PhotosError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode(
            pixels.as_raw(),
            pixels.width(),
            pixels.height(),
            ExtendedColorType::Rgb8,
        )
        .map_err(PhotosError::Encoding)?;
    Ok(Encoded {
        bytes,
        width: pixels.width(),
        height: pixels.height(),
    })
}
