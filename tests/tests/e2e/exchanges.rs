//! Conversations, reservations and exchanges through the gateway, all-in-one: two
//! organisations talk about a listing, the owner reserves, cancels and reserves again, both
//! confirm the quantity and the exchange is recorded; others cannot read the conversation.

use serde_json::{Value, json};
use synergies_tests::Platform;
use synergies_tests::api::{Client, Member};

async fn delete(client: &Client, path: &str, token: &str) -> (u16, Value) {
    let response = client
        .http
        .delete(format!("{}{path}", client.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("gateway answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

async fn offer(client: &Client, member: &Member) -> Value {
    let body = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe",
                      "quantity": 40, "unit": "piece"});
    let (status, listing) = client.create_listing("en", member, &body).await;
    assert_eq!(status, 201, "{listing}");
    listing
}

#[tokio::test]
async fn two_organisations_talk_reserve_confirm_and_record_their_exchange() {
    let platform = Platform::all_in_one(&[]).await;
    journey(&platform).await;
}

/// The same journey with one process per service, on PostgreSQL and NATS JetStream.
#[tokio::test]
async fn the_journey_is_the_same_in_the_split_layout() {
    let Some(servers) = synergies_platform::testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    journey(&platform).await;
}

async fn journey(platform: &Platform) {
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie").await;
    let taker = client.create_member("dijon", "Brasserie du lac").await;
    let listing = offer(client, &giver).await;
    let listing_id = id(&listing);
    let conversations = format!("/api/v1/listings/{listing_id}/conversations");

    // One conversation per listing and asking organisation: asking again finds it.
    let (status, conversation) = client.post(&conversations, &taker.token, &json!({})).await;
    assert_eq!(status, 201, "{conversation}");
    assert_eq!(conversation["listing_title"], "40 palettes Europe");
    assert_eq!(
        conversation["asking_organisation_id"],
        taker.organisation_id.as_str()
    );
    let (status, again) = client.post(&conversations, &taker.token, &json!({})).await;
    assert_eq!(
        (status, again["id"].clone()),
        (200, conversation["id"].clone())
    );
    // Not with oneself.
    let (status, refused) = client.post(&conversations, &giver.token, &json!({})).await;
    assert_eq!(status, 422, "{refused}");

    let conversation_id = id(&conversation);
    let messages = format!("/api/v1/conversations/{conversation_id}/messages");
    let (status, hello) = client
        .post(
            &messages,
            &taker.token,
            &json!({"text": "Bonjour, les palettes sont-elles disponibles ?"}),
        )
        .await;
    assert_eq!(status, 201, "{hello}");
    // The listing's owner is told, in their inbox.
    let items = client.wait_for_item_about(&giver, listing_id).await;
    assert!(
        items
            .iter()
            .any(|item| item["kind"] == "conversation.message_posted"),
        "{items:?}"
    );
    let (status, reply) = client
        .post(
            &messages,
            &giver.token,
            &json!({"text": "Oui, passez jeudi."}),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(
        reply["author_organisation_id"],
        giver.organisation_id.as_str()
    );
    for text in [" ".to_owned(), "x".repeat(4001)] {
        let (status, refused) = client
            .post_in("fr", &messages, &taker.token, &json!({"text": text}))
            .await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (400, Some("text")),
            "{refused}"
        );
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("text :"),
            "{refused}"
        );
    }

    // Both sides read, newest first, page by page.
    let (status, page) = client
        .get(&format!("{messages}?page_size=1"), &giver.token)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["messages"][0]["text"], "Oui, passez jeudi.");
    let token = page["next_page_token"].as_str().unwrap();
    let (_, rest) = client
        .get(
            &format!("{messages}?page_size=1&page_token={token}"),
            &taker.token,
        )
        .await;
    assert_eq!(rest["messages"][0]["id"], hello["id"]);
    assert_eq!(rest["next_page_token"], "");
    for member in [&giver, &taker] {
        let (status, mine) = client.get("/api/v1/conversations", &member.token).await;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["conversations"][0]["id"], conversation["id"]);
        assert_eq!(
            mine["conversations"][0]["last_message"]["text"],
            "Oui, passez jeudi."
        );
    }

    // Only the listing's organisation reserves, and only for one of its conversations.
    let reservation = format!("/api/v1/listings/{listing_id}/reservation");
    let reserve = json!({"conversation_id": conversation_id});
    assert_eq!(
        client.post(&reservation, &taker.token, &reserve).await.0,
        403
    );
    let (status, refused) = client
        .post(
            &reservation,
            &giver.token,
            &json!({"conversation_id": "nope"}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("conversation_id"))
    );
    let (status, reserved) = client.post(&reservation, &giver.token, &reserve).await;
    assert_eq!(status, 200, "{reserved}");
    assert_eq!(reserved["listing"]["status"], "reserved");
    assert_eq!(
        reserved["reservation"]["counterpart_organisation_id"],
        taker.organisation_id.as_str()
    );
    assert_eq!(
        client.post(&reservation, &giver.token, &reserve).await.0,
        422
    );
    // Visitors see published listings only: reserved, it leaves the public address.
    let public_address = format!("/api/v1/tenants/dijon/listings/{listing_id}");
    assert_eq!(client.get(&public_address, "").await.0, 404);
    // The member who asked is told, in their inbox.
    let told = client
        .wait_for_item(&taker, listing_id, "listing.reserved")
        .await;
    assert_eq!(
        (&told["title"], &told["title_en"]),
        (
            &json!("L'annonce « 40 palettes Europe » est réservée pour vous"),
            &json!("The listing “40 palettes Europe” is reserved for you")
        )
    );

    // Cancelled: on offer again, and the member who asked is told; then reserved again.
    let (status, cancelled) = delete(client, &reservation, &giver.token).await;
    assert_eq!(
        (status, cancelled["listing"]["status"].as_str()),
        (200, Some("published")),
        "{cancelled}"
    );
    let (_, public) = client
        .get(&format!("/api/v1/tenants/dijon/listings/{listing_id}"), "")
        .await;
    assert_eq!(public["status"], "published");
    assert_eq!(delete(client, &reservation, &giver.token).await.0, 422);
    client
        .wait_for_item(&taker, listing_id, "listing.reservation_cancelled")
        .await;
    let (status, reserved) = client.post(&reservation, &giver.token, &reserve).await;
    assert_eq!(
        (status, reserved["listing"]["status"].as_str()),
        (200, Some("reserved"))
    );

    // Both confirm; different quantities are said clearly and complete nothing.
    let confirmation = format!("/api/v1/listings/{listing_id}/confirmation");
    let (status, refused) = client
        .post(
            &confirmation,
            &taker.token,
            &json!({"quantity": "quarante"}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("quantity"))
    );
    let (status, refused) = client
        .post(
            &confirmation,
            &taker.token,
            &json!({"quantity": 40, "unit": "barrel"}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("unit"))
    );
    let (status, refused) = client
        .post(
            &confirmation,
            &taker.token,
            &json!({"quantity": 40, "unit": "kg", "kg_per_unit": 2}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("kg_per_unit"))
    );
    let (status, first) = client
        .post(&confirmation, &giver.token, &json!({"quantity": 40}))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["reservation"]["owner_confirmation"]["quantity"], "40");
    assert!(first.get("notice").is_none(), "{first}");
    let (status, differ) = client
        .post_in(
            "fr",
            &confirmation,
            &taker.token,
            &json!({"quantity": "38"}),
        )
        .await;
    assert_eq!(status, 200, "{differ}");
    assert_eq!(differ["listing"]["status"], "reserved");
    let notice = differ["notice"].as_str().unwrap();
    assert!(
        notice.contains("quantités différentes") && notice.contains("38 piece"),
        "{notice}"
    );
    let (status, done) = client
        .post(
            &confirmation,
            &taker.token,
            &json!({"quantity": 40, "kg_per_unit": "20"}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["listing"]["status"], "completed");
    // Both members who confirmed are told the exchange is on record.
    for member in [&giver, &taker] {
        let told = client
            .wait_for_item(member, listing_id, "exchange.completed")
            .await;
        assert!(
            told["body"].as_str().unwrap().contains("40 pièce(s)"),
            "{told}"
        );
    }
    let exchange = &done["exchange"];
    assert_eq!(
        exchange["giver_organisation_id"],
        giver.organisation_id.as_str()
    );
    assert_eq!(
        exchange["receiver_organisation_id"],
        taker.organisation_id.as_str()
    );
    assert_eq!(
        (exchange["quantity"].as_str(), exchange["unit"].as_str()),
        (Some("40"), Some("piece"))
    );
    assert_eq!(exchange["exchange_mode"], "give");
    // Nothing left to confirm; both see the record.
    assert_eq!(
        client
            .post(&confirmation, &giver.token, &json!({"quantity": 40}))
            .await
            .0,
        422
    );
    for member in [&giver, &taker] {
        let (status, record) = client.get("/api/v1/exchanges", &member.token).await;
        assert_eq!(status, 200, "{record}");
        assert_eq!(record["exchanges"][0]["id"], exchange["id"]);
        let (_, state) = client.get(&reservation, &member.token).await;
        assert_eq!(state["exchange"]["id"], exchange["id"]);
    }
    let (_, listing) = client
        .get(&format!("/api/v1/listings/{listing_id}"), &giver.token)
        .await;
    assert_eq!(listing["status"], "completed");
    // A completed listing is no longer open to conversations.
    let (status, refused) = client.post(&conversations, &taker.token, &json!({})).await;
    assert_eq!(status, 422, "{refused}");

    // Impact: 40 pallets the members weighed at 20 kg each (instead of the EUR-pallet's 25 kg);
    // wooden packaging avoids 0.7 kg CO2e per kg (ADEME Base Carbone 20665). Given without a
    // price, the pallets are estimated at their second-hand reference value, 10 EUR each.
    assert_eq!(exchange["kg_diverted"], 800.0);
    assert_eq!(exchange["co2e_kg"], 560.0);
    assert_eq!(
        (&exchange["value_cents"], &exchange["value_estimated"]),
        (&json!(40_000), &json!(true))
    );
    let (status, impact) = client.get("/api/v1/impact", &taker.token).await;
    assert_eq!(status, 200, "{impact}");
    assert_eq!(impact["months"][0]["exchanges"], 1);
    assert_eq!(impact["months"][0]["kg_diverted"], 800.0);
    assert_eq!(
        client
            .get("/api/v1/impact?scope=tenant", &taker.token)
            .await
            .0,
        403
    );
    let (status, refused) = client.get("/api/v1/impact?scope=world", &taker.token).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("scope"))
    );
    let facilitator = client.create_facilitator("dijon").await;
    let (status, tenant) = client
        .get("/api/v1/impact?scope=tenant", &facilitator)
        .await;
    assert_eq!(
        (status, tenant["months"][0]["exchanges"].as_i64()),
        (200, Some(1))
    );
    let csv = client
        .http
        .get(format!("{}/api/v1/impact/export.csv", client.base_url))
        .bearer_auth(&facilitator)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("month,exchanges,kg_diverted"), "{csv}");
    assert!(rows[1].ends_with(",1,800.000,560.000,400.00"), "{csv}");
    let (status, summary) = client.get("/api/v1/tenants/dijon/impact", "").await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (
            summary["exchanges_completed"].as_i64(),
            summary["tonnes_diverted"].as_f64(),
            summary["listings_online"].as_i64(),
            summary["members"].as_u64()
        ),
        // Members: the two organisations and the facilitator's.
        (Some(1), Some(0.8), Some(0), Some(3))
    );
    assert_eq!(
        client.get("/api/v1/tenants/nowhere/impact", "").await.0,
        404
    );
    let (_, openapi) = client.get("/api/v1/openapi.json", "").await;
    for path in [
        "/api/v1/listings/{id}/conversations",
        "/api/v1/conversations",
        "/api/v1/conversations/{id}/messages",
        "/api/v1/listings/{id}/reservation",
        "/api/v1/listings/{id}/confirmation",
        "/api/v1/exchanges",
        "/api/v1/impact",
        "/api/v1/impact/export.csv",
        "/api/v1/tenants/{tenant}/impact",
    ] {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} is not documented"
        );
    }
}

