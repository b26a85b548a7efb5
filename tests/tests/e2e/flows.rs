//! Flow inventories through the gateway: recording, reading, changing and removing flows, their
//! yearly figures, validation, who sees which flow, the history, and the events they publish —
//! in one process and with one process per service.

use std::fmt::Write as _;

use calamine::Reader as _;

use prost::Message as _;
use serde_json::{Value, json};
use synergies_platform::testing::TestServers;
use synergies_proto::events::v1::{EventEnvelope, FlowChanged, FlowRecorded, FlowRemoved};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member, PASSWORD};

/// Dijon (two communes) and a facilitator of its CCI; returns the facilitator's token.
async fn dijon(client: &Client) -> String {
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
    let body = json!({"organisation_id": cci["id"], "email": "conseillere@cci.fr",
        "display_name": "Conseillère", "password": PASSWORD, "roles": ["facilitator"]});
    let (status, created) = client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, answer) = client.login("dijon", "conseillere@cci.fr", PASSWORD).await;
    answer["access_token"].as_str().unwrap().to_owned()
}

/// A company that signed up with its NAF code and a site in Chenôve, confirmed its address and
/// was approved; returns its access token and its organisation.
async fn signed_up_company(client: &Client, facilitator: &str) -> (String, Value) {
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
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, organisation) = client.get("/api/v1/organisation", &token).await;
    assert_eq!(status, 200, "{organisation}");
    (token, organisation)
}

fn wood_offcuts() -> Value {
    json!({"direction": "out", "resource_class": "by-product", "label": "Chutes de bois",
        "description": "Chutes de hêtre non traité", "quantity": "0.5", "unit": "t", "period": "week"})
}

