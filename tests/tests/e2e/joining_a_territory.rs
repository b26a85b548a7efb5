//! A professional of the territory signs up their organisation; a facilitator approves it; only
//! then may its members publish. Professionals from elsewhere are refused clearly.

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{PASSWORD, token_in};

fn sign_up_body(siret: &str, insee_code: &str, email: &str) -> Value {
    json!({
        "tenant": "dijon",
        "organisation_name": "Cartonnerie de Bourgogne",
        "kind": "company",
        "siret": siret,
        "naf": "17.21A",
        "site": {"address": "12 rue des Ateliers", "insee_code": insee_code, "latitude": 47.33, "longitude": 5.03},
        "email": email,
        "display_name": "Marie Dupont",
        "password": PASSWORD
    })
}

async fn dijon_with_a_facilitator(platform: &Platform) -> String {
    let communes = json!([
        {"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]},
        {"insee_code": "21166", "name": "Chenôve", "postal_codes": ["21300"]}
    ]);
    facilitator_of(platform, "dijon", "Dijon métropole", communes).await
}

/// A new territory with its CCI and one facilitator, signed in: their access token.
async fn facilitator_of(
    platform: &Platform,
    slug: &str,
    display_name: &str,
    communes: Value,
) -> String {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let count = communes.as_array().unwrap().len();
    let territory = json!({"slug": slug, "display_name": display_name, "communes": communes});
    let (status, tenant) = client.post("/api/v1/tenants", &operator, &territory).await;
    assert_eq!(status, 201, "{tenant}");
    assert_eq!(tenant["communes"].as_array().unwrap().len(), count);
    let (_, cci) = client
        .post(
            &format!("/api/v1/tenants/{slug}/organisations"),
            &operator,
            &json!({"name": "CCI Côte-d'Or", "kind": "public_body"}),
        )
        .await;
    let body = json!({"organisation_id": cci["id"], "email": "animatrice@cci.fr", "display_name": "Animatrice",
                      "password": PASSWORD, "roles": ["facilitator"]});
    let (status, created) = client
        .post(&format!("/api/v1/tenants/{slug}/users"), &operator, &body)
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, tokens) = client.login(slug, "animatrice@cci.fr", PASSWORD).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// Signs the address up, confirms it with the e-mailed link and signs in: the access token.
async fn signed_up_and_signed_in(platform: &Platform, body: &Value) -> (Value, String) {
    let client = &platform.client;
    let email = body["email"].as_str().unwrap();
    let (status, signed_up) = client.post("/api/v1/signup", "", body).await;
    assert_eq!(status, 201, "{signed_up}");
    let token = token_in(
        &client
            .wait_for_outgoing_mail("dijon", email, "verify-email")
            .await,
    );
    let (status, _) = client
        .post("/api/v1/auth/verify-email", "", &json!({"token": token}))
        .await;
    assert_eq!(status, 200);
    let (status, tokens) = client.login("dijon", email, PASSWORD).await;
    assert_eq!(status, 200, "{tokens}");
    (
        signed_up,
        tokens["access_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_signed_up_company_publishes_once_a_facilitator_approves_it() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let facilitator = dijon_with_a_facilitator(&platform).await;

    let (status, signed_up) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("732 829 320 00074", "21166", "marie@cartonnerie.fr"),
        )
        .await;
    assert_eq!(status, 201, "{signed_up}");
    assert_eq!(signed_up["organisation"]["status"], "pending");
    assert_eq!(signed_up["organisation"]["siret"], "73282932000074");
    let organisation_id = signed_up["organisation"]["id"].as_str().unwrap().to_owned();

    // No sign-in before the address is confirmed; without SMTP the e-mail waits for the operator.
    let (status, unverified) = client
        .login("dijon", "marie@cartonnerie.fr", PASSWORD)
        .await;
    assert_eq!(status, 403, "{unverified}");
    let token = token_in(
        &client
            .wait_for_outgoing_mail("dijon", "marie@cartonnerie.fr", "verify-email")
            .await,
    );
    let (status, _) = client
        .post("/api/v1/auth/verify-email", "", &json!({"token": token}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = client
        .post("/api/v1/auth/verify-email", "", &json!({"token": token}))
        .await;
    assert_eq!(status, 404, "a link works once");

    let (_, tokens) = client
        .login("dijon", "marie@cartonnerie.fr", PASSWORD)
        .await;
    let pending_token = tokens["access_token"].as_str().unwrap().to_owned();
    let offer = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes"});
    let (status, refused) = client
        .post("/api/v1/listings", &pending_token, &offer)
        .await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not approved")
    );

    // The facilitator's queue shows it; a member may not decide.
    let (status, queue) = client
        .get("/api/v1/organisations?status=pending", &facilitator)
        .await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["organisations"][0]["id"], organisation_id.as_str());
    let (status, _) = client
        .post(
            &format!("/api/v1/organisations/{organisation_id}/decision"),
            &pending_token,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, missing_reason) = client
        .post(
            &format!("/api/v1/organisations/{organisation_id}/decision"),
            &facilitator,
            &json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(
        (status, missing_reason["error"]["field"].as_str()),
        (400, Some("reason"))
    );
    let (status, approved) = client
        .post(
            &format!("/api/v1/organisations/{organisation_id}/decision"),
            &facilitator,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(
        (status, approved["status"].as_str()),
        (200, Some("approved")),
        "{approved}"
    );

    // The organisation's users are told, in their language.
    let told = client
        .wait_for_outgoing_mail("dijon", "marie@cartonnerie.fr", "est validée")
        .await;
    assert!(told.contains("vous pouvez publier"), "{told}");

    // Membership rides in the token: a new token carries it.
    let (_, tokens) = client
        .login("dijon", "marie@cartonnerie.fr", PASSWORD)
        .await;
    let member_token = tokens["access_token"].as_str().unwrap();
    let (status, published) = client.post("/api/v1/listings", member_token, &offer).await;
    assert_eq!(status, 201, "{published}");
}

#[tokio::test]
async fn sign_up_refusals_name_the_field_and_the_rule() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    dijon_with_a_facilitator(&platform).await;

    let (status, outside) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("73282932000074", "21054", "a@beaune.fr"),
        )
        .await;
    assert_eq!(status, 422, "{outside}");
    assert_eq!(outside["error"]["field"], "site.insee_code");
    assert!(
        outside["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reserved to professionals of Dijon métropole")
    );

    let (status, bad_siret) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("73282932000075", "21231", "b@dijon.fr"),
        )
        .await;
    assert_eq!(
        (status, bad_siret["error"]["field"].as_str()),
        (400, Some("siret")),
        "{bad_siret}"
    );

    // The same refusals, for a French-speaking caller.
    let (status, en_francais) = client
        .post_in(
            "fr-FR,fr;q=0.9,en;q=0.5",
            "/api/v1/signup",
            "",
            &sign_up_body("73282932000075", "21231", "b@dijon.fr"),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        en_francais["error"]["message"],
        "siret : le numéro SIRET semble mal recopié : vérifiez ses 14 chiffres sur un extrait Kbis ou une facture"
    );
    let (status, hors_territoire) = client
        .post_in(
            "fr",
            "/api/v1/signup",
            "",
            &sign_up_body("73282932000074", "21054", "a@beaune.fr"),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        hors_territoire["error"]["message"]
            .as_str()
            .unwrap()
            .contains("réservée aux professionnels du territoire Dijon métropole"),
        "{hors_territoire}"
    );
    let mut incomplete = sign_up_body("73282932000074", "21231", "b@dijon.fr");
    incomplete.as_object_mut().unwrap().remove("email");
    let (status, manquant) = client
        .post_in("fr", "/api/v1/signup", "", &incomplete)
        .await;
    assert_eq!(
        (status, manquant["error"]["field"].as_str()),
        (400, Some("email"))
    );
    assert_eq!(
        manquant["error"]["message"],
        "le champ `email` est obligatoire"
    );

    let mut bad_naf = sign_up_body("73282932000074", "21231", "c@dijon.fr");
    bad_naf["naf"] = json!("99.99Z");
    let (status, body) = client.post("/api/v1/signup", "", &bad_naf).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("naf")),
        "{body}"
    );

    let (status, _) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("73282932000074", "21231", "d@dijon.fr"),
        )
        .await;
    assert_eq!(status, 201);
    let (status, twin) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("73282932000074", "21231", "e@dijon.fr"),
        )
        .await;
    assert_eq!(
        (status, twin["error"]["field"].as_str()),
        (409, Some("siret")),
        "{twin}"
    );

    let mut nowhere = sign_up_body("73282932000074", "21231", "f@dijon.fr");
    nowhere["tenant"] = json!("atlantis");
    let (status, _) = client.post("/api/v1/signup", "", &nowhere).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_verification_e_mail_goes_out_over_smtp_in_the_users_language() {
    let sink = synergies_tests::smtp::SmtpSink::start().await;
    let platform =
        Platform::all_in_one(&[("SYNERGIES_NOTIFICATIONS__SMTP_URL", &sink.url())]).await;
    let client = &platform.client;
    dijon_with_a_facilitator(&platform).await;

    let mut english = sign_up_body("73282932000074", "21231", "john@cartonnerie.fr");
    english["language"] = json!("en");
    let (status, _) = client.post("/api/v1/signup", "", &english).await;
    assert_eq!(status, 201);
    let mail = sink.wait_for_mail_to("john@cartonnerie.fr").await;
    assert!(
        mail.contains("Subject: Confirm your e-mail address for Dijon métropole"),
        "{mail}"
    );
    let (status, _) = client
        .post(
            "/api/v1/auth/verify-email",
            "",
            &json!({"token": token_in(&mail)}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = client.login("dijon", "john@cartonnerie.fr", PASSWORD).await;
    assert_eq!(status, 200);

    let (status, _) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("35600000000048", "21231", "marie@laposte.fr"),
        )
        .await;
    assert_eq!(status, 201);
    let french = sink.wait_for_mail_to("marie@laposte.fr").await;
    assert!(
        french.contains("Subject: Confirmez votre adresse e-mail pour Dijon métropole"),
        "{french}"
    );

    // The operator's view shows them as sent.
    let operator = client.operator_token().await;
    let (_, page) = client
        .get("/api/v1/tenants/dijon/outgoing-mail", &operator)
        .await;
    let mails = page["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m["sent_at"].is_string()), "{page}");
}

#[tokio::test]
async fn an_organisation_admin_invites_a_colleague_and_manages_roles() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let facilitator = dijon_with_a_facilitator(&platform).await;
    let operator = client.operator_token().await;

    // An approved company whose first user is its admin.
    let (_, organisation) = client
        .post(
            "/api/v1/tenants/dijon/organisations",
            &operator,
            &json!({"name": "Cartonnerie", "kind": "company"}),
        )
        .await;
    let body = json!({"organisation_id": organisation["id"], "email": "admin@cartonnerie.fr", "display_name": "Admin",
                      "password": PASSWORD, "roles": ["organisation_admin"]});
    client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    let (_, tokens) = client
        .login("dijon", "admin@cartonnerie.fr", PASSWORD)
        .await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();

    let invitation = json!({"email": "collegue@cartonnerie.fr"});
    let (status, _) = client
        .post("/api/v1/organisation/invitations", &admin, &invitation)
        .await;
    assert_eq!(status, 202);
    let mail = client
        .wait_for_outgoing_mail("dijon", "collegue@cartonnerie.fr", "accept-invitation")
        .await;
    assert!(
        mail.contains("Admin vous invite à rejoindre Cartonnerie"),
        "{mail}"
    );
    let accept =
        json!({"token": token_in(&mail), "display_name": "Collègue", "password": PASSWORD});
    let (status, colleague) = client.post("/api/v1/invitations/accept", "", &accept).await;
    assert_eq!(status, 201, "{colleague}");
    assert_eq!(colleague["organisation_id"], organisation["id"]);
    let (status, _) = client.post("/api/v1/invitations/accept", "", &accept).await;
    assert_eq!(status, 404, "an invitation works once");

    // The colleague signs in at once (the link proved the address) and may publish.
    let (_, tokens) = client
        .login("dijon", "collegue@cartonnerie.fr", PASSWORD)
        .await;
    let colleague_token = tokens["access_token"].as_str().unwrap().to_owned();
    let offer = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes"});
    assert_eq!(
        client
            .post("/api/v1/listings", &colleague_token, &offer)
            .await
            .0,
        201
    );
    // ...but may not invite until made an admin.
    assert_eq!(
        client
            .post(
                "/api/v1/organisation/invitations",
                &colleague_token,
                &invitation
            )
            .await
            .0,
        403
    );

    let colleague_id = colleague["id"].as_str().unwrap();
    let put_roles = |token: &str, roles: Value| {
        client
            .http
            .put(format!(
                "{}/api/v1/users/{colleague_id}/roles",
                platform.base_url
            ))
            .bearer_auth(token.to_owned())
            .json(&json!({"roles": roles}))
            .send()
    };
    assert_eq!(
        put_roles(&admin, json!(["facilitator"]))
            .await
            .unwrap()
            .status()
            .as_u16(),
        403,
        "only tenant admins appoint facilitators"
    );
    assert_eq!(
        put_roles(&facilitator, json!(["organisation_admin"]))
            .await
            .unwrap()
            .status()
            .as_u16(),
        403,
        "another organisation's user"
    );
    assert_eq!(
        put_roles(&admin, json!(["organisation_admin"]))
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    let (_, tokens) = client
        .login("dijon", "collegue@cartonnerie.fr", PASSWORD)
        .await;
    let promoted = tokens["access_token"].as_str().unwrap();
    let another = json!({"email": "stagiaire@cartonnerie.fr"});
    assert_eq!(
        client
            .post("/api/v1/organisation/invitations", promoted, &another)
            .await
            .0,
        202
    );

    // The organisation's people and their roles, for its admins only.
    let (status, colleagues) = client.get("/api/v1/users", promoted).await;
    assert_eq!(status, 200, "{colleagues}");
    let people = colleagues["people"].as_array().unwrap();
    assert_eq!(people.len(), 2, "{colleagues}");
    let promoted_person = people
        .iter()
        .find(|p| p["user"]["id"] == colleague_id)
        .unwrap();
    assert!(
        promoted_person["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("organisation_admin"))
    );
    let (status, _) = client.get("/api/v1/users?scope=tenant", promoted).await;
    assert_eq!(status, 403, "the whole tenant is for tenant admins");
    let (status, _) = client.get("/api/v1/users", &facilitator).await;
    assert_eq!(status, 403, "a facilitator who is no organisation admin");
    let (status, bad) = client.get("/api/v1/users?scope=everyone", promoted).await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (400, Some("scope"))
    );
}

#[tokio::test]
async fn a_tenant_admin_brands_the_territory() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    dijon_with_a_facilitator(&platform).await;
    let operator = client.operator_token().await;
    let (_, metropole) = client
        .post(
            "/api/v1/tenants/dijon/organisations",
            &operator,
            &json!({"name": "Dijon métropole", "kind": "public_body"}),
        )
        .await;
    let body = json!({"organisation_id": metropole["id"], "email": "admin@metropole.fr", "display_name": "Admin",
                      "password": PASSWORD, "roles": ["tenant_admin"]});
    client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    let (_, tokens) = client.login("dijon", "admin@metropole.fr", PASSWORD).await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();
    let member = client.create_member("dijon", "Cartonnerie").await;

    let settings = json!({"brand_name": "Synergies Dijon", "logo_url": "https://dijon.fr/logo.svg", "primary_colour": "#aa0000",
                          "secondary_colour": "#006400", "listings_need_approval": true, "exchange_modes": ["give", "lend"],
                          "default_language": "fr"});
    let put = |token: &str, body: &serde_json::Value| {
        client
            .http
            .put(format!("{}/api/v1/tenant/settings", platform.base_url))
            .bearer_auth(token.to_owned())
            .json(body)
            .send()
    };
    assert_eq!(
        put(&member.token, &settings)
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    let mut bad = settings.clone();
    bad["primary_colour"] = json!("red");
    let refused: Value = put(&admin, &bad).await.unwrap().json().await.unwrap();
    assert_eq!(refused["error"]["field"], "primary_colour");
    let saved = put(&admin, &settings).await.unwrap();
    assert_eq!(saved.status().as_u16(), 200);

    let tenant: Value = client
        .http
        .get(format!("{}/api/v1/tenants/dijon", platform.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenant["settings"]["brand_name"], "Synergies Dijon");
    assert_eq!(
        tenant["settings"]["exchange_modes"],
        json!(["give", "lend"])
    );
    assert_eq!(tenant["communes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_territory_carries_where_its_maps_open() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let operator = client.operator_token().await;
    let territory = |map: Value| {
        json!({"slug": "dijon", "display_name": "Dijon métropole", "map": map,
               "communes": [{"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]}]})
    };
    let (status, refused) = client
        .post_in(
            "fr",
            "/api/v1/tenants",
            &operator,
            &territory(json!({"centre": [47.32, 5.04], "bounds": [47.4, 4.9, 47.2, 5.2]})),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("map.bounds")),
        "{refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("du coin sud-ouest au coin nord-est")
    );
    let map = json!({"centre": [47.3229, 5.0379], "bounds": [47.25, 4.93, 47.4, 5.16]});
    let (status, created) = client
        .post("/api/v1/tenants", &operator, &territory(map.clone()))
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, read) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(read["map"], map, "{read}");
}

#[tokio::test]
async fn a_firm_diagnosed_by_a_facilitator_finds_its_record_when_it_signs_up() {
    let platform = Platform::all_in_one(&[]).await;
    diagnosed_firm_journey(&platform).await;
}

/// The same journey with one process per service, on PostgreSQL and NATS JetStream.
#[tokio::test]
async fn split_a_firm_diagnosed_by_a_facilitator_finds_its_record_when_it_signs_up() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    diagnosed_firm_journey(&platform).await;
}

async fn diagnosed_firm_journey(platform: &Platform) {
    let client = &platform.client;
    let facilitator = dijon_with_a_facilitator(platform).await;
    let register = |body: Value, token: String| async move {
        client
            .post("/api/v1/tenants/dijon/organisations", &token, &body)
            .await
    };
    let diagnosed_body = json!({
        "name": "Cartonnerie de Bourgogne", "kind": "company", "siret": "732 829 320 00074", "naf": "17.21A",
        "site": {"address": "12 rue des Ateliers", "insee_code": "21166", "latitude": 47.29, "longitude": 5.0}
    });

    // The advisor registers the firm visited: its SIRET, activity and site.
    let (status, diagnosed) = register(diagnosed_body.clone(), facilitator.clone()).await;
    assert_eq!(status, 201, "{diagnosed}");
    assert_eq!(diagnosed["status"], "diagnosed");
    let id = diagnosed["id"].as_str().unwrap().to_owned();
    let site_id = diagnosed["site_id"].as_str().unwrap().to_owned();

    // Facilitators see it among the diagnosed firms, with what flows need: name, NAF, sites.
    let (status, listed) = client
        .get("/api/v1/organisations?status=diagnosed", &facilitator)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["organisations"].as_array().unwrap().len(), 1);
    assert_eq!(listed["organisations"][0]["id"], id.as_str());
    let (status, read) = client
        .get(&format!("/api/v1/organisations/{id}"), &facilitator)
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        (
            &read["name"],
            &read["naf"],
            &read["siret"],
            &read["sites"][0]["id"]
        ),
        (
            &json!("Cartonnerie de Bourgogne"),
            &json!("17.21A"),
            &json!("73282932000074"),
            &json!(site_id)
        )
    );
    let (_, pending) = client
        .get("/api/v1/organisations?status=pending", &facilitator)
        .await;
    assert!(
        pending["organisations"].as_array().unwrap().is_empty(),
        "nobody waits for approval yet: {pending}"
    );

    // What the advisor must give, and where.
    let mut without_site = diagnosed_body.clone();
    without_site.as_object_mut().unwrap().remove("site");
    without_site["siret"] = json!("55208131766522");
    let (status, refused) = register(without_site, facilitator.clone()).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("site.address")),
        "{refused}"
    );
    let mut without_naf = diagnosed_body.clone();
    without_naf["siret"] = json!("55208131766522");
    without_naf["kind"] = json!("public_body");
    without_naf["naf"] = json!("");
    let (status, refused) = register(without_naf, facilitator.clone()).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("naf")),
        "{refused}"
    );
    let mut outside = diagnosed_body.clone();
    outside["siret"] = json!("55208131766522");
    outside["site"]["insee_code"] = json!("21054");
    let (status, refused) = register(outside, facilitator.clone()).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (422, Some("site.insee_code")),
        "{refused}"
    );
    let (status, twice) = register(diagnosed_body.clone(), facilitator.clone()).await;
    assert_eq!(
        (status, twice["error"]["field"].as_str()),
        (409, Some("siret")),
        "{twice}"
    );
    // Approving a firm nobody of which has signed up is refused: it would count as a member.
    let (status, refused) = client
        .post(
            &format!("/api/v1/organisations/{id}/decision"),
            &facilitator,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");

    // Another territory's facilitator cannot register here, nor read the firm.
    let beaune = json!([{"insee_code": "21054", "name": "Beaune", "postal_codes": ["21200"]}]);
    let foreign = facilitator_of(platform, "beaune", "Beaune Côte et Sud", beaune).await;
    let mut elsewhere = diagnosed_body.clone();
    elsewhere["siret"] = json!("55208131766522");
    let (status, _) = register(elsewhere, foreign.clone()).await;
    assert_eq!(status, 404);
    let (status, _) = client
        .get(&format!("/api/v1/organisations/{id}"), &foreign)
        .await;
    assert_eq!(status, 404);

    // The firm signs up with the same SIRET: its person joins the record, which keeps its id
    // and site (what was recorded for it stays its own) and waits for approval.
    let (signed_up, pending_token) = signed_up_and_signed_in(
        platform,
        &sign_up_body("73282932000074", "21166", "marie@cartonnerie.fr"),
    )
    .await;
    assert_eq!(signed_up["organisation"]["id"], id.as_str(), "{signed_up}");
    assert_eq!(signed_up["organisation"]["status"], "pending");
    let (status, mine) = client.get("/api/v1/organisation", &pending_token).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["id"], id.as_str());
    assert_eq!(mine["sites"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["sites"][0]["id"], site_id.as_str());
    // A member registers nothing and reads no other organisation.
    let mut by_member = diagnosed_body.clone();
    by_member["siret"] = json!("55208131766522");
    let (status, _) = register(by_member, pending_token.clone()).await;
    assert_eq!(status, 403);
    let (status, own) = client
        .get(&format!("/api/v1/organisations/{id}"), &pending_token)
        .await;
    assert_eq!((status, &own["id"]), (200, &json!(id)), "{own}");
    let cci = read_facilitators_organisation(platform, &facilitator).await;
    let (status, _) = client
        .get(&format!("/api/v1/organisations/{cci}"), &pending_token)
        .await;
    assert_eq!(status, 404);
    // Once joined, the SIRET is taken as for any organisation.
    let (status, twin) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("73282932000074", "21166", "paul@cartonnerie.fr"),
        )
        .await;
    assert_eq!(
        (status, twin["error"]["field"].as_str()),
        (409, Some("siret")),
        "{twin}"
    );

    // The usual approval makes it a member organisation.
    let (_, queue) = client
        .get("/api/v1/organisations?status=pending", &facilitator)
        .await;
    assert_eq!(queue["organisations"][0]["id"], id.as_str(), "{queue}");
    let (status, approved) = client
        .post(
            &format!("/api/v1/organisations/{id}/decision"),
            &facilitator,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(
        (status, approved["status"].as_str()),
        (200, Some("approved")),
        "{approved}"
    );
    let (_, tokens) = client
        .login("dijon", "marie@cartonnerie.fr", PASSWORD)
        .await;
    let member_token = tokens["access_token"].as_str().unwrap();
    let offer = json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes",
                       "site_id": site_id});
    let (status, published) = client.post("/api/v1/listings", member_token, &offer).await;
    assert_eq!(status, 201, "{published}");
}

