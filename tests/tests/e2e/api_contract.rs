//! The API contract, checked from outside by Schemathesis (PyPI, pinned in `tests/run.sh`,
//! which installs it in a virtual environment of its own): every operation of the OpenAPI
//! document, fuzzed against the all-in-one platform as a member and as a facilitator, answers
//! no server error, no status the document does not list, and no body that breaks its schema.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;
use synergies_tests::Platform;

/// Seconds each role's run may take (Schemathesis stops generating when they are spent).
const DEFAULT_SECONDS: &str = "75";

/// The `schemathesis` executable: `SYNERGIES_TEST_SCHEMATHESIS`, or the one `tests/run.sh`
/// installs under `target/test-schemathesis`. Without it the test is skipped, loudly, except
/// in CI (`CI` set), where a missing tool must not pass for a clean contract.
fn schemathesis() -> Option<PathBuf> {
    let installed = synergies_tests::binary()
        .parent()
        .and_then(std::path::Path::parent)
        .map(|target| target.join("test-schemathesis/bin/schemathesis"));
    let found = std::env::var_os("SYNERGIES_TEST_SCHEMATHESIS")
        .map(PathBuf::from)
        .or(installed)
        .filter(|path| path.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Schemathesis is missing: tests/run.sh installs it (target/test-schemathesis)"
        );
        eprintln!(
            "SKIPPED: Schemathesis is not installed (tests/run.sh installs it in \
             target/test-schemathesis, or set SYNERGIES_TEST_SCHEMATHESIS)"
        );
    }
    found
}

#[tokio::test]
async fn all_in_one_api_answers_as_documented_under_schemathesis() {
    let Some(schemathesis) = schemathesis() else {
        return;
    };
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    // Every account first: the fuzzing signs in with wrong secrets from this very address,
    // whose throttle would then refuse a sign-in made afterwards.
    client.create_tenant("dijon").await;
    let member = client
        .create_member("dijon", "Cartonnerie de Bourgogne")
        .await;
    let facilitator = client.create_facilitator("dijon").await;
    // Something to find: a published offer and a flow of the member.
    client
        .publish(&member, "offer", "packaging/pallets", "Palettes Europe")
        .await;
    let flow = json!({"direction": "out", "resource_class": "by-product",
        "label": "Chutes de carton", "quantity": "2", "unit": "t", "period": "year"});
    let (status, body) = client.post("/api/v1/flows", &member.token, &flow).await;
    assert_eq!(status, 201, "{body}");

    // The document's examples carry the test accounts' password: with it, the examples alone
    // would erase the accounts (`DELETE /api/v1/me`) before anything else is tried.
    for token in [&member.token, &facilitator] {
        let change = json!({"current_password": synergies_tests::api::PASSWORD,
            "new_password": "un mot de passe que nul exemple ne donne"});
        let (status, body) = client.post("/api/v1/me/password", token, &change).await;
        assert_eq!(status, 204, "{body}");
    }

    let seconds = std::env::var("SYNERGIES_TEST_SCHEMATHESIS_SECONDS")
        .unwrap_or_else(|_| DEFAULT_SECONDS.to_owned());
    let mut failures = Vec::new();
    for (role, token) in [("member", &member.token), ("facilitator", &facilitator)] {
        let output = Command::new(&schemathesis)
            .arg("run")
            .arg(format!("{}/api/v1/openapi.json", platform.base_url))
            .args(["--url", &platform.base_url])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,response_schema_conformance",
            ])
            // One worker: with two, hypothesis parses lambdas' source in two threads at once,
            // which CPython 3.11 can fail with "AST constructor recursion depth mismatch" (a
            // runtime error of the tool, not a finding; seen once in CI).
            .args(["--max-time", &seconds, "--workers", "1"])
            .args(["--request-timeout", "10"])
            // An endless event stream: every request would wait for the timeout.
            .args(["--exclude-path", "/api/v1/inbox/stream"])
            .current_dir(platform.dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("schemathesis runs");
        let report = String::from_utf8_lossy(&output.stdout);
        eprintln!("=== Schemathesis as a {role}\n{report}");
        if !output.status.success() {
            failures.push(format!(
                "as a {role}:\n{report}{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "the API broke its contract:\n{}\n{}",
        failures.join("\n"),
        platform.logs("synergies")
    );
}

/// What the fuzzing does not send: bytes that are not UTF-8 in a path, a query string that
/// does not parse, an unknown static file, a form without its CSRF field. The API answers the
/// one JSON error shape in the caller's language, a page answers a page.
#[tokio::test]
async fn all_in_one_unreadable_requests_answer_the_error_shape_or_a_page_in_french() {
    let platform = Platform::all_in_one(&[]).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let member = client
        .create_member("dijon", "Cartonnerie de Bourgogne")
        .await;
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{}{path}", platform.base_url))
            .header("accept-language", "fr")
            .bearer_auth(&member.token)
    };

    for (path, field) in [
        ("/api/v1/listings/%FF%FE", "path"),
        ("/api/v1/tenants/%C3%28/listings", "path"),
        ("/api/v1/listings?latitude=nord", "latitude"),
        ("/api/v1/conversations?page_size=-1", "page_size"),
    ] {
        let response = get(path).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
        for english in ["Invalid", "invalid", "Failed", "expected"] {
            assert!(!message.contains(english), "{path}: {message}");
        }
    }
    let response = get("/static/absent.js").send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "cette adresse n'existe pas");

    // Pages: a page, in French, never axum's English text.
    let page = get("/dijon/annonces/%FF").send().await.unwrap();
    assert_eq!(page.status().as_u16(), 400);
    assert!(is_html(&page));
    let text = page.text().await.unwrap();
    assert!(
        text.contains("illisible") && !text.contains("UTF-8"),
        "{text}"
    );

    let form = http
        .post(format!("{}/dijon/connexion", platform.base_url))
        .header("accept-language", "fr")
        .form(&[("email", "marie@cartonnerie.fr"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 403);
    assert!(is_html(&form));
    let text = form.text().await.unwrap();
    assert!(
        text.contains("jeton anti-falsification") && !text.contains("deserialize"),
        "{text}"
    );
}

fn is_html(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}
