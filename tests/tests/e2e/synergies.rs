//! Synergies through the HTTP API, in both layouts: an offer and a request of two organisations
//! are proposed to both, scored and explained; unrelated items are not; a facilitator carries
//! the synergy through the pipeline; "not relevant" hides it; withdrawal removes it; what a
//! member may not read stays out of sight; a replayed event creates nothing twice.

use std::time::Duration;

use serde_json::{Value, json};
use synergies_platform::bus::nats::NatsBus;
use synergies_platform::bus::{BusMessage, BusSettings, EventBus};
use synergies_platform::events;
use synergies_platform::outbox::OutboxEvent;
use synergies_platform::testing::{self, eventually};
use synergies_proto::events::v1::{ListingKind, ListingPublished};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};

struct Territory {
    offerer: Member,
    requester: Member,
    /// Of Dijon too, with a request nothing offered meets.
    bystander: Member,
    /// Of another territory.
    outsider: Member,
    facilitator: String,
}

async fn territory(client: &Client) -> Territory {
    client.create_tenant("dijon").await;
    client.create_tenant("beaune").await;
    Territory {
        offerer: client.create_member("dijon", "Menuiserie Bernard").await,
        requester: client.create_member("dijon", "Brasserie du Lac").await,
        bystander: client.create_member("dijon", "Imprimerie Darantière").await,
        outsider: client
            .create_member("beaune", "Tonnellerie de Beaune")
            .await,
        facilitator: client.create_facilitator("dijon").await,
    }
}

fn synergies(body: &Value) -> Vec<Value> {
    body["synergies"].as_array().cloned().unwrap_or_default()
}

/// The synergies of a listing as `token` sees them, once there are `count` of them.
async fn matches_once(client: &Client, listing: &str, token: &str, count: usize) -> Vec<Value> {
    let path = format!("/api/v1/listings/{listing}/matches");
    eventually(
        &format!("{count} synergies of {listing}"),
        Duration::from_secs(30),
        || async {
            let (status, body) = client.get(&path, token).await;
            assert_eq!(status, 200, "{body}");
            let found = synergies(&body);
            (found.len() == count).then_some(found)
        },
    )
    .await
}

struct Proposed {
    offer: String,
    request: String,
    synergy: String,
}

