//! axe-core, the accessibility rules engine, in a real Chromium over the pages a visitor, a
//! member, a facilitator and a tenant admin see, in French and English, on a laptop and on a
//! phone: no page breaks a rule.

use serde_json::json;
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;
use synergies_tests::browser::Browser;
use synergies_tests::fixtures::dijon_with_its_cci;

/// Every rule broken on the pages at `paths`, each line naming the page.
async fn violations_on(browser: &Browser, base: &str, paths: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for path in paths {
        browser.goto(&format!("{base}{path}")).await;
        for violation in browser.accessibility_violations().await {
            found.push(format!("{path}: {violation}"));
        }
    }
    found
}

async fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser
        .sign_in(&format!("{base}/dijon/connexion"), email, PASSWORD)
        .await;
}

#[tokio::test]
async fn axe_core_finds_no_violation_on_the_pages_of_every_role_language_and_screen() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let client = &platform.client;
    let giver = client.create_member("dijon", "Fonderie de Chenôve").await;
    let taker = client.create_member("dijon", "Serres du Lac").await;
    let offer = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes Europe",
        "description": "Quarante palettes en bon état.", "exchange_mode": "give",
        "quantity": "2", "unit": "t", "recurrence": "year", "condition": "good",
        "insee_code": "21166"});
    let (status, listing) = client.create_listing("fr", &giver, &offer).await;
    assert_eq!(status, 201, "{listing}");
    let listing = listing["id"].as_str().unwrap().to_owned();
    let conversation = client.open_conversation(&listing, &taker).await;
    let (status, sent) = client
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &taker.token,
            &json!({"text": "Bonjour, les palettes sont-elles encore disponibles ?"}),
        )
        .await;
    assert_eq!(status, 201, "{sent}");

    let mut found = Vec::new();
    let browser = Browser::start(1280, 900).await;
    let public: Vec<String> = [
        "/dijon/".to_owned(),
        "/dijon/annonces".to_owned(),
        "/dijon/annonces?q=palettes&sort=newest".to_owned(),
        format!("/dijon/annonces/{listing}"),
        "/dijon/connexion".to_owned(),
        "/dijon/inscription".to_owned(),
        "/dijon/mot-de-passe-oublie".to_owned(),
        "/dijon/impact".to_owned(),
    ]
    .into();
    found.extend(violations_on(&browser, &base, &public).await);

    // A refused form, with its errors next to the fields.
    browser.goto(&format!("{base}/dijon/inscription")).await;
    browser.fill("#siret", "732 829 320 00075").await;
    browser.follow("main form button[type=submit]").await;
    for violation in browser.accessibility_violations().await {
        found.push(format!("sign-up with errors: {violation}"));
    }

    // In English (the toggle's choice is remembered).
    let english: Vec<String> = [
        "/dijon/?lang=en".to_owned(),
        format!("/dijon/annonces/{listing}"),
        "/dijon/annonces?q=pallets".to_owned(),
        "/dijon/inscription".to_owned(),
    ]
    .into();
    found.extend(violations_on(&browser, &base, &english).await);
    browser.goto(&format!("{base}/dijon/?lang=fr")).await;

    sign_in(&browser, &base, &taker.email).await;
    let member: Vec<String> = [
        "/dijon/compte".to_owned(),
        "/dijon/annonces/nouvelle".to_owned(),
        "/dijon/mes-annonces".to_owned(),
        "/dijon/conversations".to_owned(),
        format!("/dijon/conversations/{conversation}"),
        format!("/dijon/annonces/{listing}"),
        "/dijon/notifications".to_owned(),
        "/dijon/notifications/reglages".to_owned(),
        "/dijon/organisation".to_owned(),
        "/dijon/membres".to_owned(),
        "/dijon/flux".to_owned(),
        "/dijon/flux/nouveau".to_owned(),
        "/dijon/synergies".to_owned(),
    ]
    .into();
    found.extend(violations_on(&browser, &base, &member).await);
    browser.sign_out().await;

    sign_in(&browser, &base, &giver.email).await;
    let owner: Vec<String> = [
        format!("/dijon/annonces/{listing}"),
        format!("/dijon/annonces/{listing}/modifier"),
    ]
    .into();
    found.extend(violations_on(&browser, &base, &owner).await);
    browser.sign_out().await;

    sign_in(&browser, &base, "animatrice@cci.fr").await;
    let facilitator: Vec<String> = [
        "/dijon/animation".to_owned(),
        "/dijon/animation/annonces".to_owned(),
        "/dijon/animation/flux".to_owned(),
        "/dijon/animation/campagnes".to_owned(),
        "/dijon/synergies".to_owned(),
    ]
    .into();
    found.extend(violations_on(&browser, &base, &facilitator).await);
    browser.sign_out().await;

    sign_in(&browser, &base, "admin@cci.fr").await;
    found.extend(violations_on(&browser, &base, &["/dijon/administration".to_owned()]).await);
    browser.quit().await;

    // On a phone, with the header's menu folded.
    let phone = Browser::start(390, 844).await;
    let on_phone: Vec<String> = [
        "/dijon/".to_owned(),
        "/dijon/annonces".to_owned(),
        format!("/dijon/annonces/{listing}"),
    ]
    .into();
    for violation in violations_on(&phone, &base, &on_phone).await {
        found.push(format!("phone {violation}"));
    }
    sign_in(&phone, &base, &taker.email).await;
    for violation in violations_on(&phone, &base, &["/dijon/compte".to_owned()]).await {
        found.push(format!("phone {violation}"));
    }
    phone.quit().await;

    for line in &found {
        println!("{line}");
    }
    assert!(
        found.is_empty(),
        "axe-core found {} violations:\n{}",
        found.len(),
        found.join("\n")
    );
}
