//! Tenant and organisation isolation, generated from the OpenAPI document: every operation
//! that takes an id is called on a territory's resources with no token, with a token of
//! another territory, of another organisation of the same territory, and of a member where a
//! facilitator or the operator is needed. None may succeed (except what the platform shows
//! every member of a territory on purpose), none may fail with a server error, and the owners'
//! view of their resources is the same afterwards.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use synergies_platform::testing::eventually;
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};

/// What the operations are tried on, in the territory "dijon".
struct World {
    /// The member owning the listing, the flow and the organisation.
    owner: Member,
    /// Another organisation of Dijon, with a request that meets the owner's offer and a
    /// conversation about it.
    partner: Member,
    facilitator: String,
    /// Path parameters by the first segment after `/api/v1/` (`listings`, `flows`…).
    ids: BTreeMap<&'static str, String>,
}

/// Operations of the same territory that any member may call on another organisation's
/// resource, by design: a published listing is the territory's to see and ask about.
const OPEN_TO_THE_TERRITORY: &[(&str, &str)] = &[
    ("get", "/api/v1/listings/{id}"),
    ("get", "/api/v1/listings/{id}/photos"),
    ("post", "/api/v1/listings/{id}/conversations"),
    // Answers only the synergies the caller's organisation takes part in: none.
    ("get", "/api/v1/listings/{id}/matches"),
    ("get", "/api/v1/organisations/{id}"),
];

/// A 1×1 PNG.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