async fn delete(client: &Client, path: &str, token: &str) -> u16 {
    client
        .http
        .delete(format!("{}{path}", client.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// The rows of the flows service's outbox: envelope, and whether the relay published it.
async fn outbox_rows(
    platform: &Platform,
    servers: Option<&TestServers>,
    query: &'static str,
) -> Vec<(Vec<u8>, bool)> {
    if let Some(servers) = servers {
        let pool = sqlx::PgPool::connect(&servers.database_url).await.unwrap();
        let schema = format!("\"{}flows\"", platform.schema_prefix);
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(
            query.replace("FROM outbox", &format!("FROM {schema}.outbox")),
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    } else {
        let path = platform.dir.path().join("data").join("flows.db");
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", path.display()))
            .await
            .unwrap();
        let rows = sqlx::query_as(query).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }
}

/// Every event of the flows service's outbox, once the relay has published them all (the outbox
/// is drained onto the bus), oldest first.
async fn published_flow_events(
    platform: &Platform,
    servers: Option<&TestServers>,
) -> Vec<EventEnvelope> {
    const QUERY: &str =
        "SELECT envelope, published_at IS NOT NULL AS published FROM outbox ORDER BY id";
    let rows = synergies_platform::testing::eventually(
        "every flow event published",
        std::time::Duration::from_secs(20),
        || async {
            let rows = outbox_rows(platform, servers, QUERY).await;
            rows.iter().all(|(_, published)| *published).then_some(rows)
        },
    )
    .await;
    rows.into_iter()
        .map(|(envelope, _)| EventEnvelope::decode(envelope.as_slice()).unwrap())
        .collect()
}

/// A company records a flow at its site, changes it and removes it; the facilitator reads its
/// history; each step is an event on the bus carrying the flow as it then read.
async fn round_trip(platform: &Platform, servers: Option<&TestServers>) {
    let client = &platform.client;
    let facilitator = dijon(client).await;
    let (token, organisation) = signed_up_company(client, &facilitator).await;
    let site_id = organisation["sites"][0]["id"].as_str().unwrap().to_owned();

    let mut body = wood_offcuts();
    body["site_id"] = json!(site_id);
    body["yearly_cost_eur"] = json!("1200.50");
    let (status, flow) = client.post("/api/v1/flows", &token, &body).await;
    assert_eq!(status, 201, "{flow}");
    let flow_id = id(&flow);
    assert_eq!(flow["organisation_id"], organisation["id"]);
    assert_eq!(flow["organisation_name"], "Cartonnerie de Bourgogne");
    assert_eq!(flow["nace"], "17.21A");
    assert_eq!(flow["insee_code"], "21166");
    assert_eq!(flow["latitude"], 47.293);
    assert_eq!(flow["quantity"], "0.5");
    assert_eq!(flow["yearly_quantity"], "26", "0.5 t a week is 26 t a year");
    assert_eq!(flow["confidentiality"], "partners", "the default");
    assert_eq!(flow["provenance"], "declared");
    assert_eq!(flow["yearly_cost_eur"], "1200.5");
    assert_eq!(flow["version"], 1);

    let (status, read) = client
        .get(&format!("/api/v1/flows/{flow_id}"), &token)
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read, flow);

    let mut changed = body.clone();
    changed["quantity"] = json!(2);
    changed["period"] = json!("month");
    changed["confidentiality"] = json!("public");
    let (status, updated) = client
        .put(&format!("/api/v1/flows/{flow_id}"), &token, &changed)
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["yearly_quantity"], "24");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["confidentiality"], "public");

    let (status, page) = client
        .get(
            "/api/v1/flows?direction=out&resource_class=by-product",
            &token,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["flows"].as_array().unwrap().len(), 1);
    assert_eq!(page["flows"][0]["id"], json!(flow_id));
    let (_, none) = client.get("/api/v1/flows?direction=in", &token).await;
    assert_eq!(none["flows"], json!([]));
    // The facilitator searches the territory's flows by words, with the filters.
    for (query, found) in [
        ("q=hetre%20CHUTES", vec![json!(flow_id)]),
        ("q=chutes&direction=out", vec![json!(flow_id)]),
        ("q=chutes&direction=in", vec![]),
        ("q=cartonnerie", vec![json!(flow_id)]),
        ("q=ferraille", vec![]),
    ] {
        let (status, page) = client
            .get(&format!("/api/v1/flows?{query}"), &facilitator)
            .await;
        assert_eq!(status, 200, "{page}");
        let ids: Vec<_> = page["flows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].clone())
            .collect();
        assert_eq!(ids, found, "{query}");
    }
    let (status, refused) = client
        .get(
            &format!("/api/v1/flows?q={}", "mot%20".repeat(60)),
            &facilitator,
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("q")),
        "{refused}"
    );

    assert_eq!(
        delete(client, &format!("/api/v1/flows/{flow_id}"), &token).await,
        204
    );
    let (status, _) = client
        .get(&format!("/api/v1/flows/{flow_id}"), &token)
        .await;
    assert_eq!(status, 404);

    let (status, history) = client
        .get(&format!("/api/v1/flows/{flow_id}/history"), &facilitator)
        .await;
    assert_eq!(status, 200, "{history}");
    let changes: Vec<_> = history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["version"].as_i64().unwrap(),
                r["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (1, "recorded".into()),
            (2, "changed".into()),
            (3, "removed".into())
        ]
    );
    assert_eq!(history["revisions"][0]["flow"]["yearly_quantity"], "26");
    assert_eq!(
        history["revisions"][1]["by_user_id"],
        flow["recorded_by_user_id"]
    );

    let events = published_flow_events(platform, servers).await;
    let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["flow.recorded", "flow.changed", "flow.removed"]);
    assert!(
        events
            .iter()
            .all(|e| e.tenant == "dijon" && e.producer == "flows")
    );
    let recorded = synergies_platform::events::payload::<FlowRecorded>(&events[0])
        .unwrap()
        .flow
        .unwrap();
    assert_eq!(recorded.flow_id, flow_id);
    assert_eq!(recorded.yearly_quantity, "26");
    assert_eq!(recorded.nace, "17.21A");
    assert_eq!(recorded.insee_code, "21166");
    assert_eq!(recorded.latitude, Some(47.293));
    assert_eq!(recorded.version, 1);
    let changed = synergies_platform::events::payload::<FlowChanged>(&events[1])
        .unwrap()
        .flow
        .unwrap();
    assert_eq!(
        (changed.version, changed.yearly_quantity.as_str()),
        (2, "24")
    );
    let removed = synergies_platform::events::payload::<FlowRemoved>(&events[2])
        .unwrap()
        .flow
        .unwrap();
    assert_eq!(
        (removed.version, removed.flow_id.as_str()),
        (3, flow_id.as_str())
    );
}

