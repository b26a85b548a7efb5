//! The web interface's second pass, in a real Chromium: every sign-up mistake shown at once
//! next to its field, the organisation on the other side named, a listing's page showing what
//! was entered, a phone-sized header, sign-in coming back where the visitor was, and branding
//! that cannot make the site unreadable.

use serde_json::json;
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;
use synergies_tests::browser::Browser;
use synergies_tests::fixtures::dijon_with_its_cci;

async fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser
        .sign_in(&format!("{base}/dijon/connexion"), email, PASSWORD)
        .await;
}

/// Nothing a business owner would not understand: no checksum jargon, no API field or
/// category codes.
fn assert_plain_words(text: &str) {
    for jargon in [
        "Luhn",
        "site.",
        "insee_code",
        "display_name",
        "organisation_name",
        "packaging/",
        "/pallets",
    ] {
        assert!(!text.contains(jargon), "{jargon} shown in: {text}");
    }
}

#[tokio::test]
async fn sign_up_shows_every_mistake_next_to_its_field_and_who_to_ask_for_a_registered_siret() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let browser = Browser::start(1280, 900).await;

    // The home page of a territory without listings says how to start, and searches.
    browser.goto(&format!("{base}/dijon/")).await;
    let empty = browser.text("#newest-empty").await;
    assert!(empty.contains("Inscrivez votre organisation"), "{empty}");
    browser.fill("#home-q", "palette").await;
    browser.follow("form.home-search button").await;
    assert!(
        browser.url().await.ends_with("/dijon/annonces?q=palette"),
        "{}",
        browser.url().await
    );

    browser.goto(&format!("{base}/dijon/inscription")).await;
    browser.fill("#organisation_name", "Cartonnerie").await;
    browser.fill("#siret", "732 829 320 00075").await;
    browser.fill("#display_name", "Marie Dupont").await;
    browser.fill("#email", "marie@").await;
    browser.fill("#password", "court").await;
    browser.follow("main form button[type=submit]").await;

    // Every mistake at once, each beside its field, in words of the trade.
    let siret = browser.text("#siret-error").await;
    assert!(siret.contains("semble mal recopié"), "{siret}");
    for field in ["naf", "address", "insee_code", "email", "password"] {
        assert!(
            browser.has(&format!("#{field}-error")).await,
            "an error next to {field}"
        );
    }
    for input in ["siret", "naf", "address", "insee_code", "email", "password"] {
        assert_eq!(
            browser
                .attribute(&format!("#{input}"), "aria-invalid")
                .await
                .as_deref(),
            Some("true"),
            "{input}"
        );
    }
    assert!(!browser.has("#display_name-error").await);
    assert!(!browser.has("#name-error").await);
    let summary = browser.text("#form-error").await;
    assert!(
        summary.contains("corrigez les champs signalés"),
        "{summary}"
    );
    // What was typed is kept, except the password.
    assert_eq!(
        browser
            .attribute("#organisation_name", "value")
            .await
            .as_deref(),
        Some("Cartonnerie")
    );
    assert_eq!(
        browser.attribute("#siret", "value").await.as_deref(),
        Some("732 829 320 00075")
    );
    assert_eq!(
        browser
            .attribute("#password", "value")
            .await
            .unwrap_or_default(),
        ""
    );
    assert_plain_words(&browser.page_text().await);

    // A SIRET already registered: who to ask for an invitation.
    let first = json!({"tenant": "dijon", "organisation_name": "Cartonnerie", "kind": "company",
        "siret": "73282932000074", "naf": "17.21A",
        "site": {"address": "12 rue des Ateliers", "insee_code": "21231"},
        "email": "direction@cartonnerie.fr", "display_name": "Direction", "password": PASSWORD});
    let (status, answer) = platform.client.post("/api/v1/signup", "", &first).await;
    assert_eq!(status, 201, "{answer}");
    browser.fill("#siret", "732 829 320 00074").await;
    browser.fill("#naf", "17.21A").await;
    browser.fill("#address", "12 rue des Ateliers").await;
    browser.select("#insee_code", "21231").await;
    browser.fill("#email", "marie@cartonnerie.fr").await;
    browser.fill("#password", PASSWORD).await;
    browser.follow("main form button[type=submit]").await;
    let taken = browser.text("#siret-error").await;
    assert!(taken.contains("déjà inscrite"), "{taken}");
    assert!(taken.contains("de vous inviter"), "{taken}");
    assert!(!browser.has("#email-error").await);
    browser.quit().await;
}

