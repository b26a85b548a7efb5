//! The signed-in member's saved searches: a new listing that fits one alerts them (inbox item
//! `alert.saved_search`, by e-mail at their "alert" rhythm).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use synergies_proto::notifications::v1 as pb;
use utoipa::ToSchema;

use crate::auth::Member;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::GatewayState;

/// What to look for: words the listing holds (all of them), a kind, a category code or
/// family, an exchange mode, a commune, free listings only. At least one. The sort is kept to
/// open the search again as it was; alerts do not depend on it.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"text": "palette", "kind": "offer", "category": "packaging", "free_only": true, "sort": "newest"}))]
pub struct SavedSearchBody {
    #[serde(default)]
    pub text: String,
    /// `offer`, `request`, or absent for both.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub category: String,
    /// `give`, `exchange`, `lend`, `rent`, `sell`, or absent for any.
    #[serde(default)]
    pub exchange_mode: String,
    /// The INSEE code of a commune of the territory, or absent for all.
    #[serde(default)]
    pub insee_code: String,
    /// Given or lent listings only, as the listings search's `free_only`.
    #[serde(default)]
    pub free_only: bool,
    /// As the listings search's `sort`: `relevance`, `newest` or `nearest`; absent for the
    /// default.
    #[serde(default)]
    pub sort: String,
}

#[derive(Serialize, ToSchema)]
pub struct SavedSearch {
    pub id: String,
    pub text: String,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub exchange_mode: Option<String>,
    pub insee_code: Option<String>,
    pub free_only: bool,
    /// `relevance`, `newest` or `nearest`; absent: the search's default.
    pub sort: Option<String>,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SavedSearches {
    pub saved_searches: Vec<SavedSearch>,
}

fn search_json(search: pb::SavedSearch) -> SavedSearch {
    let non_empty = |value: String| Some(value).filter(|v| !v.is_empty());
    SavedSearch {
        created_at: crate::clients::rfc3339(search.created_at.as_ref()),
        id: search.id,
        text: search.text,
        kind: non_empty(search.kind),
        category: non_empty(search.category),
        exchange_mode: non_empty(search.exchange_mode),
        insee_code: non_empty(search.insee_code),
        free_only: search.free_only,
        sort: non_empty(search.sort),
    }
}

/// Saves a search; new listings that fit it alert the caller.
#[utoipa::path(post, path = "/api/v1/saved-searches", request_body = SavedSearchBody, security(("member" = [])),
    responses((status = 201, body = SavedSearch), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<SavedSearchBody>,
) -> Result<(StatusCode, Json<SavedSearch>), ApiError> {
    let message = pb::CreateSavedSearchRequest {
        text: body.text,
        kind: body.kind,
        category: body.category,
        exchange_mode: body.exchange_mode,
        insee_code: body.insee_code,
        free_only: body.free_only,
        sort: body.sort,
    };
    let saved = state
        .notifications
        .save_search(&member.caller, message)
        .await?;
    Ok((StatusCode::CREATED, Json(search_json(saved))))
}

/// The caller's saved searches, oldest first.
#[utoipa::path(get, path = "/api/v1/saved-searches", security(("member" = [])),
    responses((status = 200, body = SavedSearches), (status = 401, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<Json<SavedSearches>, ApiError> {
    let searches = state.notifications.saved_searches(&member.caller).await?;
    Ok(Json(SavedSearches {
        saved_searches: searches.into_iter().map(search_json).collect(),
    }))
}

/// Deletes one of the caller's saved searches.
#[utoipa::path(delete, path = "/api/v1/saved-searches/{id}", params(("id" = String, Path)), security(("member" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    member: Member,
    State(state): State<GatewayState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .notifications
        .delete_saved_search(&member.caller, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
