//! Search with a sense of place, in a real Chromium: each result with its first photo (or a
//! placeholder), the results on a map (Leaflet served by the gateway, tiles from the configured
//! address) below the list that is always there, and a member's search within a distance of
//! one of their sites.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};
use serde_json::json;
use synergies_tests::Platform;
use synergies_tests::api::{Member, PASSWORD};
use synergies_tests::browser::Browser;
use synergies_tests::fixtures::dijon_with_its_cci;

/// Nothing listens there: the tiles cannot be reached, as on a closed network.
pub(crate) const UNREACHABLE_TILES: &str = "http://127.0.0.1:9/{z}/{x}/{y}.png";

/// A member of an organisation whose site is placed at (`latitude`, `longitude`) in `insee_code`;
/// with the site's id.
pub(crate) async fn member_with_site(
    platform: &Platform,
    name: &str,
    insee_code: &str,
    latitude: f64,
    longitude: f64,
) -> (Member, String) {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let body = json!({"name": name, "kind": "company", "site": {"address": format!("1 rue de {name}"),
        "insee_code": insee_code, "latitude": latitude, "longitude": longitude}});
    let (status, organisation) = client
        .post("/api/v1/tenants/dijon/organisations", &operator, &body)
        .await;
    assert_eq!(status, 201, "{organisation}");
    let site_id = organisation["site_id"].as_str().expect("a site").to_owned();
    let email = format!("contact-{}@example.fr", uuid::Uuid::new_v4().simple());
    let body = json!({"organisation_id": organisation["id"], "email": email, "display_name": name,
        "password": PASSWORD});
    let (status, user) = client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    assert_eq!(status, 201, "{user}");
    let (status, tokens) = client.login("dijon", &email, PASSWORD).await;
    assert_eq!(status, 200, "{tokens}");
    let member = Member {
        user_id: user["id"].as_str().unwrap().to_owned(),
        organisation_id: organisation["id"].as_str().unwrap().to_owned(),
        email,
        token: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
    };
    (member, site_id)
}

async fn offer(
    platform: &Platform,
    member: &Member,
    title: &str,
    place: serde_json::Value,
) -> String {
    let mut body = json!({"kind": "offer", "category": "packaging/pallets", "title": title,
        "exchange_mode": "give"});
    body.as_object_mut()
        .unwrap()
        .extend(place.as_object().unwrap().clone());
    let (status, listing) = platform.client.create_listing("fr", member, &body).await;
    assert_eq!(status, 201, "{listing}");
    listing["id"].as_str().unwrap().to_owned()
}

fn jpeg() -> Vec<u8> {
    let pixels = RgbImage::from_fn(320, 240, |x, y| Rgb([(x % 200) as u8, (y % 200) as u8, 90]));
    let mut bytes = Cursor::new(Vec::new());
    pixels.write_to(&mut bytes, ImageFormat::Jpeg).unwrap();
    bytes.into_inner()
}

