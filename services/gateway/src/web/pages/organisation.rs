//! An organisation's administrators: colleagues, invitations, roles, closing the organisation;
//! and the invited colleague's side of the invitation.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_proto::identity::v1 as pb;

use super::auth::{NoticeQuery, TokenQuery};
use super::{Feedback, check_csrf, form_caller, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// One person of the organisation, as the page lists them.
pub struct Colleague {
    pub id: String,
    pub display_name: String,
    pub email: String,
    pub admin: bool,
    pub myself: bool,
}

/// The people of the caller's organisation (or of the whole tenant), first page of 100.
pub async fn people(
    state: &GatewayState,
    caller: &CallerContext,
    whole_tenant: bool,
) -> Result<Vec<pb::Person>, ApiError> {
    let message = pb::ListUsersRequest {
        whole_tenant,
        page_size: 100,
        page_token: String::new(),
    };
    Ok(state.identity.list_users(caller, message).await?.people)
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct Organisation {
    page: Page,
    notice: Option<&'static str>,
    feedback: Feedback,
    colleagues: Vec<Colleague>,
}

async fn organisation_page(
    page: Page,
    state: &GatewayState,
    feedback: Feedback,
    notice: Option<&'static str>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    match people(state, &caller, false).await {
        Ok(found) => {
            let colleagues = found
                .into_iter()
                .filter_map(|person| {
                    let user = person.user?;
                    Some(Colleague {
                        admin: person.roles.iter().any(|r| r == "organisation_admin"),
                        myself: caller.user_id.is_some_and(|me| me.to_string() == user.id),
                        id: user.id,
                        display_name: user.display_name,
                        email: user.email,
                    })
                })
                .collect();
            render(&Organisation {
                page,
                notice,
                feedback,
                colleagues,
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
    let notice = super::notice(
        &page,
        query.notice.map(|n| format!("notice={n}")).as_deref(),
    );
    organisation_page(page, &state, Feedback::none(), notice).await
}

#[derive(Deserialize)]
pub struct InviteForm {
    pub csrf_token: String,
    pub email: String,
    #[serde(default)]
    pub admin: Option<String>,
    #[serde(default)]
    pub language: String,
}

pub async fn invite(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::InviteUserRequest {
        email: form.email,
        roles: form
            .admin
            .map(|_| vec!["organisation_admin".to_owned()])
            .unwrap_or_default(),
        language: if form.language.is_empty() {
            page.lang.code().to_owned()
        } else {
            form.language
        },
    };
    match state.identity.invite_user(&caller, message).await {
        Ok(_) => see_other(&page, "/organisation", "invited"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            organisation_page(page, &state, feedback, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct RolesForm {
    pub csrf_token: String,
    pub user_id: String,
    #[serde(default)]
    pub admin: Option<String>,
}

pub async fn set_roles(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<RolesForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::SetUserRolesRequest {
        user_id: form.user_id,
        roles: form
            .admin
            .map(|_| vec!["organisation_admin".to_owned()])
            .unwrap_or_default(),
    };
    match state.identity.set_user_roles(&caller, message).await {
        Ok(_) => see_other(&page, "/organisation", "roles_saved"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            organisation_page(page, &state, feedback, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct CloseForm {
    pub csrf_token: String,
    pub password: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn close(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<CloseForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::CloseOrganisationRequest {
        password: form.password,
        reason: form.reason,
    };
    match state.identity.close_organisation(&caller, message).await {
        Ok(_) => Redirect::to(&page.href("/en-attente")).into_response(),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            organisation_page(page, &state, feedback, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "accept_invitation.html")]
struct Accept {
    page: Page,
    feedback: Feedback,
    token: String,
    display_name: String,
}

pub async fn accept_form(page: Page, Query(query): Query<TokenQuery>) -> Response {
    render(&Accept {
        page,
        feedback: Feedback::none(),
        token: query.token,
        display_name: String::new(),
    })
}

#[derive(Deserialize)]
pub struct AcceptForm {
    pub csrf_token: String,
    pub token: String,
    pub display_name: String,
    pub password: String,
}

pub async fn accept(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<AcceptForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &page, &headers, &form.csrf_token) {
        return refused;
    }
    let message = pb::AcceptInvitationRequest {
        token: form.token.clone(),
        display_name: form.display_name.clone(),
        password: form.password,
    };
    match state.identity.accept_invitation(message).await {
        Ok(_) => see_other(&page, "/connexion", "welcome"),
        Err(status) => {
            let error = ApiError::from(status);
            render(&Accept {
                feedback: Feedback::from_error(&page, &error),
                token: form.token,
                display_name: form.display_name,
                page,
            })
        }
    }
}
