//! Territories the web journeys start from, created over the API (the journeys are about what
//! comes after).

use serde_json::json;

use crate::Platform;
use crate::api::PASSWORD;

/// Dijon with two communes, its CCI, and there a facilitator (`animatrice@cci.fr`) and a tenant
/// admin (`admin@cci.fr`), both with [`PASSWORD`].
pub async fn dijon_with_its_cci(platform: &Platform) {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let territory = json!({"slug": "dijon", "display_name": "Dijon métropole", "communes": [
        {"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]},
        {"insee_code": "21166", "name": "Chenôve", "postal_codes": ["21300"]}
    ]});
    let (status, _) = client.post("/api/v1/tenants", &operator, &territory).await;
    assert_eq!(status, 201);
    let (_, cci) = client
        .post(
            "/api/v1/tenants/dijon/organisations",
            &operator,
            &json!({"name": "CCI Côte-d'Or", "kind": "public_body"}),
        )
        .await;
    for (email, name, role) in [
        ("animatrice@cci.fr", "Claire Animatrice", "facilitator"),
        ("admin@cci.fr", "Paul Administrateur", "tenant_admin"),
    ] {
        let body = json!({"organisation_id": cci["id"], "email": email, "display_name": name,
                          "password": PASSWORD, "roles": [role]});
        let (status, created) = client
            .post("/api/v1/tenants/dijon/users", &operator, &body)
            .await;
        assert_eq!(status, 201, "{created}");
    }
}
