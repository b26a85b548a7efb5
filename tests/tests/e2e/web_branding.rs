//! The territory's branding page in Chromium (issue 17): the tenant admin previews colours before
//! saving them, uploads a logo (an SVG is refused next to the field, in French first), sees it in
//! the header at once, and removes it; axe-core finds no violation on the page, in French and
//! English.

use image::{ExtendedColorType, ImageEncoder, Rgba, RgbaImage};
use serde_json::json;
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;
use synergies_tests::browser::Browser;
use synergies_tests::fixtures::dijon_with_its_cci;

fn logo_png() -> Vec<u8> {
    let pixels = RgbaImage::from_fn(240, 80, |x, _| {
        if x < 80 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([170, 0, 0, 255])
        }
    });
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(pixels.as_raw(), 240, 80, ExtendedColorType::Rgba8)
        .unwrap();
    png
}

fn assert_no_violation(violations: &[impl std::fmt::Debug], page: &str) {
    assert!(violations.is_empty(), "{page}: {violations:#?}");
}

const HEADER_LOGO: &str = "header.site .brand img";
const THEME: &str =
    "return document.querySelector('link[href*=\"/theme.css\"]').getAttribute('href')";

#[tokio::test]
async fn a_tenant_admin_previews_the_branding_then_uploads_and_removes_a_logo() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let files = tempfile::tempdir().unwrap();
    let logo = files.path().join("logo-dijon.png");
    let svg = files.path().join("logo-dijon.svg");
    std::fs::write(&logo, logo_png()).unwrap();
    std::fs::write(
        &svg,
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
    )
    .unwrap();

    let browser = Browser::start(1280, 900).await;
    browser
        .sign_in(&format!("{base}/dijon/connexion"), "admin@cci.fr", PASSWORD)
        .await;
    browser.goto(&format!("{base}/dijon/administration")).await;
    assert!(!browser.has(HEADER_LOGO).await);
    assert_no_violation(&browser.accessibility_violations().await, "administration");
    let theme = browser.script(THEME).await;

    // A preview: checked like a save, shown in the preview only, nothing saved.
    browser
        .script("document.querySelector('#primary_colour').value = '#f2e600'")
        .await;
    browser
        .follow("button[formaction$='/administration/apercu']")
        .await;
    let refused = browser.text("#primary_colour-error").await;
    assert!(refused.contains("trop claire"), "{refused}");
    browser
        .script("document.querySelector('#primary_colour').value = '#aa0000'")
        .await;
    browser.fill("#brand_name", "Synergies Dijon").await;
    browser
        .follow("button[formaction$='/administration/apercu']")
        .await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Aperçu : rien n'est encore enregistré.")
    );
    let border = |css: &str| {
        format!("return getComputedStyle(document.querySelector('{css}')).borderBottomColor")
    };
    assert_eq!(
        browser
            .script(&border("#brand-preview .preview-header"))
            .await,
        json!("rgb(170, 0, 0)")
    );
    assert_ne!(
        browser.script(&border("header.site")).await,
        json!("rgb(170, 0, 0)"),
        "the page around keeps the saved colours"
    );
    assert_eq!(browser.text("#brand-name-preview").await, "Synergies Dijon");
    assert_eq!(
        browser
            .attribute("#primary_colour", "value")
            .await
            .as_deref(),
        Some("#aa0000"),
        "the form keeps what was chosen"
    );
    assert_eq!(browser.script(THEME).await, theme, "nothing saved");
    assert_no_violation(&browser.accessibility_violations().await, "preview");

    // An SVG is refused next to the logo field.
    browser.attach("#logo", &svg).await;
    browser
        .follow("form[action$='/administration/logo'] button[type=submit]")
        .await;
    let refused = browser.text("#logo-error").await;
    assert!(refused.contains("pas de SVG"), "{refused}");
    assert_eq!(
        browser.attribute("#logo", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert_no_violation(&browser.accessibility_violations().await, "logo refused");

    // The chosen logo shows in the preview before it is sent (read in the browser).
    browser.attach("#logo", &logo).await;
    let previewed = browser
        .script("return document.querySelector('#logo-preview').getAttribute('src')")
        .await;
    assert!(
        previewed
            .as_str()
            .is_some_and(|src| src.starts_with("data:image/png")),
        "{previewed}"
    );
    browser
        .follow("form[action$='/administration/logo'] button[type=submit]")
        .await;
    assert!(browser.url().await.contains("notice=logo_saved"));
    let address = browser.attribute(HEADER_LOGO, "src").await.unwrap();
    assert!(
        address.starts_with("/api/v1/tenants/dijon/branding/logo?v="),
        "{address}"
    );
    let loaded = format!("return document.querySelector('{HEADER_LOGO}').naturalWidth");
    assert_eq!(browser.script(&loaded).await, json!(240));
    assert_no_violation(&browser.accessibility_violations().await, "logo saved");

    // Every page of the territory shows it, in English too.
    browser
        .goto(&format!("{base}/dijon/annonces?lang=en"))
        .await;
    assert_eq!(
        browser.attribute(HEADER_LOGO, "src").await.as_deref(),
        Some(address.as_str())
    );
    browser.goto(&format!("{base}/dijon/administration")).await;
    assert_eq!(browser.text("label[for=logo]").await, "New logo");
    assert_no_violation(
        &browser.accessibility_violations().await,
        "administration (en)",
    );
    browser.screenshot("branding").await;

    // Removed: gone from the header at once.
    browser
        .follow_confirming("form[action$='/administration/logo/retirer'] button")
        .await;
    assert!(browser.url().await.contains("notice=logo_removed"));
    assert!(!browser.has(HEADER_LOGO).await);
    browser.quit().await;
}
