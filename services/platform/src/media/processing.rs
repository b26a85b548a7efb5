//! From an uploaded image to what is stored: a listing photo's two JPEG renditions
//! ([`process`]), or a territory's logo as a PNG that keeps its transparency ([`process_logo`]).
//! Both go through the same checks and the same bounded decoding.
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
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{
    DynamicImage, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader, Limits,
    RgbImage,
};

use super::{ImageType, MAX_LOGO_BYTES, MAX_PHOTO_BYTES, sniff_image};

/// Why an upload was not stored. The messages name no field: the photo and logo errors of the
/// services that own them say which input was at fault, in both languages.
#[derive(Debug, thiserror::Error)]
pub enum ProcessingError {
    #[error(
        "only JPEG, PNG and WebP images are accepted (the file's content is checked, not its name)"
    )]
    UnsupportedImage,
    #[error("the file is larger than {} MB", max_bytes / (1024 * 1024))]
    TooLarge { max_bytes: usize },
    #[error(
        "the image is {width}×{height} pixels; at most {MAX_SIDE} pixels on each side and {} megapixels are accepted",
        MAX_PIXELS / 1_000_000
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image needs too much memory to be read; send a smaller one")]
    TooLargeToDecode,
    #[error("the image is damaged or incomplete and cannot be read")]
    Unreadable(#[source] ImageError),
    #[error("encoding the image failed: {0}")]
    Encoding(#[source] ImageError),
}

/// Longest side of the stored photo: enough for a full-screen view, far less than a camera's.
pub const MAX_EDGE: u32 = 2000;
/// Longest side of a thumbnail (listing cards, galleries).
pub const THUMBNAIL_EDGE: u32 = 400;
/// JPEG quality of both renditions: visually clean for photos at a third of the size of q=95.
pub const JPEG_QUALITY: u8 = 85;
/// Longest side accepted before decoding.
pub const MAX_SIDE: u32 = 16_384;
/// Most pixels accepted before decoding a picture that is decoded whole: PNG, WebP, and the
/// JPEGs that cannot be decoded scaled down (progressive ones keep every coefficient of the
/// full picture; CMYK, 12-bit). Decoding holds the whole picture in memory and making it
/// opaque copies it once more: at 50 megapixels an upload took about 350 MB, doubling the
/// process. 24 megapixels (6000×4000, a full-frame camera; phones save 12) keeps one upload
/// under 170 MB. Baseline JPEGs — what cameras and phones write — are decoded scaled down
/// instead (see [`decode_jpeg_scaled`]) and accepted up to [`MAX_SIDE`] a side.
pub const MAX_PIXELS: u64 = 24_000_000;
/// Ceiling on what a decoder may allocate (16-bit RGBA PNG at [`MAX_PIXELS`] fits).
const MAX_DECODER_ALLOCATION: u64 = 256 * 1024 * 1024;

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
pub fn process(upload: &[u8]) -> Result<Processed, ProcessingError> {
    if upload.len() > MAX_PHOTO_BYTES {
        return Err(ProcessingError::TooLarge {
            max_bytes: MAX_PHOTO_BYTES,
        });
    }
    let uploaded_as = sniff_image(upload).ok_or(ProcessingError::UnsupportedImage)?;
    let upright = decode(upload, uploaded_as)?;
    let pixels = DynamicImage::ImageRgb8(opaque(upright));
    let full = shrink(&pixels, MAX_EDGE).unwrap_or(pixels);
    // The thumbnail comes from the already shrunk photo: same result, a fraction of the work.
    let thumbnail = shrink(&full, THUMBNAIL_EDGE);
    Ok(Processed {
        uploaded_as,
        thumbnail: encode(thumbnail.as_ref().unwrap_or(&full))?,
        full: encode(&full)?,
    })
}

/// Longest side of a stored logo: the header shows it 32 px high, e-mails and high-density
/// screens up to a few times that; 512 px keeps every use sharp and the file small.
pub const LOGO_EDGE: u32 = 512;
/// Content type of a stored logo.
pub const LOGO_CONTENT_TYPE: &str = "image/png";

/// Checks, decodes and re-encodes an uploaded logo: the same checks and bounded decoding as a
/// photo, then shrunk to [`LOGO_EDGE`] and written as a PNG of pixels only (a logo's
/// transparency is kept — it sits on the territory's coloured header — and nothing else of the
/// upload: no text chunks, EXIF or colour profile).
pub fn process_logo(upload: &[u8]) -> Result<Encoded, ProcessingError> {
    if upload.len() > MAX_LOGO_BYTES {
        return Err(ProcessingError::TooLarge {
            max_bytes: MAX_LOGO_BYTES,
        });
    }
    let uploaded_as = sniff_image(upload).ok_or(ProcessingError::UnsupportedImage)?;
    let upright = decode(upload, uploaded_as)?;
    let pixels = if upright.color().has_alpha() {
        DynamicImage::ImageRgba8(upright.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(upright.into_rgb8())
    };
    let logo = shrink(&pixels, LOGO_EDGE).unwrap_or(pixels);
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(
            logo.as_bytes(),
            logo.width(),
            logo.height(),
            logo.color().into(),
        )
        .map_err(ProcessingError::Encoding)?;
    Ok(Encoded {
        bytes,
        width: logo.width(),
        height: logo.height(),
    })
}

/// Decodes within limits and applies the EXIF orientation.
fn decode(upload: &[u8], uploaded_as: ImageType) -> Result<DynamicImage, ProcessingError> {
    if uploaded_as == ImageType::Jpeg
        && let Some(image) = decode_jpeg_scaled(upload)?
    {
        return Ok(image);
    }
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
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ProcessingError::TooManyPixels { width, height });
    }
    // A damaged EXIF block only costs the orientation, not the photo.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// A baseline JPEG decoded straight at the smallest of 1/1, 1/2, 1/4 or 1/8 of its size that
/// still covers [`MAX_EDGE`] (the scaling happens in the inverse DCT, block by block), so
/// that memory follows what is stored, not what the camera took: a 49-megapixel photo is
/// decoded at a quarter, 3 megapixels. `None` for what this decoder cannot scale (progressive,
/// CMYK, 12-bit): the whole-picture path decides on those, within [`MAX_PIXELS`].
pub fn decode_jpeg_scaled(upload: &[u8]) -> Result<Option<DynamicImage>, ProcessingError> {
    use jpeg_decoder::{CodingProcess, PixelFormat};
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(upload));
    // Headers only: the size the file claims is checked before decoding.
    decoder.read_info().map_err(jpeg_unreadable)?;
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ProcessingError::TooManyPixels { width, height });
    }
    let scalable = info.coding_process == CodingProcess::DctSequential
        && matches!(info.pixel_format, PixelFormat::RGB24 | PixelFormat::L8);
    if !scalable {
        return Ok(None);
    }
    let (target_width, target_height) = fit(width, height, MAX_EDGE.min(width.max(height)));
    let (scaled_width, scaled_height) = decoder
        .scale(
            u16::try_from(target_width).unwrap_or(u16::MAX),
            u16::try_from(target_height).unwrap_or(u16::MAX),
        )
        .map_err(jpeg_unreadable)?;
    let (scaled_width, scaled_height) = (u32::from(scaled_width), u32::from(scaled_height));
    // The decoder's own guard on its output, whatever the scale chosen.
    decoder.set_max_decoding_buffer_size(
        usize::try_from(MAX_DECODER_ALLOCATION).unwrap_or(usize::MAX),
    );
    let orientation = decoder
        .exif_data()
        .and_then(image::metadata::Orientation::from_exif_chunk)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let pixels = decoder.decode().map_err(jpeg_unreadable)?;
    let mut image = match info.pixel_format {
        PixelFormat::L8 => image::GrayImage::from_raw(scaled_width, scaled_height, pixels)
            .map(DynamicImage::ImageLuma8),
        _ => RgbImage::from_raw(scaled_width, scaled_height, pixels).map(DynamicImage::ImageRgb8),
    }
    .ok_or_else(|| {
        ProcessingError::Unreadable(ImageError::Decoding(image::error::DecodingError::new(
            ImageFormat::Jpeg.into(),
            "fewer pixels than the picture's size",
        )))
    })?;
    image.apply_orientation(orientation);
    Ok(Some(image))
}