/// An offer of pallets meets a request of pallets from another organisation; a request of
/// screens meets nothing.
async fn an_offer_and_a_request_are_proposed_to_both_sides(
    client: &Client,
    t: &Territory,
) -> Proposed {
    let (request, _) = client
        .publish(
            &t.requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    let (unrelated, _) = client
        .publish(
            &t.bystander,
            "request",
            "it-electronics/screens",
            "Cherche des écrans d'ordinateur",
        )
        .await;
    client
        .publish(
            &t.outsider,
            "request",
            "packaging/pallets",
            "Palettes pour Beaune",
        )
        .await;
    let (offer, _) = client
        .publish(
            &t.offerer,
            "offer",
            "packaging/pallets",
            "40 palettes Europe",
        )
        .await;

    let seen_by_offerer = matches_once(client, &offer, &t.offerer.token, 1).await;
    let synergy = &seen_by_offerer[0];
    assert_eq!(synergy["kind"], "substitution");
    let score = synergy["score"].as_f64().unwrap();
    assert!(score > 0.0 && score <= 1.0, "{synergy}");
    assert_eq!(synergy["status"], "proposed");
    assert_eq!(synergy["counterpart"]["kind"], "listing");
    assert_eq!(synergy["counterpart"]["id"], request.as_str());
    assert_eq!(
        synergy["counterpart"]["organisation_id"],
        t.requester.organisation_id.as_str()
    );
    assert_eq!(
        synergy["counterpart"]["label"],
        "Cherche des palettes Europe"
    );
    assert!(synergy["counterpart"]["organisation_name"].is_string());
    assert!(!synergy["explanation"].as_str().unwrap().is_empty());
    assert!(!synergy["explanation_en"].as_str().unwrap().is_empty());
    let factors = synergy["factors"].as_array().unwrap();
    assert!(!factors.is_empty(), "{synergy}");
    assert!(
        factors
            .iter()
            .all(|f| f["name"].is_string() && f["value"].is_number())
    );

    // The requester sees the same synergy from their side.
    let seen_by_requester = matches_once(client, &request, &t.requester.token, 1).await;
    assert_eq!(seen_by_requester[0]["id"], synergy["id"]);
    assert_eq!(seen_by_requester[0]["counterpart"]["id"], offer.as_str());
    assert_eq!(
        seen_by_requester[0]["counterpart"]["organisation_name"], "Menuiserie Bernard",
        "learned when the offerer read their synergies"
    );
    // A facilitator's board names every organisation.
    let (_, board) = client.get("/api/v1/synergies", &t.facilitator).await;
    let board = synergies(&board);
    let names: Vec<&str> = board[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organisation_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{board:?}");
    assert!(
        names.contains(&"Brasserie du Lac") && names.contains(&"Menuiserie Bernard"),
        "{board:?}"
    );

    // Both are told, each naming the other side's listing.
    let to_requester = client
        .wait_for_item(&t.requester, &offer, "match.found")
        .await;
    assert!(
        to_requester["body"]
            .as_str()
            .unwrap()
            .contains("40 palettes Europe")
    );
    let to_offerer = client
        .wait_for_item(&t.offerer, &request, "match.found")
        .await;
    assert!(
        to_offerer["body"]
            .as_str()
            .unwrap()
            .contains("Cherche des palettes Europe"),
        "{to_offerer}"
    );
    assert!(!to_offerer["body_en"].as_str().unwrap().is_empty());

    // Unrelated: nothing. Not involved: nothing to see. Another territory: no such listing.
    let (status, none) = client
        .get(
            &format!("/api/v1/listings/{unrelated}/matches"),
            &t.bystander.token,
        )
        .await;
    assert_eq!((status, synergies(&none).len()), (200, 0), "{none}");
    let (status, none) = client
        .get(
            &format!("/api/v1/listings/{offer}/matches"),
            &t.bystander.token,
        )
        .await;
    assert_eq!((status, synergies(&none).len()), (200, 0), "{none}");
    for path in [
        format!("/api/v1/listings/{offer}/matches"),
        format!("/api/v1/listings/{offer}"),
    ] {
        let (status, body) = client.get(&path, &t.outsider.token).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{path}: {body}"
        );
    }
    let (_, board) = client.get("/api/v1/synergies", &t.outsider.token).await;
    assert!(synergies(&board).is_empty(), "{board}");
    let (_, board) = client
        .get("/api/v1/synergies?kind=substitution", &t.requester.token)
        .await;
    assert_eq!(synergies(&board).len(), 1, "{board}");
    assert!(client.inbox(&t.bystander).await.is_empty());
    Proposed {
        synergy: synergy["id"].as_str().unwrap().to_owned(),
        offer,
        request,
    }
}

#[tokio::test]
async fn all_in_one_an_offer_and_a_matching_request_are_proposed_to_both_sides() {
    let platform = Platform::all_in_one(&[]).await;
    let t = territory(&platform.client).await;
    an_offer_and_a_request_are_proposed_to_both_sides(&platform.client, &t).await;
}

#[tokio::test]
async fn split_an_offer_and_a_matching_request_are_proposed_to_both_sides() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    let t = territory(&platform.client).await;
    an_offer_and_a_request_are_proposed_to_both_sides(&platform.client, &t).await;
}

async fn put_synergy(client: &Client, id: &str, token: &str, body: &Value) -> (u16, Value) {
    client
        .put(&format!("/api/v1/synergies/{id}"), token, body)
        .await
}

