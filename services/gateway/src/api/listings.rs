//! Offers and requests: writing them, their lifecycle, search (members and visitors) and the
//! category tree.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use synergies_platform::i18n::{Language, Text};
use synergies_proto::listings::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Member;
use crate::clients::listings::status_name;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::GatewayState;

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum ListingKind {
    Offer,
    Request,
}

/// What a member writes about a listing. Enumerated values are lowercase names; the service
/// checks them and answers which field breaks which rule.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "offer", "category": "packaging/pallets", "title": "40 palettes Europe",
    "description": "Palettes en bon état, à enlever sur place", "exchange_mode": "sell", "price_cents": 300,
    "price_per": "unit", "quantity": "40", "unit": "piece", "condition": "good", "available_until": "2026-12-31",
    "insee_code": "21231"}))]
pub struct ListingBody {
    pub kind: Option<ListingKind>,
    /// A code of `GET /api/v1/categories`, e.g. `packaging/pallets`.
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `goods`, `skill` or `space`; follows from the category when absent.
    #[serde(default)]
    pub resource_type: String,
    /// European Waste Catalogue code, e.g. `15 01 03`.
    #[serde(default)]
    pub ewc_code: String,
    /// `give` (default), `exchange`, `lend`, `rent` or `sell` — among those the territory allows.
    #[serde(default)]
    pub exchange_mode: String,
    /// Euro cents; required to sell or rent, absent to give or lend.
    pub price_cents: Option<i64>,
    /// `lot` or `unit` (sell, exchange); `day`, `week`, `month` or `year` (rent).
    #[serde(default)]
    pub price_per: String,
    /// A decimal number (or its text), e.g. `12.5`.
    #[schema(value_type = Option<String>, example = "12.5")]
    pub quantity: Option<Value>,
    /// `piece`, `kg`, `t`, `m`, `m2`, `m3`, `L`, `h` or `day`.
    #[serde(default)]
    pub unit: String,
    /// `one_off` (default), `week`, `month` or `year`.
    #[serde(default)]
    pub recurrence: String,
    /// Goods only: `new`, `like_new`, `good`, `used` or `for_parts`.
    #[serde(default)]
    pub condition: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub available_from: String,
    /// `YYYY-MM-DD`; the listing expires by itself after this day.
    #[serde(default)]
    pub available_until: String,
    /// One of the organisation's sites (its coordinates place the listing)…
    #[serde(default)]
    pub site_id: String,
    /// …or a commune of the territory (INSEE code).
    #[serde(default)]
    pub insee_code: String,
    /// Creation only: keep as a draft instead of submitting it (default: submit).
    #[serde(default)]
    pub draft: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Annonce en double"}))]
pub struct HideListing {
    /// Told to the owner.
    #[schema(example = "Annonce en double")]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Location {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub site_id: String,
    pub insee_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Listing {
    pub id: String,
    pub organisation_id: String,
    pub owner_user_id: String,
    pub kind: ListingKind,
    pub resource_type: String,
    pub category: String,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ewc_code: String,
    pub exchange_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_cents: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub price_per: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub quantity: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub recurrence: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub available_from: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub available_until: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// `draft`, `pending_approval`, `published`, `reserved`, `completed`, `withdrawn`,
    /// `expired` or `hidden`.
    pub status: String,
    /// Why a facilitator hid it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status_reason: String,
    pub created_at: String,
    pub updated_at: String,
    /// Search only: text relevance (title terms weigh 3, description terms 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    /// Search near a point only, in km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema, Default)]
pub struct Facets {
    /// Per top-level category.
    pub categories: Vec<FacetCount>,
    pub exchange_modes: Vec<FacetCount>,
}

#[derive(Serialize, ToSchema)]
pub struct ListingPage {
    pub listings: Vec<Listing>,
    /// Empty on the last page.
    pub next_page_token: String,
    /// Counts for the whole search, on its first page (absent for `mine`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
}

#[derive(Deserialize, IntoParams, Default)]
// Query parameters: without this, utoipa takes them for path parameters behind our own
// extractors (`ApiQuery`).
#[into_params(parameter_in = Query)]
pub struct ListingFilters {
    /// Free text; accents, case and plurals do not matter ("palette" finds "Palettes").
    pub q: Option<String>,
    pub kind: Option<ListingKind>,
    /// `goods`, `skill` or `space`.
    pub resource_type: Option<String>,
    /// A category and its sub-categories.
    pub category: Option<String>,
    pub exchange_mode: Option<String>,
    /// Give and lend only.
    pub free_only: Option<bool>,
    /// INSEE code of a commune.
    pub insee_code: Option<String>,
    /// Near a point (with `longitude`)…
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// …or near one of my sites (members only).
    pub from_site_id: Option<String>,
    /// Default 30, at most 200.
    pub radius_km: Option<f64>,
    /// `YYYY-MM-DD`: available that day.
    pub available_on: Option<String>,
    /// `relevance` (default), `newest` or `nearest`.
    pub sort: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// Only my own listings, every status, newest first (other filters but kind and category
    /// are ignored).
    pub mine: Option<bool>,
    /// Facilitators: the listings of that status, newest first, e.g. `pending_approval` (the
    /// approval queue); filters other than kind and category are ignored.
    pub status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Category {
    #[schema(example = "packaging/pallets")]
    pub code: String,
    /// Absent for a top-level category.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub parent: String,
    pub resource_type: String,
    /// In the caller's language (`Accept-Language`).
    #[schema(example = "Palettes")]
    pub label: String,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryList {
    pub categories: Vec<Category>,
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
    Listing {
        created_at: crate::clients::rfc3339(listing.created_at.as_ref()),
        updated_at: crate::clients::rfc3339(listing.updated_at.as_ref()),
        status: status_name(listing.status).to_owned(),
        id: listing.id,
        organisation_id: listing.organisation_id,
        owner_user_id: listing.owner_user_id,
        kind,
        resource_type: listing.resource_type,
        category: listing.category,
        title: listing.title,
        description: listing.description,
        ewc_code: listing.ewc_code,
        exchange_mode: listing.exchange_mode,
        price_cents: listing.price_cents,
        price_per: listing.price_per,
        quantity: listing.quantity,
        unit: listing.unit,
        recurrence: listing.recurrence,
        condition: listing.condition,
        available_from: listing.available_from,
        available_until: listing.available_until,
        location: listing.location.map(|l| Location {
            site_id: l.site_id,
            insee_code: l.insee_code,
            latitude: l.latitude,
            longitude: l.longitude,
        }),
        status_reason: listing.status_reason,
        score: None,
        distance_km: None,
    }
}

fn fields_message(body: ListingBody) -> Result<pb::ListingFields, ApiError> {
    let quantity = match body.quantity {
        None | Some(Value::Null) => String::new(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(ApiError::invalid(
                "quantity",
                Text::new(
                    "quantity: must be a number such as 12.5",
                    "quantity : doit être un nombre tel que 12,5",
                ),
            ));
        }
    };
    Ok(pb::ListingFields {
        kind: body
            .kind
            .map_or(pb::ListingKind::Unspecified, kind_message)
            .into(),
        resource_type: body.resource_type,
        category: body.category,
        title: body.title,
        description: body.description,
        ewc_code: body.ewc_code,
        exchange_mode: body.exchange_mode,
        price_cents: body.price_cents,
        price_per: body.price_per,
        quantity,
        unit: body.unit,
        recurrence: body.recurrence,
        condition: body.condition,
        available_from: body.available_from,
        available_until: body.available_until,
        site_id: body.site_id,
        insee_code: body.insee_code,
    })
}

fn search_filters(filters: ListingFilters) -> pb::SearchFilters {
    pb::SearchFilters {
        text: filters.q.unwrap_or_default(),
        kind: filters
            .kind
            .map_or(pb::ListingKind::Unspecified, kind_message)
            .into(),
        resource_type: filters.resource_type.unwrap_or_default(),
        category: filters.category.unwrap_or_default(),
        exchange_mode: filters.exchange_mode.unwrap_or_default(),
        free_only: filters.free_only.unwrap_or(false),
        insee_code: filters.insee_code.unwrap_or_default(),
        latitude: filters.latitude,
        longitude: filters.longitude,
        from_site_id: filters.from_site_id.unwrap_or_default(),
        radius_km: filters.radius_km,
        available_on: filters.available_on.unwrap_or_default(),
        sort: filters.sort.unwrap_or_default(),
        page_size: filters.page_size.unwrap_or(0),
        page_token: filters.page_token.unwrap_or_default(),
    }
}

fn search_page(found: pb::SearchListingsResponse) -> ListingPage {
    let counts = |counts: Vec<pb::FacetCount>| {
        counts
            .into_iter()
            .map(|c| FacetCount {
                value: c.value,
                count: c.count,
            })
            .collect::<Vec<_>>()
    };
    let first_page = !found.categories.is_empty() || found.hits.is_empty();
    ListingPage {
        listings: found
            .hits
            .into_iter()
            .filter_map(|hit| {
                let mut listing = listing_json(hit.listing?);
                listing.score = Some(hit.score);
                listing.distance_km = hit.distance_km;
                Some(listing)
            })
            .collect(),
        next_page_token: found.next_page_token,
        facets: first_page.then(|| Facets {
            categories: counts(found.categories),
            exchange_modes: counts(found.exchange_modes),
        }),
    }
}

/// Creates an offer or a request: submitted at once (published, or waiting for a facilitator
/// when the territory wants listings approved), or kept as a draft.
#[utoipa::path(post, path = "/api/v1/listings", request_body = ListingBody, security(("member" = [])),
    responses((status = 201, body = Listing), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn create(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<ListingBody>,
) -> Result<(StatusCode, Json<Listing>), ApiError> {
    let message = pb::CreateListingRequest {
        draft: body.draft,
        fields: Some(fields_message(body)?),
        ..Default::default()
    };
    let listing = state.listings.create(&member.caller, message).await?;
    Ok((StatusCode::CREATED, Json(listing_json(listing))))
}

/// Searches the published listings of the caller's territory (or lists mine with `mine=true`).
#[utoipa::path(get, path = "/api/v1/listings", params(ListingFilters), security(("member" = [])),
    responses((status = 200, body = ListingPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "A `status` other than published, asked by a member about listings not their own", body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(filters): ApiQuery<ListingFilters>,
) -> Result<Json<ListingPage>, ApiError> {
    if filters.mine.unwrap_or(false) || filters.status.is_some() {
        let message = pb::ListListingsRequest {
            page_size: filters.page_size.unwrap_or(0),
            page_token: filters.page_token.unwrap_or_default(),
            kind: filters
                .kind
                .map_or(pb::ListingKind::Unspecified, kind_message)
                .into(),
            category: filters.category.unwrap_or_default(),
            mine: filters.mine.unwrap_or(false),
            status: filters.status.unwrap_or_default(),
        };
        let page = state.listings.list(&member.caller, message).await?;
        return Ok(Json(ListingPage {
            listings: page.listings.into_iter().map(listing_json).collect(),
            next_page_token: page.next_page_token,
            facets: None,
        }));
    }
    let found = state
        .listings
        .search(&member.caller, search_filters(filters))
        .await?;
    Ok(Json(search_page(found)))
}

/// Searches a territory's published listings without an account (public pages).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/listings", params(("tenant" = String, Path), ListingFilters),
    responses((status = 200, body = ListingPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn public_search(
    State(state): State<GatewayState>,
    ApiPath(tenant): ApiPath<String>,
    ApiQuery(filters): ApiQuery<ListingFilters>,
) -> Result<Json<ListingPage>, ApiError> {
    let found = state
        .listings
        .search_public(&tenant, search_filters(filters))
        .await?;
    Ok(Json(search_page(found)))
}

/// One published listing of a territory, without an account.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/listings/{id}", params(("tenant" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Listing), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn public_get(
    State(state): State<GatewayState>,
    ApiPath((tenant, id)): ApiPath<(String, String)>,
) -> Result<Json<Listing>, ApiError> {
    let listing = state.listings.get_public(&tenant, &id).await?;
    Ok(Json(listing_json(listing)))
}

/// The category tree, labelled in the caller's language (`Accept-Language`). Public.
#[utoipa::path(get, path = "/api/v1/categories", responses((status = 200, body = CategoryList)))]
pub async fn categories(
    State(state): State<GatewayState>,
    headers: HeaderMap,
) -> Result<Json<CategoryList>, ApiError> {
    let language = Language::negotiate(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
        Language::En,
    );
    let categories = state.listings.categories().await?;
    Ok(Json(CategoryList {
        categories: categories
            .into_iter()
            .map(|c| Category {
                label: match language {
                    Language::Fr => c.label_fr,
                    Language::En => c.label_en,
                },
                code: c.code,
                parent: c.parent,
                resource_type: c.resource_type,
            })
            .collect(),
    }))
}

/// One listing of the caller's territory (drafts and the like: its organisation and
/// facilitators only).
#[utoipa::path(get, path = "/api/v1/listings/{id}", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = Listing), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Listing>, ApiError> {
    let listing = state.listings.get(&member.caller, &id).await?;
    Ok(Json(listing_json(listing)))
}

/// The owner's organisation edits a draft or a published listing (every field is rewritten).
#[utoipa::path(put, path = "/api/v1/listings/{id}", params(("id" = uuid::Uuid, Path)), request_body = ListingBody, security(("member" = [])),
    responses((status = 200, body = Listing), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ListingBody>,
) -> Result<Json<Listing>, ApiError> {
    let fields = fields_message(body)?;
    let listing = state.listings.update(&member.caller, &id, fields).await?;
    Ok(Json(listing_json(listing)))
}

/// Submits a draft: published, or waiting for a facilitator's approval.
#[utoipa::path(post, path = "/api/v1/listings/{id}/submit", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = Listing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Listing>, ApiError> {
    let listing = state.listings.submit(&member.caller, &id).await?;
    Ok(Json(listing_json(listing)))
}

/// A facilitator approves a listing waiting for approval.
#[utoipa::path(post, path = "/api/v1/listings/{id}/approve", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = Listing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Listing>, ApiError> {
    let listing = state.listings.approve(&member.caller, &id).await?;
    Ok(Json(listing_json(listing)))
}

/// The owner's organisation withdraws its listing.
#[utoipa::path(post, path = "/api/v1/listings/{id}/withdraw", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = Listing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Listing>, ApiError> {
    let listing = state.listings.withdraw(&member.caller, &id).await?;
    Ok(Json(listing_json(listing)))
}

/// A facilitator hides a listing; the reason is told to the owner.
#[utoipa::path(post, path = "/api/v1/listings/{id}/hide", params(("id" = uuid::Uuid, Path)), request_body = HideListing, security(("member" = [])),
    responses((status = 200, body = Listing), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hide(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<HideListing>,
) -> Result<Json<Listing>, ApiError> {
    let listing = state
        .listings
        .hide(&member.caller, &id, body.reason)
        .await?;
    Ok(Json(listing_json(listing)))
}
