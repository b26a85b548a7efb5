//! Signing in, sessions and tokens, through the gateway as a client would — and services that
//! refuse any call without a valid access token, whatever else the call claims.

use serde_json::{Value, json};
use synergies_platform::testing;
use synergies_tests::Platform;
use synergies_tests::api::PASSWORD;

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Cartonnerie").await;

    let (status, wrong_password) = client
        .login("dijon", &member.email, "not the password at all")
        .await;
    assert_eq!(status, 401);
    let (status, unknown) = client.login("dijon", "nobody@example.fr", PASSWORD).await;
    assert_eq!(status, 401);
    assert_eq!(
        wrong_password, unknown,
        "the answers must not tell which e-mails exist"
    );
    // The right password in another tenant is no sign-in either.
    client.create_tenant("beaune").await;
    let (status, _) = client.login("beaune", &member.email, PASSWORD).await;
    assert_eq!(status, 401);
    let (status, me) = client.get("/api/v1/me", &member.token).await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some(member.email.as_str()))
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_replayed_one_ends_the_session() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Brasserie").await;

    let refresh = |token: &str| json!({"refresh_token": token});
    let (status, renewed) = client
        .post("/api/v1/auth/refresh", "", &refresh(&member.refresh_token))
        .await;
    assert_eq!(status, 200, "{renewed}");
    let next = renewed["refresh_token"].as_str().unwrap().to_owned();
    let (status, _) = client
        .get("/api/v1/inbox", renewed["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200);

    // The first token again: someone replayed it. The session ends, its newest token too.
    let (status, replay) = client
        .post("/api/v1/auth/refresh", "", &refresh(&member.refresh_token))
        .await;
    assert_eq!(status, 401, "{replay}");
    let (status, _) = client
        .post("/api/v1/auth/refresh", "", &refresh(&next))
        .await;
    assert_eq!(status, 401);

    // Logging out ends a session the same way.
    let (_, tokens) = client.login("dijon", &member.email, PASSWORD).await;
    let token = tokens["refresh_token"].as_str().unwrap();
    let logout = client
        .http
        .post(format!("{}/api/v1/auth/logout", platform.base_url))
        .json(&refresh(token))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status().as_u16(), 204);
    let (status, _) = client
        .post("/api/v1/auth/refresh", "", &refresh(token))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn forged_and_operator_misuse_are_refused() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Cartonnerie").await;

    let jwks: Value = client
        .http
        .get(format!("{}/.well-known/jwks.json", platform.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["crv"].as_str(),
            key["alg"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );

    // A token signed by someone else's key, claiming the operator role.
    let foreign = synergies_platform::auth::SigningKey::generate();
    let claims = synergies_platform::auth::Claims::new(
        "operator".into(),
        String::new(),
        None,
        vec![synergies_platform::auth::Role::PlatformOperator],
    );
    let forged = foreign.sign(&claims);
    let (status, _) = client
        .post(
            "/api/v1/tenants",
            &forged,
            &json!({"slug": "evil", "display_name": "x"}),
        )
        .await;
    assert_eq!(status, 401);
    // A member is not the operator.
    let (status, _) = client
        .post(
            "/api/v1/tenants",
            &member.token,
            &json!({"slug": "evil", "display_name": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    // The operator is not a member.
    let operator = client.operator_token().await;
    let (status, _) = client.get("/api/v1/inbox", &operator).await;
    assert_eq!(status, 403);
    let (status, _) = client
        .post(
            "/api/v1/auth/operator",
            "",
            &json!({"operator_token": "guess"}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, body) = client
        .post("/api/v1/tenants/dijon/users", &operator, &json!({
            "organisation_id": member.organisation_id, "email": "weak@example.fr", "display_name": "Weak", "password": "password1234"
        }))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("password")),
        "{body}"
    );
}

#[tokio::test]
async fn split_services_refuse_calls_without_a_valid_access_token() {
    use synergies_proto::listings::v1 as pb;
    let Some(servers) = testing::servers().await else {
        return;
    };
    let platform = Platform::split(&servers, |_| Vec::new()).await;
    let url = platform.service_url("listings").unwrap();
    let mut listings = pb::listings_service_client::ListingsServiceClient::connect(url)
        .await
        .unwrap();

    // Claiming a tenant in metadata, with no token: refused.
    let mut anonymous = tonic::Request::new(pb::ListListingsRequest::default());
    anonymous
        .metadata_mut()
        .insert("x-synergies-tenant", "dijon".parse().unwrap());
    let status = listings.list_listings(anonymous).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    // A well-formed token signed by a key identity never published: refused.
    let foreign = synergies_platform::auth::SigningKey::generate();
    let claims = synergies_platform::auth::Claims::new(
        uuid::Uuid::now_v7().to_string(),
        "dijon".into(),
        Some(uuid::Uuid::now_v7().to_string()),
        vec![synergies_platform::auth::Role::Member],
    );
    let mut forged = tonic::Request::new(pb::ListListingsRequest::default());
    forged.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", foreign.sign(&claims)).parse().unwrap(),
    );
    let status = listings.list_listings(forged).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    // A real member's token works directly against the service too.
    platform.client.create_tenant("dijon").await;
    let member = platform.client.create_member("dijon", "Cartonnerie").await;
    let mut signed = tonic::Request::new(pb::ListListingsRequest::default());
    signed.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", member.token).parse().unwrap(),
    );
    assert!(listings.list_listings(signed).await.is_ok());
}

/// Signs in from `client`, as stated by the trusted proxy in front of the gateway.
async fn login_from(
    platform: &Platform,
    client: &str,
    email: &str,
    password: &str,
) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", platform.base_url))
        .header("x-forwarded-for", client)
        .json(&json!({"tenant": "dijon", "email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, response.json().await.unwrap())
}

/// Wrong passwords slow down the client that sends them, with growing delays, and never lock
/// the owner out: from their own client, the right password still signs in. Behind the
/// configured proxy (here the tests' 127.0.0.1), the client is the one `X-Forwarded-For` names.
#[tokio::test]
async fn repeated_failures_slow_down_their_client_but_never_lock_the_owner_out() {
    let platform =
        Platform::all_in_one(&[("SYNERGIES_GATEWAY__TRUSTED_PROXIES", "127.0.0.1")]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let target = client.create_member("dijon", "Cartonnerie").await;
    let guesser = "203.0.113.7";
    for _ in 0..5 {
        let (status, _, answer) =
            login_from(&platform, guesser, &target.email, "wrong password, again").await;
        assert_eq!(status, 401, "{answer}");
    }
    // The guesser waits now, even with the right password, and is told how long.
    let (status, retry_after, throttled) =
        login_from(&platform, guesser, &target.email, PASSWORD).await;
    assert_eq!(status, 429, "{throttled}");
    let seconds: u64 = retry_after
        .expect("a 429 says when to retry")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    let message = throttled["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("try again in {seconds} seconds"))
            || message.contains("try again in 1 minute"),
        "{message}"
    );
    // The owner, from their own client, signs in: nobody can lock somebody else out.
    let (status, _, owner) = login_from(&platform, "198.51.100.9", &target.email, PASSWORD).await;
    assert_eq!(status, 200, "{owner}");
    // The same answer for an account that does not exist: nothing tells them apart.
    for _ in 0..5 {
        login_from(
            &platform,
            guesser,
            "ghost@example.fr",
            "wrong password, again",
        )
        .await;
    }
    let (status, _, ghost) = login_from(&platform, guesser, "ghost@example.fr", PASSWORD).await;
    assert_eq!(
        (status, &ghost["error"]["message"]),
        (429, &throttled["error"]["message"])
    );
    // In French too.
    let french = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", platform.base_url))
        .header("x-forwarded-for", guesser)
        .header("accept-language", "fr")
        .json(&json!({"tenant": "dijon", "email": target.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(french.status(), 429);
    assert!(french.headers().contains_key("retry-after"));
    let french: Value = french.json().await.unwrap();
    assert!(
        french["error"]["message"]
            .as_str()
            .unwrap()
            .contains("réessayez dans "),
        "{french}"
    );
}

/// Without a configured proxy, `X-Forwarded-For` is anyone's claim and is ignored: a guesser
/// cannot escape the throttle by naming a new address with each guess.
#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_does_not_escape_the_throttle() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let target = client.create_member("dijon", "Cartonnerie").await;
    for n in 0..5 {
        let claimed = format!("203.0.113.{n}");
        let (status, _, _) =
            login_from(&platform, &claimed, &target.email, "wrong password, again").await;
        assert_eq!(status, 401);
    }
    let (status, retry_after, answer) =
        login_from(&platform, "198.51.100.200", &target.email, PASSWORD).await;
    assert_eq!((status, retry_after.is_some()), (429, true), "{answer}");
    // The sign-in page, from the same client, shows the wait and says it in `Retry-After` too.
    let (cookies, csrf) = client.browser_cookies("dijon", "").await;
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/dijon/connexion", platform.base_url))
        .header("cookie", cookies)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", target.email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 429);
    let seconds: u64 = page.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    let html = page.text().await.unwrap();
    assert!(html.contains("réessayez dans"), "{html}");
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_an_e_mailed_link_that_ends_every_session() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Cartonnerie").await;

    let reset = |email: &str| json!({"tenant": "dijon", "email": email});
    let (status, _) = client
        .post(
            "/api/v1/auth/password-reset",
            "",
            &reset("nobody@example.fr"),
        )
        .await;
    assert_eq!(status, 202, "the same answer for unknown addresses");
    let (status, _) = client
        .post("/api/v1/auth/password-reset", "", &reset(&member.email))
        .await;
    assert_eq!(status, 202);
    let mail = client
        .wait_for_outgoing_mail("dijon", &member.email, "reset-password")
        .await;
    assert!(mail.contains("/reset-password?token="), "{mail}");
    let token = synergies_tests::api::token_in(&mail);

    let confirm = |password: &str| json!({"token": token, "new_password": password});
    let (status, weak) = client
        .post(
            "/api/v1/auth/password-reset/confirm",
            "",
            &confirm("password1234"),
        )
        .await;
    assert_eq!(
        (status, weak["error"]["field"].as_str()),
        (400, Some("new_password")),
        "{weak}"
    );
    let new_password = "un nouveau mot de passe solide";
    let (status, _) = client
        .post(
            "/api/v1/auth/password-reset/confirm",
            "",
            &confirm(new_password),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = client
        .post(
            "/api/v1/auth/password-reset/confirm",
            "",
            &confirm(new_password),
        )
        .await;
    assert_eq!(status, 404, "a link works once");

    assert_eq!(client.login("dijon", &member.email, PASSWORD).await.0, 401);
    assert_eq!(
        client.login("dijon", &member.email, new_password).await.0,
        200
    );
    let (status, _) = client
        .post(
            "/api/v1/auth/refresh",
            "",
            &json!({"refresh_token": member.refresh_token}),
        )
        .await;
    assert_eq!(status, 401, "sessions opened before the reset are over");
}

#[tokio::test]
async fn a_signed_in_user_changes_their_password_by_proving_the_current_one() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Cartonnerie").await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let (status, wrong) = client
        .post(
            "/api/v1/me/password",
            &member.token,
            &change("not it at all", "encore un autre mot de passe"),
        )
        .await;
    assert_eq!(
        (status, wrong["error"]["field"].as_str()),
        (400, Some("current_password")),
        "{wrong}"
    );
    let (status, weak) = client
        .post(
            "/api/v1/me/password",
            &member.token,
            &change(PASSWORD, "short"),
        )
        .await;
    assert_eq!(
        (status, weak["error"]["field"].as_str()),
        (400, Some("new_password")),
        "{weak}"
    );
    let response = client
        .http
        .post(format!("{}/api/v1/me/password", platform.base_url))
        .bearer_auth(&member.token)
        .json(&change(PASSWORD, "encore un autre mot de passe"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        client
            .login("dijon", &member.email, "encore un autre mot de passe")
            .await
            .0,
        200
    );
}

/// A browser's cookie jar, kept by hand so the test sees every `Set-Cookie` line.
#[derive(Default)]
struct CookieJar(std::collections::BTreeMap<String, String>);

impl CookieJar {
    fn absorb(&mut self, response: &reqwest::Response) {
        for line in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let line = line.to_str().unwrap();
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[tokio::test]
async fn a_browser_session_lives_in_http_only_cookies_and_needs_the_csrf_token_to_change_anything()
{
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Menuiserie").await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", platform.base_url);
    let mut jar = CookieJar::default();

    let response = http
        .post(url("/api/v1/auth/session"))
        .json(&json!({"tenant": "dijon", "email": member.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let set_cookies: Vec<String> = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    jar.absorb(&response);
    let session: Value = response.json().await.unwrap();
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();
    assert!(
        session.get("access_token").is_none(),
        "scripts never see the tokens"
    );
    for line in &set_cookies {
        assert!(line.starts_with("__Host-synergies-"), "{line}");
        assert!(
            line.contains("Secure") && line.contains("SameSite=Lax"),
            "{line}"
        );
        assert_eq!(
            line.contains("HttpOnly"),
            !line.starts_with("__Host-synergies-csrf="),
            "{line}"
        );
    }

    // Reading needs the cookie only.
    let me = http
        .get(url("/api/v1/me"))
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["email"], member.email);

    // Changing something without the CSRF token is refused — what a forged form would do.
    let change = json!({"current_password": "not my password at all", "new_password": "un tout nouveau mot de passe"});
    let forged = http
        .post(url("/api/v1/me/password"))
        .header("cookie", jar.header())
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        forged.json::<Value>().await.unwrap()["error"]["code"],
        "csrf_failed"
    );
    let genuine = http
        .post(url("/api/v1/me/password"))
        .header("cookie", jar.header())
        .header("x-csrf-token", &csrf)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(
        genuine.status(),
        400,
        "past the CSRF check, the wrong current password is what is refused"
    );

    // Renewal rotates the refresh cookie; the CSRF token stays.
    let old_jar = jar.header();
    let refresh = |cookies: String, csrf: Option<&str>| {
        let mut request = http
            .post(url("/api/v1/auth/session/refresh"))
            .header("cookie", cookies);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        request.send()
    };
    assert_eq!(refresh(jar.header(), None).await.unwrap().status(), 403);
    let renewed = refresh(jar.header(), Some(&csrf)).await.unwrap();
    assert_eq!(renewed.status(), 204);
    jar.absorb(&renewed);
    assert_ne!(jar.header(), old_jar);
    assert!(
        jar.header()
            .contains(&format!("__Host-synergies-csrf={csrf}"))
    );

    // Signing out expires the cookies and revokes the refresh token.
    let cookies_before_logout = jar.header();
    let out = http
        .delete(url("/api/v1/auth/session"))
        .header("cookie", jar.header())
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    jar.absorb(&out);
    assert!(jar.0.is_empty(), "every cookie expired: {:?}", jar.0);
    let replay = refresh(cookies_before_logout, Some(&csrf)).await.unwrap();
    assert_eq!(replay.status(), 401);
}

/// A browser signed in as `member`: a client that does not follow redirects, its cookies and
/// the session's CSRF token.
async fn browser_session(
    platform: &Platform,
    member: &synergies_tests::api::Member,
) -> (reqwest::Client, CookieJar, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jar = CookieJar::default();
    let signed_in = http
        .post(format!("{}/api/v1/auth/session", platform.base_url))
        .json(&json!({"tenant": "dijon", "email": member.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    jar.absorb(&signed_in);
    let csrf = signed_in.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    (http, jar, csrf)
}

/// A CSRF token is its session's: one taken from another session is refused — even when it is
/// planted in this browser's CSRF cookie too, which double-submit alone would have accepted.
#[tokio::test]
async fn a_csrf_token_from_another_session_is_refused() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Menuiserie").await;
    let (http, victim, victim_csrf) = browser_session(&platform, &member).await;
    let (_, _, attacker_csrf) = browser_session(&platform, &member).await;
    assert_ne!(victim_csrf, attacker_csrf);
    let change = json!({"current_password": "not my password at all", "new_password": "un tout nouveau mot de passe"});
    let send = |cookies: String, token: String| {
        http.post(format!("{}/api/v1/me/password", platform.base_url))
            .header("cookie", cookies)
            .header("x-csrf-token", token)
            .json(&change)
            .send()
    };
    let mut planted = CookieJar(victim.0.clone());
    planted
        .0
        .insert("__Host-synergies-csrf".into(), attacker_csrf.clone());
    let refused = send(planted.header(), attacker_csrf).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"]["code"],
        "csrf_failed"
    );
    let genuine = send(victim.header(), victim_csrf).await.unwrap();
    assert_eq!(
        genuine.status(),
        400,
        "with its own session's token, the wrong current password is what is refused"
    );
}

/// A form field and its value.
type Field = (&'static str, &'static str);

/// Creating forms carry an `Idempotency-Key` of their own: sent twice (a double click, a
/// browser that retries), the publishing form publishes one listing, the flow form records
/// one flow and a conversation's form posts one message.
#[tokio::test]
async fn a_creating_form_sent_twice_creates_one_thing() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Menuiserie").await;
    let (http, jar, csrf) = browser_session(&platform, &member).await;
    let url = |path: &str| format!("{}{path}", platform.base_url);

    // The form's page, what is typed in it, where the API lists what it created, and the
    // list's field.
    let giver = client.create_member("dijon", "Cartonnerie").await;
    let (offer, _) = client
        .publish(&giver, "offer", "packaging/cardboard", "Cartons")
        .await;
    let (status, conversation) = client
        .post(
            &format!("/api/v1/listings/{offer}/conversations"),
            &member.token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{conversation}");
    let conversation = conversation["id"].as_str().unwrap().to_owned();
    let thread = format!("/dijon/conversations/{conversation}");
    let messages = format!("/api/v1/conversations/{conversation}/messages");
    let forms: [(&str, &[Field], &str, &str); 3] = [
        (
            &thread,
            &[
                ("action", "message"),
                ("text", "Bonjour, sont-ils disponibles ?"),
            ],
            &messages,
            "messages",
        ),
        (
            "/dijon/annonces/nouvelle",
            &[
                ("kind", "offer"),
                ("category", "packaging/pallets"),
                ("title", "40 palettes Europe"),
            ],
            "/api/v1/listings?mine=true",
            "listings",
        ),
        (
            "/dijon/flux/nouveau",
            &[
                ("direction", "out"),
                ("resource_class", "material"),
                ("label", "Chutes de chêne"),
                ("quantity", "2"),
                ("unit", "t"),
                ("period", "month"),
            ],
            "/api/v1/flows",
            "flows",
        ),
    ];
    for (page, fields, listed, collection) in forms {
        let form = http
            .get(url(page))
            .header("cookie", jar.header())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let key = form
            .split("name=\"idempotency_key\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{page} carries an idempotency key"))
            .to_owned();
        let mut body = vec![
            ("csrf_token", csrf.as_str()),
            ("idempotency_key", key.as_str()),
        ];
        body.extend_from_slice(fields);
        for _ in 0..2 {
            let sent = http
                .post(url(page))
                .header("cookie", jar.header())
                .form(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(sent.status(), 303, "{page}: {:?}", sent.text().await);
        }
        let (_, mine) = client.get(listed, &member.token).await;
        assert_eq!(mine[collection].as_array().unwrap().len(), 1, "{mine}");
    }
}

/// A signed-in member gets the edit form of their organisation's listing, not another's.
#[tokio::test]
async fn only_the_listings_organisation_gets_its_edit_form() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let owner = client.create_member("dijon", "Menuiserie").await;
    let other = client.create_member("dijon", "Brasserie").await;
    let (listing, _) = client
        .publish(&owner, "offer", "packaging/pallets", "40 palettes Europe")
        .await;
    for (member, expected) in [(&owner, 200), (&other, 403)] {
        let (http, jar, _) = browser_session(&platform, member).await;
        let form = http
            .get(format!(
                "{}/dijon/annonces/{listing}/modifier",
                platform.base_url
            ))
            .header("cookie", jar.header())
            .send()
            .await
            .unwrap();
        let status = form.status().as_u16();
        let page = form.text().await.unwrap();
        assert_eq!(status, expected, "{page}");
        assert_eq!(
            page.contains("40 palettes Europe"),
            expected == 200,
            "the form shows the listing to its organisation only"
        );
    }
}

/// A form shown again with its error answers with the refusal's status, not 200.
#[tokio::test]
async fn a_refused_form_answers_with_the_refusals_status() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client.create_member("dijon", "Menuiserie").await;
    let (http, jar, csrf) = browser_session(&platform, &member).await;
    let refused = http
        .post(format!("{}/dijon/annonces/nouvelle", platform.base_url))
        .header("cookie", jar.header())
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("kind", "offer"),
            ("category", "packaging/pallets"),
            ("title", ""),
        ])
        .send()
        .await
        .unwrap();
    let status = refused.status().as_u16();
    let page = refused.text().await.unwrap();
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("id=\"form-error\""), "{page}");
}

/// Guessing the operator's secret is throttled per address, and a wrong secret is called so.
#[tokio::test]
async fn guessing_the_operators_secret_is_throttled() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    let guess = json!({"operator_token": "not the secret"});
    let (status, refused) = client.post("/api/v1/auth/operator", "", &guess).await;
    assert_eq!(status, 401, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("operator's secret"),
        "{refused}"
    );
    let mut throttled = None;
    for attempt in 2..=40 {
        let (status, answer) = client.post("/api/v1/auth/operator", "", &guess).await;
        if status == 429 {
            throttled = Some((attempt, answer));
            break;
        }
        assert_eq!(status, 401, "{answer}");
    }
    let (attempt, answer) = throttled.expect("guesses are throttled");
    let raw = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/operator", platform.base_url))
        .json(&guess)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 429);
    assert!(
        raw.headers().contains_key("retry-after"),
        "every 429 says when to retry"
    );
    assert!(
        attempt > 5,
        "an operator who mistypes is not locked out at once"
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again"),
        "{answer}"
    );
}