async fn a_facilitator_carries_a_synergy_to_its_realisation(platform: &Platform) {
    let client = &platform.client;
    let t = territory(client).await;
    let p = an_offer_and_a_request_are_proposed_to_both_sides(client, &t).await;
    let id = p.synergy.as_str();

    let (status, refused) = put_synergy(
        client,
        id,
        &t.requester.token,
        &json!({"status": "contacted"}),
    )
    .await;
    assert_eq!(status, 403, "members do not steer: {refused}");
    let (status, _) = put_synergy(
        client,
        id,
        &t.outsider.token,
        &json!({"status": "contacted"}),
    )
    .await;
    assert_eq!(status, 404, "another territory's synergy does not exist");

    let (status, contacted) = put_synergy(
        client,
        id,
        &t.facilitator,
        &json!({"status": "contacted", "note": "Appel à la brasserie le 3 mars"}),
    )
    .await;
    assert_eq!(status, 200, "{contacted}");
    assert_eq!(contacted["status"], "contacted");
    assert_eq!(
        contacted["notes"][0]["text"],
        "Appel à la brasserie le 3 mars"
    );

    let (status, back) =
        put_synergy(client, id, &t.facilitator, &json!({"status": "proposed"})).await;
    assert_eq!(
        (status, back["error"]["field"].as_str()),
        (400, Some("status"))
    );
    let (status, why) =
        put_synergy(client, id, &t.facilitator, &json!({"status": "abandoned"})).await;
    assert_eq!(
        (status, why["error"]["field"].as_str()),
        (400, Some("note")),
        "{why}"
    );

    for step in ["studying", "realised"] {
        let (status, moved) = put_synergy(
            client,
            id,
            &t.facilitator,
            &json!({"status": step, "realised_quantity": 480.0, "unit": "piece"}),
        )
        .await;
        assert_eq!(
            (status, moved["status"].as_str()),
            (200, Some(step)),
            "{moved}"
        );
    }
    let (_, realised) = client
        .get("/api/v1/synergies?status=realised", &t.facilitator)
        .await;
    let realised = synergies(&realised);
    assert_eq!(realised.len(), 1);
    assert_eq!(realised[0]["realised_quantity"], 480.0);
    assert_eq!(realised[0]["unit"], "piece");
    // 480 EUR-pallets of 25 kg, at Base Carbone's 0.7 kg CO2e per kg of new wooden crates,
    // each worth 10 € second-hand.
    assert_eq!(realised[0]["kg_diverted"], 12_000.0, "{}", realised[0]);
    assert_eq!(realised[0]["co2e_kg"], 8_400.0);
    assert_eq!(realised[0]["value_cents"], 480_000);
    assert!(realised[0]["realised_at"].is_string());

    // It counts in the territory's figures, public and per month, beside exchanges.
    let (status, public) = client.get("/api/v1/tenants/dijon/impact", "").await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["synergies_realised"], 1);
    assert_eq!(public["exchanges_completed"], 0);
    assert_eq!(public["tonnes_diverted"], 12.0);
    assert_eq!(public["co2e_tonnes"], 8.4);
    let (_, beaune) = client.get("/api/v1/tenants/beaune/impact", "").await;
    assert_eq!(beaune["synergies_realised"], 0, "{beaune}");
    let (status, months) = client
        .get("/api/v1/impact?scope=tenant", &t.facilitator)
        .await;
    assert_eq!(status, 200, "{months}");
    let month = &months["months"][0];
    assert_eq!(
        (
            month["exchanges"].as_i64(),
            month["synergies_realised"].as_i64()
        ),
        (Some(0), Some(1)),
        "{months}"
    );
    assert_eq!(month["kg_diverted"], 12_000.0);
    assert_eq!(month["synergies"]["value_cents"], 480_000);
    // Each party sees it in its own impact; an organisation outside it does not.
    let (_, mine) = client.get("/api/v1/impact", &t.requester.token).await;
    assert_eq!(mine["months"][0]["synergies_realised"], 1, "{mine}");
    let (_, theirs) = client.get("/api/v1/impact", &t.bystander.token).await;
    assert_eq!(theirs["months"], json!([]), "{theirs}");
    let (status, _) = client
        .get("/api/v1/impact?scope=tenant", &t.requester.token)
        .await;
    assert_eq!(status, 403);
    // The parties still see it, with its status.
    let seen = matches_once(client, &p.request, &t.requester.token, 1).await;
    assert_eq!(seen[0]["status"], "realised");
    let (status, _) = client
        .get("/api/v1/synergies?status=finished", &t.facilitator)
        .await;
    assert_eq!(status, 400);
}

async fn not_relevant_hides_a_synergy_from_that_organisation_only(platform: &Platform) {
    let client = &platform.client;
    let t = territory(client).await;
    let p = an_offer_and_a_request_are_proposed_to_both_sides(client, &t).await;
    let feedback = format!("/api/v1/synergies/{}/feedback", p.synergy);
    let (status, _) = client
        .post(&feedback, &t.bystander.token, &json!({"relevant": false}))
        .await;
    assert_eq!(status, 404, "not involved: no such synergy");
    let (status, answer) = client
        .post(&feedback, &t.requester.token, &json!({"relevant": false}))
        .await;
    assert_eq!(status, 200, "{answer}");
    matches_once(client, &p.request, &t.requester.token, 0).await;
    matches_once(client, &p.offer, &t.offerer.token, 1).await;
    let (_, board) = client.get("/api/v1/synergies", &t.facilitator).await;
    assert_eq!(synergies(&board).len(), 1, "kept for facilitators: {board}");
}

