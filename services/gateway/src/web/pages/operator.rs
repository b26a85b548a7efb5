//! The platform operator: signing in with the operator secret, and the e-mails the platform
//! wrote (the all-in-one mode keeps them here when no SMTP server is configured).

use crate::client_address::ClientAddress;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::i18n::Language;
use synergies_proto::identity::v1 as pb;
use synergies_proto::notifications::v1 as notifications;

use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::i18n;
use crate::web::page::{Page, is_slug, render};

#[derive(Template)]
#[template(path = "operator_sign_in.html")]
struct SignIn {
    lang: Language,
    error: Option<String>,
    csrf: String,
    tenant: String,
}

impl SignIn {
    fn t(&self, key: &str) -> &'static str {
        i18n::text(key, self.lang)
    }
}

#[derive(Deserialize)]
pub struct SignInQuery {
    #[serde(default)]
    pub tenant: String,
}

fn language(headers: &HeaderMap) -> Language {
    let header = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Language::negotiate(header, Language::Fr)
}

pub async fn sign_in_form(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Response {
    render(&SignIn {
        lang: language(&headers),
        error: None,
        csrf: state.cookies.csrf_for(&headers).unwrap_or_default(),
        tenant: query.tenant,
    })
}

#[derive(Deserialize)]
pub struct SignInForm {
    pub csrf_token: String,
    pub operator_token: String,
    /// The territory whose pages to open afterwards.
    pub tenant: String,
}

pub async fn sign_in(
    State(state): State<GatewayState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = language(&headers);
    let csrf = state.cookies.csrf_for(&headers).unwrap_or_default();
    let refuse = |error: &ApiError| {
        let mut response = render(&SignIn {
            lang,
            error: Some(error.message.get(lang).to_owned()),
            csrf: csrf.clone(),
            tenant: form.tenant.clone(),
        });
        *response.status_mut() = error.status;
        response
    };
    if let Err(error) =
        state
            .cookies
            .check_csrf(&axum::http::Method::POST, &headers, Some(&form.csrf_token))
    {
        return refuse(&error);
    }
    let message = pb::OperatorLoginRequest {
        operator_token: form.operator_token.clone(),
        client_address: client,
    };
    match state.identity.operator_login(message).await {
        Ok(answer) => {
            let mut cookies = HeaderMap::new();
            state.cookies.set_access(
                &mut cookies,
                &answer.access_token,
                answer.expires_in_seconds,
            );
            // Only a slug-shaped territory: anything else could send the browser elsewhere
            // (`//other.example`).
            let slug = form.tenant.trim();
            let next = if is_slug(slug) {
                format!("/{slug}/operateur/courriels")
            } else {
                "/".to_owned()
            };
            (cookies, Redirect::to(&next)).into_response()
        }
        Err(status) => refuse(&ApiError::from(status)),
    }
}

/// A piece of an e-mail's text: plain, or a link the operator can follow.
pub struct Part {
    pub text: String,
    pub link: bool,
}

/// Splits text into plain parts and `http(s)://` links (the links the platform wrote).
fn parts(body: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        let end = rest[start..]
            .find(char::is_whitespace)
            .map_or(rest.len(), |length| start + length);
        let link = rest[start..end].trim_end_matches(['.', ',', ')']);
        parts.push(Part {
            text: rest[..start].to_owned(),
            link: false,
        });
        parts.push(Part {
            text: link.to_owned(),
            link: true,
        });
        rest = &rest[start + link.len()..];
    }
    parts.push(Part {
        text: rest.to_owned(),
        link: false,
    });
    parts
}

/// One e-mail as the page shows it.
pub struct Mail {
    pub recipient: String,
    pub subject: String,
    pub parts: Vec<Part>,
    /// RFC 3339, for the `datetime` attribute.
    pub created_at: String,
    /// As the operator reads it.
    pub when: String,
    pub sent: bool,
    /// Not sent: its address is undeliverable.
    pub held: bool,
}

#[derive(Template)]
#[template(path = "outgoing_mail.html")]
struct OutgoingMail {
    page: Page,
    mails: Vec<Mail>,
    undeliverable: Vec<crate::clients::notifications::UndeliverableAddress>,
}

pub async fn outgoing_mail(page: Page, State(state): State<GatewayState>) -> Response {
    let Some(caller) = page
        .viewer
        .as_ref()
        .filter(|v| v.is_operator())
        .map(|v| v.caller.clone())
    else {
        return Redirect::to(&format!("/operateur?tenant={}", page.tenant.slug)).into_response();
    };
    let message = notifications::ListOutgoingMailRequest {
        page_size: 100,
        page_token: String::new(),
    };
    let undeliverable = match state.notifications.undeliverable_addresses(&caller).await {
        Ok(addresses) => addresses,
        Err(status) => return page.error(&ApiError::from(status)),
    };
    match state.notifications.outgoing_mail(&caller, message).await {
        Ok(answer) => {
            let mails = answer
                .mails
                .into_iter()
                .map(|mail| Mail {
                    created_at: crate::clients::rfc3339(mail.created_at.as_ref()),
                    when: page.moment(&crate::clients::rfc3339(mail.created_at.as_ref())),
                    sent: mail.sent_at.is_some(),
                    held: mail.held,
                    recipient: mail.recipient,
                    subject: mail.subject,
                    parts: parts(&mail.body),
                })
                .collect();
            render(&OutgoingMail {
                page,
                mails,
                undeliverable,
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_cut_out_of_the_text() {
        let found = parts("Bonjour,\n\nhttp://x.fr/dijon/verify-email?token=rt_1.\nMerci");
        let texts: Vec<_> = found.iter().map(|p| (p.text.as_str(), p.link)).collect();
        assert_eq!(
            texts,
            [
                ("Bonjour,\n\n", false),
                ("http://x.fr/dijon/verify-email?token=rt_1", true),
                (".\nMerci", false)
            ]
        );
    }
}
