//! The public home of a territory, and the platform's root.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use synergies_platform::context::anonymous_request;
use synergies_proto::identity::v1 as pb;

use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::format::decimal;
use crate::web::page::{Page, is_slug, render};
use crate::web::pages::listings::{ListingView, newest_listings};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    members: u64,
    listings_online: i64,
    newest: Vec<ListingView>,
    summary: synergies_proto::listings::v1::TerritorySummary,
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
    let mut identity = state.identity.clone();
    let figures =
        identity.get_territory_figures(anonymous_request(pb::GetTerritoryFiguresRequest {
            tenant: tenant.clone(),
        }));
    let mut exchanges = state.exchanges.clone();
    let summary = exchanges.get_territory_summary(anonymous_request(
        synergies_proto::listings::v1::GetTerritorySummaryRequest { tenant },
    ));
    // Three independent calls: made at once. The newest published
    // listings' facet counts are the listings online.
    let (figures, newest, summary) = tokio::join!(figures, newest_listings(&state, &page), summary);
    let (members, summary) = match (figures, summary) {
        (Ok(figures), Ok(summary)) => (figures.into_inner().members, summary.into_inner()),
        (Err(status), _) | (_, Err(status)) => return page.error(&ApiError::from(status)),
    };
    let (newest, listings_online) = match newest {
        Ok(found) => found,
        Err(error) => return page.error(&error),
    };
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
