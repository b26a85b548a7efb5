//! Listing photos through the gateway, in the all-in-one layout: what a member uploading from a
//! browser form sees, what a visitor of the public listing page sees, and every refusal.

use std::io::Cursor;

use image::{ExtendedColorType, ImageEncoder, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::Member;

/// A photo as a camera would send it: JPEG with an EXIF block naming where it was taken.
fn camera_jpeg(width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .write_image(pixels.as_raw(), width, height, ExtendedColorType::Rgb8)
        .unwrap();
    let exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0GPS 47.32N 5.04E";
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    with_exif.extend_from_slice(exif);
    with_exif.extend_from_slice(&jpeg[2..]);
    with_exif
}

/// A small JPEG padded with comment segments to `size` bytes: a photo just under the limit that
/// still processes fast (decoders skip comments). It crosses every hop at full size.
fn padded_jpeg(size: usize) -> Vec<u8> {
    let jpeg = camera_jpeg(320, 240);
    let mut padded = jpeg[..2].to_vec();
    while padded.len() + jpeg.len() + 4 < size {
        let room = size - padded.len() - jpeg.len() - 4;
        let chunk = room.min(65_000);
        padded.extend_from_slice(&[0xFF, 0xFE]);
        padded.extend_from_slice(&u16::try_from(chunk + 2).unwrap().to_be_bytes());
        padded.resize(padded.len() + chunk, b'.');
    }
    padded.extend_from_slice(&jpeg[2..]);
    padded
}

/// A few hundred bytes of PNG whose header claims `width`×`height` pixels: a decompression bomb.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bomb = png(2, 2);
    bomb[16..20].copy_from_slice(&width.to_be_bytes());
    bomb[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbaImage::from_pixel(width, height, Rgba([30, 140, 60, 200]));
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(pixels.as_raw(), width, height, ExtendedColorType::Rgba8)
        .unwrap();
    png
}

fn webp(width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbImage::from_pixel(width, height, Rgb([200, 120, 20]));
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .write_image(pixels.as_raw(), width, height, ExtendedColorType::Rgb8)
        .unwrap();
    webp
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("gateway answers");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.expect("body").to_vec(),
    }
}

/// Uploads as a browser form does: field `photo`, a file name and the type the browser guessed.
async fn upload_as(
    platform: &Platform,
    language: &str,
    token: &str,
    listing: &str,
    file_name: &str,
    declared_type: &str,
    content: Vec<u8>,
) -> Answer {
    let part = Part::bytes(content)
        .file_name(file_name.to_owned())
        .mime_str(declared_type)
        .unwrap();
    let form = Form::new().text("caption", "ignored").part("photo", part);
    let url = format!("{}/api/v1/listings/{listing}/photos", platform.base_url);
    let mut request = platform
        .client
        .http
        .post(url)
        .header(reqwest::header::ACCEPT_LANGUAGE, language)
        .multipart(form);
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    answer(request).await
}

async fn upload(platform: &Platform, member: &Member, listing: &str, content: Vec<u8>) -> Answer {
    upload_as(
        platform,
        "en",
        &member.token,
        listing,
        "photo.jpg",
        "image/jpeg",
        content,
    )
    .await
}

async fn get(platform: &Platform, token: &str, path: &str) -> Answer {
    let mut request = platform
        .client
        .http
        .get(format!("{}{path}", platform.base_url));
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    answer(request).await
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn jpeg_dimensions(bytes: &[u8]) -> (u32, u32) {
    let image = image::ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg)
        .decode()
        .expect("a JPEG");
    (image.width(), image.height())
}