#[tokio::test]
async fn the_api_lists_every_sign_up_mistake() {
    let platform = Platform::all_in_one(&[]).await;
    dijon_with_its_cci(&platform).await;
    let body = json!({"tenant": "dijon", "organisation_name": "", "kind": "company",
        "siret": "73282932000075", "naf": "17.21A",
        "site": {"address": "12 rue des Ateliers", "insee_code": "21231"},
        "email": "not-an-address", "display_name": "Marie", "password": PASSWORD});
    let (status, refused) = platform.client.post("/api/v1/signup", "", &body).await;
    assert_eq!(status, 400, "{refused}");
    let fields: Vec<&str> = refused["error"]["fields"]
        .as_array()
        .expect("every field at fault")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "siret", "email"], "{refused}");
    assert_eq!(refused["error"]["field"], "name");
}

#[tokio::test]
async fn a_listing_names_its_organisation_and_signing_in_to_contact_comes_back_to_it() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let client = &platform.client;
    let giver = client.create_member("dijon", "Fonderie de Chenôve").await;
    let taker = client.create_member("dijon", "Serres du Lac").await;
    let offer = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes Europe",
        "exchange_mode": "give", "quantity": "2", "unit": "t", "recurrence": "year",
        "condition": "good", "insee_code": "21166"});
    let (status, listing) = client.create_listing("fr", &giver, &offer).await;
    assert_eq!(status, 201, "{listing}");
    let id = listing["id"].as_str().unwrap().to_owned();
    let browser = Browser::start(1280, 900).await;

    // A visitor sees what was entered, and who offers it.
    browser.goto(&format!("{base}/dijon/annonces/{id}")).await;
    let page = browser.text("main").await;
    assert!(page.contains("2 t par an"), "{page}");
    assert!(page.contains("bon état"), "{page}");
    assert!(page.contains("Publiée le"), "{page}");
    assert_eq!(
        browser.text("#listing-organisation").await,
        "Fonderie de Chenôve"
    );
    assert_plain_words(&page);

    // Signing in to contact comes back to the listing.
    browser.follow("#sign-in-to-contact").await;
    browser.sign_in_here(&taker.email, PASSWORD).await;
    assert!(
        browser
            .url()
            .await
            .ends_with(&format!("/dijon/annonces/{id}")),
        "{}",
        browser.url().await
    );
    browser.follow("#contact").await;
    assert_eq!(
        browser.text("#other-side").await,
        "Avec Fonderie de Chenôve"
    );
    browser.goto(&format!("{base}/dijon/conversations")).await;
    let conversations = browser.text("#conversations").await;
    assert!(
        conversations.contains("Avec Fonderie de Chenôve"),
        "{conversations}"
    );
    browser.sign_out().await;

    // The other side sees who asked.
    sign_in(&browser, &base, &giver.email).await;
    browser.goto(&format!("{base}/dijon/conversations")).await;
    let conversations = browser.text("#conversations").await;
    assert!(
        conversations.contains("Avec Serres du Lac"),
        "{conversations}"
    );
    browser.sign_out().await;

    // Only a page of the territory is come back to: never another site.
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/%5Cevil.example",
    ] {
        browser
            .goto(&format!("{base}/dijon/connexion?next={next}"))
            .await;
        assert!(!browser.has("input[name=next]").await, "{next}");
    }
    browser
        .goto(&format!("{base}/dijon/connexion?next=//evil.example/"))
        .await;
    browser.sign_in_here(&taker.email, PASSWORD).await;
    assert!(browser.url().await.ends_with("/dijon/compte"));
    browser.sign_out().await;

    // Facilitators land on their work.
    sign_in(&browser, &base, "animatrice@cci.fr").await;
    assert!(
        browser.url().await.ends_with("/dijon/animation"),
        "{}",
        browser.url().await
    );
    browser.quit().await;
}

