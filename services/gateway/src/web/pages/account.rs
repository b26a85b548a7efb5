//! The signed-in person's own pages: waiting for approval, account, password, and the RGPD
//! rights (download everything, erase the account).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_proto::identity::v1 as pb;

use super::auth::NoticeQuery;
use super::{Feedback, form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// What identity holds about the signed-in person.
async fn me(
    state: &GatewayState,
    caller: &CallerContext,
) -> Result<pb::ExportMeResponse, ApiError> {
    Ok(state
        .identity
        .export_me(caller, pb::ExportMeRequest {})
        .await?)
}

#[derive(Template)]
#[template(path = "pending.html")]
struct Pending {
    page: Page,
    organisation: String,
    status: String,
    reason: String,
}

pub fn status_key(status: i32) -> &'static str {
    match pb::OrganisationStatus::try_from(status) {
        Ok(pb::OrganisationStatus::Approved) => "status.approved",
        Ok(pb::OrganisationStatus::Rejected) => "status.rejected",
        Ok(pb::OrganisationStatus::Suspended) => "status.suspended",
        Ok(pb::OrganisationStatus::Closed) => "status.closed",
        _ => "status.pending",
    }
}

pub async fn pending(page: Page, State(state): State<GatewayState>) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    match me(&state, &caller).await {
        Ok(me) => {
            let organisation = me.organisation.unwrap_or_default();
            render(&Pending {
                organisation: organisation.name,
                status: page.t(status_key(organisation.status)).to_owned(),
                reason: organisation.status_reason,
                page,
            })
        }
        Err(error) => page.error(&error),
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct Account {
    page: Page,
    notice: Option<&'static str>,
    feedback: Feedback,
    display_name: String,
    email: String,
    /// The new address of a change waiting for its link to be followed, or empty.
    pending_email: String,
    organisation: String,
    status: String,
    roles: Vec<&'static str>,
}

async fn account_page(
    page: Page,
    state: &GatewayState,
    feedback: Feedback,
    notice: Option<&'static str>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    if caller.is_operator() {
        return Redirect::to(&page.href("/operateur/courriels")).into_response();
    }
    match me(state, &caller).await {
        Ok(me) => {
            let user = me.user.unwrap_or_default();
            let organisation = me.organisation.unwrap_or_default();
            render(&Account {
                notice,
                feedback,
                display_name: user.display_name,
                email: user.email,
                pending_email: me.pending_email,
                status: page.t(status_key(organisation.status)).to_owned(),
                organisation: organisation.name,
                roles: me
                    .roles
                    .iter()
                    .map(|role| page.t(&format!("role.{role}")))
                    .collect(),
                page,
            })
        }
        Err(error) => page.error(&error),
    }
}

pub async fn show(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    if page
        .viewer
        .as_ref()
        .is_some_and(|v| !v.is_member() && !v.is_operator())
    {
        // Not (or no longer) a member: the page that says why.
        return Redirect::to(&page.href("/en-attente")).into_response();
    }
    let notice = super::notice(
        &page,
        query.notice.map(|n| format!("notice={n}")).as_deref(),
    );
    account_page(page, &state, Feedback::none(), notice).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    pub csrf_token: String,
    pub current_password: String,
    pub new_password: String,
}

pub async fn change_password(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::ChangePasswordRequest {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    match state.identity.change_password(&caller, message).await {
        Ok(_) => see_other(&page, "/compte", "password_changed"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            account_page(page, &state, feedback, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    pub csrf_token: String,
    pub email: String,
    pub password: String,
}

/// The account page's "change my e-mail address": a link goes to the new address.
pub async fn change_email(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::RequestEmailChangeRequest {
        email: form.email,
        password: form.password,
    };
    match state.identity.request_email_change(&caller, message).await {
        Ok(_) => see_other(&page, "/compte", "email_change_sent"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            account_page(page, &state, feedback, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "confirm_email_change.html")]
struct ConfirmEmailChange {
    page: Page,
    feedback: Feedback,
    token: String,
}

/// The page the link sent to the new address opens: a button confirms (a link alone changes
/// nothing, so that a mail scanner following it cannot).
pub async fn confirm_email_change_form(
    page: Page,
    Query(query): Query<super::auth::TokenQuery>,
) -> Response {
    render(&ConfirmEmailChange {
        page,
        feedback: Feedback::none(),
        token: query.token,
    })
}

pub async fn confirm_email_change(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<super::signup::VerifyForm>,
) -> Response {
    if let Err(refused) = super::check_csrf(&state, &page, &headers, &form.csrf_token) {
        return refused;
    }
    let message = pb::ConfirmEmailChangeRequest {
        token: form.token.clone(),
    };
    match state.identity.confirm_email_change(message).await {
        Ok(_) => see_other(&page, "/connexion", "email_changed"),
        Err(status) => render(&ConfirmEmailChange {
            feedback: Feedback::from_error(&page, &ApiError::from(status)),
            token: form.token,
            page,
        }),
    }
}

#[derive(Deserialize)]
pub struct EraseForm {
    pub csrf_token: String,
    pub password: String,
}

#[derive(Template)]
#[template(path = "erased.html")]
struct Erased {
    page: Page,
}

pub async fn erase(
    mut page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<EraseForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::EraseMeRequest {
        password: form.password,
    };
    match state.identity.erase_me(&caller, message).await {
        Ok(_) => {
            let mut cookies = HeaderMap::new();
            state.cookies.end_tokens(&mut cookies);
            page.viewer = None;
            (cookies, render(&Erased { page })).into_response()
        }
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            account_page(page, &state, feedback, None).await
        }
    }
}