#[tokio::test]
async fn photos_are_added_listed_and_shown_to_members_and_visitors() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let owner = client
        .create_member("dijon", "Cartonnerie de Bourgogne")
        .await;
    let neighbour = client.create_member("dijon", "Brasserie du Lac").await;
    let (listing, _) = client
        .publish(&owner, "offer", "packaging/pallets", "40 palettes Europe")
        .await;

    let added = upload(&platform, &owner, &listing, camera_jpeg(2400, 1800)).await;
    assert_eq!(added.status, 201, "{}", added.json());
    let photo = added.json();
    assert_eq!(photo["listing_id"], listing.as_str());
    assert_eq!(photo["position"], 0);
    assert_eq!(photo["content_type"], "image/jpeg");
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(2000), Some(1500))
    );
    assert_eq!(
        (
            photo["thumbnail_width"].as_u64(),
            photo["thumbnail_height"].as_u64()
        ),
        (Some(400), Some(300))
    );
    let id = photo["id"].as_str().unwrap().to_owned();

    // PNG and WebP are accepted too, whatever name and type the browser gave them.
    let from_png = upload_as(
        &platform,
        "en",
        &owner.token,
        &listing,
        "logo.bin",
        "application/octet-stream",
        png(300, 200),
    )
    .await;
    assert_eq!(from_png.status, 201, "{}", from_png.json());
    let from_webp = upload(&platform, &owner, &listing, webp(120, 160)).await;
    assert_eq!(from_webp.status, 201, "{}", from_webp.json());
    assert_eq!(from_webp.json()["position"], 2);

    // Another member of the territory sees the gallery of a published listing, in order.
    let listed = get(
        &platform,
        &neighbour.token,
        &format!("/api/v1/listings/{listing}/photos"),
    )
    .await;
    assert_eq!(listed.status, 200);
    let photos = listed.json()["photos"].as_array().cloned().unwrap();
    assert_eq!(photos.len(), 3);
    assert_eq!(photos[0]["id"], id.as_str());
    assert_eq!(
        photos[0]["thumbnail_url"],
        format!("/api/v1/photos/{id}/thumbnail")
    );

    let thumbnail = get(
        &platform,
        &neighbour.token,
        &format!("/api/v1/photos/{id}/thumbnail"),
    )
    .await;
    assert_eq!(thumbnail.status, 200);
    assert_eq!(thumbnail.header("content-type"), "image/jpeg");
    assert_eq!(thumbnail.header("x-content-type-options"), "nosniff");
    assert_eq!(thumbnail.header("cache-control"), "private, max-age=3600");
    assert_eq!(jpeg_dimensions(&thumbnail.bytes), (400, 300));
    let full = get(&platform, &neighbour.token, &format!("/api/v1/photos/{id}")).await;
    assert_eq!(full.status, 200);
    assert_eq!(jpeg_dimensions(&full.bytes), (2000, 1500));
    for stored in [&thumbnail.bytes, &full.bytes] {
        assert!(!contains(stored, b"Exif") && !contains(stored, b"GPS 47.32N"));
    }

    // A visitor of the public listing page: no sign-in, the territory in the address.
    let public = get(
        &platform,
        "",
        &format!("/api/v1/tenants/dijon/photos/{id}/thumbnail"),
    )
    .await;
    assert_eq!(public.status, 200);
    assert_eq!(public.header("cache-control"), "public, max-age=3600");
    assert_eq!(public.bytes, thumbnail.bytes);
    let public_list = get(
        &platform,
        "",
        &format!("/api/v1/tenants/dijon/listings/{listing}/photos"),
    )
    .await;
    assert_eq!(public_list.status, 200);
    assert_eq!(public_list.json()["photos"].as_array().unwrap().len(), 3);
    let elsewhere = get(
        &platform,
        "",
        &format!("/api/v1/tenants/beaune/photos/{id}"),
    )
    .await;
    assert_eq!(elsewhere.status, 404);
    let without_token = get(&platform, "", &format!("/api/v1/photos/{id}")).await;
    assert_eq!(without_token.status, 401);

    // The owner puts the WebP first; a neighbour may not.
    let ids: Vec<String> = photos
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let order = json!({"photo_ids": [ids[2], ids[0], ids[1]]});
    let path = format!("/api/v1/listings/{listing}/photos/order");
    let url = format!("{}{path}", platform.base_url);
    let reordered = answer(client.http.put(&url).bearer_auth(&owner.token).json(&order)).await;
    assert_eq!(reordered.status, 200, "{}", reordered.json());
    assert_eq!(reordered.json()["photos"][0]["id"], ids[2].as_str());
    assert_eq!(reordered.json()["photos"][0]["position"], 0);
    let by_neighbour = answer(
        client
            .http
            .put(&url)
            .bearer_auth(&neighbour.token)
            .json(&order),
    )
    .await;
    assert_eq!(by_neighbour.status, 403);
    let partial = json!({"photo_ids": [ids[0]]});
    let refused = answer(
        client
            .http
            .put(&url)
            .bearer_auth(&owner.token)
            .json(&partial),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"]["field"], "photo_ids");
    let listed = get(
        &platform,
        &owner.token,
        &format!("/api/v1/listings/{listing}/photos"),
    )
    .await;
    assert_eq!(listed.json()["photos"][0]["id"], ids[2].as_str());

    // Deleting: gone from the gallery and from the address, the rest moves up.
    let url = format!(
        "{}/api/v1/listings/{listing}/photos/{id}",
        platform.base_url
    );
    let deleted = answer(client.http.delete(&url).bearer_auth(&owner.token)).await;
    assert_eq!(deleted.status, 204);
    let listed = get(
        &platform,
        &owner.token,
        &format!("/api/v1/listings/{listing}/photos"),
    )
    .await;
    let photos = listed.json()["photos"].as_array().cloned().unwrap();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0]["position"], 0);
    assert_eq!(
        get(&platform, &owner.token, &format!("/api/v1/photos/{id}"))
            .await
            .status,
        404
    );
    let again = answer(client.http.delete(&url).bearer_auth(&owner.token)).await;
    assert_eq!(again.status, 404);

    // Just under 10 MB goes through (gateway limit, gRPC message limits).
    let near_limit = padded_jpeg(10 * 1024 * 1024 - 1024);
    let added = upload(&platform, &owner, &listing, near_limit).await;
    assert_eq!(added.status, 201, "{}", added.json());
    assert_eq!(added.json()["width"], 320);

    let openapi = get(&platform, "", "/api/v1/openapi.json").await.json();
    let paths = &openapi["paths"];
    let form = &paths["/api/v1/listings/{id}/photos"]["post"]["requestBody"]["content"];
    assert!(form["multipart/form-data"].is_object(), "{form}");
    for path in [
        "/api/v1/listings/{id}/photos/{photo_id}",
        "/api/v1/listings/{id}/photos/order",
        "/api/v1/photos/{id}",
        "/api/v1/photos/{id}/thumbnail",
        "/api/v1/tenants/{tenant}/photos/{id}",
        "/api/v1/tenants/{tenant}/photos/{id}/thumbnail",
        "/api/v1/tenants/{tenant}/listings/{id}/photos",
    ] {
        assert!(paths[path].is_object(), "{path} is not documented");
    }
}

