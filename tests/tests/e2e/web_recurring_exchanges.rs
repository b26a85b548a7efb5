//! A recurring offer (a quantity per week, month or year) stays open after each exchange, every
//! exchange recorded against it, until its organisation closes it; its page lists the exchanges
//! done. A one-off listing still completes with its exchange (see `exchanges.rs`).

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member, PASSWORD};
use synergies_tests::browser::Browser;
use synergies_tests::fixtures::dijon_with_its_cci;

/// `taker` asks, `owner` reserves for them and both confirm `quantity`: the answer of the
/// second confirmation.
async fn exchanged(
    client: &Client,
    listing_id: &str,
    owner: &Member,
    taker: &Member,
    quantity: &str,
) -> Value {
    let conversation = client.open_conversation(listing_id, taker).await;
    let (status, reserved) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/reservation"),
            &owner.token,
            &json!({"conversation_id": conversation}),
        )
        .await;
    assert_eq!(status, 200, "{reserved}");
    let confirmation = format!("/api/v1/listings/{listing_id}/confirmation");
    let quantity = json!({"quantity": quantity});
    let (status, first) = client.post(&confirmation, &owner.token, &quantity).await;
    assert_eq!(status, 200, "{first}");
    let (status, done) = client.post(&confirmation, &taker.token, &quantity).await;
    assert_eq!(status, 200, "{done}");
    assert!(done["exchange"]["id"].is_string(), "{done}");
    done
}

fn ids(page: &Value) -> Vec<&str> {
    page["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_recurring_offer_stays_open_after_each_exchange_until_its_owner_closes_it() {
    let platform = Platform::all_in_one(&[]).await;
    let base = platform.base_url.clone();
    dijon_with_its_cci(&platform).await;
    let client = &platform.client;
    let giver = client.create_member("dijon", "Fonderie de Chenôve").await;
    let first = client.create_member("dijon", "Serres du Lac").await;
    let second = client.create_member("dijon", "Menuiserie Bouchard").await;
    let offer = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes Europe",
        "exchange_mode": "give", "quantity": "2", "unit": "t", "recurrence": "month",
        "condition": "good", "insee_code": "21166"});
    let (status, listing) = client.create_listing("fr", &giver, &offer).await;
    assert_eq!(status, 201, "{listing}");
    let id = listing["id"].as_str().unwrap().to_owned();

    // Each exchange is recorded and the offer is published again, open to the next.
    let one = exchanged(client, &id, &giver, &first, "2").await;
    assert_eq!(one["listing"]["status"], "published", "{one}");
    let two = exchanged(client, &id, &giver, &second, "1.5").await;
    assert_eq!(two["listing"]["status"], "published", "{two}");
    let (_, public) = client
        .get(&format!("/api/v1/tenants/dijon/listings/{id}"), "")
        .await;
    assert_eq!(public["status"], "published", "{public}");

    // Its organisation sees both, newest first; another side the one it took part in.
    let of_listing = format!("/api/v1/exchanges?listing_id={id}");
    let (status, all) = client.get(&of_listing, &giver.token).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        ids(&all),
        [
            two["exchange"]["id"].as_str().unwrap(),
            one["exchange"]["id"].as_str().unwrap()
        ]
    );
    let (status, theirs) = client.get(&of_listing, &first.token).await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(ids(&theirs), [one["exchange"]["id"].as_str().unwrap()]);
    // Both count in the territory's impact.
    let (_, record) = client.get("/api/v1/exchanges", &giver.token).await;
    assert_eq!(ids(&record).len(), 2, "{record}");

    // The other side sees its own exchange on the page, on a phone, in English.
    let phone = Browser::start(390, 844).await;
    phone
        .sign_in(&format!("{base}/dijon/connexion"), &first.email, PASSWORD)
        .await;
    phone
        .goto(&format!("{base}/dijon/annonces/{id}?lang=en"))
        .await;
    let seen = phone.text("#exchanges-done").await;
    assert!(seen.contains("Exchanges done"), "{seen}");
    assert!(seen.contains("2 t — With Fonderie de Chenôve"), "{seen}");
    assert!(!seen.contains("Menuiserie"), "{seen}");
    let violations = phone.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:?}");
    phone.goto(&format!("{base}/dijon/?lang=fr")).await;
    phone.quit().await;

    // Its page lists the exchanges done and says it stays open; the owner closes it there.
    let browser = Browser::start(1280, 900).await;
    browser
        .sign_in(&format!("{base}/dijon/connexion"), &giver.email, PASSWORD)
        .await;
    browser.goto(&format!("{base}/dijon/annonces/{id}")).await;
    let done = browser.text("#exchanges-done").await;
    assert!(done.contains("Échanges réalisés"), "{done}");
    assert!(done.contains("2 t — Avec Serres du Lac"), "{done}");
    assert!(done.contains("1,5 t — Avec Menuiserie Bouchard"), "{done}");
    assert!(
        browser
            .text("#recurring-note")
            .await
            .contains("reste ouverte après chaque échange")
    );
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(
        browser.text("#withdraw").await,
        "Clore l'annonce (plus d'échanges)"
    );
    browser.follow_confirming("#withdraw").await;
    let (_, closed) = client
        .get(&format!("/api/v1/listings/{id}"), &giver.token)
        .await;
    assert_eq!(closed["status"], "withdrawn", "{closed}");
    // Closed, it keeps its record.
    assert!(
        browser
            .text("#exchanges-done")
            .await
            .contains("Serres du Lac")
    );
    browser.quit().await;
}
