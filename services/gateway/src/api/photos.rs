//! Photos of listings: upload (`multipart/form-data`, what a browser form sends), list, fetch
//! (full or thumbnail) and delete.
//!
//! The gateway refuses what it can see at once — a body over the photo limit (413), content that
//! is not a JPEG, PNG or WebP image by its first bytes (415) — before anything travels further;
//! the listings service checks again and does the rest (decoding, re-encoding, the 8-photo cap).
//!
//! Visitors who are not signed in read the photos of *published* listings through
//! `/api/v1/tenants/{tenant}/…`: the territory's slug in the address names the tenant, since
//! there is no token to take it from (the public listing pages of issue 5 link there).

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use synergies_proto::listings::v1 as pb;
use utoipa::ToSchema;

use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::GatewayState;
use crate::upload::{not_a_form, read_photo};

/// Photo bytes never change for an id (a new upload is a new photo), but a photo can be deleted
/// or its listing withdrawn: an hour bounds how long a copy outlives that.
const CACHE_SECONDS: u32 = 3600;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b",
    "listing_id": "0193a1b0-1111-7222-8333-444455556666",
    "position": 0,
    "content_type": "image/jpeg",
    "width": 2000, "height": 1500, "size_bytes": 412_345,
    "thumbnail_width": 400, "thumbnail_height": 300, "thumbnail_size_bytes": 23_456,
    "created_at": "2026-11-28T17:42:00.000000Z",
    "url": "/api/v1/photos/0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b",
    "thumbnail_url": "/api/v1/photos/0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b/thumbnail"
}))]
pub struct Photo {
    pub id: String,
    pub listing_id: String,
    /// 0-based place in the listing's gallery.
    pub position: u32,
    /// Content type of both renditions (photos are re-encoded as JPEG).
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size_bytes: u64,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
    pub thumbnail_size_bytes: u64,
    pub created_at: String,
    /// Where a signed-in member fetches the photo.
    pub url: String,
    pub thumbnail_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct PhotoList {
    /// In gallery order.
    pub photos: Vec<Photo>,
}

/// A listing's gallery in a new order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"photo_ids": [
    "0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5c",
    "0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b"
]}))]
pub struct PhotoOrder {
    /// Every photo of the listing, once, first shown first.
    pub photo_ids: Vec<String>,
}

/// The upload form.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the multipart body for OpenAPI; read field by field.
pub struct PhotoUpload {
    /// A JPEG, PNG or WebP image of at most 10 MB. Its content decides, not its name or declared
    /// type. It is re-encoded as JPEG (at most 2000 px on its longer side) without any metadata.
    #[schema(value_type = String, format = Binary)]
    pub photo: Vec<u8>,
}

fn photo_json(photo: pb::Photo) -> Photo {
    Photo {
        created_at: crate::clients::rfc3339(photo.created_at.as_ref()),
        url: format!("/api/v1/photos/{}", photo.id),
        thumbnail_url: format!("/api/v1/photos/{}/thumbnail", photo.id),
        id: photo.id,
        listing_id: photo.listing_id,
        position: photo.position,
        content_type: photo.content_type,
        width: photo.width,
        height: photo.height,
        size_bytes: photo.size_bytes,
        thumbnail_width: photo.thumbnail_width,
        thumbnail_height: photo.thumbnail_height,
        thumbnail_size_bytes: photo.thumbnail_size_bytes,
    }
}

/// Middleware of the upload route: a refused upload closes the connection. The refusal may come
/// before the body is read (sign-in, size, type), and a connection with an unread body in it
/// cannot carry the client's next request.
pub async fn close_when_refused(mut response: Response) -> Response {
    if !response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Adds a photo to one of my organisation's listings (at most 8 per listing).
#[utoipa::path(post, path = "/api/v1/listings/{id}/photos", params(("id" = String, Path, description = "Listing id")),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    security(("member" = [])),
    responses(
        (status = 201, body = Photo, description = "Stored: re-encoded as JPEG, metadata removed, thumbnail made"),
        (status = 400, body = ErrorBody, description = "Not a readable image, or too many pixels"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The listing belongs to another organisation"),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "The photo is over 10 MB"),
        (status = 415, body = ErrorBody, description = "Not a JPEG, PNG or WebP image (by content), or not a multipart form"),
        (status = 422, body = ErrorBody, description = "The listing already has 8 photos"),
    ))]
pub async fn upload(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(listing_id): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Photo>), ApiError> {
    // The only rejection: no multipart content type (or no boundary in it).
    let form = form.map_err(|_| not_a_form())?;
    let content = read_photo(form).await?;
    let photo = state
        .photos
        .add(&member.caller, &listing_id, content)
        .await?;
    Ok((StatusCode::CREATED, Json(photo_json(photo))))
}

async fn list_for(
    state: &GatewayState,
    message: pb::ListPhotosRequest,
    member: Option<&Member>,
) -> Result<Json<PhotoList>, ApiError> {
    let photos = state
        .photos
        .list(member.map(|member| &member.caller), message)
        .await?;
    Ok(Json(PhotoList {
        photos: photos.into_iter().map(photo_json).collect(),
    }))
}