#[tokio::test]
async fn split_photos_are_stored_on_the_listings_volume_and_served() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let owner = client
        .create_member("dijon", "Cartonnerie de Bourgogne")
        .await;
    let (listing, _) = client
        .publish(&owner, "offer", "packaging/pallets", "40 palettes Europe")
        .await;
    let added = upload(&platform, &owner, &listing, padded_jpeg(9 * 1024 * 1024)).await;
    assert_eq!(added.status, 201, "{}", added.json());
    let id = added.json()["id"].as_str().unwrap().to_owned();
    let thumbnail = get(
        &platform,
        "",
        &format!("/api/v1/tenants/dijon/photos/{id}/thumbnail"),
    )
    .await;
    assert_eq!(thumbnail.status, 200);
    assert_eq!(jpeg_dimensions(&thumbnail.bytes), (320, 240));
    // The configured directory (the volume in production) holds the files, named by id only.
    let simple = id.replace('-', "");
    let shard = platform
        .dir
        .path()
        .join("photos")
        .join(&simple[simple.len() - 2..]);
    assert!(shard.join(format!("{simple}.full.jpg")).is_file());
    assert!(shard.join(format!("{simple}.thumbnail.jpg")).is_file());
}

fn message(answer: &Answer) -> String {
    answer.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn what_is_not_an_acceptable_photo_is_refused_with_a_clear_message() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    client.create_tenant("beaune").await;
    let owner = client
        .create_member("dijon", "Cartonnerie de Bourgogne")
        .await;
    let neighbour = client.create_member("dijon", "Brasserie du Lac").await;
    let outsider = client
        .create_member("beaune", "Tonnellerie de Beaune")
        .await;
    let (listing, _) = client
        .publish(&owner, "offer", "furniture", "Bureaux et chaises")
        .await;

    // A PDF, even named and declared as a JPEG: 415, in the caller's language.
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    let refused = upload_as(
        &platform,
        "en",
        &owner.token,
        &listing,
        "scan.pdf",
        "application/pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(refused.status, 415, "{}", refused.json());
    assert_eq!(refused.json()["error"]["field"], "photo");
    assert!(
        message(&refused).contains("only JPEG, PNG and WebP"),
        "{}",
        message(&refused)
    );
    let refused = upload_as(
        &platform,
        "fr-FR,fr;q=0.9",
        &owner.token,
        &listing,
        "photo.jpg",
        "image/jpeg",
        pdf,
    )
    .await;
    assert_eq!(refused.status, 415);
    assert!(
        message(&refused).contains("seules les images JPEG, PNG et WebP"),
        "{}",
        message(&refused)
    );
    let text = upload_as(
        &platform,
        "en",
        &owner.token,
        &listing,
        "photo.jpg",
        "image/jpeg",
        b"just some text, honest".to_vec(),
    )
    .await;
    assert_eq!(text.status, 415);

    // Over 10 MB: 413, whatever the content.
    let mut huge = camera_jpeg(16, 16);
    huge.resize(11 * 1024 * 1024, 0);
    let too_large = upload(&platform, &owner, &listing, huge).await;
    assert_eq!(too_large.status, 413, "{}", too_large.json());
    assert!(
        message(&too_large).contains("at most 10 MB"),
        "{}",
        message(&too_large)
    );

    // Not a form at all.
    let json_body = client
        .post(
            &format!("/api/v1/listings/{listing}/photos"),
            &owner.token,
            &json!({"photo": "x"}),
        )
        .await;
    assert_eq!(json_body.0, 415, "{}", json_body.1);

    // A form without the photo field, and addresses that are not ids: 400, naming the field.
    let url = format!("{}/api/v1/listings/{listing}/photos", platform.base_url);
    let no_photo = Form::new().text("caption", "Palettes");
    let missing = answer(
        client
            .http
            .post(&url)
            .bearer_auth(&owner.token)
            .multipart(no_photo),
    )
    .await;
    assert_eq!(missing.status, 400, "{}", missing.json());
    assert_eq!(missing.json()["error"]["field"], "photo");
    let bad_listing = upload(&platform, &owner, "not-an-id", camera_jpeg(8, 8)).await;
    assert_eq!(bad_listing.status, 400);
    assert_eq!(bad_listing.json()["error"]["field"], "listing_id");
    let bad_photo = get(&platform, &owner.token, "/api/v1/photos/not-an-id").await;
    assert_eq!(bad_photo.status, 400);
    assert_eq!(bad_photo.json()["error"]["field"], "photo_id");
    let unknown = get(
        &platform,
        &owner.token,
        &format!("/api/v1/photos/{listing}"),
    )
    .await;
    assert_eq!(unknown.status, 404);

    // A damaged image: the service refuses it (400, naming the field).
    let mut damaged = b"\x89PNG\r\n\x1a\n".to_vec();
    damaged.extend_from_slice(&[7; 100]);
    let unreadable = upload(&platform, &owner, &listing, damaged).await;
    assert_eq!(unreadable.status, 400, "{}", unreadable.json());
    assert_eq!(unreadable.json()["error"]["field"], "photo");

    // 49 megapixels: refused from its header with the reason, before decoding would take
    // hundreds of megabytes of memory.
    let huge = upload(&platform, &owner, &listing, png_claiming(7000, 7000)).await;
    assert_eq!(huge.status, 400, "{}", huge.json());
    assert_eq!(huge.json()["error"]["field"], "photo");
    assert!(
        message(&huge).contains("7000×7000 pixels") && message(&huge).contains("24 megapixels"),
        "{}",
        message(&huge)
    );

    // A decompression bomb: refused from its header, before any decoding, with the reason.
    let bomb = upload(&platform, &owner, &listing, png_claiming(50_000, 50_000)).await;
    assert_eq!(bomb.status, 400, "{}", bomb.json());
    assert!(
        message(&bomb).contains("50000×50000 pixels"),
        "{}",
        message(&bomb)
    );
    let bomb = upload_as(
        &platform,
        "fr",
        &owner.token,
        &listing,
        "x.png",
        "image/png",
        png_claiming(50_000, 50_000),
    )
    .await;
    assert!(
        message(&bomb).contains("au plus 16384 pixels de côté"),
        "{}",
        message(&bomb)
    );

    // Another organisation of the territory sees the listing but may not add to it: 403.
    let foreign_org = upload(&platform, &neighbour, &listing, camera_jpeg(64, 48)).await;
    assert_eq!(foreign_org.status, 403, "{}", foreign_org.json());
    // Another territory does not even see it: 404, for uploads and reads alike.
    let foreign_tenant = upload(&platform, &outsider, &listing, camera_jpeg(64, 48)).await;
    assert_eq!(foreign_tenant.status, 404, "{}", foreign_tenant.json());
    let read = get(
        &platform,
        &outsider.token,
        &format!("/api/v1/listings/{listing}/photos"),
    )
    .await;
    assert_eq!(read.status, 404);
    // Not signed in.
    let anonymous = upload_as(
        &platform,
        "en",
        "",
        &listing,
        "photo.jpg",
        "image/jpeg",
        camera_jpeg(8, 8),
    )
    .await;
    assert_eq!(anonymous.status, 401);

    // Eight photos, then no more.
    for _ in 0..8 {
        let added = upload(&platform, &owner, &listing, camera_jpeg(64, 48)).await;
        assert_eq!(added.status, 201, "{}", added.json());
    }
    let ninth = upload(&platform, &owner, &listing, camera_jpeg(64, 48)).await;
    assert_eq!(ninth.status, 422, "{}", ninth.json());
    assert!(
        message(&ninth).contains("at most 8 photos"),
        "{}",
        message(&ninth)
    );
    let ninth = upload_as(
        &platform,
        "fr",
        &owner.token,
        &listing,
        "photo.jpg",
        "image/jpeg",
        camera_jpeg(64, 48),
    )
    .await;
    assert!(
        message(&ninth).contains("au plus 8 photos"),
        "{}",
        message(&ninth)
    );

    // A photo of someone else's listing cannot be deleted by a neighbour.
    let listed = get(
        &platform,
        &owner.token,
        &format!("/api/v1/listings/{listing}/photos"),
    )
    .await;
    let first = listed.json()["photos"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!(
        "{}/api/v1/listings/{listing}/photos/{first}",
        platform.base_url
    );
    let by_neighbour = answer(client.http.delete(&url).bearer_auth(&neighbour.token)).await;
    assert_eq!(by_neighbour.status, 403);
    let by_outsider = answer(client.http.delete(&url).bearer_auth(&outsider.token)).await;
    assert_eq!(by_outsider.status, 404);
}
