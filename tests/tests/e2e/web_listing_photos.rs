//! A listing's photos in a real Chromium: chosen on the publishing form itself, then moved and
//! removed from the listing's page by its owner; a file that is not a photo is refused next to
//! the field before anything is published.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;
use synergies_tests::browser::Browser;
use synergies_tests::fixtures::dijon_with_its_cci;

fn jpeg(shade: u8) -> Vec<u8> {
    let pixels = RgbImage::from_fn(320, 240, |x, _| Rgb([shade, (x % 200) as u8, 90]));
    let mut bytes = Cursor::new(Vec::new());
    pixels.write_to(&mut bytes, ImageFormat::Jpeg).unwrap();
    bytes.into_inner()
}

/// The ids of the gallery's photos, in order (from their thumbnails' addresses).
async fn gallery(browser: &Browser) -> Vec<String> {
    let sources = browser
        .script("return [...document.querySelectorAll('ul.gallery img')].map(i => i.getAttribute('src'))")
        .await;
    sources
        .as_array()
        .unwrap()
        .iter()
        .map(|src| {
            let src = src.as_str().unwrap();
            src.trim_end_matches("/thumbnail")
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn photos_chosen_on_the_publish_form_are_moved_and_removed_on_the_listing_page() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let member = platform.client.create_member("dijon", "Menuiserie").await;
    let files = tempfile::tempdir().unwrap();
    let first = files.path().join("atelier.jpg");
    let second = files.path().join("chutes.jpg");
    let not_a_photo = files.path().join("devis.jpg");
    std::fs::write(&first, jpeg(30)).unwrap();
    std::fs::write(&second, jpeg(200)).unwrap();
    std::fs::write(&not_a_photo, b"%PDF-1.7 a quote, not a photo").unwrap();

    let browser = Browser::start(1280, 900).await;
    browser
        .sign_in(&format!("{base}/dijon/connexion"), &member.email, PASSWORD)
        .await;
    browser
        .goto(&format!("{base}/dijon/annonces/nouvelle"))
        .await;
    browser.click("input[name=kind][value=offer]").await;
    browser.select("#category", "packaging/pallets").await;
    browser.fill("#title", "Chutes de chêne").await;
    browser.select("#exchange_mode", "give").await;
    browser.attach("#photos", &not_a_photo).await;
    browser.follow("main form button[type=submit]").await;
    let refused = browser.text("#photos-error").await;
    assert!(refused.starts_with("seules les images JPEG"), "{refused}");
    assert_eq!(
        browser.attribute("#title", "value").await.as_deref(),
        Some("Chutes de chêne")
    );
    let (_, mine) = platform
        .client
        .get("/api/v1/listings?mine=true", &member.token)
        .await;
    assert_eq!(mine["listings"].as_array().map(Vec::len), Some(0), "{mine}");

    // Both photos at once, in the order chosen.
    let both = format!("{}\n{}", first.display(), second.display());
    browser.fill("#title", "Chutes de chêne").await;
    browser.attach("#photos", std::path::Path::new(&both)).await;
    browser.follow("main form button[type=submit]").await;
    assert!(
        browser.url().await.contains("notice=created"),
        "{}",
        browser.url().await
    );
    let before = gallery(&browser).await;
    assert_eq!(before.len(), 2, "{before:?}");

    // The second photo becomes the first (the one search results show).
    browser
        .follow(&format!("#photo-{} button[value=earlier]", before[1]))
        .await;
    assert!(browser.page_text().await.contains("Photo déplacée."));
    assert_eq!(
        gallery(&browser).await,
        [before[1].clone(), before[0].clone()]
    );
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:?}");

    browser
        .follow_confirming(&format!("#photo-{} button[value=remove]", before[0]))
        .await;
    assert!(browser.page_text().await.contains("Photo retirée."));
    assert_eq!(gallery(&browser).await, [before[1].clone()]);
    browser.quit().await;
}
