//! A real Chromium, driven over the W3C WebDriver protocol by `chromedriver`, for tests that
//! click and type as a person would.
//!
//! The client is a few JSON calls over the HTTP client the tests already use, rather than a
//! WebDriver crate: it needs no TLS stack and no extra dependency tree, and the protocol
//! subset a page test needs is small. Chromium and chromedriver are Debian's (`chromium`,
//! `chromium-driver`), installed by `.ci/run`; nothing is downloaded.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

/// The W3C name of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// axe-core, Deque's accessibility rules engine (MPL-2.0), shipped in the repository
/// (`tests/vendor/refresh.sh` updates it from the npm registry) so that nothing is downloaded
/// when the tests run.
const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// One rule a page breaks, as axe-core reports it.
#[derive(Debug, Clone)]
pub struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    /// CSS selectors of the elements at fault.
    pub targets: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {} — {}",
            self.id,
            self.impact.as_deref().unwrap_or("?"),
            self.help,
            self.targets.join(", ")
        )
    }
}

pub struct Browser {
    http: reqwest::Client,
    session_url: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn executable(name: &str, variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.exists(),
        "{name} not found at {} (set {variable}); on Debian: apt-get install chromium chromium-driver",
        path.display()
    );
    path
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile, in a phone-or-laptop
    /// sized window.
    pub async fn start(width: u32, height: u32) -> Self {
        let chromium = executable("Chromium", "SYNERGIES_TEST_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = executable(
            "chromedriver",
            "SYNERGIES_TEST_CHROMEDRIVER",
            "/usr/bin/chromedriver",
        );
        let port = crate::free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            // Its own process group, so that the browsers it starts end with it.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_mins(1))
            .build()
            .expect("HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        wait_until_ready(&http, &base).await;
        let profile = tempfile::tempdir().expect("profile directory");
        // Without the networking flags Chromium keeps trying to reach Google's hosts, which a
        // closed network refuses many times over.
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--lang=fr-FR".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            // A French-speaking person, like the territory's members.
            "goog:chromeOptions": {"binary": chromium, "args": args,
                                   "prefs": {"intl.accept_languages": "fr-FR,fr"}}
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("JSON answer");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"))
            .to_owned();
        Self {
            http,
            session_url: format!("{base}/session/{session}"),
            driver,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.session_url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("JSON answer");
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    pub async fn url(&self) -> String {
        self.get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    /// Whether the page has an element matching `css`.
    pub async fn has(&self, css: &str) -> bool {
        let found = self
            .post("/elements", json!({"using": "css selector", "value": css}))
            .await;
        found.as_array().is_some_and(|all| !all.is_empty())
    }

    /// Waits (bounded) until the page has an element matching `css`: for what a script draws
    /// after the page has loaded.
    pub async fn wait_for(&self, css: &str) {
        let what = format!("an element {css}");
        synergies_platform::testing::eventually(&what, Duration::from_secs(20), || async {
            self.has(css).await.then_some(())
        })
        .await;
    }

    /// Clicks like a person (the browser waits for the navigation it causes).
    pub async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
    }

    /// Clicks something that loads a new page (a link, a submit button) and waits until the
    /// new document has replaced the old one: a click may return before the navigation it
    /// starts has begun.
    pub async fn follow(&self, css: &str) {
        let before = self.element("html").await;
        self.click(css).await;
        self.wait_for_new_page(&before).await;
    }

    /// Clicks a button whose form asks `confirm()` first (destructive actions), says yes, and
    /// waits for the page the form loads.
    pub async fn follow_confirming(&self, css: &str) {
        let before = self.element("html").await;
        self.click(css).await;
        self.post("/alert/accept", json!({})).await;
        self.wait_for_new_page(&before).await;
    }

    async fn wait_for_new_page(&self, before: &str) {
        let what = "the next page";
        synergies_platform::testing::eventually(what, Duration::from_secs(20), || async {
            let found = self
                .post(
                    "/elements",
                    json!({"using": "css selector", "value": "html"}),
                )
                .await;
            let now = found[0][ELEMENT].as_str()?.to_owned();
            let state = self
                .post(
                    "/execute/sync",
                    json!({"script": "return document.readyState", "args": []}),
                )
                .await;
            (now != before && state == "complete").then_some(())
        })
        .await;
    }

    /// Replaces the text of a field, typing it key by key.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.post(&format!("/element/{element}/clear"), json!({}))
            .await;
        self.post(&format!("/element/{element}/value"), json!({"text": text}))
            .await;
    }

    /// Chooses a file in an `<input type="file">`, as a person picking it would.
    pub async fn attach(&self, css: &str, path: &Path) {
        let element = self.element(css).await;
        self.post(
            &format!("/element/{element}/value"),
            json!({"text": path.display().to_string()}),
        )
        .await;
    }

    /// Chooses the `<option>` of a `<select>` whose value is `value`.
    pub async fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]"))
            .await;
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.element(css).await;
        self.get(&format!("/element/{element}/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An attribute of the first element matching `css`.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let element = self.element(css).await;
        self.get(&format!("/element/{element}/attribute/{name}"))
            .await
            .as_str()
            .map(str::to_owned)
    }

    /// What `script` (the body of a function, e.g. `return document.title`) returns in the
    /// page: for measuring what a person sees (a header's height) or setting what WebDriver
    /// cannot type (a colour picker's value).
    pub async fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// What axe-core finds wrong with the page as it is now (its default rules: WCAG 2 A and
    /// AA, and its best practices). WebDriver's scripts are not subject to the page's
    /// Content-Security-Policy, so the engine is injected as it is.
    pub async fn accessibility_violations(&self) -> Vec<Violation> {
        let script = format!(
            "if (!window.axe) {{ {AXE}\n }}\n\
             return window.axe.run(document, {{resultTypes: ['violations']}}).then(r => \
             r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help, \
             targets: v.nodes.map(n => n.target.join(' '))}})));"
        );
        let found = self
            .post("/execute/sync", json!({"script": script, "args": []}))
            .await;
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        found
            .as_array()
            .unwrap_or_else(|| panic!("axe-core's violations: {found}"))
            .iter()
            .map(|v| Violation {
                id: text(&v["id"]),
                impact: v["impact"].as_str().map(str::to_owned),
                help: text(&v["help"]),
                targets: v["targets"]
                    .as_array()
                    .map(|all| all.iter().map(text).collect())
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Everything the page shows.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    pub async fn title(&self) -> String {
        self.get("/title")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Keys sent to whatever has the focus (e.g. `\u{E004}` is Tab).
    pub async fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|key| {
                [
                    json!({"type": "keyDown", "value": key.to_string()}),
                    json!({"type": "keyUp", "value": key.to_string()}),
                ]
            })
            .collect();
        self.post(
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await;
    }

    /// The element that has the keyboard focus, described by its text or name.
    pub async fn focused(&self) -> String {
        let element = self.get("/element/active").await;
        let id = element[ELEMENT].as_str().unwrap_or_default().to_owned();
        let text = self
            .get(&format!("/element/{id}/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if text.is_empty() {
            self.get(&format!("/element/{id}/attribute/name"))
                .await
                .as_str()
                .unwrap_or_default()
                .to_owned()
        } else {
            text
        }
    }

    /// Signs in on the sign-in form already open.
    pub async fn sign_in_here(&self, email: &str, password: &str) {
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.follow("main form button[type=submit]").await;
    }

    /// Opens the sign-in page at `url` and signs in.
    pub async fn sign_in(&self, url: &str, email: &str, password: &str) {
        self.goto(url).await;
        self.sign_in_here(email, password).await;
    }

    /// Signs out with the header's button.
    pub async fn sign_out(&self) {
        self.follow("header form[action$='/deconnexion'] button")
            .await;
    }

    /// Saves a PNG of the page into `docs/screenshots/<name>.png` when
    /// `SYNERGIES_TEST_SCREENSHOTS=1` (that is how the README's pictures are made); otherwise checks
    /// only that the browser can take it.
    pub async fn screenshot(&self, name: &str) {
        let encoded = self.get("/screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        if std::env::var("SYNERGIES_TEST_SCREENSHOTS").as_deref() == Ok("1") {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
            std::fs::create_dir_all(&dir).expect("screenshots directory");
            std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
        }
    }

    /// Ends the browser session cleanly (a failed test relies on `Drop` instead).
    pub async fn quit(self) {
        let _ = self.http.delete(&self.session_url).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver and every browser process it started share its process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}

/// chromedriver answers `/status` with `ready: true` once it accepts sessions.
async fn wait_until_ready(http: &reqwest::Client, base: &str) {
    let what = "chromedriver to be ready";
    synergies_platform::testing::eventually(what, Duration::from_secs(20), || async {
        let answer: Value = http
            .get(format!("{base}/status"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        answer["value"]["ready"].as_bool().filter(|ready| *ready)
    })
    .await;
}