/// The photos of a listing of my territory, in gallery order.
#[utoipa::path(get, path = "/api/v1/listings/{id}/photos", params(("id" = String, Path, description = "Listing id")),
    security(("member" = [])),
    responses((status = 200, body = PhotoList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(listing_id): ApiPath<String>,
) -> Result<Json<PhotoList>, ApiError> {
    let message = pb::ListPhotosRequest {
        listing_id,
        public_tenant: String::new(),
    };
    list_for(&state, message, Some(&member)).await
}

/// The photos of a published listing, for anyone (no sign-in).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/listings/{id}/photos",
    params(("tenant" = String, Path, description = "Territory slug", example = "dijon"), ("id" = String, Path, description = "Listing id")),
    responses((status = 200, body = PhotoList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody, description = "No such published listing in this territory")))]
pub async fn list_public(
    State(state): State<GatewayState>,
    ApiPath((tenant, listing_id)): ApiPath<(String, String)>,
) -> Result<Json<PhotoList>, ApiError> {
    let message = pb::ListPhotosRequest {
        listing_id,
        public_tenant: tenant,
    };
    list_for(&state, message, None).await
}

async fn fetch(
    state: &GatewayState,
    message: pb::GetPhotoRequest,
    member: Option<&Member>,
) -> Result<Response, ApiError> {
    let answer = state
        .photos
        .get(member.map(|member| &member.caller), message)
        .await?;
    Ok(image_response(answer, member.is_some()))
}

/// The photo bytes, with headers that keep a browser from reading them as anything but an
/// image, and cacheable: a signed-in member's copy stays in their browser (`private`), a
/// visitor's may be kept by shared caches too.
fn image_response(answer: pb::GetPhotoResponse, signed_in: bool) -> Response {
    let content_type = if answer.content_type.starts_with("image/") {
        HeaderValue::from_str(&answer.content_type).ok()
    } else {
        None
    }
    .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let scope = if signed_in || !answer.public {
        "private"
    } else {
        "public"
    };
    let cache = HeaderValue::from_str(&format!("{scope}, max-age={CACHE_SECONDS}"))
        .expect("a valid header value");
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, cache),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        answer.content,
    )
        .into_response()
}

fn get_request(photo_id: String, variant: pb::PhotoVariant, tenant: String) -> pb::GetPhotoRequest {
    pb::GetPhotoRequest {
        photo_id,
        variant: variant.into(),
        public_tenant: tenant,
    }
}

/// A photo (at most 2000 px on its longer side), as JPEG.
#[utoipa::path(get, path = "/api/v1/photos/{id}", params(("id" = String, Path, description = "Photo id")),
    security(("member" = [])),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>, description = "The photo; `Cache-Control: private, max-age=3600`, `X-Content-Type-Options: nosniff`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn full(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(photo_id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let message = get_request(photo_id, pb::PhotoVariant::Full, String::new());
    fetch(&state, message, Some(&member)).await
}

/// A photo's thumbnail (at most 400 px on its longer side), as JPEG.
#[utoipa::path(get, path = "/api/v1/photos/{id}/thumbnail", params(("id" = String, Path, description = "Photo id")),
    security(("member" = [])),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>, description = "The thumbnail"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn thumbnail(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(photo_id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let message = get_request(photo_id, pb::PhotoVariant::Thumbnail, String::new());
    fetch(&state, message, Some(&member)).await
}

/// A photo of a published listing, for anyone (no sign-in).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/photos/{id}",
    params(("tenant" = String, Path, description = "Territory slug", example = "dijon"), ("id" = String, Path, description = "Photo id")),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>, description = "The photo; `Cache-Control: public, max-age=3600`"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn full_public(
    State(state): State<GatewayState>,
    ApiPath((tenant, photo_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    fetch(
        &state,
        get_request(photo_id, pb::PhotoVariant::Full, tenant),
        None,
    )
    .await
}

/// The thumbnail of a photo of a published listing, for anyone (no sign-in).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/photos/{id}/thumbnail",
    params(("tenant" = String, Path, description = "Territory slug", example = "dijon"), ("id" = String, Path, description = "Photo id")),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>, description = "The thumbnail"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn thumbnail_public(
    State(state): State<GatewayState>,
    ApiPath((tenant, photo_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let message = get_request(photo_id, pb::PhotoVariant::Thumbnail, tenant);
    fetch(&state, message, None).await
}

/// Deletes a photo of one of my organisation's listings.
#[utoipa::path(delete, path = "/api/v1/listings/{id}/photos/{photo_id}",
    params(("id" = String, Path, description = "Listing id"), ("photo_id" = String, Path, description = "Photo id")),
    security(("member" = [])),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The listing belongs to another organisation"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath((listing_id, photo_id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .photos
        .delete(&member.caller, &listing_id, &photo_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts the photos of one of my organisation's listings in a new order.
#[utoipa::path(put, path = "/api/v1/listings/{id}/photos/order", params(("id" = String, Path, description = "Listing id")),
    request_body = PhotoOrder, security(("member" = [])),
    responses((status = 200, body = PhotoList, description = "The gallery in its new order"),
        (status = 400, body = ErrorBody, description = "`photo_ids` does not name every photo of the listing exactly once"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reorder(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(listing_id): ApiPath<String>,
    ApiJson(body): ApiJson<PhotoOrder>,
) -> Result<Json<PhotoList>, ApiError> {
    let photos = state
        .photos
        .reorder(&member.caller, &listing_id, body.photo_ids)
        .await?;
    Ok(Json(PhotoList {
        photos: photos.into_iter().map(photo_json).collect(),
    }))
}