#[tokio::test]
async fn on_a_phone_the_signed_in_header_is_one_line_and_opens_without_javascript() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let member = platform.client.create_member("dijon", "Cartonnerie").await;
    let browser = Browser::start(390, 844).await;
    sign_in(&browser, &base, &member.email).await;

    let height = browser
        .script("return document.querySelector('header.site').getBoundingClientRect().height")
        .await;
    let height = height.as_f64().expect("a height");
    assert!(height < 64.0, "the header is {height} px tall");
    let nav_shown = "return document.querySelector('header.site nav').offsetHeight > 0";
    assert_eq!(browser.script(nav_shown).await, json!(false));
    browser.click("label[for=menu-toggle]").await;
    assert_eq!(browser.script(nav_shown).await, json!(true));
    browser
        .follow("header a[href='/dijon/conversations']")
        .await;
    assert!(browser.url().await.ends_with("/dijon/conversations"));

    // The search filters fold behind a button.
    browser.goto(&format!("{base}/dijon/annonces")).await;
    let filters_shown = "return document.querySelector('#category').offsetHeight > 0";
    assert_eq!(browser.script(filters_shown).await, json!(false));
    assert_eq!(
        browser
            .script("return document.querySelector('#q').offsetHeight > 0")
            .await,
        json!(true)
    );
    browser.click("label[for=filters-toggle]").await;
    assert_eq!(browser.script(filters_shown).await, json!(true));
    browser.screenshot("phone-search").await;

    // On a laptop the menu is simply there.
    let laptop = Browser::start(1280, 900).await;
    sign_in(&laptop, &base, &member.email).await;
    assert_eq!(laptop.script(nav_shown).await, json!(true));
    assert_eq!(
        laptop
            .script("return document.querySelector('label[for=menu-toggle]').offsetHeight")
            .await,
        json!(0)
    );
    laptop.quit().await;
    browser.quit().await;
}

#[tokio::test]
async fn branding_refuses_an_unreadable_colour_and_a_new_one_shows_at_once() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let browser = Browser::start(1280, 900).await;
    sign_in(&browser, &base, "admin@cci.fr").await;
    browser.goto(&format!("{base}/dijon/administration")).await;
    let theme = "return document.querySelector('link[href*=\"theme.css\"]').getAttribute('href')";
    let before = browser.script(theme).await;

    // Pale yellow links on white: refused next to the field.
    browser
        .script("document.querySelector('#primary_colour').value = '#f2e600'")
        .await;
    browser
        .follow("form[action$='/administration/reglages'] button[type=submit]")
        .await;
    let refused = browser.text("#primary_colour-error").await;
    assert!(refused.contains("trop claire"), "{refused}");
    assert_eq!(
        browser
            .attribute("#primary_colour", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(browser.script(theme).await, before);

    // Amber borders on the offers' pale green do not stand out: refused next to their field,
    // the primary colour kept as typed.
    browser
        .script(
            "document.querySelector('#primary_colour').value = '#aa0000';\
             document.querySelector('#secondary_colour').value = '#f2a900'",
        )
        .await;
    browser
        .follow("form[action$='/administration/reglages'] button[type=submit]")
        .await;
    let refused = browser.text("#secondary_colour-error").await;
    assert!(refused.contains("trop pâle"), "{refused}");
    assert!(!browser.has("#primary_colour-error").await);
    assert_eq!(
        browser
            .attribute("#secondary_colour", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        browser
            .attribute("#secondary_colour", "aria-describedby")
            .await
            .as_deref(),
        Some("secondary_colour-error")
    );
    assert_eq!(
        browser
            .script("return document.querySelector('#primary_colour').value")
            .await,
        "#aa0000"
    );
    assert_eq!(browser.script(theme).await, before);

    // A dark red is readable: saved, and the stylesheet's address changes with it.
    browser
        .script(
            "document.querySelector('#primary_colour').value = '#aa0000';\
             document.querySelector('#secondary_colour').value = '#006400'",
        )
        .await;
    browser
        .follow("form[action$='/administration/reglages'] button[type=submit]")
        .await;
    assert!(!browser.has("#primary_colour-error").await);
    assert!(!browser.has("#secondary_colour-error").await);
    let after = browser.script(theme).await;
    assert_ne!(after, before);
    let css = platform
        .client
        .http
        .get(format!("{base}{}", after.as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(css.contains("#aa0000") && css.contains("#006400"), "{css}");
    browser.quit().await;
}

#[tokio::test]
async fn the_publish_form_shows_every_mistake_next_to_its_field() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let member = platform.client.create_member("dijon", "Menuiserie").await;
    let browser = Browser::start(1280, 900).await;
    sign_in(&browser, &base, &member.email).await;
    browser
        .goto(&format!("{base}/dijon/annonces/nouvelle"))
        .await;
    browser
        .fill("#description", "Chutes de chêne, sèches")
        .await;
    browser.select("#exchange_mode", "sell").await;
    browser.fill("#quantity", "beaucoup").await;
    browser.follow("main form button[type=submit]").await;
    for (field, words) in [
        ("category", "Choisissez la catégorie"),
        ("title", "Donnez un titre"),
        ("price", "Indiquez un prix"),
        ("quantity", "quantité positive"),
    ] {
        let message = browser.text(&format!("#{field}-error")).await;
        assert!(message.contains(words), "{field}: {message}");
    }
    assert_eq!(
        browser.text("#description").await,
        "Chutes de chêne, sèches"
    );
    assert_plain_words(&browser.page_text().await);
    browser.quit().await;
}
