//! The web interface in a real headless Chromium, against the all-in-one binary: people click
//! and type, and the tests assert what the pages show.

use serde_json::json;
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;
use synergies_tests::browser::Browser;
use synergies_tests::fixtures::dijon_with_its_cci;

const OPERATOR_SECRET: &str = synergies_tests::OPERATOR_TOKEN;

async fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser
        .sign_in(&format!("{base}/dijon/connexion"), email, PASSWORD)
        .await;
}

/// The link of the newest e-mail to `recipient` on the operator's outgoing-mail page.
async fn link_in_mail_to(browser: &Browser, base: &str, recipient: &str, path: &str) -> String {
    browser
        .goto(&format!("{base}/operateur?tenant=dijon"))
        .await;
    browser.fill("#operator_token", OPERATOR_SECRET).await;
    browser.follow("main form button[type=submit]").await;
    assert!(browser.url().await.ends_with("/dijon/operateur/courriels"));
    assert!(
        browser.page_text().await.contains(recipient),
        "an e-mail to {recipient} on the outgoing-mail page"
    );
    browser
        .attribute(&format!("article.mail a[href*='{path}']"), "href")
        .await
        .expect("a link in the e-mail")
}

#[tokio::test]
async fn a_company_signs_up_confirms_its_address_and_is_approved_by_a_facilitator() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let browser = Browser::start(1280, 900).await;

    browser.goto(&format!("{base}/dijon/")).await;
    assert_eq!(browser.text("h1").await, "Dijon métropole");
    assert_eq!(
        browser.attribute("html", "lang").await.as_deref(),
        Some("fr")
    );
    browser.screenshot("home").await;
    browser.follow("main a[href='/dijon/inscription']").await;
    browser.screenshot("sign-up").await;

    // A SIRET with a wrong check digit: refused, the field named, what was typed kept.
    browser
        .fill("#organisation_name", "Cartonnerie de Bourgogne")
        .await;
    browser.fill("#siret", "732 829 320 00075").await;
    browser.fill("#naf", "17.21A").await;
    browser.fill("#address", "12 rue des Ateliers").await;
    browser.select("#insee_code", "21231").await;
    browser.fill("#display_name", "Marie Dupont").await;
    browser.fill("#email", "marie@cartonnerie.fr").await;
    browser.fill("#password", PASSWORD).await;
    browser.follow("main form button[type=submit]").await;
    let error = browser.text("#siret-error").await;
    assert!(error.contains("semble mal recopié"), "{error}");
    assert_eq!(
        browser.attribute("#siret", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        browser
            .attribute("#organisation_name", "value")
            .await
            .as_deref(),
        Some("Cartonnerie de Bourgogne")
    );
    browser.screenshot("sign-up-wrong-siret").await;

    // A commune outside the territory: the platform is for the territory's professionals.
    browser.fill("#siret", "732 829 320 00074").await;
    browser.select("#insee_code", "00000").await;
    browser.fill("#password", PASSWORD).await;
    browser.follow("main form button[type=submit]").await;
    let error = browser.text("#form-error").await;
    assert!(
        error.contains("réservée aux professionnels du territoire Dijon métropole"),
        "{error}"
    );

    browser.select("#insee_code", "21231").await;
    browser.fill("#password", PASSWORD).await;
    browser.follow("main form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "Vérifiez votre messagerie");

    // The confirmation e-mail waits on the operator's page (no SMTP in this mode).
    let link = link_in_mail_to(&browser, &base, "marie@cartonnerie.fr", "verify-email").await;
    browser.screenshot("outgoing-mail").await;
    assert!(
        link.starts_with(&format!("{base}/dijon/verify-email?token=")),
        "{link}"
    );
    browser.goto(&link).await;
    browser.follow("main form button[type=submit]").await;
    let confirmed = browser.page_text().await;
    assert!(
        confirmed.contains("Adresse confirmée : vous pouvez vous connecter."),
        "{confirmed}"
    );

    // Signed in, but waiting for the facilitator.
    sign_in(&browser, &base, "marie@cartonnerie.fr").await;
    assert!(browser.url().await.ends_with("/dijon/en-attente"));
    assert!(browser.page_text().await.contains("Statut : en attente"));
    browser.screenshot("waiting-for-approval").await;
    browser.sign_out().await;

    // The facilitator's queue.
    sign_in(&browser, &base, "animatrice@cci.fr").await;
    browser.goto(&format!("{base}/dijon/animation")).await;
    let queue = browser.page_text().await;
    assert!(queue.contains("Cartonnerie de Bourgogne"), "{queue}");
    assert!(queue.contains("12 rue des Ateliers, Dijon"), "{queue}");
    browser.screenshot("facilitator-queue").await;
    // Rejecting needs a reason.
    browser.follow("button[value=reject]").await;
    assert!(
        browser
            .text("#form-error")
            .await
            .contains("obligatoire pour refuser")
    );
    browser.follow("button[value=approve]").await;
    assert!(browser.page_text().await.contains("Décision enregistrée"));
    assert!(browser.page_text().await.contains("Aucune organisation"));
    browser.sign_out().await;

    sign_in(&browser, &base, "marie@cartonnerie.fr").await;
    assert!(browser.url().await.ends_with("/dijon/compte"));
    let account = browser.page_text().await;
    assert!(
        account.contains("Cartonnerie de Bourgogne — validée"),
        "{account}"
    );
    browser.quit().await;
}

#[tokio::test]
async fn an_organisation_admin_invites_a_colleague_who_later_erases_their_account() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let client = &platform.client;
    let operator = client.operator_token().await;
    let (_, organisation) = client
        .post(
            "/api/v1/tenants/dijon/organisations",
            &operator,
            &json!({"name": "Imprimerie Darantière", "kind": "company"}),
        )
        .await;
    let body = json!({"organisation_id": organisation["id"], "email": "direction@darantiere.fr",
                      "display_name": "Direction", "password": PASSWORD, "roles": ["organisation_admin"]});
    client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    let browser = Browser::start(1280, 900).await;

    sign_in(&browser, &base, "direction@darantiere.fr").await;
    browser.goto(&format!("{base}/dijon/organisation")).await;
    browser.fill("#invite_email", "atelier@darantiere.fr").await;
    browser
        .follow("form[action$='/organisation/invitations'] button")
        .await;
    assert!(browser.page_text().await.contains("Invitation envoyée."));
    browser.screenshot("organisation").await;
    browser.sign_out().await;

    let link = link_in_mail_to(
        &browser,
        &base,
        "atelier@darantiere.fr",
        "accept-invitation",
    )
    .await;
    browser.goto(&link).await;
    browser.fill("#display_name", "Jeanne Atelier").await;
    browser.fill("#password", PASSWORD).await;
    browser.follow("main form button[type=submit]").await;
    let created = browser.page_text().await;
    assert!(
        created.contains("Compte créé : connectez-vous."),
        "{created}"
    );

    // The admin sees the colleague and makes them an admin too.
    sign_in(&browser, &base, "direction@darantiere.fr").await;
    browser.goto(&format!("{base}/dijon/organisation")).await;
    assert!(browser.page_text().await.contains("Jeanne Atelier"));
    browser
        .click("form[action$='/organisation/roles'] input[name=admin]")
        .await;
    browser
        .follow("form[action$='/organisation/roles'] button")
        .await;
    assert!(browser.page_text().await.contains("Rôles enregistrés."));
    browser.sign_out().await;

    // The colleague's account page: the RGPD export, then erasure.
    sign_in(&browser, &base, "atelier@darantiere.fr").await;
    let account = browser.page_text().await;
    assert!(
        account.contains("Administrateur de l'organisation"),
        "{account}"
    );
    browser.screenshot("account").await;
    assert_eq!(
        browser.attribute("#export", "href").await.as_deref(),
        Some("/api/v1/me/export")
    );
    // What the download link gives the browser, with the session cookie alone.
    browser.goto(&format!("{base}/api/v1/me/export")).await;
    let export = browser.page_text().await;
    assert!(
        export.contains("atelier@darantiere.fr") && export.contains("Imprimerie Darantière"),
        "{export}"
    );
    browser.goto(&format!("{base}/dijon/compte")).await;
    browser
        .fill("#erase_password", "pas le bon mot de passe")
        .await;
    browser
        .follow_confirming("form[action$='/compte/effacement'] button")
        .await;
    assert!(
        browser
            .text("#form-error")
            .await
            .contains("n'est pas votre mot de passe actuel")
    );
    browser.fill("#erase_password", PASSWORD).await;
    browser
        .follow_confirming("form[action$='/compte/effacement'] button")
        .await;
    assert_eq!(browser.text("h1").await, "Compte effacé");
    assert_eq!(
        client
            .login("dijon", "atelier@darantiere.fr", PASSWORD)
            .await
            .0,
        401
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_tenant_admin_brands_the_territory_and_appoints_a_facilitator_in_english() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let browser = Browser::start(390, 844).await;

    // The language toggle, on a phone-sized screen: in the folded menu.
    browser.goto(&format!("{base}/dijon/connexion")).await;
    browser.click("label[for=menu-toggle]").await;
    browser.follow("a.lang").await;
    assert_eq!(
        browser.attribute("html", "lang").await.as_deref(),
        Some("en")
    );
    assert_eq!(browser.text("h1").await, "Sign in");
    // Keyboard users reach the skip link first.
    browser.press("\u{E004}").await;
    assert_eq!(browser.focused().await, "Skip to content");

    sign_in(&browser, &base, "admin@cci.fr").await;
    browser.goto(&format!("{base}/dijon/administration")).await;
    assert_eq!(browser.text("h1").await, "Territory administration");
    browser.fill("#brand_name", "Synergies Dijon").await;
    browser.fill("#logo_url", "ftp://logo").await;
    browser.follow("form[action$='/reglages'] button").await;
    let error = browser.text("#form-error").await;
    assert!(
        error.starts_with("Logo address (https://…): must be"),
        "{error}"
    );
    browser.fill("#logo_url", "").await;
    browser.fill("#mutualisation_radius_km", "25").await;
    browser.click("input[name=listings_need_approval]").await;
    browser.follow("form[action$='/reglages'] button").await;
    assert!(browser.page_text().await.contains("Settings saved."));
    assert_eq!(browser.text("header .brand").await, "Synergies Dijon");
    assert_eq!(
        browser
            .attribute("input[name=listings_need_approval]", "checked")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        browser
            .attribute("#mutualisation_radius_km", "value")
            .await
            .as_deref(),
        Some("25")
    );
    browser.screenshot("administration").await;

    // Paul appoints himself facilitator as well.
    browser
        .click("form[action$='/administration/roles'] input[name=facilitator]")
        .await;
    browser
        .follow("form[action$='/administration/roles'] button")
        .await;
    assert!(browser.page_text().await.contains("Roles saved."));
    let (_, tokens) = platform
        .client
        .login("dijon", "admin@cci.fr", PASSWORD)
        .await;
    let (status, queue) = platform
        .client
        .get(
            "/api/v1/organisations?status=pending",
            tokens["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{queue}");
    browser.quit().await;
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_and_refuse_forms_without_the_csrf_token() {
    let platform = Platform::all_in_one(&[]).await;
    dijon_with_its_cci(&platform).await;
    let http = &platform.client.http;
    let page = http
        .get(format!("{}/dijon/connexion", platform.base_url))
        .send()
        .await
        .unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"));
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>") && !html.contains("style="));
    assert!(html.contains("<meta name=\"description\""), "{html}");
    assert!(html.contains("/static/favicon.svg"));
    let favicon = http
        .get(format!("{}/static/favicon.svg", platform.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(favicon.headers()["content-type"], "image/svg+xml");
    // Pages travel compressed to a browser that accepts it.
    for encoding in ["gzip", "br"] {
        let compressed = http
            .get(format!("{}/dijon/connexion", platform.base_url))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.headers()["content-encoding"], encoding);
    }

    // The operator's sign-in never sends the browser to another site.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in_page = no_redirects
        .get(format!("{}/operateur", platform.base_url))
        .send()
        .await
        .unwrap();
    // The session cookie and the CSRF cookie, whose token is that session's.
    let cookies: Vec<String> = sign_in_page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|line| line.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let token = cookies
        .iter()
        .find_map(|pair| pair.strip_prefix("__Host-synergies-csrf="))
        .expect("a CSRF cookie")
        .to_owned();
    let signed_in = no_redirects
        .post(format!("{}/operateur", platform.base_url))
        .header("cookie", cookies.join("; "))
        .form(&[
            ("csrf_token", token.as_str()),
            ("operator_token", OPERATOR_SECRET),
            ("tenant", "/evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/");
    let sneaky = no_redirects
        .get(format!("{}/%2F%2Fevil.example", platform.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(sneaky.status(), 404);

    // A forged cross-site form post carries no token.
    let forged = http
        .post(format!("{}/dijon/connexion", platform.base_url))
        .form(&[
            ("csrf_token", "forged"),
            ("email", "a@b.fr"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let unknown = http
        .get(format!("{}/atlantis/", platform.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_demo_opens_on_dijon_and_its_facilitator_can_sign_in() {
    let platform = Platform::all_in_one_with(&["--demo"], &[]).await;
    let accounts = std::fs::read_to_string(platform.dir.path().join("data/demo-accounts.txt"))
        .expect("the demo writes its accounts");
    let facilitator: Vec<&str> = accounts
        .lines()
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .find(|fields| fields[0] == "dijon-metropole" && fields[1] == "facilitator")
        .expect("a facilitator of Dijon");
    let (status, _) = platform
        .client
        .login("dijon-metropole", facilitator[2], facilitator[3])
        .await;
    assert_eq!(status, 200);

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = http
        .get(format!("{}/", platform.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(root.headers()["location"], "/dijon-metropole/");
    let home = http
        .get(format!("{}/dijon-metropole/", platform.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("<h1>Dijon Métropole</h1>"));
    assert!(home.contains("<dt>Communes du territoire</dt><dd>23</dd>"));
}

/// An approved company of Dijon with one admin, created over the API.
async fn approved_company(platform: &Platform, name: &str, email: &str) {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let (_, organisation) = client
        .post(
            "/api/v1/tenants/dijon/organisations",
            &operator,
            &json!({"name": name, "kind": "company"}),
        )
        .await;
    let body = json!({"organisation_id": organisation["id"], "email": email, "display_name": name,
                      "password": PASSWORD, "roles": ["organisation_admin"]});
    let (status, created) = client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test]
async fn a_member_publishes_an_offer_that_a_visitor_finds_by_searching() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    approved_company(
        &platform,
        "Cartonnerie de Bourgogne",
        "marie@cartonnerie.fr",
    )
    .await;
    let browser = Browser::start(1280, 900).await;

    sign_in(&browser, &base, "marie@cartonnerie.fr").await;
    browser
        .follow("header a[href='/dijon/annonces/nouvelle']")
        .await;
    browser.screenshot("publish").await;
    browser.select("#category", "packaging/pallets").await;
    browser.fill("#title", "40 palettes Europe").await;
    browser
        .fill("#description", "Palettes en bon état, à enlever sur place")
        .await;
    // Selling needs a price: the rule is said next to the field.
    browser.select("#exchange_mode", "sell").await;
    browser.fill("#quantity", "40").await;
    browser.select("#unit", "piece").await;
    browser.select("#location", "commune:21231").await;
    browser.follow("main form button[type=submit]").await;
    let error = browser.text("#price-error").await;
    assert!(error.contains("Indiquez un prix"), "{error}");
    assert_eq!(
        browser.attribute("#title", "value").await.as_deref(),
        Some("40 palettes Europe")
    );
    browser.fill("#price", "3,50").await;
    browser.select("#price_per", "unit").await;
    browser.follow("main form button[type=submit]").await;
    assert!(browser.page_text().await.contains("Annonce enregistrée."));
    assert_eq!(browser.text("h1").await, "40 palettes Europe");
    let facts = browser.text("dl.facts").await;
    assert!(facts.contains("3,50 € / l'unité"), "{facts}");
    assert!(facts.contains("40 pièce(s)"), "{facts}");
    // A photo, re-encoded and shown as a thumbnail.
    let picture = platform.dir.path().join("palettes.png");
    image::RgbImage::from_pixel(640, 480, image::Rgb([181, 134, 84]))
        .save(&picture)
        .unwrap();
    browser.attach("#photo", &picture).await;
    browser
        .follow("form[enctype='multipart/form-data'] button")
        .await;
    assert!(browser.page_text().await.contains("Photo ajoutée."));
    let thumbnail = browser.attribute(".gallery img", "src").await.unwrap();
    assert!(thumbnail.ends_with("/thumbnail"), "{thumbnail}");
    browser.screenshot("listing").await;
    // Editing keeps what was said, and changes what is changed.
    browser.follow("#edit").await;
    assert_eq!(
        browser.attribute("#price", "value").await.as_deref(),
        Some("3,50")
    );
    browser.fill("#title", "38 palettes Europe").await;
    browser.follow("main form button[type=submit]").await;
    assert!(browser.page_text().await.contains("Annonce modifiée."));
    assert_eq!(browser.text("h1").await, "38 palettes Europe");
    browser.follow("header a[href='/dijon/mes-annonces']").await;
    assert!(
        browser
            .text("#listings")
            .await
            .contains("38 palettes Europe")
    );
    browser.sign_out().await;

    // A visitor, without an account: the home page counts it and shows it first…
    browser.goto(&format!("{base}/dijon/")).await;
    let figures = browser.text("dl.figures").await;
    assert!(figures.contains("Annonces en ligne\n1"), "{figures}");
    assert!(browser.text("#newest").await.contains("38 palettes Europe"));
    // …and searching, accents, case and plurals do not matter.
    browser.goto(&format!("{base}/dijon/annonces")).await;
    browser.fill("#q", "palette").await;
    browser
        .follow("form[role=search] button[type=submit]")
        .await;
    let results = browser.text("#results").await;
    assert!(results.contains("38 palettes Europe"), "{results}");
    assert!(results.contains("Vente"), "{results}");
    assert!(browser.page_text().await.contains("Emballages"));
    browser.screenshot("search").await;
    browser.follow("#results a").await;
    assert_eq!(browser.text("h1").await, "38 palettes Europe");
    assert!(
        browser
            .page_text()
            .await
            .contains("Connectez-vous pour contacter l'organisation")
    );
    // The visitor sees the photo through the territory's public address.
    let public = browser.attribute(".gallery img", "src").await.unwrap();
    assert!(
        public.starts_with("/api/v1/tenants/dijon/photos/"),
        "{public}"
    );
    let served = platform
        .client
        .http
        .get(format!("{base}{public}"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    browser.goto(&format!("{base}/dijon/annonces?q=velo")).await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Aucune annonce ne correspond.")
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_facilitator_approves_and_hides_listings_when_the_territory_asks_for_approval() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    approved_company(&platform, "Brasserie du Lac", "brasserie@lac.fr").await;
    let client = &platform.client;
    let (_, tokens) = client.login("dijon", "admin@cci.fr", PASSWORD).await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();
    let settings = json!({"brand_name": "", "logo_url": "", "primary_colour": "#1d4f91", "secondary_colour": "#2e7d32",
                          "listings_need_approval": true, "exchange_modes": ["give", "exchange", "lend", "rent", "sell"],
                          "default_language": "fr"});
    let saved = client
        .http
        .put(format!("{base}/api/v1/tenant/settings"))
        .bearer_auth(&admin)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    let browser = Browser::start(1280, 900).await;

    sign_in(&browser, &base, "brasserie@lac.fr").await;
    browser
        .goto(&format!("{base}/dijon/annonces/nouvelle"))
        .await;
    browser.select("#category", "organic-food").await;
    browser.fill("#title", "Drêches de brasserie").await;
    browser.select("#location", "commune:21166").await;
    browser.follow("main form button[type=submit]").await;
    let pending = browser.page_text().await;
    assert!(pending.contains("en attente de validation"), "{pending}");
    browser.sign_out().await;

    sign_in(&browser, &base, "animatrice@cci.fr").await;
    browser
        .goto(&format!("{base}/dijon/animation/annonces"))
        .await;
    assert!(
        browser
            .text("#listings")
            .await
            .contains("Drêches de brasserie")
    );
    browser.follow("#listings a").await;
    browser.follow("button[value=approve]").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Annonce validée et publiée.")
    );
    // Hiding needs a reason, which the owner is told.
    browser.follow("button[value=hide]").await;
    assert!(browser.text("#form-error").await.contains("Motif"));
    browser.fill("#reason", "Annonce en double").await;
    browser.follow("button[value=hide]").await;
    assert!(browser.page_text().await.contains("Annonce masquée"));
    browser.quit().await;
}

#[tokio::test]
async fn two_members_talk_agree_and_record_an_exchange_in_the_browser() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let client = &platform.client;
    let giver = client.create_member("dijon", "Cartonnerie").await;
    let taker = client.create_member("dijon", "Brasserie du Lac").await;
    let offer = json!({"kind": "offer", "category": "packaging/pallets", "title": "10 palettes Europe",
                       "exchange_mode": "give", "quantity": "10", "unit": "piece", "insee_code": "21231"});
    let (status, listing) = client.create_listing("fr", &giver, &offer).await;
    assert_eq!(status, 201, "{listing}");
    let listing_id = listing["id"].as_str().unwrap().to_owned();
    let browser = Browser::start(1280, 900).await;

    // The brewery asks.
    sign_in(&browser, &base, &taker.email).await;
    browser
        .goto(&format!("{base}/dijon/annonces/{listing_id}"))
        .await;
    browser.follow("#contact").await;
    browser
        .fill("#text", "Bonjour, nous pouvons passer jeudi les chercher.")
        .await;
    browser.follow("button[value=message]").await;
    assert!(browser.page_text().await.contains("Message envoyé."));
    browser.sign_out().await;

    // The cardboard maker answers, reserves and confirms what left.
    sign_in(&browser, &base, &giver.email).await;
    browser
        .follow("header a[href='/dijon/conversations']")
        .await;
    browser.follow("#conversations a").await;
    assert!(
        browser
            .text("#messages")
            .await
            .contains("nous pouvons passer jeudi")
    );
    browser.fill("#text", "Entendu, à jeudi.").await;
    browser.follow("button[value=message]").await;
    browser.follow("button[value=reserve]").await;
    assert_eq!(browser.text("#listing-status").await, "réservée");
    browser.fill("#quantity", "10").await;
    browser.follow("button[value=confirm]").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("l'autre organisation doit confirmer")
    );
    browser.screenshot("conversation").await;
    browser.sign_out().await;

    // The brewery was told of the reservation; it confirms the same quantity: the exchange is
    // recorded.
    client
        .wait_for_item(&taker, &listing_id, "listing.reserved")
        .await;
    sign_in(&browser, &base, &taker.email).await;
    browser
        .follow("header a[href='/dijon/notifications']")
        .await;
    assert!(
        browser
            .text("#inbox")
            .await
            .contains("L'annonce « 10 palettes Europe » est réservée pour vous"),
    );
    browser.screenshot("notifications").await;
    // In English, the same notice in English; then back to French.
    browser
        .goto(&format!("{base}/dijon/notifications?lang=en"))
        .await;
    assert!(
        browser
            .text("#inbox")
            .await
            .contains("The listing “10 palettes Europe” is reserved for you"),
    );
    browser
        .goto(&format!("{base}/dijon/notifications?lang=fr"))
        .await;
    browser.goto(&format!("{base}/dijon/conversations")).await;
    browser.follow("#conversations a").await;
    browser.fill("#quantity", "10").await;
    browser.follow("button[value=confirm]").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Échange conclu et enregistré.")
    );
    assert_eq!(browser.text("#listing-status").await, "conclue");
    browser.follow("header a[href='/dijon/impact']").await;
    let impact = browser.text("#impact").await;
    assert!(
        impact.contains("250,0"),
        "10 pallets of about 25 kg: {impact}"
    );
    browser.screenshot("impact").await;

    // The territory's home counts it.
    browser.goto(&format!("{base}/dijon/")).await;
    let figures = browser.text("dl.figures").await;
    assert!(figures.contains("Échanges conclus\n1"), "{figures}");
    assert!(figures.contains("Tonnes détournées\n0,25"), "{figures}");
    browser.quit().await;
}
