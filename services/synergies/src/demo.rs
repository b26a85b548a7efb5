//! `--demo`'s believable territory: on the first start, once every service answers, the firms of
//! `demo/dijon-metropole.json` are registered, their listings published and their flows
//! recorded — through the public JSON API, exactly as people would, so that validation, events
//! and matching run as they do for real data and the first page already shows proposals.
//!
//! Members get an account (their generated passwords join the demo accounts file); diagnosed
//! firms are registered by the demo facilitator, who records their flows as after a visit.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};
use synergies_identity::demo::DemoAccount;
use synergies_platform::auth::Role;

/// The demo territory, as people would enter it (see the file's `_about`).
const TERRITORY: &str = include_str!("../demo/dijon-metropole.json");

#[derive(Debug, Deserialize)]
struct Territory {
    tenant: String,
    organisations: Vec<Organisation>,
}

#[derive(Debug, Deserialize)]
struct Organisation {
    name: String,
    siret: String,
    naf: String,
    /// A member has an account and publishes; otherwise the firm was met during a diagnostic.
    member: bool,
    site: Value,
    #[serde(default)]
    flows: Vec<Value>,
    #[serde(default)]
    listings: Vec<Value>,
}

/// What the seeding created, for the log.
#[derive(Debug, Default)]
struct Created {
    organisations: usize,
    listings: usize,
    flows: usize,
}

