//! A territory's logo through the API (issue 17): its tenant admin uploads it as a browser form
//! would, it is checked like a photo, re-encoded without metadata, served under an address that
//! changes with it and cached for good; another role, another territory, an SVG, a bomb and an
//! oversized file are refused; removing it takes it out of every page.

use std::io::Cursor;

use image::{ExtendedColorType, ImageEncoder, ImageFormat, Rgba, RgbaImage};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;
use synergies_tests::fixtures::dijon_with_its_cci;

/// A wide PNG logo with a transparent left half and a text chunk that must not survive.
fn logo_png(width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbaImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([29, 79, 145, 255])
        }
    });
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(pixels.as_raw(), width, height, ExtendedColorType::Rgba8)
        .unwrap();
    // A tEXt chunk ("Comment", a secret) before IEND: metadata as an editor would leave it.
    let text = b"Comment\0made on the secret laptop of M. Dupont";
    let mut chunk = (u32::try_from(text.len()).unwrap()).to_be_bytes().to_vec();
    let mut typed = b"tEXt".to_vec();
    typed.extend_from_slice(text);
    chunk.extend_from_slice(&typed);
    chunk.extend_from_slice(&crc32fast::hash(&typed).to_be_bytes());
    let iend = png.len() - 12;
    png.splice(iend..iend, chunk);
    png
}

