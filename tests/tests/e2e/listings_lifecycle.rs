//! Listings through the gateway, all-in-one: the lifecycle with and without approval,
//! moderation, who may do what, price rules, expiry and search (members and visitors).

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member, PASSWORD};

/// Dijon (two communes) with a facilitator and a tenant admin; returns their tokens.
async fn dijon(client: &Client) -> (String, String) {
    let operator = client.operator_token().await;
    let territory = json!({"slug": "dijon", "display_name": "Dijon métropole", "communes": [
        {"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]},
        {"insee_code": "21166", "name": "Chenôve", "postal_codes": ["21300"]}
    ]});
    let (status, tenant) = client.post("/api/v1/tenants", &operator, &territory).await;
    assert_eq!(status, 201, "{tenant}");
    let (_, cci) = client
        .post(
            "/api/v1/tenants/dijon/organisations",
            &operator,
            &json!({"name": "CCI Côte-d'Or", "kind": "public_body"}),
        )
        .await;
    let mut tokens = Vec::new();
    for (email, role) in [
        ("animatrice@cci.fr", "facilitator"),
        ("admin@cci.fr", "tenant_admin"),
    ] {
        let body = json!({"organisation_id": cci["id"], "email": email, "display_name": role,
                          "password": PASSWORD, "roles": [role]});
        let (status, created) = client
            .post("/api/v1/tenants/dijon/users", &operator, &body)
            .await;
        assert_eq!(status, 201, "{created}");
        let (_, answer) = client.login("dijon", email, PASSWORD).await;
        tokens.push(answer["access_token"].as_str().unwrap().to_owned());
    }
    (tokens[0].clone(), tokens[1].clone())
}

async fn set_settings(client: &Client, admin: &str, approval: bool, modes: &[&str]) {
    let settings = json!({"primary_colour": "#1d4f91", "secondary_colour": "#2e7d32",
        "listings_need_approval": approval, "exchange_modes": modes, "default_language": "fr"});
    let answer = client
        .http
        .put(format!("{}/api/v1/tenant/settings", client.base_url))
        .bearer_auth(admin)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
}

async fn create(client: &Client, member: &Member, body: Value) -> Value {
    let (status, listing) = client.create_listing("en", member, &body).await;
    assert_eq!(status, 201, "{listing}");
    listing
}

async fn public_get(client: &Client, tenant: &str, id: &str) -> (u16, Value) {
    client
        .get(&format!("/api/v1/tenants/{tenant}/listings/{id}"), "")
        .await
}

async fn action(
    client: &Client,
    token: &str,
    id: &Value,
    action: &str,
    body: &Value,
) -> (u16, Value) {
    let id = id.as_str().unwrap();
    client
        .post(&format!("/api/v1/listings/{id}/{action}"), token, body)
        .await
}

#[tokio::test]
async fn publication_waits_for_a_facilitator_only_when_the_territory_says_so() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let (facilitator, admin) = dijon(client).await;
    let member = client.create_member("dijon", "Cartonnerie").await;

    let direct = create(
        client,
        &member,
        json!({"kind": "offer", "category": "packaging/pallets",
        "title": "40 palettes Europe", "insee_code": "21231"}),
    )
    .await;
    assert_eq!(direct["status"], "published");
    assert_eq!(direct["resource_type"], "goods");
    assert_eq!(direct["exchange_mode"], "give");
    assert_eq!(
        public_get(client, "dijon", direct["id"].as_str().unwrap())
            .await
            .0,
        200
    );

    set_settings(
        client,
        &admin,
        true,
        &["give", "exchange", "lend", "rent", "sell"],
    )
    .await;
    let waiting = create(
        client,
        &member,
        json!({"kind": "offer", "category": "packaging/cardboard",
        "title": "Cartons de déménagement"}),
    )
    .await;
    assert_eq!(waiting["status"], "pending_approval");
    let id = waiting["id"].as_str().unwrap();
    assert_eq!(public_get(client, "dijon", id).await.0, 404);
    // The facilitator's queue shows it; members have no such queue.
    let (status, queue) = client
        .get("/api/v1/listings?status=pending_approval", &facilitator)
        .await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["listings"][0]["id"], waiting["id"]);
    assert_eq!(
        client
            .get("/api/v1/listings?status=pending_approval", &member.token)
            .await
            .0,
        403
    );
    // A member is not a facilitator.
    assert_eq!(
        action(client, &member.token, &waiting["id"], "approve", &json!({}))
            .await
            .0,
        403
    );
    let (status, approved) =
        action(client, &facilitator, &waiting["id"], "approve", &json!({})).await;
    assert_eq!(
        (status, approved["status"].as_str()),
        (200, Some("published")),
        "{approved}"
    );
    assert_eq!(public_get(client, "dijon", id).await.0, 200);
    // Approving twice makes no sense.
    let (status, refused) =
        action(client, &facilitator, &waiting["id"], "approve", &json!({})).await;
    assert_eq!(status, 422, "{refused}");
    // Edited once approved, it waits for approval again: members see what was approved.
    let (_, edited) = client
        .put(
            &format!("/api/v1/listings/{id}"),
            &member.token,
            &json!({"kind": "offer", "category": "packaging/cardboard",
                    "title": "Cartons de déménagement, 60 pièces"}),
        )
        .await;
    assert_eq!(edited["status"], "pending_approval", "{edited}");
    assert_eq!(public_get(client, "dijon", id).await.0, 404);
    let (status, approved) =
        action(client, &facilitator, &waiting["id"], "approve", &json!({})).await;
    assert_eq!(
        (status, approved["title"].as_str()),
        (200, Some("Cartons de déménagement, 60 pièces"))
    );

    // A draft, submitted later, follows the same rule.
    let draft = create(
        client,
        &member,
        json!({"kind": "request", "category": "furniture",
        "title": "Cherche bureaux", "draft": true}),
    )
    .await;
    assert_eq!(draft["status"], "draft");
    let (status, submitted) =
        action(client, &member.token, &draft["id"], "submit", &json!({})).await;
    assert_eq!(
        (status, submitted["status"].as_str()),
        (200, Some("pending_approval"))
    );
}

