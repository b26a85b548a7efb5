//! Flow inventories in a real headless Chromium, against the all-in-one binary: a member keeps
//! "Mes flux", an advisor records flows during a visit, and the facilitators read the territory
//! dashboard.

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;
use synergies_tests::browser::Browser;

/// Dijon with a facilitator of its CCI, a cardboard maker (member) and a foundry; answers the
/// two firms' organisation ids.
async fn dijon(platform: &Platform) -> (String, String) {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let territory = json!({"slug": "dijon", "display_name": "Dijon métropole", "communes": [
        {"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]},
        {"insee_code": "21166", "name": "Chenôve", "postal_codes": ["21300"]}
    ]});
    let (status, _) = client.post("/api/v1/tenants", &operator, &territory).await;
    assert_eq!(status, 201);
    let mut ids = Vec::new();
    for organisation in [
        json!({"name": "CCI Côte-d'Or", "kind": "public_body"}),
        json!({"name": "Cartonnerie de Bourgogne", "kind": "company",
               "siret": "73282932000074", "naf": "17.21A"}),
        json!({"name": "Fonderie de Chenôve", "kind": "company",
               "siret": "55243100900018", "naf": "24.51Z"}),
    ] {
        let (status, organisation) = client
            .post(
                "/api/v1/tenants/dijon/organisations",
                &operator,
                &organisation,
            )
            .await;
        assert_eq!(status, 201, "{organisation}");
        ids.push(organisation["id"].as_str().unwrap().to_owned());
    }
    for (organisation, email, name, roles) in [
        (
            &ids[0],
            "animatrice@cci.fr",
            "Claire Animatrice",
            json!(["facilitator"]),
        ),
        (
            &ids[1],
            "marie@cartonnerie.fr",
            "Marie Dupont",
            json!(["organisation_admin"]),
        ),
    ] {
        let body = json!({"organisation_id": organisation, "email": email, "display_name": name,
                          "password": PASSWORD, "roles": roles});
        let (status, created) = client
            .post("/api/v1/tenants/dijon/users", &operator, &body)
            .await;
        assert_eq!(status, 201, "{created}");
    }
    (ids[1].clone(), ids[2].clone())
}

async fn token(platform: &Platform, email: &str) -> String {
    let (_, tokens) = platform.client.login("dijon", email, PASSWORD).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn record(platform: &Platform, token: &str, flow: Value) -> String {
    let (status, created) = platform.client.post("/api/v1/flows", token, &flow).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser
        .sign_in(&format!("{base}/dijon/connexion"), email, PASSWORD)
        .await;
}

/// No code of the service shown to a person.
fn assert_no_codes(text: &str) {
    for code in [
        "by-product",
        "resource_class",
        "partners",
        "facilitator",
        "piece",
        "m3",
    ] {
        assert!(!text.contains(code), "{code} shown in: {text}");
    }
}

#[tokio::test]
async fn a_member_records_corrects_and_removes_a_flow_in_mes_flux() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon(&platform).await;
    let browser = Browser::start(1280, 900).await;
    sign_in(&browser, &base, "marie@cartonnerie.fr").await;

    browser.follow("header a[href='/dijon/flux']").await;
    assert_eq!(browser.text("h1").await, "Mes flux");
    assert!(browser.page_text().await.contains("Aucun flux enregistré"));
    browser.follow("main a[href='/dijon/flux/nouveau']").await;
    assert_eq!(browser.text("h1").await, "Enregistrer un flux");

    // Every mistake at once, each next to its field, what was typed kept.
    browser.select("#resource_class", "waste").await;
    browser
        .fill("#description", "Cartons souillés du magasin")
        .await;
    browser.fill("#quantity", "beaucoup").await;
    browser.follow("main form button[type=submit]").await;
    assert!(
        browser
            .text("#form-error")
            .await
            .contains("corrigez les champs signalés")
    );
    for (field, words) in [
        ("label", "Donnez un intitulé"),
        ("quantity", "nombre positif"),
        ("ewc_code", "code à six chiffres"),
    ] {
        let message = browser.text(&format!("#{field}-error")).await;
        assert!(message.contains(words), "{field}: {message}");
        assert_eq!(
            browser
                .attribute(&format!("#{field}"), "aria-invalid")
                .await
                .as_deref(),
            Some("true"),
            "{field}"
        );
    }
    assert_eq!(
        browser.text("#description").await,
        "Cartons souillés du magasin"
    );
    assert_eq!(
        browser.attribute("#quantity", "value").await.as_deref(),
        Some("beaucoup")
    );
    assert_no_codes(&browser.page_text().await);

    // A wrong waste code: the service's refusal, next to the field.
    browser.fill("#label", "Cartons souillés").await;
    browser.fill("#ewc_code", "99 99 99").await;
    browser.fill("#quantity", "0,5").await;
    browser.select("#period", "week").await;
    browser.follow("main form button[type=submit]").await;
    assert!(browser.has("#ewc_code-error").await);
    assert!(!browser.has("#label-error").await);
    assert_eq!(
        browser.attribute("#label", "value").await.as_deref(),
        Some("Cartons souillés")
    );

    browser.fill("#ewc_code", "15 01 01").await;
    browser.follow("main form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "Cartons souillés");
    let text = browser.page_text().await;
    assert!(text.contains("Le flux a été enregistré."), "{text}");
    assert!(text.contains("0,5 tonnes par semaine"), "{text}");
    assert_eq!(browser.text("#flow-yearly").await, "26 tonnes par an");
    assert!(
        text.contains("Sortant") && text.contains("Déchet"),
        "{text}"
    );
    assert!(text.contains("Déclaré par l'entreprise"), "{text}");
    assert_no_codes(&text);

    // Corrected: the history says who changed what.
    browser.follow("main a[href$='/modifier']").await;
    assert_eq!(
        browser.attribute("#quantity", "value").await.as_deref(),
        Some("0,5")
    );
    browser.fill("#quantity", "1").await;
    browser.select("#regularity", "continuous").await;
    browser.follow("main form button[type=submit]").await;
    let history = browser.text("ol.history").await;
    assert!(history.contains("Modifié"), "{history}");
    assert!(history.contains("Marie Dupont"), "{history}");
    assert!(
        history.contains("Quantité : 0,5 tonnes par semaine → 1 tonnes par semaine"),
        "{history}"
    );
    assert!(history.contains("Régularité : — → Continu"), "{history}");
    assert!(history.contains("Enregistré"), "{history}");

    // A second flow, then the list.
    browser.goto(&format!("{base}/dijon/flux/nouveau")).await;
    browser.select("#direction", "in").await;
    browser.select("#resource_class", "energy").await;
    browser.fill("#label", "Vapeur basse pression").await;
    browser.fill("#quantity", "120").await;
    browser.select("#unit", "MWh").await;
    browser.select("#period", "month").await;
    browser
        .click("input[name=confidentiality][value=public]")
        .await;
    browser.follow("main form button[type=submit]").await;
    browser.follow("header a[href='/dijon/flux']").await;
    let list = browser.text("table.flows").await;
    assert!(list.contains("Cartons souillés"), "{list}");
    assert!(list.contains("52 tonnes par an"), "{list}");
    assert!(list.contains("1\u{202f}440 MWh par an"), "{list}");
    assert!(
        list.contains("Entrant") && list.contains("Énergie"),
        "{list}"
    );
    assert!(list.contains("Tous les membres du territoire"), "{list}");
    assert_no_codes(&list);
    browser.screenshot("flows").await;

    // Removed, after confirming.
    browser
        .follow("table.flows a:not([href*='flux/nouveau'])")
        .await;
    let label = browser.text("h1").await;
    browser.follow_confirming("#remove-flow").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Le flux a été supprimé.")
    );
    assert!(!browser.text("main").await.contains(&label));
    browser.quit().await;
}

#[tokio::test]
async fn an_advisor_records_a_visit_and_reads_the_territory_dashboard() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    let (_, foundry) = dijon(&platform).await;
    let member = token(&platform, "marie@cartonnerie.fr").await;
    record(
        &platform,
        &member,
        json!({"direction": "out", "resource_class": "waste", "label": "Cartons souillés",
               "description": "", "ewc_code": "15 01 01", "quantity": "12", "unit": "t", "period": "year"}),
    )
    .await;
    record(
        &platform,
        &member,
        json!({"direction": "in", "resource_class": "energy", "label": "Chaleur pour le séchage",
               "description": "", "quantity": "800", "unit": "MWh", "period": "year"}),
    )
    .await;
    let browser = Browser::start(1280, 1000).await;
    sign_in(&browser, &base, "animatrice@cci.fr").await;

    browser.follow("header a[href='/dijon/flux']").await;
    assert_eq!(browser.text("h1").await, "Flux des organisations");
    let organisations = browser.text("table.flows-organisations").await;
    assert!(
        organisations.contains("Fonderie de Chenôve"),
        "{organisations}"
    );
    assert!(
        organisations.contains("Cartonnerie de Bourgogne"),
        "{organisations}"
    );

    // A visit to the foundry: the advisor records its waste heat.
    browser
        .follow(&format!("#organisation-{foundry} a.record-visit"))
        .await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Relevé lors d'une visite")
    );
    browser.select("#direction", "out").await;
    browser.select("#resource_class", "energy").await;
    browser.fill("#label", "Chaleur fatale des fours").await;
    browser
        .fill("#description", "Fumées à 90 °C, récupérables")
        .await;
    browser.fill("#quantity", "3000").await;
    browser.select("#unit", "MWh").await;
    browser.select("#period", "year").await;
    browser.select("#regularity", "continuous").await;
    browser
        .fill("#current_outlet", "Rejetée à l'air libre")
        .await;
    browser
        .click("input[name=confidentiality][value=facilitator]")
        .await;
    browser.follow("main form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "Chaleur fatale des fours");
    let text = browser.page_text().await;
    assert!(text.contains("Fonderie de Chenôve"), "{text}");
    assert!(
        text.contains("Relevé par un conseiller lors d'une visite"),
        "{text}"
    );
    assert!(
        text.contains("Animateurs du territoire seulement"),
        "{text}"
    );
    let history = browser.text("ol.history").await;
    assert!(
        history.contains("Enregistré") && history.contains("Claire Animatrice"),
        "{history}"
    );

    // The member does not see the foundry's facilitator-only flow.
    let (_, seen) = platform.client.get("/api/v1/flows", &member).await;
    assert!(!seen.to_string().contains("Chaleur fatale"), "{seen}");

    // The dashboard: coverage, totals, the diagram between activity sections.
    browser.goto(&format!("{base}/dijon/animation/flux")).await;
    assert_eq!(
        browser.text("h1").await,
        "Tableau de bord des flux du territoire"
    );
    assert_eq!(browser.text("#coverage-diagnosed").await, "2");
    assert_eq!(browser.text("#coverage-members").await, "3");
    assert_eq!(browser.text("#coverage-flows").await, "3");
    let by_class = browser.text("#by-class").await;
    assert!(by_class.contains("Énergie"), "{by_class}");
    assert!(by_class.contains("3\u{202f}800"), "{by_class}");
    assert!(
        by_class.contains("Déchet") && by_class.contains("12"),
        "{by_class}"
    );
    let by_chapter = browser.text("#by-chapter").await;
    assert!(
        by_chapter.contains("15 — Emballages et chiffons"),
        "{by_chapter}"
    );
    assert!(browser.has("figure.diagram svg[role=img]").await);
    let diagram = browser.text("figure.diagram svg").await;
    assert!(
        diagram.contains("C — Industrie manufacturière"),
        "{diagram}"
    );
    assert!(diagram.contains("Énergie"), "{diagram}");
    assert_no_codes(&browser.page_text().await);
    browser.screenshot("flow-dashboard").await;

    // A member is not let in.
    browser
        .follow("header form[action$='/deconnexion'] button")
        .await;
    sign_in(&browser, &base, "marie@cartonnerie.fr").await;
    browser.goto(&format!("{base}/dijon/animation/flux")).await;
    assert!(
        browser
            .page_text()
            .await
            .contains("réservée aux animateurs")
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_member_reads_my_flows_in_english() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon(&platform).await;
    let member = token(&platform, "marie@cartonnerie.fr").await;
    record(
        &platform,
        &member,
        json!({"direction": "out", "resource_class": "by-product", "label": "Wood offcuts",
               "description": "", "quantity": "2.5", "unit": "m3", "period": "month"}),
    )
    .await;
    let browser = Browser::start(1280, 900).await;
    sign_in(&browser, &base, "marie@cartonnerie.fr").await;
    browser.goto(&format!("{base}/dijon/flux?lang=en")).await;
    assert_eq!(browser.text("h1").await, "My flows");
    let list = browser.text("table.flows").await;
    assert!(
        list.contains("Outgoing") && list.contains("By-product"),
        "{list}"
    );
    assert!(list.contains("30 cubic metres a year"), "{list}");
    assert!(
        list.contains("Also firms a synergy is proposed to"),
        "{list}"
    );
    browser.follow("table.flows a").await;
    browser.follow("main a[href$='/modifier']").await;
    browser.fill("#label", "").await;
    browser.follow("main form button[type=submit]").await;
    assert!(
        browser
            .text("#label-error")
            .await
            .contains("Give the flow a label")
    );
    assert!(browser.text("#form-error").await.contains("was not saved"));
    browser.quit().await;
}

/// A facilitator of an already created Dijon, signed in over the API.
async fn facilitator_of(platform: &Platform) {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let (_, cci) = client
        .post(
            "/api/v1/tenants/dijon/organisations",
            &operator,
            &json!({"name": "CCI Côte-d'Or", "kind": "public_body"}),
        )
        .await;
    let body = json!({"organisation_id": cci["id"], "email": "animatrice@cci.fr",
        "display_name": "Claire Animatrice", "password": PASSWORD, "roles": ["facilitator"]});
    let (status, created) = client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    assert_eq!(status, 201, "{created}");
}

fn pallets(direction: &str, label: &str) -> Value {
    json!({"direction": direction, "resource_class": "material", "label": label,
        "description": "Palettes EUR en bon état", "category": "packaging/pallets",
        "quantity": "40", "unit": "piece", "period": "month", "confidentiality": "public"})
}

#[tokio::test]
async fn a_flow_shows_its_proposals_and_a_facilitator_carries_the_synergy_on_the_board() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let joinery = client.create_member("dijon", "Menuiserie Bernard").await;
    let brewery = client.create_member("dijon", "Brasserie du Lac").await;
    facilitator_of(&platform).await;
    let out = record(
        &platform,
        &joinery.token,
        pallets("out", "Palettes Europe usagées"),
    )
    .await;
    record(
        &platform,
        &brewery.token,
        pallets("in", "Palettes pour les fûts"),
    )
    .await;
    let path = format!("/api/v1/flows/{out}/synergies");
    synergies_platform::testing::eventually(
        "the flow's proposal",
        std::time::Duration::from_secs(30),
        || async {
            let (_, body) = client.get(&path, &joinery.token).await;
            body["synergies"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
                .then_some(())
        },
    )
    .await;

    // The member sees the proposal on the flow's page, in words, and finds it relevant.
    let browser = Browser::start(1280, 1000).await;
    sign_in(&browser, &base, &joinery.email).await;
    browser.goto(&format!("{base}/dijon/flux/{out}")).await;
    let proposals = browser.text("#proposals").await;
    assert!(proposals.contains("Brasserie du Lac"), "{proposals}");
    assert!(proposals.contains("Palettes pour les fûts"), "{proposals}");
    assert!(proposals.contains("Intérêt"), "{proposals}");
    assert!(browser.has("#proposals meter").await);
    assert_no_codes(&proposals);
    browser
        .follow("#proposals button[name=relevant][value=yes]")
        .await;
    assert!(browser.url().await.contains(&format!("/dijon/flux/{out}")));
    assert!(
        browser
            .page_text()
            .await
            .contains("Merci, votre avis est enregistré.")
    );
    browser
        .follow("header form[action$='/deconnexion'] button")
        .await;

    // The facilitator moves it from proposed to contacted with a note; abandoning it needs a
    // reason, said next to the field.
    sign_in(&browser, &base, "animatrice@cci.fr").await;
    browser.follow("header a[href='/dijon/synergies']").await;
    assert_eq!(browser.text("h1").await, "Tableau des synergies");
    let proposed = browser.text("#column-proposed").await;
    assert!(
        proposed.contains("Menuiserie Bernard") && proposed.contains("Brasserie du Lac"),
        "{proposed}"
    );
    browser.click("#column-proposed details summary").await;
    browser
        .select("#column-proposed select[name=status]", "contacted")
        .await;
    browser
        .fill(
            "#column-proposed textarea[name=note]",
            "Appel à la brasserie : intéressée",
        )
        .await;
    browser
        .follow("#column-proposed form button[type=submit]")
        .await;
    assert!(
        browser
            .page_text()
            .await
            .contains("La synergie a été mise à jour.")
    );
    let contacted = browser.text("#column-contacted").await;
    assert!(
        contacted.contains("Appel à la brasserie : intéressée"),
        "{contacted}"
    );
    assert!(
        browser
            .text("#column-proposed")
            .await
            .contains("Aucune synergie")
    );
    browser.screenshot("synergy-board").await;

    browser.click("#column-contacted details summary").await;
    browser
        .select("#column-contacted select[name=status]", "abandoned")
        .await;
    browser
        .follow("#column-contacted form button[type=submit]")
        .await;
    assert!(browser.has("#form-error").await);
    assert!(
        browser
            .text("#column-contacted .field-error")
            .await
            .contains("Dites pourquoi")
    );
    browser
        .select("#column-contacted select[name=status]", "abandoned")
        .await;
    browser
        .fill(
            "#column-contacted input[name=reason]",
            "La brasserie a trouvé un fournisseur",
        )
        .await;
    browser
        .follow("#column-contacted form button[type=submit]")
        .await;
    let abandoned = browser.text("#column-abandoned").await;
    assert!(
        abandoned.contains("La brasserie a trouvé un fournisseur"),
        "{abandoned}"
    );
    assert_no_codes(&browser.text("main").await);

    // A request listing of the brewery: its page shows the joinery's flow as a proposal.
    let (request, _) = client
        .publish(
            &brewery,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    let path = format!("/api/v1/listings/{request}/matches");
    synergies_platform::testing::eventually(
        "the listing's proposal",
        std::time::Duration::from_secs(30),
        || async {
            let (_, body) = client.get(&path, &brewery.token).await;
            body["synergies"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
                .then_some(())
        },
    )
    .await;
    browser
        .goto(&format!("{base}/dijon/annonces/{request}"))
        .await;
    let proposals = browser.text("#proposals").await;
    assert!(
        proposals.contains("Palettes Europe usagées") && proposals.contains("Menuiserie Bernard"),
        "{proposals}"
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_facilitator_starts_a_diagnostic_campaign_and_follows_its_progress() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    let (cardboard, foundry) = dijon(&platform).await;
    let browser = Browser::start(1280, 1000).await;
    sign_in(&browser, &base, "animatrice@cci.fr").await;
    browser.goto(&format!("{base}/dijon/flux")).await;
    browser
        .follow("main a[href='/dijon/animation/campagnes']")
        .await;
    assert_eq!(browser.text("h1").await, "Campagnes de diagnostic");

    // Refused: no name, the end before the start — both said next to their field.
    browser.fill("#starts_on", "03/01/2027").await;
    browser.fill("#ends_on", "02/01/2027").await;
    browser
        .click(&format!("input[name=organisation_ids][value='{foundry}']"))
        .await;
    browser.follow("main form button[type=submit]").await;
    assert!(browser.text("#name-error").await.contains("Donnez un nom"));
    assert!(
        browser
            .text("#ends_on-error")
            .await
            .contains("ne peut pas précéder")
    );
    assert_eq!(
        browser
            .attribute(&format!("input[value='{foundry}']"), "checked")
            .await
            .as_deref(),
        Some("true")
    );

    browser.fill("#name", "Zone industrielle de Chenôve").await;
    browser.fill("#ends_on", "06/30/2027").await;
    browser
        .click(&format!(
            "input[name=organisation_ids][value='{cardboard}']"
        ))
        .await;
    browser.follow("main form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "Zone industrielle de Chenôve");
    assert!(
        browser
            .page_text()
            .await
            .contains("La campagne est lancée.")
    );
    assert_eq!(browser.text("#progress-to_visit").await, "2");
    assert!(
        browser
            .text("#targets")
            .await
            .contains("Fonderie de Chenôve")
    );

    // The foundry visited: half the campaign done.
    browser
        .select(&format!("#state-{foundry}"), "visited")
        .await;
    browser
        .follow(&format!("#target-{foundry} button[type=submit]"))
        .await;
    assert_eq!(browser.text("#progress-visited").await, "1");
    assert_eq!(
        browser.text(&format!("#target-{foundry} td.state")).await,
        "Visitée"
    );
    assert!(browser.text("#progress").await.starts_with("50 %"));
    browser
        .follow(&format!("#target-{foundry} a[href*='flux/nouveau']"))
        .await;
    assert_eq!(
        browser
            .attribute("#organisation_id option[selected]", "value")
            .await
            .as_deref(),
        Some(foundry.as_str())
    );
    browser
        .goto(&format!("{base}/dijon/animation/campagnes"))
        .await;
    assert!(browser.text("ul.campaigns").await.contains("1 visitées"));
    browser.goto(&format!("{base}/dijon/animation/flux")).await;
    let campaigns = browser.text("ul.campaigns").await;
    assert!(
        campaigns.contains("Zone industrielle de Chenôve") && campaigns.contains("1 visitées"),
        "{campaigns}"
    );
    browser.quit().await;
}

/// The import template's header line, as the API serves it.
async fn template_header(platform: &Platform, token: &str) -> String {
    let template = platform
        .client
        .http
        .get(format!(
            "{}/api/v1/flows/import/template.csv",
            platform.client.base_url
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    template.lines().next().unwrap().to_owned()
}

#[tokio::test]
async fn a_member_checks_a_csv_file_then_imports_it() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon(&platform).await;
    let member = token(&platform, "marie@cartonnerie.fr").await;
    let header = template_header(&platform, &member).await;
    let good = [
        ";;out;waste;Cartons souillés;Du magasin;150101;;12,5;t;month;continuous;partners;;Benne;4200",
        ";;in;energy;Vapeur;Pour le séchage;;;800;MWh;year;;public;;;",
    ];
    let directory = tempfile::tempdir().unwrap();
    let wrong = directory.path().join("flux-avec-erreurs.csv");
    std::fs::write(
        &wrong,
        format!(
            "{header}\r\n{}\r\n;;out;waste;Chutes;;150101;;beaucoup;t;year;;;;;\r\n",
            good[0]
        ),
    )
    .unwrap();
    let right = directory.path().join("flux.csv");
    std::fs::write(
        &right,
        format!("{header}\r\n{}\r\n{}\r\n", good[0], good[1]),
    )
    .unwrap();

    let browser = Browser::start(1280, 1000).await;
    sign_in(&browser, &base, "marie@cartonnerie.fr").await;
    browser.goto(&format!("{base}/dijon/flux")).await;
    browser.follow("main a[href='/dijon/flux/import']").await;
    assert_eq!(browser.text("h1").await, "Importer des flux");
    assert_eq!(
        browser.attribute("#template-link", "href").await.as_deref(),
        Some("/dijon/flux/modele.csv")
    );

    // Nothing chosen: said next to the file field.
    browser.follow("#import-check").await;
    assert!(
        browser
            .text("#file-error")
            .await
            .contains("Choisissez un fichier")
    );

    // A wrong row: its line, column and reason; nothing saved.
    browser.attach("#file", &wrong).await;
    browser.follow("#import-check").await;
    assert!(
        browser
            .text("#form-error")
            .await
            .contains("Rien n'a été enregistré")
    );
    let report = browser.text("#rejections").await;
    assert!(report.contains('3'), "{report}");
    assert!(report.to_lowercase().contains("quantit"), "{report}");
    assert!(!browser.has("#import-real").await);
    let (_, flows) = platform.client.get("/api/v1/flows", &member).await;
    assert_eq!(flows["flows"].as_array().map(Vec::len), Some(0), "{flows}");

    // The right file: checked, then imported for good.
    browser.attach("#file", &right).await;
    browser.follow("#import-check").await;
    assert!(
        browser
            .text("#import-ready")
            .await
            .starts_with("2 flux prêts")
    );
    let (_, flows) = platform.client.get("/api/v1/flows", &member).await;
    assert_eq!(flows["flows"].as_array().map(Vec::len), Some(0), "{flows}");
    browser.follow("#import-real").await;
    assert!(
        browser
            .text("#import-done")
            .await
            .starts_with("2 flux importés")
    );
    browser.follow("#report a[href='/dijon/flux']").await;
    let list = browser.text("table.flows").await;
    assert!(
        list.contains("Cartons souillés") && list.contains("Vapeur"),
        "{list}"
    );
    assert!(list.contains("150 tonnes par an"), "{list}");

    // Export links, as CSV and as an XLSX workbook.
    browser.goto(&format!("{base}/dijon/flux")).await;
    for link in ["export.csv", "export.xlsx"] {
        assert!(
            browser
                .has(&format!("main a[href='/dijon/flux/{link}']"))
                .await,
            "{link}"
        );
    }
    for (path, content_type) in [
        ("export.csv", "text/csv"),
        (
            "export.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "modele.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ] {
        // The session cookie a signed-in browser sends.
        let answer = platform
            .client
            .http
            .get(format!("{base}/dijon/flux/{path}"))
            .header("cookie", format!("__Host-synergies-access={member}"))
            .send()
            .await
            .unwrap();
        let kind = answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let status = answer.status();
        let body = answer.bytes().await.unwrap();
        assert!(
            status == 200 && kind.starts_with(content_type),
            "{path}: {status} {kind} {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        if path == "export.csv" {
            assert!(String::from_utf8_lossy(&body).contains("Cartons souillés"));
        } else {
            assert!(body.starts_with(b"PK"), "{path}: a ZIP (XLSX) file");
        }
    }
    browser.quit().await;
}

/// After the advisor's visit, the firm reads what was recorded in "Mes flux" and confirms it;
/// the campaign counts it as validated.
#[tokio::test]
async fn a_member_confirms_the_flows_an_advisor_recorded() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    let (cardboard, _) = dijon(&platform).await;
    let facilitator = token(&platform, "animatrice@cci.fr").await;
    let client = &platform.client;
    let (status, campaign) = client
        .post(
            "/api/v1/campaigns",
            &facilitator,
            &json!({"name": "Zone d'activités de Chenôve", "starts_on": "2026-09-01",
                    "ends_on": "2027-03-31", "organisation_ids": [cardboard]}),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let target = format!("/api/v1/campaigns/{campaign_id}/organisations/{cardboard}");

    let browser = Browser::start(1280, 1000).await;
    sign_in(&browser, &base, "marie@cartonnerie.fr").await;
    browser.goto(&format!("{base}/dijon/flux")).await;
    let section = browser.text("section.campaigns-of-member").await;
    assert!(
        section.contains("Zone d'activités de Chenôve")
            && section.contains("Un conseiller viendra relever vos flux."),
        "{section}"
    );
    assert!(!browser.has("section.campaigns-of-member form").await);

    let (status, visited) = client
        .put(&target, &facilitator, &json!({"state": "visited"}))
        .await;
    assert_eq!(status, 200, "{visited}");
    browser.goto(&format!("{base}/dijon/flux")).await;
    assert!(
        browser
            .text("section.campaigns-of-member")
            .await
            .contains("Un conseiller a relevé vos flux")
    );
    browser
        .follow("section.campaigns-of-member form button[type=submit]")
        .await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Merci, vos flux sont confirmés.")
    );
    assert!(
        browser
            .text("section.campaigns-of-member")
            .await
            .contains("Vous avez confirmé les flux relevés.")
    );
    browser.quit().await;

    let (_, seen) = client
        .get(&format!("/api/v1/campaigns/{campaign_id}"), &facilitator)
        .await;
    assert_eq!(seen["progress"]["validated"], 1, "{seen}");
}