/// Seeds the demo territory through the gateway at `base_url` when its facilitator account was
/// created in this start (`accounts`); appends the members' accounts to `accounts_file`.
pub async fn populate(
    base_url: String,
    accounts: Vec<DemoAccount>,
    operator_secret: String,
    accounts_file: PathBuf,
) -> anyhow::Result<()> {
    let territory: Territory =
        serde_json::from_str(TERRITORY).context("demo/dijon-metropole.json")?;
    let Some(facilitator) = accounts
        .iter()
        .find(|a| a.tenant == territory.tenant && a.role == Role::Facilitator)
    else {
        // Seeded in an earlier start: its data is already there.
        return Ok(());
    };
    let api = Api::new(base_url);
    api.wait_until_ready().await?;
    let operator = api
        .token(
            "/api/v1/auth/operator",
            &json!({"operator_token": operator_secret}),
        )
        .await?;
    let facilitator = api
        .token(
            "/api/v1/auth/login",
            &json!({"tenant": territory.tenant, "email": facilitator.email, "password": facilitator.password}),
        )
        .await?;
    let mut created = Created::default();
    for organisation in &territory.organisations {
        let author = if organisation.member {
            &operator
        } else {
            &facilitator
        };
        let registered = api
            .post(
                &format!("/api/v1/tenants/{}/organisations", territory.tenant),
                author,
                &json!({"name": organisation.name, "kind": "company", "siret": organisation.siret,
                        "naf": organisation.naf, "site": organisation.site}),
            )
            .await
            .with_context(|| format!("registering {}", organisation.name))?;
        created.organisations += 1;
        let organisation_id = text(&registered, "id")?;
        let site_id = registered["site_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // Members declare their own flows and publish; an advisor records a diagnosed firm's.
        let recorder = if organisation.member {
            let (account, token) = api
                .member(&territory.tenant, organisation, &organisation_id, &operator)
                .await?;
            // Written as each member comes, so that its account is there as soon as it is.
            crate::modes::append_demo_accounts(&accounts_file, std::slice::from_ref(&account))?;
            token
        } else {
            facilitator.clone()
        };
        // Flows first: their events carry the organisation's name, which matching then uses
        // in the explanations of the listings that follow.
        for flow in &organisation.flows {
            let mut flow = flow.clone();
            flow["organisation_id"] = json!(organisation_id);
            if !site_id.is_empty() {
                flow["site_id"] = json!(site_id);
            }
            api.post("/api/v1/flows", &recorder, &flow)
                .await
                .with_context(|| format!("recording a flow of {}", organisation.name))?;
            created.flows += 1;
        }
        for listing in &organisation.listings {
            // A member publishes at its site, as the web form proposes: the listing is then
            // placed on the results' map and within reach of the distance filter.
            let mut listing = listing.clone();
            let placed = listing.get("site_id").is_some() || listing.get("insee_code").is_some();
            if organisation.member && !placed && !site_id.is_empty() {
                listing["site_id"] = json!(site_id);
            }
            api.post("/api/v1/listings", &recorder, &listing)
                .await
                .with_context(|| format!("publishing a listing of {}", organisation.name))?;
            created.listings += 1;
        }
    }
    tracing::info!(
        tenant = %territory.tenant,
        organisations = created.organisations,
        listings = created.listings,
        flows = created.flows,
        "demo territory populated"
    );
    Ok(())
}

fn text(value: &Value, field: &str) -> anyhow::Result<String> {
    value[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("the answer has no {field}: {value}"))
}

/// The JSON API, as a client sees it.
struct Api {
    http: reqwest::Client,
    base_url: String,
}

impl Api {
    fn new(base_url: String) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client without TLS builds"),
            base_url,
        }
    }

    /// Every service answers (the gateway's `/readyz?services=all`), within a minute.
    async fn wait_until_ready(&self) -> anyhow::Result<()> {
        let url = format!("{}/readyz?services=all", self.base_url);
        for attempt in 1..=120 {
            match self.http.get(&url).send().await {
                Ok(answer) if answer.status().is_success() => return Ok(()),
                _ => {
                    let pause = synergies_platform::retry::backoff(attempt, Duration::from_secs(1));
                    tokio::time::sleep(pause).await;
                }
            }
        }
        bail!("the platform did not become ready within a minute")
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("accept-language", "en")
            .json(body);
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await?;
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("POST {path} answered {status}: {body}");
        }
        Ok(body)
    }

    async fn token(&self, path: &str, body: &Value) -> anyhow::Result<String> {
        text(&self.post(path, "", body).await?, "access_token")
    }

    /// A member account of `organisation`, signed in: the account and its access token.
    async fn member(
        &self,
        tenant: &str,
        organisation: &Organisation,
        organisation_id: &str,
        operator: &str,
    ) -> anyhow::Result<(DemoAccount, String)> {
        let local = slug(&organisation.name);
        let account = DemoAccount {
            tenant: tenant.to_owned(),
            email: format!("contact@{local}.demo.synergies.fr"),
            role: Role::OrganisationAdmin,
            password: synergies_identity::demo::generated_password(),
        };
        self.post(
            &format!("/api/v1/tenants/{tenant}/users"),
            operator,
            &json!({"organisation_id": organisation_id, "email": account.email,
                    "display_name": format!("Contact {}", organisation.name),
                    "password": account.password, "roles": ["organisation_admin"]}),
        )
        .await
        .with_context(|| format!("creating the account of {}", organisation.name))?;
        let token = self
            .token(
                "/api/v1/auth/login",
                &json!({"tenant": tenant, "email": account.email, "password": account.password}),
            )
            .await?;
        Ok((account, token))
    }
}

/// `Menuiserie Vernier et Fils` → `menuiserie-vernier-et-fils`.
fn slug(name: &str) -> String {
    let folded: String = name
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    folded
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_territory_has_members_diagnosed_firms_listings_and_flows() {
        let territory: Territory = serde_json::from_str(TERRITORY).unwrap();
        assert!(territory.organisations.len() >= 20);
        assert!(territory.organisations.iter().any(|o| !o.member));
        let flows: usize = territory.organisations.iter().map(|o| o.flows.len()).sum();
        let listings: usize = territory
            .organisations
            .iter()
            .map(|o| o.listings.len())
            .sum();
        assert!(
            flows >= 30 && listings >= 8,
            "{flows} flows, {listings} listings"
        );
        assert_eq!(slug("Épicerie Vrac en Côte"), "epicerie-vrac-en-cote");
    }
}
