//! The first impression: `synergies --demo` populates Dijon Métropole on its first start, and
//! before anyone has clicked the facilitator already finds explained proposals — the foundry's
//! waste heat for the market gardener's greenhouses, the joinery's offcuts for the biomass
//! boiler — and the garages' used oils pooled in one collection; a member finds its own.

use std::time::Duration;

use serde_json::Value;
use synergies_platform::testing;
use synergies_tests::Platform;
use synergies_tests::browser::Browser;

/// `(email, password)` of the demo account of Dijon with `role` whose address contains
/// `email_part`, once the demo has written it (members' accounts come with the population).
async fn account(platform: &Platform, role: &str, email_part: &str) -> (String, String) {
    let file = platform.dir.path().join("data/demo-accounts.txt");
    testing::eventually("the demo account", Duration::from_secs(90), || async {
        let accounts = std::fs::read_to_string(&file).ok()?;
        accounts
            .lines()
            .map(|line| line.split('\t').collect::<Vec<_>>())
            .find(|f| f[0] == "dijon-metropole" && f[1] == role && f[2].contains(email_part))
            .map(|f| (f[2].to_owned(), f[3].to_owned()))
    })
    .await
}

async fn token(platform: &Platform, (email, password): (String, String)) -> String {
    let (status, tokens) = platform
        .client
        .login("dijon-metropole", &email, &password)
        .await;
    assert_eq!(status, 200, "{tokens}");
    tokens["access_token"].as_str().unwrap().to_owned()
}

fn explanations(page: &Value) -> Vec<String> {
    page["synergies"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|s| s["explanation"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_demo_territory_shows_explained_synergies_and_a_pooled_collection_at_once() {
    let platform = Platform::all_in_one_with(&["--demo"], &[]).await;
    let facilitator = token(
        &platform,
        account(&platform, "facilitator", "animation").await,
    )
    .await;
    let client = &platform.client;

    // Populated in the background after start: wait on what the facilitator sees.
    let substitutions = testing::eventually(
        "the demo's substitutions",
        Duration::from_secs(90),
        || async {
            let (status, page) = client
                .get("/api/v1/synergies?kind=substitution", &facilitator)
                .await;
            let found = explanations(&page);
            let wanted = [
                ("Chaleur fatale des fours de fusion", "Chauffage des serres"),
                ("Chutes et sciures de bois", "chaufferie biomasse"),
                ("Drêches de brasserie", "Méthanisation de la Plaine"),
            ];
            (status == 200
                && wanted.iter().all(|(output, input)| {
                    found
                        .iter()
                        .any(|e| e.contains(output) && e.contains(input))
                }))
            .then_some(found)
        },
    )
    .await;
    // Unrelated things are not proposed.
    assert!(
        !substitutions
            .iter()
            .any(|e| e.contains("Huiles") && e.contains("Mobilier de bureau")),
        "{substitutions:#?}"
    );

    let (status, groups) = client
        .get("/api/v1/synergies?kind=mutualisation", &facilitator)
        .await;
    assert_eq!(status, 200, "{groups}");
    let oils = groups["synergies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| {
            g["explanation"]
                .as_str()
                .unwrap_or_default()
                .contains("13 02 05")
        })
        .unwrap_or_else(|| panic!("a pooled collection of used oils in {groups}"));
    assert!(oils["members"].as_array().unwrap().len() >= 3, "{oils}");
    assert_eq!(oils["resource_class"], "waste");

    // A member sees the proposals of its own organisation.
    let grocer = token(
        &platform,
        account(&platform, "organisation_admin", "epicerie").await,
    )
    .await;
    let (status, mine) = client.get("/api/v1/synergies", &grocer).await;
    assert_eq!(status, 200, "{mine}");
    let mine = explanations(&mine);
    // Its own needs, whatever name matching had learned for it when they were scored (listing
    // events carry no organisation name: see the matching README).
    let own = [
        "Cartons d'expédition",
        "Cherche cartons pour nos expéditions",
        "Besoin de quelques palettes",
    ];
    assert!(
        !mine.is_empty()
            && mine
                .iter()
                .all(|e| own.iter().any(|label| e.contains(label))),
        "{mine:#?}"
    );

    // What a newcomer sees of it in a browser (the README's screenshots of the synergy engine
    // are these pages).
    let base = &platform.base_url;
    for (role, email_part, page, screenshot, shown) in [
        (
            "facilitator",
            "animation",
            "synergies",
            "demo-synergy-board",
            "Chaleur fatale des fours de fusion",
        ),
        (
            "organisation_admin",
            "epicerie",
            "synergies",
            "demo-member-synergies",
            "Cherche cartons pour nos expéditions",
        ),
    ] {
        let (email, password) = account(&platform, role, email_part).await;
        let browser = Browser::start(1280, 1000).await;
        browser
            .sign_in(
                &format!("{base}/dijon-metropole/connexion"),
                &email,
                &password,
            )
            .await;
        browser
            .goto(&format!("{base}/dijon-metropole/{page}"))
            .await;
        let text = browser.page_text().await;
        assert!(text.contains(shown), "{shown} on the {role}'s page: {text}");
        browser.screenshot(screenshot).await;
        browser.quit().await;
    }
}