#[tokio::test]
async fn a_facilitator_hides_a_listing_with_a_reason_the_owner_sees() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let (facilitator, _) = dijon(client).await;
    let member = client.create_member("dijon", "Cartonnerie").await;
    let listing = create(
        client,
        &member,
        json!({"kind": "offer", "category": "wood", "title": "Chutes de chêne"}),
    )
    .await;

    let (status, refused) = action(
        client,
        &facilitator,
        &listing["id"],
        "hide",
        &json!({"reason": " "}),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("reason")),
        "{refused}"
    );
    assert_eq!(
        action(
            client,
            &member.token,
            &listing["id"],
            "hide",
            &json!({"reason": "x"})
        )
        .await
        .0,
        403
    );
    let (status, hidden) = action(
        client,
        &facilitator,
        &listing["id"],
        "hide",
        &json!({"reason": "Annonce en double"}),
    )
    .await;
    assert_eq!(status, 200, "{hidden}");
    let id = listing["id"].as_str().unwrap();
    let (_, seen) = client
        .get(&format!("/api/v1/listings/{id}"), &member.token)
        .await;
    assert_eq!(
        (seen["status"].as_str(), seen["status_reason"].as_str()),
        (Some("hidden"), Some("Annonce en double"))
    );
    assert_eq!(public_get(client, "dijon", id).await.0, 404);
    // The owner is told, with the reason, in their inbox.
    let items = client.wait_for_item_about(&member, id).await;
    let told = items.iter().find(|i| i["listing_id"] == id).unwrap();
    assert!(
        told["body"].as_str().unwrap().contains("Annonce en double"),
        "{told}"
    );
}

