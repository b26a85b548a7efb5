//! RGPD: a user downloads everything the platform holds about them, then erases their account;
//! afterwards no service returns their name, their e-mail address or what they wrote.

use serde_json::json;
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;

#[tokio::test]
async fn a_user_exports_then_erases_everything_about_them() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let requester = client.create_member("dijon", "Brasserie du Lac").await;
    let offerer = client.create_member("dijon", "Cartonnerie").await;
    let (request, _) = client
        .publish(
            &requester,
            "request",
            "packaging/pallets",
            "Cherche palettes",
        )
        .await;
    let (offer, _) = client
        .publish(&offerer, "offer", "packaging/pallets", "Palettes")
        .await;
    client.wait_for_item_about(&requester, &offer).await;
    // The requester writes to the offerer, who answers.
    let (status, conversation) = client
        .post(
            &format!("/api/v1/listings/{offer}/conversations"),
            &requester.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{conversation}");
    let messages = format!(
        "/api/v1/conversations/{}/messages",
        conversation["id"].as_str().unwrap()
    );
    for (member, text) in [
        (&requester, "Bonjour, ici Léa Martin, 06 12 34 56 78."),
        (&offerer, "Bonjour, passez jeudi."),
    ] {
        let (status, posted) = client
            .post(&messages, &member.token, &json!({"text": text}))
            .await;
        assert_eq!(status, 201, "{posted}");
    }
    let (status, _) = client
        .post(
            "/api/v1/auth/password-reset",
            "",
            &json!({"tenant": "dijon", "email": requester.email}),
        )
        .await;
    assert_eq!(status, 202);
    client
        .wait_for_outgoing_mail("dijon", &requester.email, "reset-password")
        .await;

    let (status, export) = client.get("/api/v1/me/export", &requester.token).await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["user"]["email"], requester.email.as_str());
    assert_eq!(export["user"]["display_name"], "Brasserie du Lac");
    assert_eq!(export["organisation"]["name"], "Brasserie du Lac");
    assert_eq!(export["listings"][0]["id"], request.as_str());
    assert_eq!(export["inbox"][0]["listing_id"], offer.as_str());
    // The messages they wrote, and only theirs.
    let written: Vec<&str> = export["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(written, ["Bonjour, ici Léa Martin, 06 12 34 56 78."]);
    assert!(
        export["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "member")
    );

    let erase = |password: &str| {
        client
            .http
            .delete(format!("{}/api/v1/me", platform.base_url))
            .bearer_auth(&requester.token)
            .json(&json!({"password": password}))
            .send()
    };
    assert_eq!(
        erase("not my password at all")
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    assert_eq!(erase(PASSWORD).await.unwrap().status().as_u16(), 204);

    assert_eq!(
        client.login("dijon", &requester.email, PASSWORD).await.0,
        401
    );
    let (status, _) = client
        .post(
            "/api/v1/auth/refresh",
            "",
            &json!({"refresh_token": requester.refresh_token}),
        )
        .await;
    assert_eq!(status, 401, "every session ended");

    // Notifications forgets the address once it has handled the erasure event.
    let operator = client.operator_token().await;
    synergies_platform::testing::eventually(
        "the erasure to reach notifications",
        std::time::Duration::from_secs(30),
        || async {
            let (_, mails) = client
                .get("/api/v1/tenants/dijon/outgoing-mail", &operator)
                .await;
            (!mails.to_string().contains(&requester.email)).then_some(())
        },
    )
    .await;
    // The other side keeps the conversation, without what the erased user wrote.
    let thread = synergies_platform::testing::eventually(
        "the erasure to reach the listings service",
        std::time::Duration::from_secs(30),
        || async {
            let (_, thread) = client.get(&messages, &offerer.token).await;
            (thread["messages"][1]["erased"] == true).then_some(thread)
        },
    )
    .await;
    assert_eq!(thread["messages"][1]["text"], "");
    assert_eq!(thread["messages"][0]["text"], "Bonjour, passez jeudi.");
    assert!(!thread.to_string().contains("Léa Martin"), "{thread}");
    let (_, listings) = client.get("/api/v1/listings", &offerer.token).await;
    let (_, matches) = client
        .get(&format!("/api/v1/listings/{offer}/matches"), &offerer.token)
        .await;
    // The organisation stays (a firm's name is not its member's): what must go is the person,
    // their address and what they wrote. (The fixture gives the member the organisation's name
    // as display name, so the name itself is no test here.)
    for seen in [listings.to_string(), matches.to_string()] {
        assert!(
            !seen.contains(&requester.email) && !seen.contains("Léa Martin"),
            "{seen}"
        );
    }
}

#[tokio::test]
async fn an_organisation_admin_closes_the_organisation_and_its_people_keep_their_data_rights() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let colleague = client.create_member("dijon", "Imprimerie Darantière").await;
    let operator = client.operator_token().await;
    let admin_email = "direction@darantiere.fr";
    let body = json!({"organisation_id": colleague.organisation_id, "email": admin_email,
                      "display_name": "Direction", "password": PASSWORD, "roles": ["organisation_admin"]});
    let (status, created) = client
        .post("/api/v1/tenants/dijon/users", &operator, &body)
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, tokens) = client.login("dijon", admin_email, PASSWORD).await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();
    let close = |password: &str| json!({"password": password, "reason": "Cessation d'activité"});
    let (offer, _) = client
        .publish(&colleague, "offer", "packaging/pallets", "Palettes")
        .await;
    let public_offer = format!("/api/v1/tenants/dijon/listings/{offer}");
    assert_eq!(client.get(&public_offer, "").await.0, 200);

    let (status, _) = client
        .post(
            "/api/v1/organisation/close",
            &colleague.token,
            &close(PASSWORD),
        )
        .await;
    assert_eq!(status, 403, "only its administrator closes an organisation");
    let (status, wrong) = client
        .post_in(
            "fr",
            "/api/v1/organisation/close",
            &admin,
            &close("pas mon mot de passe"),
        )
        .await;
    assert_eq!(
        (status, wrong["error"]["field"].as_str()),
        (400, Some("password"))
    );
    assert_eq!(
        wrong["error"]["message"],
        "password : n'est pas votre mot de passe actuel"
    );

    let (status, closed) = client
        .post("/api/v1/organisation/close", &admin, &close(PASSWORD))
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["status_reason"], "Cessation d'activité");
    let mail = client
        .wait_for_outgoing_mail("dijon", &colleague.email, "Imprimerie Darantière")
        .await;
    assert!(
        mail.contains("a été fermée par son administrateur"),
        "{mail}"
    );
    // Its listings stop being offered.
    synergies_platform::testing::eventually(
        "the closed organisation's offer withdrawn",
        std::time::Duration::from_secs(30),
        || async { (client.get(&public_offer, "").await.0 == 404).then_some(()) },
    )
    .await;

    // Its people are members no more, but still reach their data.
    let (status, tokens) = client.login("dijon", &colleague.email, PASSWORD).await;
    assert_eq!(status, 200);
    let token = tokens["access_token"].as_str().unwrap();
    let (status, refused) = client
        .post(
            "/api/v1/listings",
            token,
            &json!({"kind": "offer", "category": "packaging/pallets", "title": "Palettes"}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, export) = client.get("/api/v1/me/export", token).await;
    assert_eq!(status, 200);
    assert_eq!(export["organisation"]["status"], "closed");
}