#[tokio::test]
async fn a_company_records_changes_and_removes_a_flow_and_each_step_is_published() {
    let platform = Platform::all_in_one(&[]).await;
    round_trip(&platform, None).await;
}

#[tokio::test]
async fn split_a_company_records_changes_and_removes_a_flow_and_each_step_is_published() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    round_trip(&platform, Some(&servers)).await;
}

/// Who sees and writes which flow: members their own and others' public flows, facilitators
/// every flow of their territory, nobody another territory's.
async fn visibility(platform: &Platform) {
    let client = &platform.client;
    let facilitator = dijon(client).await;
    let brewery = client.create_member("dijon", "Brasserie du lac").await;
    let joinery = client.create_member("dijon", "Menuiserie Morel").await;

    let mut flows = Vec::new();
    for confidentiality in ["facilitator", "partners", "public"] {
        let mut body = wood_offcuts();
        body["label"] = json!(format!("Drêches ({confidentiality})"));
        body["confidentiality"] = json!(confidentiality);
        let (status, flow) = client.post("/api/v1/flows", &brewery.token, &body).await;
        assert_eq!(status, 201, "{flow}");
        flows.push(id(&flow));
    }
    let [facilitator_only, partners, public] = [&flows[0], &flows[1], &flows[2]];

    // The brewery sees its three flows; the joinery only the public one.
    let (_, own) = client.get("/api/v1/flows", &brewery.token).await;
    assert_eq!(own["flows"].as_array().unwrap().len(), 3);
    let (_, seen) = client.get("/api/v1/flows", &joinery.token).await;
    let seen: Vec<_> = seen["flows"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(seen, std::slice::from_ref(public));
    for hidden in [facilitator_only, partners] {
        let (status, _) = client
            .get(&format!("/api/v1/flows/{hidden}"), &joinery.token)
            .await;
        assert_eq!(
            status, 404,
            "another organisation's non-public flow does not exist"
        );
        let (status, _) = client
            .get(&format!("/api/v1/flows/{hidden}/history"), &joinery.token)
            .await;
        assert_eq!(status, 404);
    }
    let (status, _) = client
        .get(&format!("/api/v1/flows/{public}"), &joinery.token)
        .await;
    assert_eq!(status, 200);

    // Members write for their own organisation only.
    let (status, refused) = client
        .put(
            &format!("/api/v1/flows/{public}"),
            &joinery.token,
            &wood_offcuts(),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(
        delete(client, &format!("/api/v1/flows/{public}"), &joinery.token).await,
        403
    );
    let mut for_the_brewery = wood_offcuts();
    for_the_brewery["organisation_id"] = json!(brewery.organisation_id);
    let (status, refused) = client
        .post("/api/v1/flows", &joinery.token, &for_the_brewery)
        .await;
    assert_eq!(status, 403, "{refused}");

    // The facilitator sees all three, filters by organisation, and records for the joinery
    // during a visit.
    let (status, all) = client
        .get(
            &format!("/api/v1/flows?organisation_id={}", brewery.organisation_id),
            &facilitator,
        )
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["flows"].as_array().unwrap().len(), 3);
    let (status, _) = client
        .get(
            &format!("/api/v1/flows/{facilitator_only}/history"),
            &facilitator,
        )
        .await;
    assert_eq!(status, 200);
    let mut visit = wood_offcuts();
    visit["organisation_id"] = json!(joinery.organisation_id);
    visit["confidentiality"] = json!("facilitator");
    let (status, recorded) = client.post("/api/v1/flows", &facilitator, &visit).await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["provenance"], "recorded");
    assert_eq!(recorded["organisation_name"], "Menuiserie Morel");
    // RGPD: the joinery's export holds what the advisor recorded about it, who and when; the
    // brewery's flows are not the joinery's data.
    let (status, export) = client.get("/api/v1/me/export", &joinery.token).await;
    assert_eq!(status, 200, "{export}");
    let exported = export["flows"].as_array().unwrap();
    assert_eq!(exported.len(), 1, "{export}");
    assert_eq!(exported[0]["id"], recorded["id"]);
    assert_eq!(exported[0]["provenance"], "recorded");
    assert_eq!(
        exported[0]["recorded_by_user_id"],
        recorded["recorded_by_user_id"]
    );
    let (status, _) = client
        .get(&format!("/api/v1/flows/{}", id(&recorded)), &joinery.token)
        .await;
    assert_eq!(
        status, 200,
        "the organisation reads what the advisor recorded about it"
    );
    let (status, _) = client
        .get(&format!("/api/v1/flows/{}", id(&recorded)), &brewery.token)
        .await;
    assert_eq!(status, 404);

    // Paging: one flow a page, no flow twice.
    let (_, first) = client.get("/api/v1/flows?page_size=2", &facilitator).await;
    let token = first["next_page_token"].as_str().unwrap().to_owned();
    let (_, second) = client
        .get(
            &format!("/api/v1/flows?page_size=2&page_token={token}"),
            &facilitator,
        )
        .await;
    let mut ids: Vec<_> = first["flows"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["flows"].as_array().unwrap())
        .map(id)
        .collect();
    assert_eq!(second["next_page_token"], "");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);

    // Another territory sees nothing of Dijon's, and cannot write for its organisations.
    client.create_tenant("beaune").await;
    let stranger = client.create_member("beaune", "Tonnellerie").await;
    let (status, _) = client
        .get(&format!("/api/v1/flows/{public}"), &stranger.token)
        .await;
    assert_eq!(status, 404);
    let (_, none) = client.get("/api/v1/flows", &stranger.token).await;
    assert_eq!(none["flows"], json!([]));
    let mut foreign = wood_offcuts();
    foreign["organisation_id"] = json!(stranger.organisation_id);
    let (status, refused) = client.post("/api/v1/flows", &facilitator, &foreign).await;
    assert_eq!(status, 404, "{refused}");
}

