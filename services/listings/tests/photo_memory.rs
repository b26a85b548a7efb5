//! What a large photo costs in memory while it is processed, measured by this test binary's
//! own allocator: a 49-megapixel JPEG from a camera must not double the process (decoded
//! whole it took about 350 MB; decoded scaled down it takes a fraction).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder};
use synergies_listings::photos::processing::{MAX_EDGE, process};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to the system allocator unchanged; only counters are added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(pointer, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MB: usize = 1024 * 1024;

/// A baseline JPEG as a camera writes it, `width`×`height`, with detail everywhere (a flat
/// picture would compress to nothing and prove little).
fn camera_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            // Gradients with a fine texture: detail, yet within the 10 MB upload limit.
            let texture = if (x / 2 + y / 2) % 2 == 0 { 0 } else { 12 };
            pixels.extend_from_slice(&[
                ((x / 40) % 200) as u8 + texture,
                ((y / 30) % 200) as u8 + texture,
                (((x + y) / 50) % 200) as u8,
            ]);
        }
    }
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 80)
        .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
        .unwrap();
    jpeg
}

#[test]
fn a_49_megapixel_jpeg_is_decoded_scaled_down_within_a_bounded_peak() {
    // 8576×5720: a 49-megapixel full-frame camera, 147 MB as RGB pixels.
    let (width, height) = (8576, 5720);
    let upload = camera_jpeg(width, height);
    assert!(upload.len() <= 10 * MB, "{} bytes", upload.len());

    let before = IN_USE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let processed = process(&upload).expect("a 49-megapixel photo is accepted");
    let peak = PEAK.load(Ordering::SeqCst) - before;

    assert_eq!(
        (processed.full.width, processed.full.height),
        (MAX_EDGE, 1334)
    );
    eprintln!(
        "49 MP JPEG ({} MB): peak {} MB above the upload while processed",
        upload.len() / MB,
        peak / MB
    );
    // Decoded whole, the pixels alone are 147 MB (the process grew by about 350 MB). Scaled
    // to a quarter while decoding they are 9 MB; what remains of the peak (60 MB measured) is
    // the filter's working buffer from 2144 to 2000 px, which any 12-megapixel phone photo
    // also costs.
    assert!(peak < 96 * MB, "peak {} MB", peak / MB);
}