#[tokio::test]
async fn only_the_owner_withdraws_and_other_territories_see_nothing() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    dijon(client).await;
    client.create_tenant("beaune").await;
    let owner = client.create_member("dijon", "Cartonnerie").await;
    let neighbour = client.create_member("dijon", "Menuiserie").await;
    let stranger = client.create_member("beaune", "Tonnellerie").await;
    let listing = create(
        client,
        &owner,
        json!({"kind": "offer", "category": "wood", "title": "Chutes de chêne"}),
    )
    .await;
    let id = listing["id"].as_str().unwrap();

    let (status, refused) = client
        .post_in(
            "fr",
            &format!("/api/v1/listings/{id}/withdraw"),
            &neighbour.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("autre organisation"),
        "{refused}"
    );
    for (status, _) in [
        client
            .get(&format!("/api/v1/listings/{id}"), &stranger.token)
            .await,
        action(
            client,
            &stranger.token,
            &listing["id"],
            "withdraw",
            &json!({}),
        )
        .await,
        public_get(client, "beaune", id).await,
    ] {
        assert_eq!(status, 404);
    }
    let edit = |token: &str| {
        client
            .http
            .put(format!("{}/api/v1/listings/{id}", client.base_url))
            .bearer_auth(token.to_owned())
            .json(&json!({"kind": "offer", "category": "wood", "title": "Autre"}))
            .send()
    };
    assert_eq!(edit(&neighbour.token).await.unwrap().status().as_u16(), 403);
    let edited: Value = edit(&owner.token).await.unwrap().json().await.unwrap();
    assert_eq!(edited["title"], "Autre");
    let (status, withdrawn) =
        action(client, &owner.token, &listing["id"], "withdraw", &json!({})).await;
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (200, Some("withdrawn"))
    );
    let (status, again) =
        action(client, &owner.token, &listing["id"], "withdraw", &json!({})).await;
    assert_eq!(status, 422, "{again}");
    // An edit of a withdrawn listing is refused too.
    let answer = client
        .http
        .put(format!("{}/api/v1/listings/{id}", client.base_url))
        .bearer_auth(&owner.token)
        .json(&json!({"kind": "offer", "category": "wood", "title": "Autre"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 422);
}

#[tokio::test]
async fn prices_follow_the_exchange_mode_and_the_territory_rules() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let (_, admin) = dijon(client).await;
    let member = client.create_member("dijon", "Cartonnerie").await;
    let base =
        json!({"kind": "offer", "category": "spaces/storage", "title": "Entrepôt de 200 m2"});
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (json!({"exchange_mode": "sell"}), "price_cents"),
        (
            json!({"exchange_mode": "give", "price_cents": 100}),
            "price_cents",
        ),
        (
            json!({"exchange_mode": "rent", "price_cents": 50000}),
            "price_per",
        ),
        (json!({"exchange_mode": "barter"}), "exchange_mode"),
        (json!({"condition": "used"}), "condition"),
        (json!({"category": "spaces/castle"}), "category"),
        (json!({"quantity": "beaucoup", "unit": "m2"}), "quantity"),
        (json!({"ewc_code": "99 99 99"}), "ewc_code"),
        (json!({"insee_code": "75056"}), "insee_code"),
        (json!({"available_until": "31/12/2026"}), "available_until"),
        (json!({"available_until": "2020-01-01"}), "available_until"),
    ];
    for (extra, field) in cases {
        let (status, refused) = client
            .create_listing("fr", &member, &with(extra.clone()))
            .await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (400, Some(field)),
            "{extra}: {refused}"
        );
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field} : ")),
            "{refused}"
        );
    }
    let rented = create(
        client,
        &member,
        with(json!({"exchange_mode": "rent", "price_cents": 50000,
        "price_per": "month", "quantity": 200, "unit": "m2"})),
    )
    .await;
    assert_eq!(
        (rented["price_cents"].as_i64(), rented["price_per"].as_str()),
        (Some(50000), Some("month"))
    );
    assert_eq!(rented["quantity"], "200");

    set_settings(client, &admin, false, &["give", "lend"]).await;
    let (status, refused) = client
        .create_listing(
            "en",
            &member,
            &with(json!({"exchange_mode": "rent", "price_cents": 5, "price_per": "day"})),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("exchange_mode")),
        "{refused}"
    );
}