#[tokio::test]
async fn results_show_their_photo_stand_on_a_map_above_the_list_and_narrow_to_a_distance() {
    let platform =
        Platform::all_in_one(&[("SYNERGIES_GATEWAY__MAP_TILES_URL", UNREACHABLE_TILES)]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let (foundry, foundry_site) =
        member_with_site(&platform, "Fonderie de Chenôve", "21166", 47.2906, 5.0081).await;
    let (joinery, joinery_site) =
        member_with_site(&platform, "Menuiserie du Port", "21231", 47.40, 5.20).await;
    let (greenhouses, greenhouses_site) =
        member_with_site(&platform, "Serres du Lac", "21231", 47.3220, 5.0415).await;
    let pallets = offer(
        &platform,
        &foundry,
        "Palettes Europe",
        json!({"site_id": foundry_site}),
    )
    .await;
    let oak = offer(
        &platform,
        &joinery,
        "Chutes de chêne",
        json!({"site_id": joinery_site}),
    )
    .await;
    // Placed by its commune only: on the map at the commune's centre.
    let boxes = offer(
        &platform,
        &foundry,
        "Cartons pliés",
        json!({"insee_code": "21166"}),
    )
    .await;
    let photo = reqwest::multipart::Part::bytes(jpeg())
        .file_name("palettes.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let uploaded = platform
        .client
        .http
        .post(format!("{base}/api/v1/listings/{pallets}/photos"))
        .bearer_auth(&foundry.token)
        .multipart(reqwest::multipart::Form::new().part("photo", photo))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);

    // Without JavaScript the page is the list; the map's place is hidden, and the pages let
    // images come from the tiles' origin and nowhere else new.
    let answer = platform
        .client
        .http
        .get(format!("{base}/dijon/annonces"))
        .send()
        .await
        .unwrap();
    let policy = answer.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("img-src 'self' https: data: http://127.0.0.1:9;"),
        "{policy}"
    );
    assert!(policy.contains("script-src 'self';"), "{policy}");
    let html = answer.text().await.unwrap();
    assert!(
        html.contains(r#"id="results-map" class="map" hidden"#),
        "{html}"
    );
    for title in ["Palettes Europe", "Chutes de chêne", "Cartons pliés"] {
        assert!(html.contains(title), "{title} listed");
    }

    let browser = Browser::start(1280, 900).await;
    browser.goto(&format!("{base}/dijon/annonces")).await;
    // The map stands with a marker per placed result, named after it, though no tile arrives.
    browser.wait_for("#results-map .leaflet-marker-icon").await;
    let markers = browser
        .script(
            "return [...document.querySelectorAll('#results-map .leaflet-marker-icon')]\
             .map(m => m.getAttribute('title')).sort()",
        )
        .await;
    assert_eq!(
        markers,
        json!(["Cartons pliés", "Chutes de chêne", "Palettes Europe"])
    );
    assert!(
        browser
            .script("return document.querySelector('#results-map').offsetHeight > 100")
            .await
            .as_bool()
            .unwrap()
    );
    assert_eq!(
        browser
            .script("return document.querySelectorAll('#results > li').length")
            .await,
        json!(3)
    );
    assert_eq!(
        browser
            .attribute("#results-map .leaflet-control-zoom-in", "title")
            .await
            .as_deref(),
        Some("Zoomer")
    );
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:?}");
    browser.screenshot("search-map").await;

    // Each card shows its listing's first photo, or a placeholder.
    browser
        .goto(&format!("{base}/dijon/annonces/{pallets}/vignette"))
        .await;
    assert!(
        browser.url().await.ends_with("/thumbnail"),
        "{}",
        browser.url().await
    );
    for without in [&oak, &boxes] {
        browser
            .goto(&format!("{base}/dijon/annonces/{without}/vignette"))
            .await;
        assert!(
            browser
                .url()
                .await
                .ends_with("/static/listing-placeholder.svg"),
            "{}",
            browser.url().await
        );
    }
    browser.goto(&format!("{base}/dijon/annonces")).await;
    let thumbnails = browser
        .script(
            "return [...document.querySelectorAll('#results img.thumb')]\
             .map(i => i.getAttribute('src'))",
        )
        .await;
    assert_eq!(thumbnails.as_array().map(Vec::len), Some(3), "{thumbnails}");
    assert!(
        thumbnails
            .to_string()
            .contains(&format!("/dijon/annonces/{pallets}/vignette")),
        "{thumbnails}"
    );

    // A member looks within 5 km of their greenhouses: the foundry's pallets (4 km), not the
    // joinery's oak (15 km) nor the boxes placed at no point.
    browser
        .sign_in(
            &format!("{base}/dijon/connexion"),
            &greenhouses.email,
            PASSWORD,
        )
        .await;
    browser.goto(&format!("{base}/dijon/annonces")).await;
    browser.select("#from_site_id", &greenhouses_site).await;
    browser.select("#radius_km", "5").await;
    browser.select("#sort", "nearest").await;
    browser.follow("form.search button[type=submit]").await;
    let results = browser.text("#results").await;
    assert!(results.contains("Palettes Europe"), "{results}");
    assert!(results.contains("km"), "the distance shown: {results}");
    assert!(!results.contains("Chutes de chêne"), "{results}");
    assert!(!results.contains("Cartons pliés"), "{results}");
    assert_eq!(
        browser
            .attribute("#radius_km option[selected]", "value")
            .await
            .as_deref(),
        Some("5")
    );
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:?}");
    browser.quit().await;
}
