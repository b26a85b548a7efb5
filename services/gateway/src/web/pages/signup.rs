//! Joining the territory: an organisation and its first user sign up, confirm the e-mail
//! address, then wait for a facilitator's approval.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_proto::identity::v1 as pb;

use super::auth::TokenQuery;
use super::{Feedback, FieldErrors, check_csrf, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// What the visitor typed, shown again when the form is refused.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    pub csrf_token: String,
    /// One per rendered form (see `Page::fresh_idempotency_key`): sent twice, it signs up once.
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub organisation_name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub siret: String,
    #[serde(default)]
    pub rna: String,
    #[serde(default)]
    pub naf: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub insee_code: String,
    #[serde(default)]
    pub latitude: String,
    #[serde(default)]
    pub longitude: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUp {
    page: Page,
    errors: FieldErrors,
    form: SignUpForm,
}

impl SignUp {
    fn kind_is(&self, kind: &str) -> bool {
        self.form.kind == kind || (self.form.kind.is_empty() && kind == "company")
    }
}

pub async fn form(page: Page) -> Response {
    render(&SignUp {
        page,
        errors: FieldErrors::default(),
        form: SignUpForm::default(),
    })
}

/// An optional decimal typed in a form (a French visitor may type a decimal comma). What is
/// not a number is sent as NaN: the service then refuses the position next to its field,
/// together with every other mistake of the form, rather than this one alone.
fn coordinate(value: &str) -> Option<f64> {
    let value = value.trim().replace(',', ".");
    if value.is_empty() {
        return None;
    }
    Some(value.parse().unwrap_or(f64::NAN))
}

fn kind(value: &str) -> pb::OrganisationKind {
    match value {
        "association" => pb::OrganisationKind::Association,
        "public_body" => pb::OrganisationKind::PublicBody,
        _ => pb::OrganisationKind::Company,
    }
}

async fn sign_up(state: &GatewayState, page: &Page, form: &SignUpForm) -> Result<(), ApiError> {
    let message = pb::SignUpRequest {
        tenant: page.tenant.slug.clone(),
        organisation_name: form.organisation_name.clone(),
        kind: kind(&form.kind).into(),
        siret: form.siret.clone(),
        rna: form.rna.clone(),
        naf: form.naf.clone(),
        site: Some(pb::Site {
            id: String::new(),
            address: form.address.clone(),
            insee_code: form.insee_code.clone(),
            latitude: coordinate(&form.latitude),
            longitude: coordinate(&form.longitude),
        }),
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        language: page.lang.code().to_owned(),
    };
    let key = Some(form.idempotency_key.clone()).filter(|k| !k.is_empty());
    // The request is built inside the scope: that is where it picks up the key.
    synergies_platform::idempotency::scope(key, async { state.identity.sign_up(message).await })
        .await?;
    Ok(())
}

pub async fn submit(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(mut form): Form<SignUpForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &page, &headers, &form.csrf_token) {
        return refused;
    }
    match sign_up(&state, &page, &form).await {
        Ok(()) => Redirect::to(&page.href("/inscription/envoyee")).into_response(),
        Err(error) => {
            // Never send a password back into a page.
            form.password.clear();
            let mut response = render(&SignUp {
                errors: FieldErrors::from_service(&page, &error, |_| None),
                form,
                page,
            });
            *response.status_mut() = error.status;
            response
        }
    }
}

#[derive(Template)]
#[template(path = "sign_up_sent.html")]
struct Sent {
    page: Page,
}

pub async fn sent(page: Page) -> Response {
    render(&Sent { page })
}

#[derive(Template)]
#[template(path = "verify.html")]
struct Verify {
    page: Page,
    feedback: Feedback,
    token: String,
}

/// The link of the confirmation e-mail shows a button rather than confirming at once: mail
/// scanners that open links must not be the ones who confirm.
pub async fn verify_form(page: Page, Query(query): Query<TokenQuery>) -> Response {
    render(&Verify {
        page,
        feedback: Feedback::none(),
        token: query.token,
    })
}

#[derive(Deserialize)]
pub struct VerifyForm {
    pub csrf_token: String,
    pub token: String,
}

pub async fn verify(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &page, &headers, &form.csrf_token) {
        return refused;
    }
    let message = pb::VerifyEmailRequest {
        token: form.token.clone(),
    };
    match state.identity.verify_email(message).await {
        Ok(_) => see_other(&page, "/connexion", "verified"),
        Err(status) => {
            let error = ApiError::from(status);
            render(&Verify {
                feedback: Feedback::from_error(&page, &error),
                token: form.token,
                page,
            })
        }
    }
}
