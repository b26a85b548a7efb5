//! Searching the territory's published offers and requests, and the home page's newest.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use synergies_platform::context::anonymous_request;
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
}

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
}

impl Search {
    fn kind_is(&self, kind: &str) -> bool {
        self.query.kind == kind
    }

    fn mode_label(&self, mode: &str) -> &'static str {
        self.page.t(&format!("mode.{mode}"))
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn modes(&self) -> [&'static str; 5] {
        super::super::administration::EXCHANGE_MODES
    }
}

fn search_filters(query: &SearchQuery) -> pb::SearchFilters {
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
        ..Default::default()
    }
}

pub async fn search(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<SearchQuery>,
) -> Response {
    let labels = match category_labels(&state, page.lang).await {
        Ok(labels) => labels,
        Err(error) => return page.error(&error),
    };
    let by_code: HashMap<String, String> = labels
        .iter()
        .map(|(code, _, label)| (code.clone(), label.clone()))
        .collect();
    let message = pb::SearchPublicListingsRequest {
        tenant: page.tenant.slug.clone(),
        filters: Some(search_filters(&query)),
    };
    let found = state
        .listings
        .clone()
        .search_public_listings(anonymous_request(message))
        .await
        .map(tonic::Response::into_inner)
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
        .clone()
        .search_public_listings(anonymous_request(pb::SearchPublicListingsRequest {
            tenant: page.tenant.slug.clone(),
            filters: Some(filters),
        }))
        .await?
        .into_inner();
    let online = found.categories.iter().map(|c| c.count).sum();
    let newest = found
        .hits
        .into_iter()
        .filter_map(|hit| Some(view(page, hit.listing?, &labels, None)))
        .collect();
    Ok((newest, online))
}
