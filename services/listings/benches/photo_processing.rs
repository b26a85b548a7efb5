//! What one photo upload costs the listings service: decoding a 12-megapixel camera JPEG,
//! turning it upright, shrinking it to 2000 px, encoding it and its 400 px thumbnail.
//!
//! `cargo bench -p synergies-listings --bench photo_processing`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use synergies_listings::photos::processing::process;

/// A 4000×3000 JPEG at quality 92, like a phone's: smooth gradients with sensor-like noise, so
/// it compresses like a photo (a few MB), not like a flat test card.
fn camera_jpeg() -> Vec<u8> {
    let mut seed: u32 = 0x2545_f491;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed % 24) as i32 - 12
    };
    let pixels = RgbImage::from_fn(4000, 3000, |x, y| {
        let base = [(x / 16) as i32, (y / 12) as i32, ((x + y) / 28) as i32];
        Rgb(base.map(|c| (c + noise()).clamp(0, 255) as u8))
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 92)
        .write_image(pixels.as_raw(), 4000, 3000, ExtendedColorType::Rgb8)
        .expect("encodes");
    jpeg
}

fn photo_processing(c: &mut Criterion) {
    let upload = camera_jpeg();
    println!("upload: 4000×3000 JPEG, {} bytes", upload.len());
    let processed = process(&upload).expect("a valid photo");
    println!(
        "stored: {}×{} JPEG {} bytes, thumbnail {}×{} {} bytes",
        processed.full.width,
        processed.full.height,
        processed.full.bytes.len(),
        processed.thumbnail.width,
        processed.thumbnail.height,
        processed.thumbnail.bytes.len()
    );
    let mut group = c.benchmark_group("photo");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("12 MP JPEG to 2000 px JPEG + 400 px thumbnail", |b| {
        b.iter(|| process(&upload).expect("a valid photo"));
    });
    group.finish();
}

criterion_group!(benches, photo_processing);
criterion_main!(benches);