fn jpeg_unreadable(error: jpeg_decoder::Error) -> ProcessingError {
    match error {
        jpeg_decoder::Error::Unsupported(_) => ProcessingError::UnsupportedImage,
        other => ProcessingError::Unreadable(ImageError::Decoding(
            image::error::DecodingError::new(ImageFormat::Jpeg.into(), other),
        )),
    }
}

fn unreadable(error: ImageError) -> ProcessingError {
    match error {
        // The decoder's own allocation guard: the same answer as a too large picture.
        ImageError::Limits(_) => ProcessingError::TooLargeToDecode,
        ImageError::Unsupported(_) => ProcessingError::UnsupportedImage,
        other => ProcessingError::Unreadable(other),
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

/// The image shrunk to fit in `edge`×`edge`, keeping its proportions; `None` if it fits already.
fn shrink(image: &DynamicImage, edge: u32) -> Option<DynamicImage> {
    let (width, height) = (image.width(), image.height());
    if width <= edge && height <= edge {
        return None;
    }
    let (target_width, target_height) = fit(width, height, edge);
    // First by a whole factor, averaging each k×k block: exact (every source pixel weighs the
    // same, no aliasing) and about 2.5× faster than filtering the full picture — a 12 MP photo
    // halves straight to 2000 px this way. A filter finishes the remaining step, if any, on the
    // smaller picture.
    let factor = (width / target_width).min(height / target_height);
    let halved;
    let image = if factor >= 2 {
        halved = image.thumbnail_exact(width / factor, height / factor);
        &halved
    } else {
        image
    };
    if (image.width(), image.height()) == (target_width, target_height) {
        return Some(image.clone());
    }
    // Triangle (bilinear) over the whole source footprint: smooth downscaling at a fraction of
    // Lanczos's cost. `DynamicImage`'s methods are compiled (and optimised) in the image crate; a
    // generic `imageops` call from here would run unoptimised in debug builds and tests.
    Some(image.resize_exact(target_width, target_height, FilterType::Triangle))
}

/// Dimensions of `width`×`height` scaled to fit in `edge`×`edge` (never below 1 pixel).
pub fn fit(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let scale = f64::from(edge) / f64::from(width.max(height));
    let scaled = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, edge);
    (scaled(width), scaled(height))
}

fn encode(image: &DynamicImage) -> Result<Encoded, ProcessingError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .map_err(ProcessingError::Encoding)?;
    Ok(Encoded {
        bytes,
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    use image::codecs::png::PngEncoder;
    use image::codecs::webp::WebPEncoder;
    use image::{
        ExtendedColorType, GenericImageView, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage,
    };

    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let pixels = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        encode(&DynamicImage::ImageRgb8(pixels)).unwrap().bytes
    }

    /// A TIFF block as cameras write it in EXIF: orientation 6 ("rotate 90° clockwise to view")
    /// and a camera description that must not leak.
    fn exif_payload(secret: &[u8]) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend_from_slice(&2u16.to_be_bytes());
        // Orientation, SHORT, 1 value: 6.
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        // ImageDescription, ASCII, at offset 38 (after this two-entry directory).
        let length = (secret.len() + 1) as u32;
        tiff.extend_from_slice(&[0x01, 0x0E, 0, 2]);
        tiff.extend_from_slice(&length.to_be_bytes());
        tiff.extend_from_slice(&38u32.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
        tiff.extend_from_slice(secret);
        tiff.push(0);
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        payload
    }

    /// `jpeg` with an APP1 (EXIF) segment right after its start-of-image marker.
    fn with_exif(jpeg: &[u8], payload: &[u8]) -> Vec<u8> {
        let length = u16::try_from(payload.len() + 2).unwrap();
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn decoded(bytes: &[u8]) -> DynamicImage {
        image::load_from_memory_with_format(bytes, ImageFormat::Jpeg).unwrap()
    }

    #[test]
    fn exif_is_stripped_and_its_orientation_applied() {
        let secret = b"GPS 47.3220N 5.0415E serial 0042-SECRET";
        let upload = with_exif(&jpeg(64, 32), &exif_payload(secret));
        assert!(contains(&upload, b"Exif") && contains(&upload, secret));

        let processed = process(&upload).unwrap();
        for rendition in [&processed.full, &processed.thumbnail] {
            assert!(!contains(&rendition.bytes, b"Exif"));
            assert!(!contains(&rendition.bytes, secret));
            assert!(
                !contains(&rendition.bytes, &[0xFF, 0xE1]),
                "no APP1 segment at all"
            );
        }
        // Stored upright: the sideways 64×32 photo is 32×64 once turned.
        assert_eq!((processed.full.width, processed.full.height), (32, 64));
        assert_eq!(decoded(&processed.full.bytes).dimensions(), (32, 64));
        assert_eq!(processed.uploaded_as, ImageType::Jpeg);
    }

    #[test]
    fn png_with_transparency_is_accepted_on_white() {
        let pixels = RgbaImage::from_fn(20, 10, |x, _| {
            if x < 10 {
                Rgba([0, 0, 0, 0])
            } else {
                Rgba([200, 30, 30, 255])
            }
        });
        let mut upload = Vec::new();
        PngEncoder::new(&mut upload)
            .write_image(pixels.as_raw(), 20, 10, ExtendedColorType::Rgba8)
            .unwrap();
        let processed = process(&upload).unwrap();
        assert_eq!(processed.uploaded_as, ImageType::Png);
        let full = decoded(&processed.full.bytes).into_rgb8();
        let transparent = full.get_pixel(2, 5).0;
        assert!(transparent.iter().all(|&c| c > 240), "{transparent:?}");
        let opaque = full.get_pixel(17, 5).0;
        assert!(opaque[0] > 150 && opaque[1] < 80, "{opaque:?}");
    }

    #[test]
    fn webp_is_accepted() {
        let pixels = RgbImage::from_pixel(30, 40, Rgb([10, 120, 60]));
        let mut upload = Vec::new();
        WebPEncoder::new_lossless(&mut upload)
            .write_image(pixels.as_raw(), 30, 40, ExtendedColorType::Rgb8)
            .unwrap();
        let processed = process(&upload).unwrap();
        assert_eq!(processed.uploaded_as, ImageType::WebP);
        assert_eq!((processed.full.width, processed.full.height), (30, 40));
        assert!(processed.full.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    }

    #[test]
    fn a_text_file_named_like_a_photo_is_refused() {
        // Whatever the file was called ("photo.jpg"), only its content is looked at.
        let refused = process(b"Ceci n'est pas une photo.\n").unwrap_err();
        assert!(
            matches!(refused, ProcessingError::UnsupportedImage),
            "{refused:?}"
        );
        let pdf = process(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj").unwrap_err();
        assert!(matches!(pdf, ProcessingError::UnsupportedImage), "{pdf:?}");
    }

    #[test]
    fn a_damaged_image_is_refused_clearly() {
        let mut damaged = b"\x89PNG\r\n\x1a\n".to_vec();
        damaged.extend_from_slice(&[0x17; 64]);
        let refused = process(&damaged).unwrap_err();
        assert!(
            matches!(refused, ProcessingError::Unreadable(_)),
            "{refused:?}"
        );
    }

    #[test]
    fn a_one_pixel_image_is_kept_at_one_pixel() {
        let processed = process(&jpeg(1, 1)).unwrap();
        assert_eq!((processed.full.width, processed.full.height), (1, 1));
        assert_eq!(
            (processed.thumbnail.width, processed.thumbnail.height),
            (1, 1)
        );
    }

    #[test]
    fn large_photos_are_shrunk_and_thumbnails_made() {
        let processed = process(&jpeg(3000, 1500)).unwrap();
        assert_eq!((processed.full.width, processed.full.height), (2000, 1000));
        assert_eq!(
            (processed.thumbnail.width, processed.thumbnail.height),
            (400, 200)
        );
        assert_eq!(decoded(&processed.thumbnail.bytes).dimensions(), (400, 200));
    }

    /// A valid PNG whose header claims `width`×`height`: the picture a decompression bomb claims
    /// to be, in a few hundred bytes.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(&[0; 4], 2, 2, ExtendedColorType::L8)
            .unwrap();
        // IHDR: length (4) and type (4) after the 8-byte signature, then width and height.
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_decoding() {
        let bomb = png_claiming(60_000, 60_000);
        assert!(bomb.len() < 1000);
        let refused = process(&bomb).unwrap_err();
        assert!(
            matches!(
                refused,
                ProcessingError::TooManyPixels {
                    width: 60_000,
                    height: 60_000
                }
            ),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("60000×60000"), "{refused}");
        // Within each side's limit but too many pixels in all.
        let wide = process(&png_claiming(16_000, 8_000)).unwrap_err();
        assert!(
            matches!(wide, ProcessingError::TooManyPixels { .. }),
            "{wide:?}"
        );
    }

    #[test]
    fn a_file_over_the_size_limit_is_refused_unread() {
        let mut upload = jpeg(8, 8);
        upload.resize(MAX_PHOTO_BYTES + 1, 0);
        assert!(matches!(
            process(&upload).unwrap_err(),
            ProcessingError::TooLarge { .. }
        ));
    }

    #[test]
    fn a_twelve_megapixel_photo_halves_to_2000_pixels() {
        // Vertical stripes one pixel wide: averaging 2×2 blocks gives an even grey, a filter
        // that skipped pixels would give stripes or a cast.
        let pixels = RgbImage::from_fn(4000, 3000, |x, _| {
            if x % 2 == 0 {
                Rgb([0, 0, 0])
            } else {
                Rgb([200, 200, 200])
            }
        });
        let shrunk = shrink(&DynamicImage::ImageRgb8(pixels), MAX_EDGE).unwrap();
        assert_eq!((shrunk.width(), shrunk.height()), (2000, 1500));
        let grey = shrunk.into_rgb8();
        assert!(
            grey.pixels()
                .all(|p| p.0.iter().all(|&c| (99..=101).contains(&c)))
        );
    }

    #[test]
    fn a_logo_keeps_its_transparency_and_loses_its_metadata() {
        let pixels = RgbaImage::from_fn(1024, 256, |x, _| {
            if x < 512 {
                Rgba([0, 0, 0, 0])
            } else {
                Rgba([29, 79, 145, 255])
            }
        });
        let mut upload = Vec::new();
        PngEncoder::new(&mut upload)
            .write_image(pixels.as_raw(), 1024, 256, ExtendedColorType::Rgba8)
            .unwrap();
        // A text chunk before IEND, as an editor leaves one.
        let mut typed = b"tEXtAuthor\0M. Dupont, secret".to_vec();
        let mut chunk = u32::try_from(typed.len() - 4)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        let crc = crc32fast::hash(&typed);
        chunk.append(&mut typed);
        chunk.extend_from_slice(&crc.to_be_bytes());
        let iend = upload.len() - 12;
        upload.splice(iend..iend, chunk);
        assert!(contains(&upload, b"Dupont"));

        let logo = process_logo(&upload).unwrap();
        assert_eq!((logo.width, logo.height), (LOGO_EDGE, 128));
        assert!(logo.bytes.starts_with(b"\x89PNG"));
        assert!(!contains(&logo.bytes, b"Dupont"));
        let decoded = image::load_from_memory(&logo.bytes).unwrap().into_rgba8();
        assert_eq!(decoded.get_pixel(10, 64).0[3], 0);
        assert_eq!(decoded.get_pixel(500, 64).0[3], 255);
    }

    #[test]
    fn a_logo_is_refused_like_a_photo() {
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        assert!(matches!(
            process_logo(svg).unwrap_err(),
            ProcessingError::UnsupportedImage
        ));
        assert!(matches!(
            process_logo(&png_claiming(60_000, 60_000)).unwrap_err(),
            ProcessingError::TooManyPixels { .. }
        ));
        let mut large = jpeg(8, 8);
        large.resize(MAX_LOGO_BYTES + 1, 0);
        assert!(matches!(
            process_logo(&large).unwrap_err(),
            ProcessingError::TooLarge {
                max_bytes: MAX_LOGO_BYTES
            }
        ));
        // An opaque JPEG logo stays opaque, written as PNG.
        let logo = process_logo(&jpeg(40, 20)).unwrap();
        assert_eq!((logo.width, logo.height), (40, 20));
        assert!(logo.bytes.starts_with(b"\x89PNG"));
    }

    #[test]
    fn fitting_keeps_proportions() {
        assert_eq!(fit(4000, 3000, 2000), (2000, 1500));
        assert_eq!(fit(3000, 4000, 400), (300, 400));
        assert_eq!(fit(10_000, 1, 400), (400, 1));
    }
}
