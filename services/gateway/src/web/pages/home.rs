//! The public home of a territory, and the platform's root.

use crate::clients::impact::{TerritorySummary, territory_figures};
use crate::state::GatewayState;
use crate::web::format::decimal;
use crate::web::page::{Page, is_slug, render};
use crate::web::pages::listings::{ListingView, newest_listings};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    members: u64,
    listings_online: i64,
    newest: Vec<ListingView>,
    summary: TerritorySummary,
}

impl Home {
    fn tonnes_diverted(&self) -> String {
        decimal(self.summary.tonnes_diverted, 2, self.page.lang)
    }

    fn co2e_tonnes(&self) -> String {
        decimal(self.summary.co2e_tonnes, 2, self.page.lang)
    }
}

pub async fn home(page: Page, State(state): State<GatewayState>) -> Response {
    let tenant = page.tenant.slug.clone();
    // Independent calls, made at once. The newest published listings' facet counts are the
    // listings online.
    let (summary, newest) = tokio::join!(
        territory_figures(&state.identity, &state.exchanges, &state.matching, &tenant),
        newest_listings(&state, &page)
    );
    let summary = match summary {
        Ok(summary) => summary,
        Err(status) => return page.error(&status.into()),
    };
    let (newest, listings_online) = match newest {
        Ok(found) => found,
        Err(error) => return page.error(&error),
    };
    let members = summary.members;
    render(&Home {
        page,
        members,
        listings_online,
        newest,
        summary,
    })
}

/// `/dijon` → `/dijon/`.
pub async fn to_home(Path(tenant): Path<String>) -> Response {
    if is_slug(&tenant) {
        Redirect::permanent(&format!("/{tenant}/")).into_response()
    } else {
        crate::error::not_found().await.into_response()
    }
}

#[derive(Template)]
#[template(path = "root.html")]
struct Root;

/// The platform's root: the default territory when one is configured (the demo's), else a
/// page explaining where territories live.
pub async fn root(State(state): State<GatewayState>) -> Response {
    match &state.default_tenant {
        Some(slug) => Redirect::to(&format!("/{slug}/")).into_response(),
        None => render(&Root),
    }
}