/// The id of the facilitator's own organisation.
async fn read_facilitators_organisation(platform: &Platform, facilitator: &str) -> String {
    let (status, own) = platform
        .client
        .get("/api/v1/organisation", facilitator)
        .await;
    assert_eq!(status, 200, "{own}");
    own["id"].as_str().unwrap().to_owned()
}

/// The SMTP server is down when the e-mail is written: the mail waits, charged with no failed
/// attempt however long the outage, and goes out once the server is there.
#[tokio::test]
async fn an_e_mail_waits_out_an_smtp_outage_without_spending_its_attempts() {
    let port = synergies_tests::free_port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let platform = Platform::all_in_one(&[("SYNERGIES_NOTIFICATIONS__SMTP_URL", &smtp_url)]).await;
    let client = &platform.client;
    dijon_with_a_facilitator(&platform).await;
    let (status, _) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("73282932000074", "21231", "marie@cartonnerie.fr"),
        )
        .await;
    assert_eq!(status, 201);
    // The sender found no server, more than once.
    synergies_platform::testing::eventually(
        "two rounds against the missing SMTP server",
        std::time::Duration::from_secs(30),
        || async {
            (platform
                .all_logs()
                .matches("SMTP server unreachable")
                .count()
                >= 2)
                .then_some(())
        },
    )
    .await;

    let sink = synergies_tests::smtp::SmtpSink::start_on(port).await;
    sink.wait_for_mail_to("marie@cartonnerie.fr").await;
    let operator = client.operator_token().await;
    let (_, page) = client
        .get("/api/v1/tenants/dijon/outgoing-mail", &operator)
        .await;
    let mail = &page["mails"][0];
    assert!(mail["sent_at"].is_string(), "{page}");
    assert_eq!(mail["attempts"], 1, "{page}");
}

