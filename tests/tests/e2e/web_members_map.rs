//! The territory's members on a map, for its members: every approved organisation listed with
//! its communes, those with a site placed at coordinates drawn on the Leaflet map, those whose
//! site has only a commune at that commune's centre (the official rectangles shipped with the
//! code), the others in the list only, said in plain words; without JavaScript the list is the
//! page.

use serde_json::json;
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;
use synergies_tests::browser::Browser;
use synergies_tests::fixtures::dijon_with_its_cci;

use super::web_search_places::{UNREACHABLE_TILES, member_with_site};

#[tokio::test]
async fn members_see_the_territory_s_organisations_on_a_map_and_in_a_list() {
    let platform =
        Platform::all_in_one(&[("SYNERGIES_GATEWAY__MAP_TILES_URL", UNREACHABLE_TILES)]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let (foundry, _) =
        member_with_site(&platform, "Fonderie de Chenôve", "21166", 47.2906, 5.0081).await;
    member_with_site(&platform, "Serres du Lac", "21231", 47.3220, 5.0415).await;
    // A site in Chenôve with no coordinates: at Chenôve's centre.
    let in_chenove = member_with_commune_only(&platform, "Imprimerie de Chenôve", "21166").await;
    // Registered without a site: listed, not on the map.
    let unplaced = platform
        .client
        .create_member("dijon", "Atelier Sans Adresse")
        .await;

    // Visitors are asked to sign in: where the members' sites stand is for members.
    let answer = platform
        .client
        .http
        .get(format!("{base}/dijon/membres"))
        .send()
        .await
        .unwrap();
    assert!(
        answer.url().path().ends_with("/dijon/connexion"),
        "{}",
        answer.url()
    );

    let browser = Browser::start(1280, 900).await;
    browser
        .sign_in(&format!("{base}/dijon/connexion"), &foundry.email, PASSWORD)
        .await;
    browser.goto(&format!("{base}/dijon/compte")).await;
    browser.follow("#members-link").await;
    assert!(browser.url().await.ends_with("/dijon/membres"));
    // The map stands with a marker per placed organisation, named after it, though no tile
    // arrives.
    browser.wait_for("#results-map .leaflet-marker-icon").await;
    let markers = browser
        .script(
            "return [...document.querySelectorAll('#results-map .leaflet-marker-icon')]\
             .map(m => m.getAttribute('title')).sort()",
        )
        .await;
    assert_eq!(
        markers,
        json!([
            "Fonderie de Chenôve",
            "Imprimerie de Chenôve",
            "Serres du Lac"
        ])
    );
    assert!(
        browser
            .text(&format!("#member-{in_chenove}"))
            .await
            .contains("placée au centre de sa commune")
    );
    let list = browser.text("#results").await;
    for name in [
        "CCI Côte-d'Or",
        "Fonderie de Chenôve",
        "Serres du Lac",
        "Atelier Sans Adresse",
        "Imprimerie de Chenôve",
    ] {
        assert!(list.contains(name), "{name} in {list}");
    }
    assert!(
        browser
            .text(&format!("#member-{}", unplaced.organisation_id))
            .await
            .contains("pas encore sur la carte")
    );
    assert!(
        browser
            .text(&format!("#member-{}", foundry.organisation_id))
            .await
            .contains("Chenôve")
    );
    assert!(
        browser
            .text("#members-limit")
            .await
            .contains("Les autres figurent seulement dans la liste")
    );
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:?}");
    browser.quit().await;

    // On a phone, in English, the map and the list fit the screen.
    let phone = Browser::start(390, 844).await;
    phone
        .sign_in(&format!("{base}/dijon/connexion"), &foundry.email, PASSWORD)
        .await;
    phone.goto(&format!("{base}/dijon/membres?lang=en")).await;
    phone.wait_for("#results-map .leaflet-marker-icon").await;
    assert!(phone.text("h1").await.contains("Members of the territory"));
    let overflow = phone
        .script("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(overflow, json!(true), "no sideways scrolling");
    let violations = phone.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:?}");
    phone.goto(&format!("{base}/dijon/?lang=fr")).await;
    phone.quit().await;
}

/// An organisation whose one site names its commune but no coordinates; its id.
async fn member_with_commune_only(platform: &Platform, name: &str, insee_code: &str) -> String {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let body = json!({"name": name, "kind": "company",
        "site": {"address": format!("2 rue de {name}"), "insee_code": insee_code}});
    let (status, organisation) = client
        .post("/api/v1/tenants/dijon/organisations", &operator, &body)
        .await;
    assert_eq!(status, 201, "{organisation}");
    organisation["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_site_with_only_a_commune_is_placed_at_the_commune_s_centre() {
    let platform = Platform::all_in_one(&[]).await;
    dijon_with_its_cci(&platform).await;
    let (reader, _) =
        member_with_site(&platform, "Fonderie de Chenôve", "21166", 47.2906, 5.0081).await;
    let printer = member_with_commune_only(&platform, "Imprimerie de Chenôve", "21166").await;
    let page = |language: &'static str| {
        platform
            .client
            .http
            .get(format!(
                "{}/dijon/membres?lang={language}",
                platform.base_url
            ))
            .header(
                "Cookie",
                format!("__Host-synergies-access={}", reader.token),
            )
            .send()
    };
    let html = page("fr").await.unwrap().text().await.unwrap();

    // Its own coordinates for the foundry; Chenôve's centre, said so, for the printer.
    let item = |id: &str| {
        let start = html
            .find(&format!("<li id=\"member-{id}\""))
            .unwrap_or_else(|| panic!("{id} listed in {html}"));
        html[start..start + html[start..].find("</li>").unwrap()].to_owned()
    };
    let foundry = item(&reader.organisation_id);
    assert!(
        foundry.contains(r#"data-lat="47.29060" data-lon="5.00810""#),
        "{foundry}"
    );
    assert!(!foundry.contains("centre de sa commune"), "{foundry}");
    let chenove = synergies_codes::centres::centre("21166").expect("Chenôve's centre");
    let printer = item(&printer);
    let placed = format!(
        r#"data-lat="{:.5}" data-lon="{:.5}""#,
        chenove.latitude, chenove.longitude
    );
    assert!(printer.contains(&placed), "{placed} in {printer}");
    assert!(
        printer.contains("Chenôve · placée au centre de sa commune"),
        "{printer}"
    );
    // Chenôve (about 3 × 3 km) lies around 47.29 N, 5.00 E.
    assert!((chenove.latitude - 47.29).abs() < 0.02, "{chenove:?}");
    assert!((chenove.longitude - 5.00).abs() < 0.03, "{chenove:?}");

    let html = page("en").await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Chenôve · placed at the centre of its commune"),
        "{html}"
    );
}