#[tokio::test]
async fn the_member_who_asked_is_told_when_a_reserved_listing_is_withdrawn_or_hidden() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let giver = client.create_member("dijon", "Cartonnerie").await;
    let taker = client.create_member("dijon", "Brasserie du lac").await;
    let facilitator = client.create_facilitator("dijon").await;
    for (ends, by, expected) in [
        (
            "withdraw",
            &giver.token,
            "L'organisation qui l'a publiée a retiré l'annonce.",
        ),
        (
            "hide",
            &facilitator,
            "Un animateur du territoire a masqué l'annonce.",
        ),
    ] {
        let listing = offer(client, &giver).await;
        let listing_id = id(&listing);
        reserved_for(client, listing_id, &giver, &taker).await;
        let (status, ended) = client
            .post(
                &format!("/api/v1/listings/{listing_id}/{ends}"),
                by,
                &json!({"reason": "Annonce en double"}),
            )
            .await;
        assert_eq!(status, 200, "{ended}");
        let told = client
            .wait_for_item(&taker, listing_id, "listing.reservation_cancelled")
            .await;
        assert_eq!(told["body"], expected, "{told}");
    }
}

/// `taker` asks about `owner`'s listing, which `owner` reserves for them.
async fn reserved_for(client: &Client, listing_id: &str, owner: &Member, taker: &Member) {
    let (status, conversation) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/conversations"),
            &taker.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{conversation}");
    let (status, reserved) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/reservation"),
            &owner.token,
            &json!({"conversation_id": conversation["id"]}),
        )
        .await;
    assert_eq!(status, 200, "{reserved}");
}

