//! A listing's photos: listed on its page, added from its page.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use synergies_proto::listings::v1 as pb;

use super::super::{Feedback, form_caller, see_other};
use super::listing_page::listing_page;
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::Page;

/// A photo of a listing page: where its thumbnail and full size are.
pub struct PhotoView {
    pub id: String,
    pub thumbnail: String,
    pub full: String,
}

pub(super) async fn photos(state: &GatewayState, page: &Page, id: &str) -> Vec<PhotoView> {
    let member = page.viewer.as_ref().filter(|v| !v.is_operator());
    let message = pb::ListPhotosRequest {
        listing_id: id.to_owned(),
        public_tenant: if member.is_some() {
            String::new()
        } else {
            page.tenant.slug.clone()
        },
    };
    let caller = member.map(|viewer| &viewer.caller);
    let found = match state.photos.list(caller, message).await {
        Ok(photos) => photos,
        Err(status) => {
            tracing::warn!(%status, "photos of a listing page unavailable");
            Vec::new()
        }
    };
    let base = if member.is_some() {
        "/api/v1/photos".to_owned()
    } else {
        format!("/api/v1/tenants/{}/photos", page.tenant.slug)
    };
    found
        .into_iter()
        .map(|photo| PhotoView {
            id: photo.id.clone(),
            thumbnail: format!("{base}/{}/thumbnail", photo.id),
            full: format!("{base}/{}", photo.id),
        })
        .collect()
}

/// A listing card's picture: its first photo's thumbnail, or a placeholder. Cards ask for it
/// themselves (`<img loading="lazy">`), so that a page of results costs no photo look-up.
pub async fn thumbnail(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let first = photos(&state, &page, &id).await.into_iter().next();
    let target = first.map_or_else(
        || "/static/listing-placeholder.svg".to_owned(),
        |photo| photo.thumbnail,
    );
    // Photos are added and reordered: a card looks again after a minute.
    (
        [(axum::http::header::CACHE_CONTROL, "private, max-age=60")],
        Redirect::to(&target),
    )
        .into_response()
}

/// The photo form of a listing page: the CSRF token, then the `photo` file.
pub async fn add_photo(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let uploaded = read_photo_form(form).await;
    let (csrf_token, photo) = match uploaded {
        Ok(uploaded) => uploaded,
        Err(error) => {
            let feedback = Feedback::from_error(&page, &error);
            return listing_page(page, &state, &id, feedback, None).await;
        }
    };
    let caller = match form_caller(&state, &page, &headers, &csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    match state.photos.add(&caller, &id, photo).await {
        Ok(_) => see_other(&page, &format!("/annonces/{id}"), "photo_added"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            listing_page(page, &state, &id, feedback, None).await
        }
    }
}

async fn read_photo_form(
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(String, Vec<u8>), ApiError> {
    use crate::upload::{no_photo_field, not_a_form, read_photo_field, unreadable_form};
    let mut form = form.map_err(|_| not_a_form())?;
    let mut csrf_token = String::new();
    let mut photo = None;
    while let Some(field) = form.next_field().await.map_err(|e| unreadable_form(&e))? {
        match field.name() {
            Some("csrf_token") => {
                csrf_token = field.text().await.map_err(|e| unreadable_form(&e))?;
            }
            Some("photo") => photo = Some(read_photo_field(field).await?),
            _ => {}
        }
    }
    Ok((csrf_token, photo.ok_or_else(no_photo_field)?))
}

#[derive(serde::Deserialize)]
pub struct ArrangeForm {
    pub csrf_token: String,
    /// `earlier`, `later` or `remove`.
    pub action: String,
}

/// `photo_ids` with `photo` one place earlier or later (unchanged at either end).
fn moved(mut photo_ids: Vec<String>, photo: &str, earlier: bool) -> Vec<String> {
    if let Some(at) = photo_ids.iter().position(|id| id == photo) {
        let other = if earlier {
            at.checked_sub(1)
        } else {
            Some(at + 1).filter(|next| *next < photo_ids.len())
        };
        if let Some(other) = other {
            photo_ids.swap(at, other);
        }
    }
    photo_ids
}

/// The owner's buttons beside each photo of a listing page: move it earlier or later (the
/// first photo is the listing's picture in search results), or remove it.
pub async fn arrange(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id, photo_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ArrangeForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let done = match form.action.as_str() {
        "remove" => state
            .photos
            .delete(&caller, &id, &photo_id)
            .await
            .map(|()| "photo_removed"),
        direction => {
            let current = photos(&state, &page, &id)
                .await
                .into_iter()
                .map(|photo| photo.id)
                .collect();
            let photo_ids = moved(current, &photo_id, direction == "earlier");
            state
                .photos
                .reorder(&caller, &id, photo_ids)
                .await
                .map(|_| "photo_moved")
        }
    };
    match done {
        Ok(notice) => see_other(&page, &format!("/annonces/{id}"), notice),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            listing_page(page, &state, &id, feedback, None).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::moved;

    #[test]
    fn a_photo_moves_one_place_and_stays_at_either_end() {
        let ids = || vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(moved(ids(), "b", true), ["b", "a", "c"]);
        assert_eq!(moved(ids(), "b", false), ["a", "c", "b"]);
        assert_eq!(moved(ids(), "a", true), ["a", "b", "c"]);
        assert_eq!(moved(ids(), "c", false), ["a", "b", "c"]);
        assert_eq!(moved(ids(), "z", false), ["a", "b", "c"]);
    }
}