/// A sign-up whose answer was lost is sent again with its `Idempotency-Key`: the same answer,
/// one organisation and one account; without the key, the repeat is refused as a duplicate.
#[tokio::test]
async fn a_sign_up_sent_twice_with_its_idempotency_key_creates_one_organisation() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    dijon_with_a_facilitator(&platform).await;
    let body = sign_up_body("73282932000074", "21231", "marie@cartonnerie.fr");
    let (status, first) = client
        .post_once("/api/v1/signup", "", "sign-up-7f3a", &body)
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = client
        .post_once("/api/v1/signup", "", "sign-up-7f3a", &body)
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);
    // Without the key the repeat is refused by its SIRET, as for any other address.
    let (status, duplicate) = client.post("/api/v1/signup", "", &body).await;
    assert_eq!(
        (status, duplicate["error"]["field"].as_str()),
        (409, Some("siret")),
        "{duplicate}"
    );
}

/// The keys of a JSON value, recursively: the shape of an answer, without its values.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| (key.clone(), shape(value)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Array(items) => items.iter().map(shape).collect(),
        _ => Value::Null,
    }
}

/// Signing up with an address that already has an account answers exactly as for a new
/// address — nobody learns which addresses are registered — and the address's owner is told
/// by e-mail, in their language, with a way back in should it have been them.
#[tokio::test]
async fn signing_up_with_a_registered_address_answers_as_for_a_new_one_and_tells_its_owner() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let facilitator = dijon_with_a_facilitator(&platform).await;
    let mut registered = sign_up_body("73282932000074", "21231", "marie@cartonnerie.fr");
    registered["language"] = json!("en");
    let (status, first) = client.post("/api/v1/signup", "", &registered).await;
    assert_eq!(status, 201, "{first}");

    let new_address = sign_up_body("35600000000048", "21231", "paul@menuiserie.fr");
    let (new_status, new_answer) = client.post("/api/v1/signup", "", &new_address).await;
    let taken_address = sign_up_body("55210055400013", "21231", "marie@cartonnerie.fr");
    let (taken_status, taken_answer) = client.post("/api/v1/signup", "", &taken_address).await;
    assert_eq!(
        (taken_status, shape(&taken_answer)),
        (new_status, shape(&new_answer)),
        "{taken_answer} / {new_answer}"
    );
    assert_eq!(taken_status, 201);
    assert_eq!(
        taken_answer["user"]["email"], "marie@cartonnerie.fr",
        "the answer echoes the request, as for a new address"
    );

    let mail = client
        .wait_for_outgoing_mail("dijon", "marie@cartonnerie.fr", "tried to sign up")
        .await;
    assert!(mail.contains("already has an account"), "{mail}");
    assert!(mail.contains("/reset-password?token="), "{mail}");
    // Nothing was created: the address still belongs to the first sign-up only, and the
    // second organisation does not exist.
    let operator = client.operator_token().await;
    let (_, page) = client
        .get("/api/v1/tenants/dijon/outgoing-mail", &operator)
        .await;
    let to_marie = page["mails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["recipient"] == "marie@cartonnerie.fr")
        .count();
    assert_eq!(to_marie, 2, "one confirmation, one warning: {page}");
    let (status, _) = client
        .get(
            &format!(
                "/api/v1/organisations/{}",
                taken_answer["organisation"]["id"].as_str().unwrap()
            ),
            &facilitator,
        )
        .await;
    assert_eq!(status, 404);
}