#[tokio::test]
async fn a_listing_expires_by_itself_after_its_last_day() {
    let platform = Platform::all_in_one(&[("SYNERGIES_LISTINGS__EXPIRY_SWEEP_SECS", "1")]).await;
    let client = &platform.client;
    dijon(client).await;
    let member = client.create_member("dijon", "Cartonnerie").await;
    let today = chrono::Utc::now().date_naive();
    let ended = create(
        client,
        &member,
        json!({"kind": "offer", "category": "wood", "title": "Chutes de chêne",
        "available_until": today.to_string()}),
    )
    .await;
    let open = create(
        client,
        &member,
        json!({"kind": "offer", "category": "wood", "title": "Chutes de hêtre",
        "available_until": today.to_string()}),
    )
    .await;
    // A day passes for the first listing: its last day becomes yesterday. The service refuses
    // a window that has already ended, so the test moves the stored date (the all-in-one
    // layout keeps listings in data/listings.db).
    let yesterday = (today - chrono::Days::new(1)).to_string();
    let listings =
        synergies_platform::db::sqlite_pool(&platform.dir.path().join("data/listings.db"))
            .await
            .unwrap();
    let ended_id = uuid::Uuid::parse_str(ended["id"].as_str().unwrap()).unwrap();
    sqlx::query("UPDATE listings SET available_until = $1 WHERE id = $2")
        .bind(&yesterday)
        .bind(ended_id)
        .execute(&listings)
        .await
        .unwrap();
    let id = ended_id.to_string();
    synergies_platform::testing::eventually(
        "the listing to expire",
        std::time::Duration::from_secs(20),
        || async {
            let (_, seen) = client
                .get(&format!("/api/v1/listings/{id}"), &member.token)
                .await;
            (seen["status"] == "expired").then_some(())
        },
    )
    .await;
    assert_eq!(public_get(client, "dijon", &id).await.0, 404);
    let open_id = open["id"].as_str().unwrap();
    let (_, still) = client
        .get(&format!("/api/v1/listings/{open_id}"), &member.token)
        .await;
    assert_eq!(
        still["status"], "published",
        "today is still a day of availability"
    );
}

