//! Searching the territory's published offers and requests, and the home page's newest.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use synergies_proto::listings::v1 as pb;

use super::super::Feedback;
use super::{ListingView, category_labels, category_names, indented, view};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// The query of the search page, as typed (the service checks it and names what is wrong).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub exchange_mode: String,
    #[serde(default)]
    pub free_only: String,
    #[serde(default)]
    pub insee_code: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page_token: String,
    /// Distance from one of the member's sites (its id), within `radius_km`.
    #[serde(default)]
    pub from_site_id: String,
    #[serde(default)]
    pub radius_km: String,
}

/// The radii the distance filter offers, in km.
const RADII_KM: [&str; 5] = ["2", "5", "10", "20", "50"];

/// One facet value: a link that narrows the search, with its count.
pub struct FacetLink {
    pub value: String,
    pub label: String,
    pub count: i64,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "listings_search.html")]
struct Search {
    page: Page,
    query: SearchQuery,
    feedback: Feedback,
    results: Vec<ListingView>,
    next_page_token: String,
    categories: Vec<(String, String)>,
    category_facets: Vec<FacetLink>,
    mode_facets: Vec<FacetLink>,
    total: i64,
    /// The signed-in member's sites `(id, address)`, for the distance filter.
    sites: Vec<(String, String)>,
    /// Tiles of the results' map; none: no map.
    map_tiles: Option<std::sync::Arc<crate::web::map::MapTiles>>,
}

impl Search {
    fn kind_is(&self, kind: &str) -> bool {
        self.query.kind == kind
    }

    /// Something to look for that a saved search can keep: words or a filter ("free only"
    /// included). The sort is kept with them, but alone it looks for nothing.
    fn saveable(&self) -> bool {
        let q = &self.query;
        [
            &q.q,
            &q.kind,
            &q.category,
            &q.exchange_mode,
            &q.insee_code,
            &q.free_only,
        ]
        .iter()
        .any(|value| !value.trim().is_empty())
    }

    fn mode_label(&self, mode: &str) -> &'static str {
        self.page.t(&format!("mode.{mode}"))
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn modes(&self) -> [&'static str; 5] {
        super::super::administration::EXCHANGE_MODES
    }

    #[allow(clippy::unused_self)]
    fn radii(&self) -> [&'static str; 5] {
        RADII_KM
    }

    /// Whether any result can be placed on the map.
    fn has_places(&self) -> bool {
        self.results.iter().any(|l| !l.latitude.is_empty())
    }
}

fn search_filters(query: &SearchQuery) -> pb::SearchFilters {
    // A radius only means something from a site; an unknown radius is no radius.
    let radius_km = Some(query.radius_km.as_str())
        .filter(|radius| !query.from_site_id.is_empty() && RADII_KM.contains(radius))
        .and_then(|radius| radius.parse().ok());
    let kind = match query.kind.as_str() {
        "offer" => pb::ListingKind::Offer,
        "request" => pb::ListingKind::Request,
        _ => pb::ListingKind::Unspecified,
    };
    pb::SearchFilters {
        text: query.q.clone(),
        kind: kind.into(),
        category: query.category.clone(),
        exchange_mode: query.exchange_mode.clone(),
        free_only: !query.free_only.is_empty(),
        insee_code: query.insee_code.clone(),
        sort: query.sort.clone(),
        page_size: 20,
        page_token: query.page_token.clone(),
        from_site_id: query.from_site_id.clone(),
        radius_km,
        ..Default::default()
    }
}

pub async fn search(
    page: Page,
    State(state): State<GatewayState>,
    Query(mut query): Query<SearchQuery>,
) -> Response {
    let labels = match category_labels(&state, page.lang).await {
        Ok(labels) => labels,
        Err(error) => return page.error(&error),
    };
    let by_code: HashMap<String, String> = labels
        .iter()
        .map(|(code, _, label)| (code.clone(), label.clone()))
        .collect();
    let member = page
        .viewer
        .as_ref()
        .filter(|v| !v.is_operator() && v.caller.organisation_id.is_some())
        .map(|v| v.caller.clone());
    let sites = match &member {
        Some(caller) => super::publish::my_sites(&state, caller).await,
        None => Vec::new(),
    };
    if member.is_none() {
        // Only a member searches from a site of theirs.
        query.from_site_id.clear();
    }
    let filters = search_filters(&query);
    let from_a_site = member.as_ref().filter(|_| !query.from_site_id.is_empty());
    let found = if let Some(caller) = from_a_site {
        state.listings.search(caller, filters).await
    } else {
        state
            .listings
            .search_public(&page.tenant.slug, filters)
            .await
    }
    .map_err(ApiError::from);
    let (found, feedback) = match found {
        Ok(found) => (found, Feedback::none()),
        Err(error) if error.status.is_client_error() => (
            pb::SearchListingsResponse::default(),
            Feedback::from_error(&page, &error),
        ),
        Err(error) => return page.error(&error),
    };
    let total = found.categories.iter().map(|c| c.count).sum();
    let category_facets = found
        .categories
        .iter()
        .map(|c| FacetLink {
            label: by_code.get(&c.value).cloned().unwrap_or(c.value.clone()),
            selected: query.category == c.value,
            value: c.value.clone(),
            count: c.count,
        })
        .collect();
    let mode_facets = found
        .exchange_modes
        .iter()
        .map(|c| FacetLink {
            label: page.t(&format!("mode.{}", c.value)).to_owned(),
            selected: query.exchange_mode == c.value,
            value: c.value.clone(),
            count: c.count,
        })
        .collect();
    let results = found
        .hits
        .into_iter()
        .filter_map(|hit| Some(view(&page, hit.listing?, &by_code, hit.distance_km)))
        .collect();
    let categories = indented(labels);
    render(&Search {
        page,
        query,
        feedback,
        results,
        next_page_token: found.next_page_token,
        categories,
        category_facets,
        mode_facets,
        total,
        sites,
        map_tiles: state.map_tiles.clone(),
    })
}

/// The six newest published listings of the territory, and how many are online.
pub async fn newest_listings(
    state: &GatewayState,
    page: &Page,
) -> Result<(Vec<ListingView>, i64), ApiError> {
    let labels = category_names(state, page.lang).await?;
    let query = SearchQuery {
        sort: "newest".to_owned(),
        ..SearchQuery::default()
    };
    let mut filters = search_filters(&query);
    filters.page_size = 6;
    let found = state
        .listings
        .search_public(&page.tenant.slug, filters)
        .await?;
    let online = found.categories.iter().map(|c| c.count).sum();
    let newest = found
        .hits
        .into_iter()
        .filter_map(|hit| Some(view(page, hit.listing?, &labels, None)))
        .collect();
    Ok((newest, online))
}
