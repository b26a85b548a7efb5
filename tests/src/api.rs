//! A small client of the gateway's JSON API, as a member or the operator would use it.

use std::time::Duration;

use serde_json::{Value, json};

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base_url: String,
    operator: std::sync::Arc<tokio::sync::OnceCell<String>>,
}

/// A member of an organisation, signed in.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: String,
    pub organisation_id: String,
    pub email: String,
    /// Access token.
    pub token: String,
    pub refresh_token: String,
}

/// Every test member's password.
pub const PASSWORD: &str = "la brasserie du lac recycle";

impl Client {
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("HTTP client");
        Self {
            http,
            base_url: base_url.to_owned(),
            operator: std::sync::Arc::default(),
        }
    }

    /// POST with a bearer token (none when `token` is empty).
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.post_in("", path, token, body).await
    }

    /// POST asking for answers in `language` (`Accept-Language`; none when empty).
    pub async fn post_in(
        &self,
        language: &str,
        path: &str,
        token: &str,
        body: &Value,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(body);
        if !language.is_empty() {
            request = request.header(reqwest::header::ACCEPT_LANGUAGE, language);
        }
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POST with an `Idempotency-Key` (and a bearer token unless empty).
    pub async fn post_once(
        &self,
        path: &str,
        token: &str,
        key: &str,
        body: &Value,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("idempotency-key", key)
            .json(body);
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// PUT with a bearer token.
    pub async fn put(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .put(format!("{}{path}", self.base_url))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GET with a bearer token (none when `token` is empty: a visitor).
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.base_url));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// What a browser signed in with `access_token` sends to `tenant`'s pages: its `Cookie`
    /// header (the access token, and a web session got from a page) and that session's CSRF
    /// token, which its forms carry.
    pub async fn browser_cookies(&self, tenant: &str, access_token: &str) -> (String, String) {
        let page = self
            .http
            .get(format!("{}/{tenant}/", self.base_url))
            .send()
            .await
            .expect("gateway answers");
        let mut cookies = vec![format!("__Host-synergies-access={access_token}")];
        let mut csrf = String::new();
        for line in page.headers().get_all(reqwest::header::SET_COOKIE) {
            let line = line.to_str().expect("a text cookie");
            let pair = line.split(';').next().unwrap_or_default();
            if let Some(token) = pair.strip_prefix("__Host-synergies-csrf=") {
                token.clone_into(&mut csrf);
            }
            if pair.starts_with("__Host-synergies-") {
                cookies.push(pair.to_owned());
            }
        }
        assert!(!csrf.is_empty(), "the page set no CSRF cookie");
        (cookies.join("; "), csrf)
    }

    /// The operator's access token, obtained once with the operator secret.
    pub async fn operator_token(&self) -> String {
        self.operator
            .get_or_init(|| async {
                let body = json!({"operator_token": crate::OPERATOR_TOKEN});
                let (status, tokens) = self.post("/api/v1/auth/operator", "", &body).await;
                assert_eq!(status, 200, "{tokens}");
                tokens["access_token"]
                    .as_str()
                    .expect("operator access token")
                    .to_owned()
            })
            .await
            .clone()
    }

    /// Signs in; returns the status and the body (tokens or error).
    pub async fn login(&self, tenant: &str, email: &str, password: &str) -> (u16, Value) {
        let body = json!({"tenant": tenant, "email": email, "password": password});
        self.post("/api/v1/auth/login", "", &body).await
    }

    pub async fn create_tenant(&self, slug: &str) {
        let operator = self.operator_token().await;
        let body = json!({"slug": slug, "display_name": format!("{slug} métropole")});
        let (status, answer) = self.post("/api/v1/tenants", &operator, &body).await;
        assert_eq!(status, 201, "{answer}");
    }

    /// A new organisation of `tenant` with one user, signed in.
    pub async fn create_member(&self, tenant: &str, name: &str) -> Member {
        let operator = self.operator_token().await;
        let body = json!({"name": name, "kind": "company"});
        let (status, organisation) = self
            .post(
                &format!("/api/v1/tenants/{tenant}/organisations"),
                &operator,
                &body,
            )
            .await;
        assert_eq!(status, 201, "{organisation}");
        let organisation_id = organisation["id"]
            .as_str()
            .expect("organisation id")
            .to_owned();
        let email = format!("contact-{}@example.fr", uuid::Uuid::new_v4().simple());
        let body = json!({"organisation_id": organisation_id, "email": email, "display_name": name, "password": PASSWORD});
        let (status, created) = self
            .post(&format!("/api/v1/tenants/{tenant}/users"), &operator, &body)
            .await;
        assert_eq!(status, 201, "{created}");
        let (status, tokens) = self.login(tenant, &email, PASSWORD).await;
        assert_eq!(status, 200, "{tokens}");
        Member {
            user_id: created["id"].as_str().expect("user id").to_owned(),
            organisation_id,
            email,
            token: tokens["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh_token: tokens["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        }
    }

    /// A facilitator of `tenant` (of its chamber of commerce, created with them), signed in:
    /// their access token.
    pub async fn create_facilitator(&self, tenant: &str) -> String {
        let operator = self.operator_token().await;
        let (status, cci) = self
            .post(
                &format!("/api/v1/tenants/{tenant}/organisations"),
                &operator,
                &json!({"name": "CCI Côte-d'Or", "kind": "public_body"}),
            )
            .await;
        assert_eq!(status, 201, "{cci}");
        let email = format!("animatrice@cci-{tenant}.fr");
        let body = json!({"organisation_id": cci["id"], "email": email, "display_name": "Animatrice",
            "password": PASSWORD, "roles": ["facilitator"]});
        let (status, created) = self
            .post(&format!("/api/v1/tenants/{tenant}/users"), &operator, &body)
            .await;
        assert_eq!(status, 201, "{created}");
        let (status, answer) = self.login(tenant, &email, PASSWORD).await;
        assert_eq!(status, 200, "{answer}");
        answer["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Creates a listing from a full body (see `POST /api/v1/listings`); returns the status and
    /// the answer, in `language`.
    pub async fn create_listing(
        &self,
        language: &str,
        member: &Member,
        body: &Value,
    ) -> (u16, Value) {
        self.post_in(language, "/api/v1/listings", &member.token, body)
            .await
    }

    /// Publishes a listing; returns its id and the trace id of the request.
    pub async fn publish(
        &self,
        member: &Member,
        kind: &str,
        category: &str,
        title: &str,
    ) -> (String, String) {
        let response = self
            .http
            .post(format!("{}/api/v1/listings", self.base_url))
            .bearer_auth(&member.token)
            .json(&json!({"kind": kind, "category": category, "title": title}))
            .send()
            .await
            .expect("gateway answers");
        let trace_id = response
            .headers()
            .get("x-trace-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().expect("listing id").to_owned(),
            trace_id,
        )
    }

    /// Opens a conversation about `listing_id` as `member`; its id.
    pub async fn open_conversation(&self, listing_id: &str, member: &Member) -> String {
        let (_, conversation) = self
            .post(
                &format!("/api/v1/listings/{listing_id}/conversations"),
                &member.token,
                &json!({}),
            )
            .await;
        conversation["id"]
            .as_str()
            .expect("conversation id")
            .to_owned()
    }

    pub async fn inbox(&self, member: &Member) -> Vec<Value> {
        let (status, body) = self.get("/api/v1/inbox?page_size=100", &member.token).await;
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().cloned().unwrap_or_default()
    }

    /// Polls the member's inbox until an item about `listing_id` appears (bounded).
    pub async fn wait_for_item_about(&self, member: &Member, listing_id: &str) -> Vec<Value> {
        let what = format!("an inbox item about {listing_id}");
        synergies_platform::testing::eventually(&what, Duration::from_secs(30), || async {
            let items = self.inbox(member).await;
            items
                .iter()
                .any(|item| item["listing_id"] == listing_id)
                .then_some(items)
        })
        .await
    }

    /// Polls the member's inbox until an item of `kind` (an event type) about `listing_id`
    /// appears (bounded), and returns it.
    pub async fn wait_for_item(&self, member: &Member, listing_id: &str, kind: &str) -> Value {
        let what = format!("a {kind} inbox item about {listing_id}");
        synergies_platform::testing::eventually(&what, Duration::from_secs(30), || async {
            self.inbox(member)
                .await
                .into_iter()
                .find(|item| item["listing_id"] == listing_id && item["kind"] == kind)
        })
        .await
    }

    /// The body of the newest e-mail to `recipient` in `tenant` whose subject or body contains
    /// `needle`, as the operator sees it (the all-in-one mode without SMTP keeps e-mails there).
    pub async fn wait_for_outgoing_mail(
        &self,
        tenant: &str,
        recipient: &str,
        needle: &str,
    ) -> String {
        let operator = self.operator_token().await;
        let what = format!("an e-mail to {recipient}");
        synergies_platform::testing::eventually(&what, Duration::from_secs(30), || async {
            let (_, page) = self
                .get(
                    &format!("/api/v1/tenants/{tenant}/outgoing-mail"),
                    &operator,
                )
                .await;
            let mails = page["mails"].as_array()?;
            let text = |m: &Value, field: &str| m[field].as_str().unwrap_or_default().to_owned();
            mails
                .iter()
                .find(|m| {
                    m["recipient"] == recipient
                        && (text(m, "subject").contains(needle) || text(m, "body").contains(needle))
                })
                .map(|m| text(m, "body"))
        })
        .await
    }
}

/// The token of the first `…?token=` link in an e-mail.
pub fn token_in(body: &str) -> String {
    let start = body.find("?token=").expect("a link with a token") + "?token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}
