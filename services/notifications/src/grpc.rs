//! gRPC surface of the notifications service.

use std::sync::Arc;

use synergies_platform::auth::Verifier;
use synergies_platform::events::timestamp;
use synergies_platform::policy::{Action, authorize_request};
use synergies_platform::validate;
use synergies_proto::notifications::v1 as pb;
use tonic::{Request, Response, Status};

use crate::error::NotificationsError;
use crate::store::{InboxStore, MailStore};

pub struct NotificationsApi {
    store: Arc<dyn InboxStore>,
    mail: Arc<dyn MailStore>,
    verifier: Arc<Verifier>,
}

impl NotificationsApi {
    pub fn new(
        store: Arc<dyn InboxStore>,
        mail: Arc<dyn MailStore>,
        verifier: Arc<Verifier>,
    ) -> Self {
        Self {
            store,
            mail,
            verifier,
        }
    }
}

#[tonic::async_trait]
impl pb::notifications_service_server::NotificationsService for NotificationsApi {
    async fn list_inbox(
        &self,
        request: Request<pb::ListInboxRequest>,
    ) -> Result<Response<pb::ListInboxResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(NotificationsError::from)?;
        let after = validate::page_token(&request.page_token).map_err(NotificationsError::from)?;
        let items = self
            .store
            .inbox(
                &caller.tenant,
                member.user_id,
                Some(member.organisation_id),
                after,
                limit + 1,
            )
            .await?;
        let (items, next_page_token) = validate::into_page(items, limit, |item| item.id);
        Ok(Response::new(pb::ListInboxResponse {
            items: items
                .into_iter()
                .map(|item| pb::InboxItem {
                    id: item.id.to_string(),
                    kind: item.kind,
                    title: item.title.fr,
                    body: item.body.fr,
                    title_en: item.title.en,
                    body_en: item.body.en,
                    listing_id: item.listing_id.map(|id| id.to_string()).unwrap_or_default(),
                    read: item.read,
                    created_at: Some(timestamp(item.created_at)),
                    event_id: item.event_id.to_string(),
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn list_outgoing_mail(
        &self,
        request: Request<pb::ListOutgoingMailRequest>,
    ) -> Result<Response<pb::ListOutgoingMailResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOutgoingMail).await?;
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(NotificationsError::from)?;
        let after = validate::page_token(&request.page_token).map_err(NotificationsError::from)?;
        let mails = self.mail.outgoing(&caller.tenant, after, limit + 1).await?;
        let (mails, next_page_token) = validate::into_page(mails, limit, |queued| queued.id);
        Ok(Response::new(pb::ListOutgoingMailResponse {
            mails: mails
                .into_iter()
                .map(|queued| pb::OutgoingMail {
                    id: queued.id.to_string(),
                    recipient: queued.mail.recipient,
                    subject: queued.mail.subject,
                    body: queued.mail.body,
                    created_at: Some(timestamp(queued.created_at)),
                    sent_at: queued.sent_at.map(timestamp),
                    last_error: queued.last_error,
                })
                .collect(),
            next_page_token,
        }))
    }
}
