//! Signing in and out, and the forgotten-password journey.

use crate::client_address::ClientAddress;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_proto::identity::v1 as pb;

use super::{Feedback, check_csrf, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    page: Page,
    feedback: Feedback,
    email: String,
    notice: Option<&'static str>,
    /// Where to go once signed in (a path of this territory), or empty.
    next: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    pub notice: Option<String>,
    #[serde(default)]
    pub next: String,
}

pub async fn sign_in_form(page: Page, Query(query): Query<SignInQuery>) -> Response {
    let notice = super::notice(
        &page,
        query.notice.map(|n| format!("notice={n}")).as_deref(),
    );
    let next = page.local_path(&query.next).unwrap_or_default().to_owned();
    render(&SignIn {
        page,
        feedback: Feedback::none(),
        email: String::new(),
        notice,
        next,
    })
}

#[derive(Deserialize)]
pub struct SignInForm {
    pub csrf_token: String,
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

/// Where a person lands once signed in: back where they were (a page of this territory only:
/// never another site), else facilitators on their work, everyone else on their account.
async fn landing(state: &GatewayState, page: &Page, access_token: &str, next: &str) -> String {
    if let Some(next) = page.local_path(next) {
        return next.to_owned();
    }
    let facilitator = match state.verifier.verify(access_token).await {
        Ok(claims) => {
            let caller = synergies_platform::context::CallerContext::from_claims(
                &claims,
                access_token.to_owned(),
                None,
            );
            caller.roles.iter().any(|role| {
                matches!(
                    role,
                    synergies_platform::auth::Role::Facilitator
                        | synergies_platform::auth::Role::TenantAdmin
                )
            })
        }
        Err(_) => false,
    };
    if facilitator {
        page.href("/animation")
    } else {
        page.href("/compte")
    }
}

pub async fn sign_in(
    page: Page,
    State(state): State<GatewayState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &page, &headers, &form.csrf_token) {
        return refused;
    }
    let message = pb::LoginRequest {
        tenant: page.tenant.slug.clone(),
        email: form.email.clone(),
        password: form.password,
        client_address: client,
    };
    let answer = state.identity.login(message).await.map_err(ApiError::from);
    let pair = match answer.map(|a| a.tokens) {
        Ok(Some(pair)) => pair,
        Ok(None) => return page.error(&ApiError::incomplete_answer()),
        Err(error) => {
            return render(&SignIn {
                feedback: Feedback::from_error(&page, &error),
                email: form.email,
                notice: None,
                next: page.local_path(&form.next).unwrap_or_default().to_owned(),
                page,
            });
        }
    };
    let mut cookies = HeaderMap::new();
    state.cookies.renew(
        &mut cookies,
        &pair.access_token,
        &pair.refresh_token,
        pair.expires_in_seconds,
    );
    let landing = landing(&state, &page, &pair.access_token, &form.next).await;
    (cookies, Redirect::to(&landing)).into_response()
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    pub csrf_token: String,
}

pub async fn sign_out(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &page, &headers, &form.csrf_token) {
        return refused;
    }
    if let Some(refresh_token) = state.cookies.refresh_token(&headers) {
        let message = pb::LogoutRequest {
            refresh_token: refresh_token.to_owned(),
        };
        if let Err(error) = state.identity.logout(message).await {
            tracing::warn!(%error, "sign-out could not revoke the refresh token");
        }
    }
    let mut cookies = HeaderMap::new();
    state.cookies.end_tokens(&mut cookies);
    (cookies, Redirect::to(&page.href("/"))).into_response()
}

#[derive(Template)]
#[template(path = "forgotten.html")]
struct Forgotten {
    page: Page,
    feedback: Feedback,
    sent: bool,
}

pub async fn forgotten_form(page: Page) -> Response {
    render(&Forgotten {
        page,
        feedback: Feedback::none(),
        sent: false,
    })
}

#[derive(Deserialize)]
pub struct ForgottenForm {
    pub csrf_token: String,
    pub email: String,
}

pub async fn forgotten(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<ForgottenForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &page, &headers, &form.csrf_token) {
        return refused;
    }
    let message = pb::RequestPasswordResetRequest {
        tenant: page.tenant.slug.clone(),
        email: form.email,
    };
    match state.identity.request_password_reset(message).await {
        // The same answer whether or not the address has an account.
        Ok(_) => render(&Forgotten {
            page,
            feedback: Feedback::none(),
            sent: true,
        }),
        Err(status) => {
            let error = ApiError::from(status);
            render(&Forgotten {
                feedback: Feedback::from_error(&page, &error),
                page,
                sent: false,
            })
        }
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

#[derive(Template)]
#[template(path = "reset.html")]
struct Reset {
    page: Page,
    feedback: Feedback,
    token: String,
}

pub async fn reset_form(page: Page, Query(query): Query<TokenQuery>) -> Response {
    render(&Reset {
        page,
        feedback: Feedback::none(),
        token: query.token,
    })
}

#[derive(Deserialize)]
pub struct ResetForm {
    pub csrf_token: String,
    pub token: String,
    pub new_password: String,
}

pub async fn reset(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &page, &headers, &form.csrf_token) {
        return refused;
    }
    let message = pb::ResetPasswordRequest {
        token: form.token.clone(),
        new_password: form.new_password,
    };
    match state.identity.reset_password(message).await {
        Ok(_) => see_other(&page, "/connexion", "password_reset"),
        Err(status) => {
            let error = ApiError::from(status);
            render(&Reset {
                feedback: Feedback::from_error(&page, &error),
                token: form.token,
                page,
            })
        }
    }
}