#[tokio::test]
async fn members_see_their_own_and_public_flows_and_facilitators_see_all() {
    let platform = Platform::all_in_one(&[]).await;
    visibility(&platform).await;
}

#[tokio::test]
async fn split_members_see_their_own_and_public_flows_and_facilitators_see_all() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    visibility(&platform).await;
}

#[tokio::test]
async fn each_broken_rule_names_its_field_in_the_callers_language() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member: Member = client.create_member("dijon", "Fonderie").await;
    let with = |field: &str, value: Value| {
        let mut body = wood_offcuts();
        body[field] = value;
        body
    };
    let cases = [
        (with("direction", json!("sideways")), "direction"),
        (with("resource_class", json!("gold")), "resource_class"),
        (with("label", json!("  ")), "label"),
        (with("quantity", json!("beaucoup")), "quantity"),
        (with("quantity", json!("-2")), "quantity"),
        (with("unit", json!("tons")), "unit"),
        (with("period", json!("daily")), "period"),
        (with("confidentiality", json!("secret")), "confidentiality"),
        (with("category", json!("nothing/here")), "category"),
        (with("ewc_code", json!("999999")), "ewc_code"),
        (
            with("site_id", json!(uuid::Uuid::now_v7().to_string())),
            "site_id",
        ),
    ];
    for (body, field) in cases {
        let (status, refused) = client
            .post_in("en", "/api/v1/flows", &member.token, &body)
            .await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (400, Some(field)),
            "{refused}"
        );
    }

    // Waste needs its EWC code; the reason comes in the caller's language.
    let waste = with("resource_class", json!("waste"));
    let (status, english) = client
        .post_in("en", "/api/v1/flows", &member.token, &waste)
        .await;
    assert_eq!(
        (status, english["error"]["field"].as_str()),
        (400, Some("ewc_code"))
    );
    assert!(
        english["error"]["message"]
            .as_str()
            .unwrap()
            .contains("required for waste"),
        "{english}"
    );
    let (_, french) = client
        .post_in("fr", "/api/v1/flows", &member.token, &waste)
        .await;
    assert!(
        french["error"]["message"]
            .as_str()
            .unwrap()
            .contains("obligatoire pour un déchet"),
        "{french}"
    );
    let mut coded = waste.clone();
    coded["ewc_code"] = json!("15 01 03");
    let (status, flow) = client.post("/api/v1/flows", &member.token, &coded).await;
    assert_eq!(status, 201, "{flow}");
    assert_eq!(flow["ewc_code"], "150103");

    // A field the API does not know is refused, not ignored.
    let (status, refused) = client
        .post("/api/v1/flows", &member.token, &with("tonnage", json!(3)))
        .await;
    assert_eq!(status, 400, "{refused}");
}