#[tokio::test]
async fn other_organisations_and_territories_cannot_read_a_conversation() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    client.create_tenant("beaune").await;
    let giver = client.create_member("dijon", "Cartonnerie").await;
    let taker = client.create_member("dijon", "Brasserie du lac").await;
    let third = client.create_member("dijon", "Menuiserie").await;
    let foreign = client.create_member("beaune", "Domaine").await;
    let listing = offer(client, &giver).await;
    let listing_id = id(&listing);
    let (_, conversation) = client
        .post(
            &format!("/api/v1/listings/{listing_id}/conversations"),
            &taker.token,
            &json!({}),
        )
        .await;
    let conversation_id = id(&conversation);
    let messages = format!("/api/v1/conversations/{conversation_id}/messages");
    client
        .post(&messages, &taker.token, &json!({"text": "Bonjour"}))
        .await;

    // Another organisation of the territory: refused, and told so in French when asked.
    let (status, refused) = client
        .get(
            &format!("/api/v1/conversations/{conversation_id}"),
            &third.token,
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(client.get(&messages, &third.token).await.0, 403);
    let (status, refused) = client
        .post_in("fr", &messages, &third.token, &json!({"text": "Moi aussi"}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        refused["error"]["message"],
        "cela appartient à une autre organisation"
    );
    let (_, mine) = client.get("/api/v1/conversations", &third.token).await;
    assert_eq!(mine["conversations"], json!([]));
    assert_eq!(
        client
            .post(
                &format!("/api/v1/listings/{listing_id}/confirmation"),
                &third.token,
                &json!({"quantity": 1})
            )
            .await
            .0,
        403
    );

    // Another territory: nothing exists.
    assert_eq!(
        client
            .get(
                &format!("/api/v1/conversations/{conversation_id}"),
                &foreign.token
            )
            .await
            .0,
        404
    );
    assert_eq!(client.get(&messages, &foreign.token).await.0, 404);
    assert_eq!(
        client
            .post(
                &format!("/api/v1/listings/{listing_id}/conversations"),
                &foreign.token,
                &json!({})
            )
            .await
            .0,
        404
    );
    assert_eq!(
        client
            .get(
                &format!("/api/v1/listings/{listing_id}/reservation"),
                &foreign.token
            )
            .await
            .0,
        404
    );
    let (status, refused) = client
        .get("/api/v1/conversations/not-a-uuid", &taker.token)
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("conversation_id"))
    );
    let (status, refused) = client
        .get(&format!("{messages}?page_size=101"), &taker.token)
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("page_size"))
    );
    let (status, refused) = client
        .post(
            "/api/v1/listings/not-a-uuid/conversations",
            &taker.token,
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("listing_id"))
    );

    // A listing that states no quantity: confirming needs a unit.
    let (_, skill) = client
        .create_listing(
            "en",
            &giver,
            &json!({"kind": "offer", "category": "skills/maintenance", "title": "Réparation de chariots"}),
        )
        .await;
    let skill_id = id(&skill);
    reserved_for(client, skill_id, &giver, &taker).await;
    let confirmation = format!("/api/v1/listings/{skill_id}/confirmation");
    let (status, refused) = client
        .post_in("fr", &confirmation, &taker.token, &json!({"quantity": 3}))
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("unit"))
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("obligatoire"),
        "{refused}"
    );
    let (status, confirmed) = client
        .post(
            &confirmation,
            &taker.token,
            &json!({"quantity": 3, "unit": "h"}),
        )
        .await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(
        confirmed["reservation"]["counterpart_confirmation"]["unit"],
        "h"
    );
}
