//! The operator onboards territories from the official list of communes and intercommunalities:
//! naming an intercommunality (EPCI) by its SIREN brings all its communes and postal codes, and
//! only professionals of those communes may then join.

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;

const DIJON_METROPOLE: &str = "242100410";
const GEVREY_NUITS: &str = "200070894";

fn sign_up_body(tenant: &str, siret: &str, insee_code: &str, email: &str) -> Value {
    json!({
        "tenant": tenant,
        "organisation_name": "Tonnellerie des Climats",
        "kind": "company",
        "siret": siret,
        "naf": "16.24Z",
        "site": {"address": "2 rue des Tonneliers", "insee_code": insee_code},
        "email": email,
        "display_name": "Claude Tonnelier",
        "password": PASSWORD
    })
}

fn commune<'a>(tenant: &'a Value, insee_code: &str) -> Option<&'a Value> {
    tenant["communes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["insee_code"] == insee_code)
}

#[tokio::test]
async fn two_intercommunalities_are_onboarded_from_their_siren_and_keep_to_their_communes() {
    let platform = Platform::all_in_one(&[]).await;
    two_intercommunalities(&platform).await;
}

/// The same with one process per service, on PostgreSQL and NATS JetStream.
#[tokio::test]
async fn split_two_intercommunalities_are_onboarded_from_their_siren() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    two_intercommunalities(&platform).await;
}

async fn two_intercommunalities(platform: &Platform) {
    let client = &platform.client;
    let operator = client.operator_token().await;

    let (status, dijon) = client
        .post(
            "/api/v1/tenants",
            &operator,
            &json!({"slug": "dijon", "epci": DIJON_METROPOLE}),
        )
        .await;
    assert_eq!(status, 201, "{dijon}");
    assert_eq!(dijon["display_name"], "Dijon Métropole", "named after it");
    assert_eq!(dijon["communes"].as_array().unwrap().len(), 23);
    assert_eq!(
        commune(&dijon, "21617").unwrap(),
        &json!({"insee_code": "21617", "name": "Talant", "postal_codes": ["21240"]})
    );

    let body = json!({"slug": "cote-de-nuits", "display_name": "Côte de Nuits", "epci": GEVREY_NUITS,
                      "map": {"centre": [47.1743, 4.9599]}});
    let (status, created) = client.post("/api/v1/tenants", &operator, &body).await;
    assert_eq!(status, 201, "{created}");
    let (status, nuits) = client.get("/api/v1/tenants/cote-de-nuits", "").await;
    assert_eq!(status, 200, "{nuits}");
    assert_eq!(nuits["display_name"], "Côte de Nuits");
    assert_eq!(nuits["communes"].as_array().unwrap().len(), 55);
    assert_eq!(
        commune(&nuits, "21716").unwrap()["postal_codes"],
        json!(["21640"]),
        "Vougeot"
    );
    assert!(commune(&nuits, "21231").is_none());

    // A firm of Talant joins Dijon Métropole; one of Vougeot is refused there, and joins the
    // Côte de Nuits instead.
    let (status, talant) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("dijon", "73282932000074", "21617", "claude@talant.fr"),
        )
        .await;
    assert_eq!(status, 201, "{talant}");
    let (status, refused) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("dijon", "55208131766522", "21716", "claude@vougeot.fr"),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (422, Some("site.insee_code")),
        "{refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reserved to professionals of Dijon Métropole"),
        "{refused}"
    );
    let (status, vougeot) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body(
                "cote-de-nuits",
                "55208131766522",
                "21716",
                "claude@vougeot.fr",
            ),
        )
        .await;
    assert_eq!(status, 201, "{vougeot}");
    let (status, _) = client
        .post(
            "/api/v1/signup",
            "",
            &sign_up_body("cote-de-nuits", "44306184100047", "21617", "dom@talant.fr"),
        )
        .await;
    assert_eq!(status, 422, "Talant is not in the Côte de Nuits");
}

#[tokio::test]
async fn an_intercommunality_is_named_by_a_known_siren_instead_of_communes() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let operator = client.operator_token().await;
    let refused = |body: Value| {
        let operator = operator.clone();
        async move {
            let (status, answer) = client.post("/api/v1/tenants", &operator, &body).await;
            (status, answer["error"]["field"].clone(), answer)
        }
    };

    let (status, field, answer) = refused(json!({"slug": "nowhere", "epci": "123456789"})).await;
    assert_eq!((status, field), (400, json!("epci")), "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no intercommunality has the SIREN 123456789"),
        "{answer}"
    );
    let (status, field, _) = refused(json!({"slug": "nowhere", "epci": "2421"})).await;
    assert_eq!((status, field), (400, json!("epci")));
    let both = json!({"slug": "dijon", "epci": DIJON_METROPOLE,
                      "communes": [{"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]}]});
    let (status, field, _) = refused(both).await;
    assert_eq!((status, field), (400, json!("epci")));

    // Only the operator onboards territories.
    let (status, _) = client
        .post(
            "/api/v1/tenants",
            "",
            &json!({"slug": "dijon", "epci": DIJON_METROPOLE}),
        )
        .await;
    assert_eq!(status, 401);
}
