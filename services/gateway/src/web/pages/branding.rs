//! The territory's logo on the administration page (issue 17): upload and removal. The upload
//! is checked at the edge like a photo (size, content sniffed, SVG refused) and by identity
//! (decoded, bounded, re-encoded); its refusals are shown next to the logo field, in the
//! visitor's language.

use axum::Form;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use synergies_proto::identity::v1 as pb;

use super::administration::administration_page;
use super::{Feedback, form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::upload::LOGO;
use crate::web::page::Page;

/// The form's CSRF token and the logo's bytes.
async fn read_logo_form(
    form: Result<Multipart, MultipartRejection>,
) -> Result<(String, Vec<u8>), ApiError> {
    let mut form = form.map_err(|_| LOGO.not_a_form())?;
    let mut csrf_token = String::new();
    let mut logo = None;
    while let Some(field) = form.next_field().await.map_err(|e| LOGO.unreadable(&e))? {
        match field.name() {
            Some("csrf_token") => {
                csrf_token = field.text().await.map_err(|e| LOGO.unreadable(&e))?;
            }
            // A file input left empty still sends one part, without a file name or bytes.
            Some("logo") if field.file_name().is_none_or(str::is_empty) => {}
            Some("logo") => logo = Some(LOGO.read_field(field).await?),
            _ => {}
        }
    }
    Ok((csrf_token, logo.ok_or_else(|| LOGO.no_field())?))
}

pub async fn upload_logo(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let (csrf_token, image) = match read_logo_form(form).await {
        Ok(uploaded) => uploaded,
        Err(error) => {
            let feedback = Feedback::from_error(&page, &error);
            return administration_page(page, &state, None, feedback, None).await;
        }
    };
    let caller = match form_caller(&state, &page, &headers, &csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::SetTenantLogoRequest { image };
    match state.identity.set_tenant_logo(&caller, message).await {
        Ok(_) => see_other(&page, "/administration", "logo_saved"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            administration_page(page, &state, None, feedback, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    pub csrf_token: String,
}

pub async fn remove_logo(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    match state.identity.remove_tenant_logo(&caller).await {
        Ok(_) => see_other(&page, "/administration", "logo_removed"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            administration_page(page, &state, None, feedback, None).await
        }
    }
}