#[tokio::test]
async fn members_and_visitors_search_in_french() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    dijon(client).await;
    client.create_tenant("beaune").await;
    let member = client.create_member("dijon", "Cartonnerie").await;
    let stranger = client.create_member("beaune", "Tonnellerie").await;
    let pallets = create(
        client,
        &member,
        json!({"kind": "offer", "category": "packaging/pallets",
        "title": "Palettes Europe", "description": "En bon état"}),
    )
    .await;
    let boxes = create(client, &member, json!({"kind": "offer", "category": "packaging/cardboard",
        "title": "Cartons", "description": "Avec une palette de film étirable", "exchange_mode": "sell", "price_cents": 500})).await;
    let screens = create(
        client,
        &member,
        json!({"kind": "offer", "category": "it-electronics/screens",
        "title": "Écrans", "description": "Matériel électronique"}),
    )
    .await;
    create(client, &member, json!({"kind": "offer", "category": "packaging/pallets", "title": "Palette brouillon", "draft": true})).await;
    create(
        client,
        &stranger,
        json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes de Beaune"}),
    )
    .await;
    let ids = |page: &Value| -> Vec<String> {
        page["listings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let id = |l: &Value| l["id"].as_str().unwrap().to_owned();

    let (status, page) = client
        .get("/api/v1/listings?q=palette", &member.token)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        ids(&page),
        [id(&pallets), id(&boxes)],
        "title above description"
    );
    assert_eq!(
        page["facets"]["categories"],
        json!([{"value": "packaging", "count": 2}])
    );
    assert_eq!(
        page["facets"]["exchange_modes"],
        json!([{"value": "give", "count": 1}, {"value": "sell", "count": 1}])
    );
    let (_, page) = client
        .get("/api/v1/listings?q=electronique", &member.token)
        .await;
    assert_eq!(ids(&page), [id(&screens)]);
    let (_, page) = client
        .get("/api/v1/listings?q=carton&free_only=true", &member.token)
        .await;
    assert!(ids(&page).is_empty());
    let (_, first) = client
        .get(
            "/api/v1/listings?category=packaging&sort=newest&page_size=1",
            &member.token,
        )
        .await;
    assert_eq!(ids(&first), [id(&boxes)]);
    let token = first["next_page_token"].as_str().unwrap();
    let (_, second) = client
        .get(
            &format!(
                "/api/v1/listings?category=packaging&sort=newest&page_size=1&page_token={token}"
            ),
            &member.token,
        )
        .await;
    assert_eq!(ids(&second), [id(&pallets)]);
    let (status, refused) = client
        .get("/api/v1/listings?sort=nearest", &member.token)
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("sort"))
    );

    // Every refused search parameter is named.
    for (params, field) in [
        ("sort=cheapest", "sort"),
        ("page_token=xyz", "page_token"),
        ("page_size=500", "page_size"),
        ("latitude=47.3&longitude=5.0&radius_km=500", "radius_km"),
        ("available_on=demain", "available_on"),
        ("category=nowhere", "category"),
        ("exchange_mode=barter", "exchange_mode"),
        ("resource_type=energy", "resource_type"),
        ("kind=gift", "kind"),
    ] {
        let (status, refused) = client
            .get(&format!("/api/v1/listings?{params}"), &member.token)
            .await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (400, Some(field)),
            "{params}: {refused}"
        );
    }
    // A newest-first token is no cursor for another sort.
    let (status, refused) = client
        .get(
            &format!(
                "/api/v1/listings?sort=nearest&latitude=47.3&longitude=5.0&page_token={token}"
            ),
            &member.token,
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("page_token"))
    );

    // Visitors: no account, published listings of the territory they name.
    let (status, public) = client
        .get("/api/v1/tenants/dijon/listings?q=Palettes", "")
        .await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(ids(&public), [id(&pallets), id(&boxes)]);
    assert_eq!(
        client.get("/api/v1/tenants/nowhere/listings", "").await.0,
        404
    );
    // Another territory's members search their own only.
    let (_, theirs) = client
        .get("/api/v1/listings?q=palette", &stranger.token)
        .await;
    assert_eq!(theirs["listings"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn categories_are_labelled_in_the_callers_language() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    for (language, label) in [("fr-FR,fr;q=0.9", "Palettes"), ("en", "Pallets")] {
        let categories: Value = client
            .http
            .get(format!("{}/api/v1/categories", client.base_url))
            .header("accept-language", language)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pallets = categories["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "packaging/pallets")
            .cloned()
            .unwrap();
        assert_eq!(pallets["label"], label);
        assert_eq!(pallets["parent"], "packaging");
    }
}

/// A company that signed up with a site in Chenôve, confirmed its address and was approved;
/// returns its access token.
async fn signed_up_company(client: &Client, facilitator: &str) -> String {
    let body = json!({"tenant": "dijon", "organisation_name": "Cartonnerie de Bourgogne", "kind": "company",
        "siret": "73282932000074", "naf": "17.21A", "email": "marie@cartonnerie.fr", "display_name": "Marie",
        "password": PASSWORD,
        "site": {"address": "12 rue des Ateliers", "insee_code": "21166", "latitude": 47.293, "longitude": 5.005}});
    let (status, signed_up) = client.post("/api/v1/signup", "", &body).await;
    assert_eq!(status, 201, "{signed_up}");
    let organisation_id = signed_up["organisation"]["id"].as_str().unwrap().to_owned();
    let mail = client
        .wait_for_outgoing_mail("dijon", "marie@cartonnerie.fr", "verify-email")
        .await;
    let token = synergies_tests::api::token_in(&mail);
    let (status, _) = client
        .post("/api/v1/auth/verify-email", "", &json!({"token": token}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = client
        .post(
            &format!("/api/v1/organisations/{organisation_id}/decision"),
            facilitator,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, tokens) = client
        .login("dijon", "marie@cartonnerie.fr", PASSWORD)
        .await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn listings_at_a_site_are_found_by_distance() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let (facilitator, _) = dijon(client).await;
    let token = signed_up_company(client, &facilitator).await;
    let (status, organisation) = client.get("/api/v1/organisation", &token).await;
    assert_eq!(status, 200, "{organisation}");
    let site_id = organisation["sites"][0]["id"].as_str().unwrap().to_owned();

    let post = |body: Value| {
        let token = token.clone();
        async move { client.post("/api/v1/listings", &token, &body).await }
    };
    let (status, at_site) = post(json!({"kind": "offer", "category": "packaging/pallets",
        "title": "Palettes", "site_id": site_id}))
    .await;
    assert_eq!(status, 201, "{at_site}");
    assert_eq!(at_site["location"]["insee_code"], "21166");
    assert_eq!(at_site["location"]["latitude"], 47.293);
    let (status, in_commune) = post(json!({"kind": "offer", "category": "packaging/pallets",
        "title": "Palettes à Dijon", "insee_code": "21231"}))
    .await;
    assert_eq!(status, 201, "{in_commune}");
    let (status, refused) = post(json!({"kind": "offer", "category": "packaging/pallets",
        "title": "Palettes", "site_id": uuid::Uuid::now_v7().to_string()}))
    .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("site_id"))
    );

    // From Dijon's centre: the site is ~4.2 km away; the commune-only listing has no coordinates.
    let (status, near) = client
        .get(
            "/api/v1/listings?latitude=47.322&longitude=5.041&radius_km=10&sort=nearest",
            &token,
        )
        .await;
    assert_eq!(status, 200, "{near}");
    let found = near["listings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{near}");
    assert_eq!(found[0]["id"], at_site["id"]);
    let km = found[0]["distance_km"].as_f64().unwrap();
    assert!((4.0..4.5).contains(&km), "{km}");
    let (_, too_far) = client
        .get(
            "/api/v1/listings?latitude=47.322&longitude=5.041&radius_km=3",
            &token,
        )
        .await;
    assert!(too_far["listings"].as_array().unwrap().is_empty());
    let (_, from_site) = client
        .get(
            &format!("/api/v1/listings?from_site_id={site_id}&sort=nearest"),
            &token,
        )
        .await;
    assert_eq!(from_site["listings"][0]["distance_km"], 0.0);
    let (_, in_dijon) = client
        .get("/api/v1/listings?insee_code=21231", &token)
        .await;
    assert_eq!(in_dijon["listings"][0]["id"], in_commune["id"]);

    // Visitors have no sites; a parameter that is not a number is named.
    let (status, refused) = client
        .get(
            &format!("/api/v1/tenants/dijon/listings?from_site_id={site_id}"),
            "",
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("from_site_id"))
    );
    let (status, refused) = client.get("/api/v1/listings?latitude=nord", &token).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("latitude")),
        "{refused}"
    );
    let (status, refused) = client.get("/api/v1/listings?latitude=47.3", &token).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("longitude")),
        "{refused}"
    );
}