async fn withdrawal_removes_a_proposal_and_a_hidden_listing_is_never_shown(platform: &Platform) {
    let client = &platform.client;
    let t = territory(client).await;
    let p = an_offer_and_a_request_are_proposed_to_both_sides(client, &t).await;

    // Withdrawn: the proposal goes; the listing's own address and its matches answer alike.
    let (status, withdrawn) = client
        .post(
            &format!("/api/v1/listings/{}/withdraw", p.offer),
            &t.offerer.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{withdrawn}");
    matches_once(client, &p.request, &t.requester.token, 0).await;
    let (listing_status, _) = client
        .get(&format!("/api/v1/listings/{}", p.offer), &t.requester.token)
        .await;
    let (matches_status, _) = client
        .get(
            &format!("/api/v1/listings/{}/matches", p.offer),
            &t.requester.token,
        )
        .await;
    assert_eq!(matches_status, listing_status);

    // Taken up by a facilitator, then the offer hidden: kept on the board, never shown to the
    // requester.
    let (second, _) = client
        .publish(
            &t.offerer,
            "offer",
            "packaging/pallets",
            "60 palettes Europe",
        )
        .await;
    let seen = matches_once(client, &p.request, &t.requester.token, 1).await;
    let id = seen[0]["id"].as_str().unwrap();
    let (status, _) =
        put_synergy(client, id, &t.facilitator, &json!({"status": "contacted"})).await;
    assert_eq!(status, 200);
    let (status, hidden) = client
        .post(
            &format!("/api/v1/listings/{second}/hide"),
            &t.facilitator,
            &json!({"reason": "Annonce en double"}),
        )
        .await;
    assert_eq!(status, 200, "{hidden}");
    matches_once(client, &p.request, &t.requester.token, 0).await;
    let (_, board) = client
        .get("/api/v1/synergies?status=contacted", &t.facilitator)
        .await;
    assert_eq!(synergies(&board).len(), 1, "{board}");
    let (_, mine) = client.get("/api/v1/synergies", &t.requester.token).await;
    assert!(!mine.to_string().contains("60 palettes Europe"), "{mine}");
}

/// The bus of a split platform, to deliver an event again as a broken relay or an operator's
/// replay would.
async fn bus_of(platform: &Platform, servers: &testing::TestServers) -> NatsBus {
    let prefix = platform.schema_prefix.trim_end_matches('_').to_owned();
    let settings = BusSettings {
        prefix,
        ack_wait: Duration::from_secs(30),
    };
    NatsBus::connect(&servers.nats_url, settings)
        .await
        .expect("NATS")
}

#[tokio::test]
async fn split_a_replayed_event_creates_no_duplicate_synergy_nor_notification() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    let client = &platform.client;
    let t = territory(client).await;
    let (request, _) = client
        .publish(
            &t.requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    // An offer's publication, delivered three times under three bus message ids: the same
    // event (one event id) as a relay that died before stamping it would publish again.
    let offer = uuid::Uuid::now_v7().to_string();
    let published = ListingPublished {
        listing_id: offer.clone(),
        organisation_id: t.offerer.organisation_id.clone(),
        owner_user_id: t.offerer.user_id.clone(),
        kind: ListingKind::Offer.into(),
        category: "packaging/pallets".into(),
        title: "40 palettes Europe".into(),
        published_at: Some(events::timestamp(chrono::Utc::now())),
        resource_type: "goods".into(),
        exchange_mode: "give".into(),
        ..ListingPublished::default()
    };
    let event = OutboxEvent::new(&events::envelope("dijon", "listings", &published));
    let bus = bus_of(&platform, &servers).await;
    let prefix = platform.schema_prefix.trim_end_matches('_');
    for _ in 0..3 {
        bus.publish(BusMessage {
            subject: format!("{prefix}.{}", event.subject),
            msg_id: uuid::Uuid::now_v7().to_string(),
            payload: event.envelope.clone().into(),
            headers: std::collections::BTreeMap::new(),
        })
        .await
        .expect("published");
    }
    // A later publication is the fence: the listing consumer handles events in order.
    let (fence, _) = client
        .publish(
            &t.offerer,
            "offer",
            "packaging/pallets",
            "60 palettes Europe",
        )
        .await;
    client.wait_for_item_about(&t.requester, &fence).await;
    let seen = matches_once(client, &request, &t.requester.token, 2).await;
    let about_offer = seen
        .iter()
        .filter(|s| s["counterpart"]["id"] == offer.as_str())
        .count();
    assert_eq!(about_offer, 1, "{seen:?}");
    let items = client.inbox(&t.requester).await;
    let told = items
        .iter()
        .filter(|i| i["listing_id"] == offer.as_str())
        .count();
    assert_eq!(told, 1, "{items:?}");
    let (_, board) = client.get("/api/v1/synergies", &t.facilitator).await;
    assert_eq!(synergies(&board).len(), 2, "{board}");
}

/// A flow of `member`'s organisation; returns its id.
async fn record_flow(client: &Client, member: &Member, body: &Value) -> String {
    let (status, flow) = client.post("/api/v1/flows", &member.token, body).await;
    assert_eq!(status, 201, "{flow}");
    flow["id"].as_str().unwrap().to_owned()
}

fn pallets_out(confidentiality: &str) -> Value {
    json!({"direction": "out", "resource_class": "material", "label": "Palettes Europe usagées",
        "description": "Palettes EUR en bon état après réception des matières", "category": "packaging/pallets",
        "quantity": "40", "unit": "piece", "period": "month", "confidentiality": confidentiality})
}

async fn flow_synergies(client: &Client, flow: &str, token: &str) -> (u16, Value) {
    client
        .get(&format!("/api/v1/flows/{flow}/synergies"), token)
        .await
}

/// An out-flow meets a request listing: seen from the flow and from the listing, naming the
/// flow's organisation; the owner of the request is told. Removing the flow removes it.
async fn an_out_flow_meets_a_request(client: &Client, t: &Territory) {
    let (request, _) = client
        .publish(
            &t.requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    let flow = record_flow(client, &t.offerer, &pallets_out("public")).await;
    let seen = matches_once(client, &request, &t.requester.token, 1).await;
    let counterpart = &seen[0]["counterpart"];
    assert_eq!(counterpart["kind"], "flow", "{seen:?}");
    assert_eq!(counterpart["id"], flow.as_str());
    assert_eq!(counterpart["organisation_name"], "Menuiserie Bernard");
    assert_eq!(counterpart["label"], "Palettes Europe usagées");
    let (status, from_flow) = flow_synergies(client, &flow, &t.offerer.token).await;
    assert_eq!(status, 200, "{from_flow}");
    let from_flow = synergies(&from_flow);
    assert_eq!(from_flow.len(), 1);
    assert_eq!(from_flow[0]["id"], seen[0]["id"]);
    assert_eq!(from_flow[0]["counterpart"]["id"], request.as_str());
    let told = eventually("the requester told", Duration::from_secs(30), || async {
        client
            .inbox(&t.requester)
            .await
            .into_iter()
            .find(|item| item["kind"] == "match.found")
    })
    .await;
    assert!(
        told["body"]
            .as_str()
            .unwrap()
            .contains("Menuiserie Bernard"),
        "{told}"
    );
    // The flow has no owning member: its organisation learns who could use it.
    let to_flow_owner = client
        .wait_for_item(&t.offerer, &request, "match.found")
        .await;
    assert!(
        to_flow_owner["body"]
            .as_str()
            .unwrap()
            .contains("Cherche des palettes Europe"),
        "{to_flow_owner}"
    );
    let (status, _) = flow_synergies(client, &flow, &t.outsider.token).await;
    assert_eq!(status, 404);

    let removed = client
        .http
        .delete(format!("{}/api/v1/flows/{flow}", client.base_url))
        .bearer_auth(&t.offerer.token)
        .send()
        .await
        .unwrap();
    assert!(removed.status().is_success(), "{removed:?}");
    matches_once(client, &request, &t.requester.token, 0).await;
}

#[tokio::test]
async fn all_in_one_an_out_flow_meets_a_request_and_leaves_with_its_removal() {
    let platform = Platform::all_in_one(&[]).await;
    let t = territory(&platform.client).await;
    an_out_flow_meets_a_request(&platform.client, &t).await;
}

#[tokio::test]
async fn split_an_out_flow_meets_a_request_and_leaves_with_its_removal() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    let t = territory(&platform.client).await;
    an_out_flow_meets_a_request(&platform.client, &t).await;
}

async fn a_flow_kept_for_facilitators_is_never_shown_to_another_organisation(platform: &Platform) {
    let client = &platform.client;
    let t = territory(client).await;
    let (request, _) = client
        .publish(
            &t.requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    let flow = record_flow(client, &t.offerer, &pallets_out("facilitator")).await;
    // The flow's organisation and the facilitators see the synergy…
    let path = format!("/api/v1/flows/{flow}/synergies");
    let from_flow = eventually("the flow's synergy", Duration::from_secs(30), || async {
        let (_, body) = client.get(&path, &t.offerer.token).await;
        let found = synergies(&body);
        (found.len() == 1).then_some(found)
    })
    .await;
    assert_eq!(from_flow[0]["counterpart"]["id"], request.as_str());
    let (_, board) = client
        .get("/api/v1/synergies?kind=substitution", &t.facilitator)
        .await;
    assert_eq!(synergies(&board).len(), 1, "{board}");
    // …the requester never does, nor the flow itself.
    let (status, mine) = client
        .get(
            &format!("/api/v1/listings/{request}/matches"),
            &t.requester.token,
        )
        .await;
    assert_eq!((status, synergies(&mine).len()), (200, 0), "{mine}");
    let (_, board) = client.get("/api/v1/synergies", &t.requester.token).await;
    assert!(synergies(&board).is_empty(), "{board}");
    let (status, _) = flow_synergies(client, &flow, &t.requester.token).await;
    assert_eq!(status, 404);
    assert!(
        !client
            .inbox(&t.requester)
            .await
            .iter()
            .any(|i| i.to_string().contains("Menuiserie Bernard")),
        "the requester is not told of a confidential flow"
    );
}

/// A company of Dijon that signed up with a site at (`latitude`, `longitude`), confirmed its
/// address and was approved by the facilitator; returns its token and its site's id.
async fn company_with_a_site(
    client: &Client,
    facilitator: &str,
    name: &str,
    latitude: f64,
    longitude: f64,
) -> (String, String) {
    let email = format!("contact-{}@example.fr", uuid::Uuid::new_v4().simple());
    let body = json!({"tenant": "dijon", "organisation_name": name, "kind": "company",
        "siret": siret(latitude), "naf": "25.62A", "email": email, "display_name": name,
        "password": synergies_tests::api::PASSWORD,
        "site": {"address": "1 rue de l'Industrie", "insee_code": "21231", "latitude": latitude,
            "longitude": longitude}});
    let (status, signed_up) = client.post("/api/v1/signup", "", &body).await;
    assert_eq!(status, 201, "{signed_up}");
    let organisation_id = signed_up["organisation"]["id"].as_str().unwrap().to_owned();
    let mail = client
        .wait_for_outgoing_mail("dijon", &email, "verify-email")
        .await;
    let token = synergies_tests::api::token_in(&mail);
    let (status, _) = client
        .post("/api/v1/auth/verify-email", "", &json!({"token": token}))
        .await;
    assert_eq!(status, 200);
    let (status, decided) = client
        .post(
            &format!("/api/v1/organisations/{organisation_id}/decision"),
            facilitator,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    let (_, tokens) = client
        .login("dijon", &email, synergies_tests::api::PASSWORD)
        .await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, organisation) = client.get("/api/v1/organisation", &token).await;
    let site = organisation["sites"][0]["id"].as_str().unwrap().to_owned();
    (token, site)
}

/// A SIRET that passes the Luhn check, different for each latitude of the test.
fn siret(latitude: f64) -> String {
    let stem = format!("{:013}", (latitude * 1000.0) as u64 * 1_000_003);
    let digits: Vec<u32> = stem.chars().filter_map(|c| c.to_digit(10)).collect();
    // With the check digit last, the stem's last digit is doubled, then every other one.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{stem}{}", (10 - sum % 10) % 10)
}

fn gloves_needed(site: &str) -> Value {
    json!({"direction": "in", "resource_class": "material", "label": "Gants de protection nitrile",
        "category": "hygiene-safety/ppe", "quantity": "2000", "unit": "piece", "period": "year",
        "site_id": site, "confidentiality": "partners"})
}

/// The tenant's mutualisation groups as `token` sees them, once there are `count` members in
/// the first.
async fn group_once(client: &Client, token: &str, count: usize) -> Value {
    eventually(
        &format!("a group of {count}"),
        Duration::from_secs(30),
        || async {
            let (status, body) = client
                .get("/api/v1/synergies?kind=mutualisation", token)
                .await;
            assert_eq!(status, 200, "{body}");
            let groups = synergies(&body);
            (groups.len() == 1 && groups[0]["members"].as_array()?.len() == count)
                .then(|| groups[0].clone())
        },
    )
    .await
}

async fn three_nearby_companies_needing_the_same_input_form_a_group_that_grows(
    platform: &Platform,
) {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let territory = json!({"slug": "dijon", "display_name": "Dijon métropole", "communes": [
        {"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]}]});
    let (status, tenant) = client.post("/api/v1/tenants", &operator, &territory).await;
    assert_eq!(status, 201, "{tenant}");
    let facilitator = client.create_facilitator("dijon").await;
    let mut companies = Vec::new();
    for (name, latitude, longitude) in [
        ("Fonderie de Longvic", 47.288, 5.064),
        ("Mécanique de Chenôve", 47.293, 5.005),
        ("Chaudronnerie de Quetigny", 47.314, 5.106),
        ("Usinage de Fontaine", 47.342, 5.021),
    ] {
        companies.push(company_with_a_site(client, &facilitator, name, latitude, longitude).await);
    }
    for (token, site) in &companies[..3] {
        let (status, flow) = client
            .post("/api/v1/flows", token, &gloves_needed(site))
            .await;
        assert_eq!(status, 201, "{flow}");
    }
    let group = group_once(client, &facilitator, 3).await;
    assert_eq!(group["kind"], "mutualisation");
    assert_eq!(group["resource_class"], "material");
    assert!(
        !group["explanation"].as_str().unwrap().is_empty(),
        "{group}"
    );
    assert!(
        group["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["kind"] == "flow" && m["organisation_id"].is_string())
    );
    // A member of the group sees it too.
    let seen = group_once(client, &companies[0].0, 3).await;
    assert_eq!(seen["id"], group["id"]);

    // A fourth company nearby needs the same: the group grows, it is not a new one.
    let (token, site) = &companies[3];
    let (status, _) = client
        .post("/api/v1/flows", token, &gloves_needed(site))
        .await;
    assert_eq!(status, 201);
    let grown = group_once(client, &facilitator, 4).await;
    assert_eq!(grown["id"], group["id"]);

    // Each company is told once, the newcomer too, in both languages.
    for (token, _) in &companies {
        let told = eventually("the group announced", Duration::from_secs(30), || async {
            let (_, inbox) = client.get("/api/v1/inbox?page_size=100", token).await;
            let items: Vec<Value> = inbox["items"]
                .as_array()?
                .iter()
                .filter(|i| i["kind"] == "synergy.group_proposed")
                .cloned()
                .collect();
            (!items.is_empty()).then_some(items)
        })
        .await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0]["title"]
                .as_str()
                .unwrap()
                .contains("Gants de protection nitrile"),
            "{told:?}"
        );
        assert!(!told[0]["body_en"].as_str().unwrap().is_empty());
    }
}

/// The territory's tenant admin sets the mutualisation radius: firms farther apart than it are
/// not grouped, and the explanation states it.
async fn the_tenant_sets_the_radius_of_its_mutualisation_groups(platform: &Platform) {
    let client = &platform.client;
    let operator = client.operator_token().await;
    let territory = json!({"slug": "dijon", "display_name": "Dijon métropole", "communes": [
        {"insee_code": "21231", "name": "Dijon", "postal_codes": ["21000"]}]});
    let (status, tenant) = client.post("/api/v1/tenants", &operator, &territory).await;
    assert_eq!(status, 201, "{tenant}");
    let facilitator = client.create_facilitator("dijon").await;
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(
        tenant["settings"]["mutualisation_radius_km"], 15,
        "{tenant}"
    );
    let (_, cci) = client.get("/api/v1/organisation", &facilitator).await;
    let body = json!({"organisation_id": cci["id"], "email": "admin@cci.fr", "display_name": "Admin",
        "password": synergies_tests::api::PASSWORD, "roles": ["tenant_admin"]});
    let (status, created) = client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, answer) = client
        .login("dijon", "admin@cci.fr", synergies_tests::api::PASSWORD)
        .await;
    let admin = answer["access_token"].as_str().unwrap().to_owned();
    let settings = |radius: Value| {
        json!({"primary_colour": "#1d4f91", "secondary_colour": "#2e7d32",
            "exchange_modes": ["give"], "default_language": "fr", "mutualisation_radius_km": radius})
    };
    let (status, refused) = client
        .put("/api/v1/tenant/settings", &admin, &settings(json!(500)))
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("mutualisation_radius_km")),
        "{refused}"
    );
    let (status, set) = client
        .put("/api/v1/tenant/settings", &admin, &settings(json!(5)))
        .await;
    assert_eq!(status, 200, "{set}");
    let (_, tenant) = client.get("/api/v1/tenants/dijon", "").await;
    assert_eq!(tenant["settings"]["mutualisation_radius_km"], 5);

    // Eight kilometres north of the others: within the default 15 km, not within 5. Its flow
    // is recorded first, so it is indexed before the group can form.
    let mut companies = Vec::new();
    for (name, latitude, longitude) in [
        ("Scierie de Messigny", 47.392, 5.040),
        ("Fonderie du Port du Canal", 47.320, 5.040),
        ("Mécanique de la Toison d'Or", 47.330, 5.050),
        ("Chaudronnerie des Grésilles", 47.325, 5.030),
    ] {
        companies.push(company_with_a_site(client, &facilitator, name, latitude, longitude).await);
    }
    for (token, site) in &companies {
        let (status, flow) = client
            .post("/api/v1/flows", token, &gloves_needed(site))
            .await;
        assert_eq!(status, 201, "{flow}");
    }
    let group = group_once(client, &facilitator, 3).await;
    let (_, far) = client.get("/api/v1/organisation", &companies[0].0).await;
    assert!(
        group["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["organisation_id"] != far["id"]),
        "{group}"
    );
    assert!(
        group["explanation"].as_str().unwrap().contains("5 km"),
        "{group}"
    );
}

#[tokio::test]
async fn all_in_one_the_tenant_sets_the_radius_of_its_mutualisation_groups() {
    the_tenant_sets_the_radius_of_its_mutualisation_groups(&Platform::all_in_one(&[]).await).await;
}

#[tokio::test]
async fn split_the_tenant_sets_the_radius_of_its_mutualisation_groups() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    the_tenant_sets_the_radius_of_its_mutualisation_groups(
        &Platform::split(&servers, |_| Vec::new()).await,
    )
    .await;
}

#[tokio::test]
async fn all_in_one_the_synergy_routes_are_documented() {
    let platform = Platform::all_in_one(&[]).await;
    let openapi: Value = platform
        .client
        .http
        .get(format!("{}/api/v1/openapi.json", platform.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, method) in [
        ("/api/v1/listings/{id}/matches", "get"),
        ("/api/v1/flows/{id}/synergies", "get"),
        ("/api/v1/synergies", "get"),
        ("/api/v1/synergies/{id}", "put"),
        ("/api/v1/synergies/{id}/feedback", "post"),
    ] {
        assert!(
            openapi["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    let filters = openapi["paths"]["/api/v1/synergies"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert_eq!(filters.len(), 3);
    assert!(
        filters
            .iter()
            .all(|p| p["in"] == "query" && p["required"] != true),
        "{filters:?}"
    );
    let synergy = &openapi["components"]["schemas"]["Synergy"]["properties"];
    for field in [
        "id",
        "kind",
        "score",
        "counterpart",
        "members",
        "explanation",
        "explanation_en",
        "factors",
        "status",
    ] {
        assert!(
            synergy[field].is_object(),
            "Synergy.{field} is not documented"
        );
    }
}

#[tokio::test]
async fn all_in_one_a_facilitator_carries_a_synergy_to_its_realisation() {
    a_facilitator_carries_a_synergy_to_its_realisation(&Platform::all_in_one(&[]).await).await;
}

#[tokio::test]
async fn split_a_facilitator_carries_a_synergy_to_its_realisation() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    a_facilitator_carries_a_synergy_to_its_realisation(
        &Platform::split(&servers, |_| Vec::new()).await,
    )
    .await;
}

#[tokio::test]
async fn all_in_one_not_relevant_hides_a_synergy_from_that_organisation_only() {
    not_relevant_hides_a_synergy_from_that_organisation_only(&Platform::all_in_one(&[]).await)
        .await;
}

#[tokio::test]
async fn split_not_relevant_hides_a_synergy_from_that_organisation_only() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    not_relevant_hides_a_synergy_from_that_organisation_only(
        &Platform::split(&servers, |_| Vec::new()).await,
    )
    .await;
}

#[tokio::test]
async fn all_in_one_withdrawal_removes_a_proposal_and_a_hidden_listing_is_never_shown() {
    withdrawal_removes_a_proposal_and_a_hidden_listing_is_never_shown(
        &Platform::all_in_one(&[]).await,
    )
    .await;
}

#[tokio::test]
async fn split_withdrawal_removes_a_proposal_and_a_hidden_listing_is_never_shown() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    withdrawal_removes_a_proposal_and_a_hidden_listing_is_never_shown(
        &Platform::split(&servers, |_| Vec::new()).await,
    )
    .await;
}

#[tokio::test]
async fn all_in_one_a_flow_kept_for_facilitators_is_never_shown_to_another_organisation() {
    a_flow_kept_for_facilitators_is_never_shown_to_another_organisation(
        &Platform::all_in_one(&[]).await,
    )
    .await;
}

#[tokio::test]
async fn split_a_flow_kept_for_facilitators_is_never_shown_to_another_organisation() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    a_flow_kept_for_facilitators_is_never_shown_to_another_organisation(
        &Platform::split(&servers, |_| Vec::new()).await,
    )
    .await;
}

#[tokio::test]
async fn all_in_one_three_nearby_companies_needing_the_same_input_form_a_group_that_grows() {
    three_nearby_companies_needing_the_same_input_form_a_group_that_grows(
        &Platform::all_in_one(&[]).await,
    )
    .await;
}

#[tokio::test]
async fn split_three_nearby_companies_needing_the_same_input_form_a_group_that_grows() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    three_nearby_companies_needing_the_same_input_form_a_group_that_grows(
        &Platform::split(&servers, |_| Vec::new()).await,
    )
    .await;
}

/// A flow kept for partners is read by the organisations a synergy is proposed to, and by no
/// other member.
#[tokio::test]
async fn all_in_one_a_partners_flow_is_read_by_the_organisation_it_is_proposed_to() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let t = territory(client).await;
    let flow = record_flow(client, &t.offerer, &pallets_out("partners")).await;
    let address = format!("/api/v1/flows/{flow}");
    assert_eq!(client.get(&address, &t.requester.token).await.0, 404);

    let (request, _) = client
        .publish(
            &t.requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    matches_once(client, &request, &t.requester.token, 1).await;
    let (status, read) = client.get(&address, &t.requester.token).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["label"], "Palettes Europe usagées");
    assert_eq!(client.get(&address, &t.bystander.token).await.0, 404);
    assert_eq!(client.get(&address, &t.outsider.token).await.0, 404);
}
