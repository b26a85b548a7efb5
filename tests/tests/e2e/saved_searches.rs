//! Saved searches: a member saves a search, and a listing published later that fits it alerts
//! them in their inbox (linking to the listing); one that does not fit, or their own, does not;
//! a deleted search alerts no more; nobody reads or deletes another's searches.

use std::time::Duration;

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};

async fn alerts(client: &Client, member: &Member) -> Vec<Value> {
    client
        .inbox(member)
        .await
        .into_iter()
        .filter(|item| item["kind"] == "alert.saved_search")
        .collect()
}

async fn wait_for_alerts(client: &Client, member: &Member, count: usize) -> Vec<Value> {
    let what = format!("{count} alerts");
    synergies_platform::testing::eventually(&what, Duration::from_secs(30), || async {
        let found = alerts(client, member).await;
        (found.len() >= count).then_some(found)
    })
    .await
}

async fn publish(client: &Client, member: &Member, kind: &str, title: &str) -> String {
    let body = json!({"kind": kind, "category": "packaging/pallets", "title": title,
                      "quantity": 4, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", member, &body).await;
    assert_eq!(status, 201, "{listing}");
    listing["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn a_new_listing_that_fits_a_saved_search_alerts_its_member() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let seeker = client.create_member("dijon", "Brasserie du Lac").await;
    let other = client.create_member("dijon", "Menuiserie Martin").await;

    let (status, saved) = client
        .post(
            "/api/v1/saved-searches",
            &seeker.token,
            &json!({"text": "palette", "kind": "offer", "category": "packaging"}),
        )
        .await;
    assert_eq!(status, 201, "{saved}");
    let (status, refused) = client
        .post(
            "/api/v1/saved-searches",
            &seeker.token,
            &json!({"kind": "gift"}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let (status, nothing) = client
        .post("/api/v1/saved-searches", &seeker.token, &json!({}))
        .await;
    assert_eq!(status, 400, "{nothing}");
    let (status, _) = client
        .post(
            "/api/v1/saved-searches",
            &other.token,
            &json!({"text": "bois"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, listed) = client.get("/api/v1/saved-searches", &seeker.token).await;
    assert_eq!(
        listed["saved_searches"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
    assert_eq!(listed["saved_searches"][0]["text"], "palette");

    // A request for palettes, and cardboard: neither fits. Then palettes offered: it does.
    publish(client, &giver, "request", "Cherche palettes").await;
    publish(client, &giver, "offer", "Cartons pliés").await;
    let listing = publish(client, &giver, "offer", "Palettes Europe en bois").await;
    let found = wait_for_alerts(client, &seeker, 1).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["link"], format!("/dijon/annonces/{listing}"));
    assert!(
        found[0]["title"]
            .as_str()
            .unwrap()
            .contains("Palettes Europe en bois")
    );
    // "bois" fits too: the other member is alerted by the same publication.
    wait_for_alerts(client, &other, 1).await;

    // Nobody deletes another's search; its owner does, and it alerts no more.
    let id = saved["id"].as_str().unwrap();
    let path = format!("/api/v1/saved-searches/{id}");
    let status = client
        .http
        .delete(format!("{}{path}", platform.base_url))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 404);
    let status = client
        .http
        .delete(format!("{}{path}", platform.base_url))
        .bearer_auth(&seeker.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 204);
    publish(client, &giver, "offer", "Palette de bois massif").await;
    // Once the other member's alert for it has come, the publication was checked.
    wait_for_alerts(client, &other, 2).await;
    assert_eq!(alerts(client, &seeker).await.len(), 1);
    let (_, listed) = client.get("/api/v1/saved-searches", &seeker.token).await;
    assert_eq!(listed["saved_searches"], json!([]));
}

/// "Free only" and the sort are kept with the search and given back; an alert honours "free
/// only" (a listing for sale does not fit, a given one does); a sort the listings search does
/// not know is refused next to its field.
#[tokio::test]
async fn a_saved_search_keeps_free_only_and_its_sort_and_alerts_for_free_listings_alone() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let seeker = client.create_member("dijon", "Brasserie du Lac").await;
    let other = client.create_member("dijon", "Menuiserie Martin").await;

    let (status, refused) = client
        .post(
            "/api/v1/saved-searches",
            &seeker.token,
            &json!({"text": "palette", "sort": "cheapest"}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("sort")),
        "{refused}"
    );
    let (status, saved) = client
        .post(
            "/api/v1/saved-searches",
            &seeker.token,
            &json!({"text": "palette", "free_only": true, "sort": "newest"}),
        )
        .await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(
        (&saved["free_only"], &saved["sort"]),
        (&json!(true), &json!("newest"))
    );
    // Without them: not free-only, no sort.
    let (status, plain) = client
        .post(
            "/api/v1/saved-searches",
            &other.token,
            &json!({"text": "palette"}),
        )
        .await;
    assert_eq!(status, 201, "{plain}");
    assert_eq!(
        (&plain["free_only"], &plain["sort"]),
        (&json!(false), &Value::Null)
    );
    let (_, listed) = client.get("/api/v1/saved-searches", &seeker.token).await;
    let kept = &listed["saved_searches"][0];
    assert_eq!(
        (&kept["text"], &kept["free_only"], &kept["sort"]),
        (&json!("palette"), &json!(true), &json!("newest")),
        "{listed}"
    );

    // Sold palettes fit the other member's search, not the free-only one.
    let sold = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes à vendre",
                      "exchange_mode": "sell", "price_cents": 500, "quantity": 4, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &sold).await;
    assert_eq!(status, 201, "{listing}");
    wait_for_alerts(client, &other, 1).await;
    assert!(alerts(client, &seeker).await.is_empty(), "sold: not free");
    // Given ones fit both.
    let given = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes données",
                       "exchange_mode": "give", "quantity": 4, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &given).await;
    assert_eq!(status, 201, "{listing}");
    let found = wait_for_alerts(client, &seeker, 1).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["listing_id"], listing["id"]);
    wait_for_alerts(client, &other, 2).await;
}

/// A page of Dijon as a browser gets it (signed in when `token` is not empty), in `language`.
async fn page(platform: &Platform, token: &str, path_and_query: &str, language: &str) -> String {
    let mut request = reqwest::Client::new().get(format!(
        "{}/dijon{path_and_query}&lang={language}",
        platform.base_url
    ));
    if !token.is_empty() {
        request = request.header("Cookie", format!("__Host-synergies-access={token}"));
    }
    let response = request.send().await.expect("gateway answers");
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.expect("a page")
}

/// From the web: the search page offers to save its words and filters to a signed-in member;
/// the settings page lists the saved searches and deletes one; a fitting listing alerts.
#[tokio::test]
async fn a_member_saves_the_search_of_the_page_and_deletes_it_from_the_settings_page() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie Dupont").await;
    let seeker = client.create_member("dijon", "Brasserie du Lac").await;
    let search = "/annonces?q=palette&kind=offer&category=packaging&exchange_mode=give";

    let french = page(&platform, &seeker.token, search, "fr").await;
    assert!(
        french.contains("id=\"save-search\"") && french.contains("Enregistrer cette recherche"),
        "{french}"
    );
    let english = page(&platform, &seeker.token, search, "en").await;
    assert!(english.contains("Save this search"), "{english}");
    let visitor = page(&platform, "", search, "fr").await;
    assert!(!visitor.contains("id=\"save-search\""), "{visitor}");
    let nothing = page(&platform, &seeker.token, "/annonces?q=", "fr").await;
    assert!(!nothing.contains("id=\"save-search\""), "nothing to save");
    let sorted_only = page(&platform, &seeker.token, "/annonces?q=&sort=newest", "fr").await;
    assert!(
        !sorted_only.contains("id=\"save-search\""),
        "a sort alone looks for nothing"
    );
    // "Free only" alone is something to look for; the form carries it and the sort.
    let free = page(
        &platform,
        &seeker.token,
        "/annonces?q=&free_only=on&sort=newest",
        "fr",
    )
    .await;
    let save_form = |html: &str| -> String {
        html.split("id=\"save-search\"")
            .nth(1)
            .and_then(|rest| rest.split("</form>").next())
            .unwrap_or_else(|| panic!("a save form: {html}"))
            .to_owned()
    };
    let form = save_form(&free);
    assert!(
        form.contains("name=\"free_only\" value=\"on\"")
            && form.contains("name=\"sort\" value=\"newest\""),
        "{form}"
    );
    let unfree = save_form(&page(&platform, &seeker.token, search, "fr").await);
    assert!(!unfree.contains("name=\"free_only\""), "{unfree}");

    // The form posts what the page shows.
    let (cookies, csrf) = client.browser_cookies("dijon", &seeker.token).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let saved = browser
        .post(format!("{}/dijon/recherches", platform.base_url))
        .header("Cookie", &cookies)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("q", "palette"),
            ("kind", "offer"),
            ("category", "packaging"),
            ("exchange_mode", "give"),
            ("insee_code", ""),
            ("free_only", "on"),
            ("sort", "newest"),
        ])
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(saved.status().as_u16(), 303);
    let location = saved.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.ends_with("/dijon/notifications/reglages?notice=search_saved"),
        "{location}"
    );
    let (_, listed) = client.get("/api/v1/saved-searches", &seeker.token).await;
    let kept = &listed["saved_searches"][0];
    assert_eq!(
        (
            &kept["text"],
            &kept["kind"],
            &kept["category"],
            &kept["exchange_mode"],
            &kept["free_only"],
            &kept["sort"]
        ),
        (
            &json!("palette"),
            &json!("offer"),
            &json!("packaging"),
            &json!("give"),
            &json!(true),
            &json!("newest")
        ),
        "{listed}"
    );
    let id = kept["id"].as_str().expect("an id").to_owned();

    // The settings page lists it, in French and English, with its delete button.
    let settings = page(
        &platform,
        &seeker.token,
        "/notifications/reglages?notice=search_saved",
        "fr",
    )
    .await;
    assert!(
        settings.contains("Recherche enregistrée : les nouvelles annonces")
            && settings.contains("Recherches enregistrées")
            && settings.contains("« palette » · Offres · ")
            && settings
                .contains(" · Don · Gratuit seulement (dons et prêts) · Les plus récentes d")
            && settings.contains(&format!("/dijon/recherches/{id}/supprimer")),
        "{settings}"
    );
    let settings = page(&platform, &seeker.token, "/notifications/reglages?", "en").await;
    assert!(
        settings.contains("Saved searches")
            && settings.contains("“palette” · Offers · ")
            && settings.contains(" · Free only (give and lend) · Newest first</a>"),
        "{settings}"
    );
    // Its link opens the search as it was saved: "free only" ticked, newest first.
    let link = settings
        .split("<ul class=\"saved-searches\">")
        .nth(1)
        .and_then(|rest| rest.split("href=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the saved search's link")
        .replace("&amp;", "&");
    assert!(
        link.contains("free_only=on") && link.contains("sort=newest"),
        "{link}"
    );
    let reopened = reqwest::Client::new()
        .get(format!("{}{link}&lang=fr", platform.base_url))
        .header(
            "Cookie",
            format!("__Host-synergies-access={}", seeker.token),
        )
        .send()
        .await
        .expect("gateway answers")
        .text()
        .await
        .expect("a page");
    assert!(
        reopened.contains("name=\"free_only\" value=\"on\" checked")
            && reopened.contains("<option value=\"newest\" selected>")
            && reopened.contains("value=\"palette\""),
        "{reopened}"
    );

    // A given pallet offer fits it: the member is alerted.
    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes Europe",
                      "exchange_mode": "give", "quantity": 4, "unit": "piece"});
    let (status, listing) = client.create_listing("fr", &giver, &body).await;
    assert_eq!(status, 201, "{listing}");
    let alerted = wait_for_alerts(client, &seeker, 1).await;
    assert_eq!(alerted[0]["listing_id"], listing["id"]);

    // Deleted from the settings page, it is gone.
    let deleted = browser
        .post(format!(
            "{}/dijon/recherches/{id}/supprimer",
            platform.base_url
        ))
        .header("Cookie", &cookies)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(deleted.status().as_u16(), 303);
    let (_, listed) = client.get("/api/v1/saved-searches", &seeker.token).await;
    assert_eq!(listed["saved_searches"], json!([]), "{listed}");
    let settings = page(&platform, &seeker.token, "/notifications/reglages?", "fr").await;
    assert!(
        settings.contains("Aucune recherche enregistrée"),
        "{settings}"
    );
}