/// A few hundred bytes of PNG whose header claims `width`×`height` pixels.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bomb = logo_png(2, 2);
    bomb[16..20].copy_from_slice(&width.to_be_bytes());
    bomb[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
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

async fn put_logo(
    platform: &Platform,
    tenant: &str,
    token: &str,
    file_name: &str,
    content: Vec<u8>,
) -> Answer {
    let part = Part::bytes(content)
        .file_name(file_name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap();
    let url = format!(
        "{}/api/v1/tenants/{tenant}/branding/logo",
        platform.base_url
    );
    answer(
        platform
            .client
            .http
            .put(url)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT_LANGUAGE, "fr")
            .multipart(Form::new().part("logo", part)),
    )
    .await
}

async fn get(platform: &Platform, path: &str) -> Answer {
    answer(
        platform
            .client
            .http
            .get(format!("{}{path}", platform.base_url)),
    )
    .await
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_tenant_admin_uploads_replaces_and_removes_the_territory_logo() {
    let platform = Platform::all_in_one(&[]).await;
    dijon_with_its_cci(&platform).await;
    let client = &platform.client;
    let (_, tokens) = client.login("dijon", "admin@cci.fr", PASSWORD).await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();
    let member = client.create_member("dijon", "Cartonnerie").await;

    // Only the territory's admin, and only for their own territory.
    let by_member = put_logo(
        &platform,
        "dijon",
        &member.token,
        "logo.png",
        logo_png(60, 20),
    )
    .await;
    assert_eq!(by_member.status, 403, "{}", by_member.json());
    let elsewhere = put_logo(&platform, "beaune", &admin, "logo.png", logo_png(60, 20)).await;
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.json());

    // Stored: re-encoded as PNG, shrunk to 512 px, its transparency kept, its metadata gone.
    let stored = put_logo(&platform, "dijon", &admin, "logo.png", logo_png(1200, 400)).await;
    assert_eq!(stored.status, 200, "{}", stored.json());
    let address = stored.json()["settings"]["logo"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        address.starts_with("/api/v1/tenants/dijon/branding/logo?v="),
        "{address}"
    );
    let logo = get(&platform, &address).await;
    assert_eq!(logo.status, 200);
    assert_eq!(logo.header("content-type"), "image/png");
    assert_eq!(
        logo.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(logo.header("x-content-type-options"), "nosniff");
    assert!(!contains(&logo.bytes, b"Dupont"), "the text chunk survived");
    let decoded = image::ImageReader::with_format(Cursor::new(&logo.bytes), ImageFormat::Png)
        .decode()
        .unwrap()
        .into_rgba8();
    assert_eq!(decoded.dimensions(), (512, 171));
    assert_eq!(decoded.get_pixel(10, 80).0[3], 0, "transparency kept");
    let opaque = decoded.get_pixel(500, 80).0;
    assert_eq!(opaque[3], 255, "{opaque:?}");
    assert!(opaque[2].abs_diff(145) <= 2, "{opaque:?}");

    // The territory says where it is, and every page's header shows it.
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(tenant["settings"]["logo"], address.as_str());
    let home = get(&platform, "/dijon/").await;
    let home = String::from_utf8(home.bytes).unwrap();
    let digest = address.rsplit("v=").next().unwrap();
    assert!(
        home.contains("branding/logo?v=") && home.contains(digest),
        "{home}"
    );

    // Without the version the answer may change: revalidated with its ETag.
    let current = get(&platform, "/api/v1/tenants/dijon/branding/logo").await;
    assert_eq!(current.header("cache-control"), "public, no-cache");
    let etag = current.header("etag").to_owned();
    let again = answer(
        client
            .http
            .get(format!(
                "{}/api/v1/tenants/dijon/branding/logo",
                platform.base_url
            ))
            .header(reqwest::header::IF_NONE_MATCH, &etag),
    )
    .await;
    assert_eq!(again.status, 304);

    // A new logo is a new address: seen at once, while the old one is no longer cached for good.
    let replaced = put_logo(
        &platform,
        "dijon",
        &admin,
        "nouveau.webp",
        logo_png(300, 300),
    )
    .await;
    assert_eq!(replaced.status, 200, "{}", replaced.json());
    let new_address = replaced.json()["settings"]["logo"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_address, address);
    assert_eq!(
        get(&platform, &address).await.header("cache-control"),
        "public, no-cache"
    );

    // Removed: gone from the territory and its pages.
    let removed = answer(
        client
            .http
            .delete(format!(
                "{}/api/v1/tenants/dijon/branding/logo",
                platform.base_url
            ))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(removed.status, 204);
    assert_eq!(get(&platform, &new_address).await.status, 404);
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(tenant["settings"]["logo"], "");
    let home = String::from_utf8(get(&platform, "/dijon/").await.bytes).unwrap();
    assert!(!home.contains("/branding/logo"), "{home}");
}

#[tokio::test]
async fn what_is_not_an_acceptable_logo_is_refused_next_to_its_field() {
    let platform = Platform::all_in_one(&[]).await;
    dijon_with_its_cci(&platform).await;
    let (_, tokens) = platform
        .client
        .login("dijon", "admin@cci.fr", PASSWORD)
        .await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();

    // SVG may carry scripts: refused, in French first, saying what to send instead.
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let refused = put_logo(&platform, "dijon", &admin, "logo.svg", svg.to_vec()).await;
    assert_eq!(refused.status, 415, "{}", refused.json());
    let error = &refused.json()["error"];
    assert_eq!(error["field"], "logo");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("pas de SVG"), "{message}");

    // A decompression bomb: refused before decoding, by identity.
    let bomb = put_logo(
        &platform,
        "dijon",
        &admin,
        "logo.png",
        png_claiming(60_000, 60_000),
    )
    .await;
    assert_eq!(bomb.status, 400, "{}", bomb.json());
    assert_eq!(bomb.json()["error"]["field"], "logo");
    assert!(
        bomb.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("60000×60000")
    );

    // Over 2 MB: refused as the body arrives.
    let mut large = logo_png(8, 8);
    large.resize(2 * 1024 * 1024 + 1, 0);
    let too_large = put_logo(&platform, "dijon", &admin, "logo.png", large).await;
    assert_eq!(too_large.status, 413, "{}", too_large.json());
    assert!(
        too_large.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2 Mo")
    );

    // Nothing was stored.
    let (_, tenant) = platform.client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(tenant["settings"]["logo"], "");
}