/// Drafts are their owners' only: a facilitator asking for drafts gets their own
/// organisation's, never a member's; the member finds theirs.
#[tokio::test]
async fn drafts_are_listed_to_their_organisation_only() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let (facilitator, _) = dijon(client).await;
    let member = client.create_member("dijon", "Cartonnerie").await;
    let draft = create(
        client,
        &member,
        json!({"kind": "offer", "category": "packaging/pallets",
        "title": "Palettes pas encore prêtes", "draft": true}),
    )
    .await;
    assert_eq!(draft["status"], "draft");

    let (status, page) = client
        .get("/api/v1/listings?status=draft", &facilitator)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["listings"].as_array().unwrap().len(), 0, "{page}");
    let (status, page) = client
        .get("/api/v1/listings?status=draft", &member.token)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["listings"][0]["id"], draft["id"], "{page}");
    let (status, _) = client
        .get(
            &format!("/api/v1/listings/{}", draft["id"].as_str().unwrap()),
            &facilitator,
        )
        .await;
    assert_eq!(status, 404);
}

/// A client that lost the answer to its POST sends it again with the same `Idempotency-Key`:
/// it gets the first answer and nothing is created twice; the key reused for another body is
/// refused. In both layouts (the keys live in the listings service's own database).
async fn a_repeated_idempotency_key_creates_nothing_twice(platform: &Platform) {
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Cartonnerie").await;
    let body =
        json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe"});
    let (status, first) = client
        .post_once("/api/v1/listings", &member.token, "3f0c2f8e-retry-1", &body)
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = client
        .post_once("/api/v1/listings", &member.token, "3f0c2f8e-retry-1", &body)
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (_, mine) = client
        .get("/api/v1/listings?mine=true", &member.token)
        .await;
    assert_eq!(mine["listings"].as_array().unwrap().len(), 1, "{mine}");

    let other = json!({"kind": "offer", "category": "packaging/pallets", "title": "Autre chose"});
    let (status, refused) = client
        .post_once(
            "/api/v1/listings",
            &member.token,
            "3f0c2f8e-retry-1",
            &other,
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Idempotency-Key"),
        "{refused}"
    );
    // Another key is another request.
    let (status, second) = client
        .post_once("/api/v1/listings", &member.token, "3f0c2f8e-retry-2", &body)
        .await;
    assert_eq!(status, 201, "{second}");
    assert_ne!(second["id"], first["id"]);
}

#[tokio::test]
async fn a_repeated_idempotency_key_creates_nothing_twice_all_in_one() {
    let platform = Platform::all_in_one(&[]).await;
    a_repeated_idempotency_key_creates_nothing_twice(&platform).await;
}

#[tokio::test]
async fn split_a_repeated_idempotency_key_creates_nothing_twice() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    a_repeated_idempotency_key_creates_nothing_twice(&platform).await;
}