/// A facilitator runs a diagnostic campaign: organisations to visit, visited, then validated by
/// the firms themselves; progress follows.
async fn campaign(platform: &Platform) {
    let client = &platform.client;
    let facilitator = dijon(client).await;
    let brewery = client.create_member("dijon", "Brasserie du lac").await;
    let joinery = client.create_member("dijon", "Menuiserie Morel").await;
    let foundry = client.create_member("dijon", "Fonderie").await;

    let body = json!({"name": "Zone Cap Nord 2026", "starts_on": "2026-03-01", "ends_on": "2026-06-30",
        "organisation_ids": [brewery.organisation_id, joinery.organisation_id]});
    let (status, refused) = client
        .post("/api/v1/campaigns", &brewery.token, &body)
        .await;
    assert_eq!(status, 403, "members do not run campaigns: {refused}");
    let mut backwards = body.clone();
    backwards["ends_on"] = json!("2026-01-31");
    let (status, refused) = client
        .post("/api/v1/campaigns", &facilitator, &backwards)
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("ends_on"))
    );
    let mut unknown = body.clone();
    unknown["organisation_ids"] = json!([uuid::Uuid::now_v7().to_string()]);
    let (status, refused) = client
        .post("/api/v1/campaigns", &facilitator, &unknown)
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("organisation_ids"))
    );

    let (status, created) = client.post("/api/v1/campaigns", &facilitator, &body).await;
    assert_eq!(status, 201, "{created}");
    let campaign_id = id(&created);
    assert_eq!(
        created["progress"],
        json!({"targets": 2, "to_visit": 2, "visited": 0, "validated": 0})
    );
    assert_eq!(
        created["organisations"][0]["organisation_name"],
        "Brasserie du lac"
    );

    let target = |organisation_id: &str| {
        format!("/api/v1/campaigns/{campaign_id}/organisations/{organisation_id}")
    };
    let (status, visited) = client
        .put(
            &target(&brewery.organisation_id),
            &facilitator,
            &json!({"state": "visited"}),
        )
        .await;
    assert_eq!(status, 200, "{visited}");
    assert_eq!(visited["progress"]["visited"], 1);

    // The brewery validates its own flows, and nothing else.
    let (status, refused) = client
        .put(
            &target(&joinery.organisation_id),
            &brewery.token,
            &json!({"state": "validated"}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, refused) = client
        .put(
            &target(&brewery.organisation_id),
            &brewery.token,
            &json!({"state": "to_visit"}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, validated) = client
        .put(
            &target(&brewery.organisation_id),
            &brewery.token,
            &json!({"state": "validated"}),
        )
        .await;
    assert_eq!(status, 200, "{validated}");
    assert_eq!(
        validated["organisations"].as_array().unwrap().len(),
        1,
        "a member sees its own place only"
    );

    let (status, seen) = client
        .get(&format!("/api/v1/campaigns/{campaign_id}"), &joinery.token)
        .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["organisations"][0]["state"], "to_visit");
    let (status, _) = client
        .get(&format!("/api/v1/campaigns/{campaign_id}"), &foundry.token)
        .await;
    assert_eq!(
        status, 404,
        "an organisation outside the campaign does not see it"
    );

    let (status, grown) = client
        .post(
            &format!("/api/v1/campaigns/{campaign_id}/organisations"),
            &facilitator,
            &json!({"organisation_ids": [foundry.organisation_id, brewery.organisation_id]}),
        )
        .await;
    assert_eq!(status, 200, "{grown}");
    assert_eq!(
        grown["progress"],
        json!({"targets": 3, "to_visit": 2, "visited": 0, "validated": 1})
    );

    let (status, page) = client.get("/api/v1/campaigns", &facilitator).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["campaigns"].as_array().unwrap().len(), 1);
    assert_eq!(page["campaigns"][0]["progress"]["validated"], 1);
    // A member lists the campaigns that target its organisation, each with its own entry only.
    let (status, mine) = client.get("/api/v1/campaigns", &brewery.token).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["campaigns"].as_array().unwrap().len(), 1, "{mine}");
    let entries = mine["campaigns"][0]["organisations"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{mine}");
    assert_eq!(
        entries[0]["organisation_id"],
        brewery.organisation_id.as_str()
    );
    assert_eq!(entries[0]["state"], "validated");
}

