//! A territory's branding beyond its pages (issue 17): e-mails show the logo its tenant admin
//! uploaded, at the gateway's address for that version (a new logo is a new address, so a mail
//! client's cached copy is not shown), and none once it is removed; a secondary colour that
//! would not stand out from the boxes it borders is refused next to its field, in French and
//! English.

use std::io::Cursor;

use image::{ExtendedColorType, ImageEncoder, ImageFormat, Rgba, RgbaImage};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Member, PASSWORD};
use synergies_tests::fixtures::dijon_with_its_cci;
use synergies_tests::smtp::SmtpSink;

/// A small opaque PNG of one colour.
fn logo_png(colour: [u8; 3]) -> Vec<u8> {
    let [red, green, blue] = colour;
    let pixels = RgbaImage::from_pixel(90, 30, Rgba([red, green, blue, 255]));
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(pixels.as_raw(), 90, 30, ExtendedColorType::Rgba8)
        .unwrap();
    png
}

/// Uploads a logo as the administration page's form does; answers its address (`settings.logo`).
async fn upload_logo(platform: &Platform, admin: &str, png: Vec<u8>) -> String {
    let part = Part::bytes(png)
        .file_name("logo.png")
        .mime_str("image/png")
        .unwrap();
    let response = platform
        .client
        .http
        .put(format!(
            "{}/api/v1/tenants/dijon/branding/logo",
            platform.base_url
        ))
        .bearer_auth(admin)
        .multipart(Form::new().part("logo", part))
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(response.status().as_u16(), 200);
    let tenant: Value = response.json().await.unwrap();
    tenant["settings"]["logo"].as_str().unwrap().to_owned()
}

/// The `src` of the image in a mail's header, if it has one.
fn header_logo(mail: &str) -> Option<String> {
    let header = mail.split("<div class=\"brand\"").nth(1)?;
    let header = &header[..header.find("</div>")?];
    let src = header.split("<img src=\"").nth(1)?;
    Some(src[..src.find('"')?].to_owned())
}

/// Posts a message to the giver and waits for the `count`th e-mail it receives: the newest.
async fn next_mail(
    platform: &Platform,
    sink: &SmtpSink,
    conversation: &str,
    taker: &Member,
    giver: &Member,
    count: usize,
) -> String {
    let (status, _) = platform
        .client
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &taker.token,
            &json!({"text": format!("Message {count}")}),
        )
        .await;
    assert_eq!(status, 201);
    let what = format!("{count} e-mails to the giver");
    let mails = sink
        .wait_for_mails(&what, count, |mail| mail.contains(&giver.email))
        .await;
    mails.last().unwrap().clone()
}

#[tokio::test]
async fn e_mails_show_the_uploaded_logo_at_its_versioned_address_and_none_once_removed() {
    let sink = SmtpSink::start().await;
    // Branding read afresh for each mail, so that a change shows in the very next one.
    let platform = Platform::all_in_one(&[
        ("SYNERGIES_NOTIFICATIONS__SMTP_URL", &sink.url()),
        ("SYNERGIES_NOTIFICATIONS__BRANDING_CACHE_SECS", "0"),
    ])
    .await;
    dijon_with_its_cci(&platform).await;
    let client = &platform.client;
    let (_, tokens) = client.login("dijon", "admin@cci.fr", PASSWORD).await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    // Notifications learn a member's address when they first read the site.
    platform.visit_in(&giver, "fr").await;
    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes",
                      "quantity": 40, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &body).await;
    assert_eq!(status, 201, "{listing}");
    let conversation = client
        .open_conversation(listing["id"].as_str().unwrap(), &taker)
        .await;

    // Uploaded: the mail's header shows it at the gateway's public address for this version.
    let address = upload_logo(&platform, &admin, logo_png([29, 79, 145])).await;
    let mail = next_mail(&platform, &sink, &conversation, &taker, &giver, 1).await;
    let src = header_logo(&mail).unwrap_or_else(|| panic!("a logo in {mail}"));
    assert_eq!(src, format!("{}{address}", platform.base_url), "{mail}");
    assert!(
        src.contains("/api/v1/tenants/dijon/branding/logo?v="),
        "{src}"
    );

    // The address answers the image, as a mail client would fetch it (no session).
    let fetched = reqwest::get(&src).await.expect("gateway answers");
    assert_eq!(fetched.status().as_u16(), 200);
    assert_eq!(fetched.headers()["content-type"], "image/png");
    let bytes = fetched.bytes().await.unwrap();
    let decoded = image::ImageReader::with_format(Cursor::new(&bytes), ImageFormat::Png)
        .decode()
        .expect("a PNG")
        .into_rgba8();
    assert_eq!(decoded.dimensions(), (90, 30));
    assert_eq!(decoded.get_pixel(45, 15).0, [29, 79, 145, 255]);

    // Replaced: the next mail names the new version, so no cached copy of the old one is shown.
    let new_address = upload_logo(&platform, &admin, logo_png([170, 0, 0])).await;
    assert_ne!(new_address, address);
    let mail = next_mail(&platform, &sink, &conversation, &taker, &giver, 2).await;
    assert_eq!(
        header_logo(&mail),
        Some(format!("{}{new_address}", platform.base_url)),
        "{mail}"
    );

    // Removed: the header keeps the territory's name and colour, without an image.
    let removed = client
        .http
        .delete(format!(
            "{}/api/v1/tenants/dijon/branding/logo",
            platform.base_url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status().as_u16(), 204);
    let mail = next_mail(&platform, &sink, &conversation, &taker, &giver, 3).await;
    assert!(
        mail.contains("<div class=\"brand\"") && mail.contains("<strong>Dijon métropole</strong>"),
        "{mail}"
    );
    assert_eq!(header_logo(&mail), None, "{mail}");
    assert!(!mail.contains("branding/logo"), "{mail}");
}

#[tokio::test]
async fn a_secondary_colour_that_does_not_stand_out_is_refused_next_to_its_field() {
    let platform = Platform::all_in_one(&[]).await;
    dijon_with_its_cci(&platform).await;
    let client = &platform.client;
    let (_, tokens) = client.login("dijon", "admin@cci.fr", PASSWORD).await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();
    let settings = |secondary: &str| {
        json!({"primary_colour": "#1d4f91", "secondary_colour": secondary,
               "exchange_modes": ["give"], "default_language": "fr"})
    };
    let put = |language: &'static str, body: Value| {
        let request = client
            .http
            .put(format!("{}/api/v1/tenant/settings", platform.base_url))
            .bearer_auth(&admin)
            .header(reqwest::header::ACCEPT_LANGUAGE, language)
            .json(&body);
        async move {
            let response = request.send().await.expect("gateway answers");
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    // A new territory's own secondary colour passes: saving it with another primary works.
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    let own = tenant["settings"]["secondary_colour"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, saved) = put("fr", settings(&own)).await;
    assert_eq!(status, 200, "{saved}");

    // Amber borders on the offers' pale green: refused, naming the field, in both languages.
    let (status, refused) = put("fr", settings("#f2a900")).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["field"], "secondary_colour", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("trop pâle") && message.contains("3:1"),
        "{message}"
    );
    let (status, refused) = put("en", settings("#f2a900")).await;
    assert_eq!(status, 400, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("too pale") && message.contains("at least 3:1"),
        "{message}"
    );

    // Nothing was saved; a dark green is.
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(tenant["settings"]["secondary_colour"], own.as_str());
    let (status, saved) = put("fr", settings("#006400")).await;
    assert_eq!(status, 200, "{saved}");
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(tenant["settings"]["secondary_colour"], "#006400");
}