async fn world(client: &Client) -> World {
    client.create_tenant("dijon").await;
    client.create_tenant("beaune").await;
    let owner = client.create_member("dijon", "Menuiserie Bernard").await;
    let partner = client.create_member("dijon", "Brasserie du Lac").await;
    let facilitator = client.create_facilitator("dijon").await;

    let (listing, _) = client
        .publish(&owner, "offer", "packaging/pallets", "40 palettes Europe")
        .await;
    client
        .publish(
            &partner,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    let flow = json!({"direction": "out", "resource_class": "material", "label": "Palettes Europe usagées",
        "category": "packaging/pallets", "quantity": "40", "unit": "piece", "period": "month",
        "confidentiality": "facilitator"});
    let (status, flow) = client.post("/api/v1/flows", &owner.token, &flow).await;
    assert_eq!(status, 201, "{flow}");
    let (status, conversation) = client
        .post(
            &format!("/api/v1/listings/{listing}/conversations"),
            &partner.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{conversation}");
    let conversation = conversation["id"].as_str().unwrap().to_owned();
    let (status, _) = client
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &partner.token,
            &json!({"text": "Bonjour, sont-elles disponibles ?"}),
        )
        .await;
    assert_eq!(status, 201);
    let campaign = json!({"name": "Zone Cap Nord", "starts_on": "2026-03-01", "ends_on": "2026-06-30",
        "organisation_ids": [owner.organisation_id]});
    let (status, campaign) = client
        .post("/api/v1/campaigns", &facilitator, &campaign)
        .await;
    assert_eq!(status, 201, "{campaign}");
    let synergy = eventually("the synergy", Duration::from_secs(30), || async {
        let (_, found) = client
            .get(&format!("/api/v1/listings/{listing}/matches"), &owner.token)
            .await;
        found["synergies"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    let ids = BTreeMap::from([
        ("listings", listing),
        ("flows", flow["id"].as_str().unwrap().to_owned()),
        ("conversations", conversation),
        ("campaigns", campaign["id"].as_str().unwrap().to_owned()),
        ("synergies", synergy),
        ("organisations", owner.organisation_id.clone()),
        ("users", owner.user_id.clone()),
        // No photo was uploaded: any id of a photo is someone else's or nobody's.
        ("photos", uuid::Uuid::now_v7().to_string()),
    ]);
    World {
        owner,
        partner,
        facilitator,
        ids,
    }
}

/// The path with its parameters filled from `world`; `None` for operations this test does not
/// reach (public territory pages, which take a slug).
fn concrete_path(path: &str, world: &World) -> Option<String> {
    let rest = path.strip_prefix("/api/v1/")?;
    let resource = rest.split('/').next()?;
    if resource == "tenants" {
        // `{tenant}` operations: the slug is the parameter; tried with "dijon".
        return Some(
            path.replace("{tenant}", "dijon")
                .replace("{id}", &world.ids["listings"]),
        );
    }
    let id = world.ids.get(resource)?;
    Some(
        path.replace("{id}", id)
            .replace("{photo_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{organisation_id}", &world.owner.organisation_id),
    )
}

/// A body the operation accepts in shape (its documented example), so that a refusal is about
/// who asks, not what is sent.
fn example_body(openapi: &Value, operation: &Value) -> Value {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let resolved = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &openapi["components"]["schemas"][name]
        }
        None => schema,
    };
    resolved
        .get("example")
        .cloned()
        .unwrap_or_else(|| json!({}))
}

/// What the owners see of their resources: unchanged by anything tried on them.
async fn owners_view(client: &Client, world: &World) -> Vec<Value> {
    let id = |resource: &str| world.ids[resource].clone();
    let mut seen = Vec::new();
    for (path, token) in [
        (
            format!("/api/v1/listings/{}", id("listings")),
            &world.owner.token,
        ),
        (format!("/api/v1/flows/{}", id("flows")), &world.owner.token),
        (
            format!("/api/v1/conversations/{}/messages", id("conversations")),
            &world.partner.token,
        ),
        (
            format!("/api/v1/campaigns/{}", id("campaigns")),
            &world.facilitator,
        ),
        (
            format!("/api/v1/listings/{}/matches", id("listings")),
            &world.owner.token,
        ),
        ("/api/v1/organisation".to_owned(), &world.owner.token),
        ("/api/v1/me".to_owned(), &world.owner.token),
    ] {
        let (status, body) = client.get(&path, token).await;
        assert_eq!(status, 200, "{path}: {body}");
        seen.push(body);
    }
    seen
}

/// Calls the operation; `body` goes as JSON, or as a form with one small PNG file when the
/// operation takes a multipart upload.
async fn call(
    client: &Client,
    method: &str,
    path: &str,
    token: &str,
    body: &Value,
    multipart: bool,
) -> u16 {
    let url = format!("{}{path}", client.base_url);
    let mut request = match method {
        "get" => client.http.get(url),
        "post" if multipart => {
            let png = reqwest::multipart::Part::bytes(TINY_PNG.to_vec())
                .file_name("photo.png")
                .mime_str("image/png")
                .expect("a MIME type");
            client
                .http
                .post(url)
                .multipart(reqwest::multipart::Form::new().part("photo", png))
        }
        "post" => client.http.post(url).json(body),
        "put" => client.http.put(url).json(body),
        "delete" => client.http.delete(url),
        other => panic!("no {other} operation expected"),
    };
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("gateway answers")
        .status()
        .as_u16()
}

async fn no_operation_reaches_another_tenants_or_organisations_resources(platform: &Platform) {
    let client = &platform.client;
    let world = world(client).await;
    let outsider = client
        .create_member("beaune", "Tonnellerie de Beaune")
        .await;
    let stranger = client.create_member("dijon", "Imprimerie Darantière").await;
    let (_, openapi) = client.get("/api/v1/openapi.json", "").await;
    let before = owners_view(client, &world).await;

    let mut tried = 0;
    let mut breaches = Vec::new();
    for (path, operations) in openapi["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        let Some(concrete) = concrete_path(path, &world) else {
            continue;
        };
        for (method, operation) in operations.as_object().unwrap() {
            let public = operation.get("security").is_none();
            let body = example_body(&openapi, operation);
            let multipart = operation["requestBody"]["content"]["multipart/form-data"].is_object();
            let open = OPEN_TO_THE_TERRITORY.contains(&(method.as_str(), path.as_str()));
            let mut callers = vec![("another territory", outsider.token.as_str(), public)];
            if !public {
                callers.push(("no token", "", false));
                callers.push(("another organisation", stranger.token.as_str(), open));
            }
            // Facilitators', tenant admins' and the operator's operations, by a member.
            // (Members see the campaigns they are part of.)
            let staff_only = path.starts_with("/api/v1/campaigns") && method != "get"
                || path.starts_with("/api/v1/synergies/{id}") && method == "put"
                || ["approve", "hide", "decision", "roles", "outgoing-mail"]
                    .iter()
                    .any(|action| path.ends_with(action))
                || path.starts_with("/api/v1/tenants/{tenant}/") && method == "post";
            if staff_only && !public {
                callers.push(("a member", world.owner.token.as_str(), false));
            }
            for (who, token, may_succeed) in callers {
                tried += 1;
                let status = call(client, method, &concrete, token, &body, multipart).await;
                let refused = if token.is_empty() {
                    status == 401
                } else {
                    status == 403 || status == 404
                };
                if status >= 500 || !(refused || may_succeed && status < 300) {
                    breaches.push(format!("{method} {path} by {who}: {status}"));
                }
            }
        }
    }
    assert!(tried > 60, "only {tried} calls were generated");
    assert!(breaches.is_empty(), "{breaches:#?}");
    assert_eq!(
        owners_view(client, &world).await,
        before,
        "a refused call changed something"
    );
}

#[tokio::test]
async fn all_in_one_no_operation_reaches_another_tenants_or_organisations_resources() {
    no_operation_reaches_another_tenants_or_organisations_resources(
        &Platform::all_in_one(&[]).await,
    )
    .await;
}

#[tokio::test]
async fn split_no_operation_reaches_another_tenants_or_organisations_resources() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    no_operation_reaches_another_tenants_or_organisations_resources(
        &Platform::split(&servers, |_| Vec::new()).await,
    )
    .await;
}
