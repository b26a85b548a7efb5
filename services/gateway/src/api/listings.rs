//! Offers and requests.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use synergies_platform::context::request;
use synergies_platform::retry::idempotent_call;
use synergies_proto::listings::v1 as pb;
use synergies_proto::matching::v1 as matching;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::GatewayState;

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum ListingKind {
    Offer,
    Request,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateListing {
    pub kind: ListingKind,
    /// Category path, e.g. `packaging/pallets`.
    #[schema(example = "packaging/pallets")]
    pub category: String,
    #[schema(example = "40 palettes Europe en bon état")]
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct Listing {
    pub id: String,
    pub organisation_id: String,
    pub owner_user_id: String,
    pub kind: ListingKind,
    pub category: String,
    pub title: String,
    pub description: String,
    /// `draft` or `published`.
    pub status: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ListingPage {
    pub listings: Vec<Listing>,
    /// Empty on the last page.
    pub next_page_token: String,
}

#[derive(Deserialize, IntoParams)]
pub struct ListingFilters {
    pub kind: Option<ListingKind>,
    /// A category and its sub-categories.
    pub category: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// Only my own listings, drafts included.
    pub mine: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct Match {
    pub id: String,
    pub offer_listing_id: String,
    pub request_listing_id: String,
    pub category: String,
    pub explanation: String,
    pub score: f64,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct MatchList {
    pub matches: Vec<Match>,
}

fn kind_message(kind: ListingKind) -> pb::ListingKind {
    match kind {
        ListingKind::Offer => pb::ListingKind::Offer,
        ListingKind::Request => pb::ListingKind::Request,
    }
}

pub(crate) fn listing_json(listing: pb::Listing) -> Listing {
    let kind = if listing.kind == pb::ListingKind::Request as i32 {
        ListingKind::Request
    } else {
        ListingKind::Offer
    };
    let status = if listing.status == pb::ListingStatus::Draft as i32 {
        "draft"
    } else {
        "published"
    };
    Listing {
        created_at: super::rfc3339(listing.created_at.as_ref()),
        id: listing.id,
        organisation_id: listing.organisation_id,
        owner_user_id: listing.owner_user_id,
        kind,
        category: listing.category,
        title: listing.title,
        description: listing.description,
        status: status.to_owned(),
    }
}

/// Publishes an offer or a request.
#[utoipa::path(post, path = "/api/v1/listings", request_body = CreateListing, security(("member" = [])),
    responses((status = 201, body = Listing), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn create(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<CreateListing>,
) -> Result<(StatusCode, Json<Listing>), ApiError> {
    let message = pb::CreateListingRequest {
        kind: kind_message(body.kind).into(),
        category: body.category,
        title: body.title,
        description: body.description,
    };
    let listing = state
        .listings
        .clone()
        .create_listing(request(message, &member.caller))
        .await?
        .into_inner()
        .listing
        .ok_or_else(ApiError::incomplete_answer)?;
    Ok((StatusCode::CREATED, Json(listing_json(listing))))
}

/// Published listings of the caller's territory, newest first.
#[utoipa::path(get, path = "/api/v1/listings", params(ListingFilters), security(("member" = [])),
    responses((status = 200, body = ListingPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    Query(filters): Query<ListingFilters>,
) -> Result<Json<ListingPage>, ApiError> {
    let message = pb::ListListingsRequest {
        page_size: filters.page_size.unwrap_or(0),
        page_token: filters.page_token.unwrap_or_default(),
        kind: filters
            .kind
            .map_or(pb::ListingKind::Unspecified, kind_message)
            .into(),
        category: filters.category.unwrap_or_default(),
        mine: filters.mine.unwrap_or(false),
    };
    let page = idempotent_call(|| {
        let mut client = state.listings.clone();
        let call = request(message.clone(), &member.caller);
        async move { client.list_listings(call).await }
    })
    .await?
    .into_inner();
    Ok(Json(ListingPage {
        listings: page.listings.into_iter().map(listing_json).collect(),
        next_page_token: page.next_page_token,
    }))
}

/// One listing of the caller's territory.
#[utoipa::path(get, path = "/api/v1/listings/{id}", params(("id" = String, Path)), security(("member" = [])),
    responses((status = 200, body = Listing), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    member: Member,
    State(state): State<GatewayState>,
    Path(id): Path<String>,
) -> Result<Json<Listing>, ApiError> {
    let message = pb::GetListingRequest { listing_id: id };
    let listing = idempotent_call(|| {
        let mut client = state.listings.clone();
        let call = request(message.clone(), &member.caller);
        async move { client.get_listing(call).await }
    })
    .await?
    .into_inner()
    .listing
    .ok_or_else(ApiError::incomplete_answer)?;
    Ok(Json(listing_json(listing)))
}

/// Matches found for a listing.
#[utoipa::path(get, path = "/api/v1/listings/{id}/matches", params(("id" = String, Path)), security(("member" = [])),
    responses((status = 200, body = MatchList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn matches(
    member: Member,
    State(state): State<GatewayState>,
    Path(id): Path<String>,
) -> Result<Json<MatchList>, ApiError> {
    let message = matching::ListMatchesRequest { listing_id: id };
    let found = idempotent_call(|| {
        let mut client = state.matching.clone();
        let call = request(message.clone(), &member.caller);
        async move { client.list_matches(call).await }
    })
    .await?
    .into_inner();
    Ok(Json(MatchList {
        matches: found
            .matches
            .into_iter()
            .map(|m| Match {
                created_at: super::rfc3339(m.created_at.as_ref()),
                id: m.id,
                offer_listing_id: m.offer_listing_id,
                request_listing_id: m.request_listing_id,
                category: m.category,
                explanation: m.explanation,
                score: m.score,
            })
            .collect(),
    }))
}