#[tokio::test]
async fn a_diagnostic_campaign_tracks_visits_and_validations() {
    let platform = Platform::all_in_one(&[]).await;
    campaign(&platform).await;
}

#[tokio::test]
async fn split_a_diagnostic_campaign_tracks_visits_and_validations() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    campaign(&platform).await;
}

/// Sends a CSV file to the import; returns the status and the report.
async fn import(
    client: &Client,
    token: &str,
    file: impl AsRef<[u8]>,
    dry_run: bool,
    language: &str,
) -> (u16, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file.as_ref().to_vec())
            .file_name("flux.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let response = client
        .http
        .post(format!(
            "{}/api/v1/flows/import?dry_run={dry_run}",
            client.base_url
        ))
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT_LANGUAGE, language)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn text(client: &Client, path: &str, token: &str) -> (u16, String) {
    let response = client
        .http
        .get(format!("{}{path}", client.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn flow_count(client: &Client, token: &str) -> usize {
    let (status, page) = client.get("/api/v1/flows?page_size=100", token).await;
    assert_eq!(status, 200, "{page}");
    page["flows"].as_array().unwrap().len()
}

/// A campaign's flows come in from a spreadsheet: every row or none, with a report of each
/// rejected row; the territory's flows go out the same way.
async fn import_and_export(platform: &Platform) {
    let client = &platform.client;
    let facilitator = dijon(client).await;
    let (company, _) = signed_up_company(client, &facilitator).await;
    let brewery = client.create_member("dijon", "Brasserie du lac").await;

    let header =
        "organisation;sens;classe;libellé;code_déchet;quantité;unité;période;confidentialité";
    let bad = format!(
        "{header}\n\
         73282932000074;out;waste;Cartons;150101;12,5;t;month;partners\n\
         {brewery};out;waste;Drêches;;3;t;week;public\n\
         99999999999999;in;energy;Vapeur;;10;MWh;year;\n\
         {brewery};in;water;Eau de process;;beaucoup;m3;year;\n",
        brewery = brewery.organisation_id
    );
    let (status, report) = import(client, &facilitator, &bad, true, "fr").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], 0);
    assert_eq!(report["written"], false);
    let rejected: Vec<_> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            (3, "code_déchet".into()),
            (4, "organisation".into()),
            (5, "quantité".into())
        ]
    );
    assert!(
        report["rejected"][0]["message"]
            .as_str()
            .unwrap()
            .contains("obligatoire pour un déchet"),
        "{report}"
    );
    let (_, english) = import(client, &facilitator, &bad, false, "en").await;
    assert!(
        english["rejected"][0]["message"]
            .as_str()
            .unwrap()
            .contains("required for waste"),
        "{english}"
    );
    assert_eq!(english["written"], false);
    assert_eq!(
        flow_count(client, &facilitator).await,
        0,
        "a rejected file writes nothing"
    );

    let good = format!(
        "{header}\r\n\
         73282932000074;out;waste;Cartons;15 01 01;12,5;t;month;partners\r\n\
         {brewery};out;by-product;Drêches;;3;t;week;public\r\n",
        brewery = brewery.organisation_id
    );
    let (_, dry) = import(client, &facilitator, &good, true, "fr").await;
    assert_eq!(
        (dry["accepted"].as_u64(), dry["written"].as_bool()),
        (Some(2), Some(false)),
        "{dry}"
    );
    assert_eq!(
        flow_count(client, &facilitator).await,
        0,
        "a dry run writes nothing"
    );
    let (_, done) = import(client, &facilitator, &good, false, "fr").await;
    assert_eq!(
        (done["accepted"].as_u64(), done["written"].as_bool()),
        (Some(2), Some(true)),
        "{done}"
    );
    let (_, page) = client.get("/api/v1/flows", &company).await;
    let labels: Vec<_> = page["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["Drêches", "Cartons"],
        "its own flow and the brewery's public one"
    );
    let cartons = &page["flows"][1];
    assert_eq!(cartons["yearly_quantity"], "150");
    assert_eq!(cartons["ewc_code"], "150101");
    assert_eq!(cartons["nace"], "17.21A");
    assert_eq!(cartons["provenance"], "recorded");

    // A member imports its own organisation's flows only.
    let (_, refused) = import(client, &brewery.token, &good, true, "en").await;
    assert_eq!(
        refused["rejected"][0]["column"], "organisation",
        "{refused}"
    );

    // The export reads back into an import; the template too.
    let (status, exported) = text(client, "/api/v1/flows/export.csv", &facilitator).await;
    assert_eq!(status, 200);
    assert!(
        exported.contains("Cartons") && exported.contains("Drêches") && exported.contains(";150;"),
        "{exported}"
    );
    let (_, again) = import(client, &facilitator, &exported, true, "en").await;
    assert_eq!(again["accepted"], 2, "{again}");
    let (_, members_view) = text(client, "/api/v1/flows/export.csv", &brewery.token).await;
    assert!(
        !members_view.contains("Cartons"),
        "a member exports what it sees only"
    );
    let (status, template) = text(client, "/api/v1/flows/import/template.csv", &facilitator).await;
    assert_eq!(status, 200);
    let (_, from_template) = import(client, &facilitator, &template, true, "en").await;
    assert_eq!(from_template["accepted"], 1, "{from_template}");

    // The same from a workbook, with numbers as spreadsheets keep them.
    let workbook = |waste_code: Option<f64>| {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let headers = [
            "organisation",
            "sens",
            "classe",
            "libellé",
            "code_déchet",
            "quantité",
            "unité",
            "période",
        ];
        for (column, header) in headers.iter().enumerate() {
            sheet.write_string(0, column as u16, *header).unwrap();
        }
        let rows = [
            ("material", "Palettes cassées", None),
            ("waste", "Sciure", waste_code),
        ];
        for (row, (class, label, code)) in rows.iter().enumerate() {
            let row = row as u32 + 1;
            sheet
                .write_string(row, 0, &brewery.organisation_id)
                .unwrap();
            sheet.write_string(row, 1, "out").unwrap();
            sheet.write_string(row, 2, *class).unwrap();
            sheet.write_string(row, 3, *label).unwrap();
            if let Some(code) = code {
                sheet.write_number(row, 4, *code).unwrap();
            }
            sheet.write_number(row, 5, 2.5).unwrap();
            sheet.write_string(row, 6, "t").unwrap();
            sheet.write_string(row, 7, "month").unwrap();
        }
        workbook.save_to_buffer().unwrap()
    };
    let (status, refused) = import(client, &facilitator, workbook(None), false, "en").await;
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["written"], false);
    assert_eq!(refused["rejected"][0]["line"], 3, "{refused}");
    assert_eq!(refused["rejected"][0]["column"], "code_déchet", "{refused}");
    let (_, imported) = import(client, &facilitator, workbook(Some(30105.0)), false, "en").await;
    assert_eq!(
        (imported["accepted"].as_u64(), imported["written"].as_bool()),
        (Some(2), Some(true)),
        "{imported}"
    );
    let answer = client
        .http
        .get(format!("{}/api/v1/flows/export.xlsx", client.base_url))
        .bearer_auth(&facilitator)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let exported = answer.bytes().await.unwrap();
    let mut read: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(exported.to_vec())).unwrap();
    let sheet = read.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect();
    let sawdust = cells
        .iter()
        .find(|row| row.contains(&"Sciure".to_owned()))
        .expect("the imported row");
    assert!(
        sawdust.contains(&"030105".to_owned()),
        "the EWC code keeps its digits: {sawdust:?}"
    );
    assert!(
        sawdust.contains(&"30".to_owned()),
        "2.5 t a month is 30 t a year: {sawdust:?}"
    );
    assert_eq!(cells.len(), 1 + 4, "the header and the four flows");

    // A thousand rows in one go, within seconds.
    let mut big = String::from("organisation;sens;classe;libellé;quantité;unité;période\n");
    for row in 0..1000 {
        let organisation = &brewery.organisation_id;
        writeln!(
            big,
            "{organisation};in;energy;Électricité {row};{row},5;MWh;month"
        )
        .unwrap();
    }
    let started = std::time::Instant::now();
    let (_, thousand) = import(client, &facilitator, &big, false, "fr").await;
    let elapsed = started.elapsed();
    assert_eq!(thousand["accepted"], 1000, "{thousand}");
    assert!(
        elapsed < std::time::Duration::from_secs(5),
        "1 000 rows took {elapsed:?}"
    );
}

#[tokio::test]
async fn a_campaigns_flows_are_imported_all_or_nothing_and_exported() {
    let platform = Platform::all_in_one(&[]).await;
    import_and_export(&platform).await;
}

#[tokio::test]
async fn split_a_campaigns_flows_are_imported_all_or_nothing_and_exported() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    import_and_export(&platform).await;
}

/// A recording sent again with its `Idempotency-Key` (the answer was lost) records one flow.
#[tokio::test]
async fn a_flow_sent_twice_with_its_idempotency_key_is_recorded_once() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    dijon(client).await;
    let brewery = client.create_member("dijon", "Brasserie du lac").await;
    let (status, first) = client
        .post_once(
            "/api/v1/flows",
            &brewery.token,
            "flow-once-1",
            &wood_offcuts(),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = client
        .post_once(
            "/api/v1/flows",
            &brewery.token,
            "flow-once-1",
            &wood_offcuts(),
        )
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(id(&again), id(&first));
    let (_, own) = client.get("/api/v1/flows", &brewery.token).await;
    assert_eq!(own["flows"].as_array().unwrap().len(), 1, "{own}");
}
