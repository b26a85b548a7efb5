//! Names of organisations, to name the other side in what members are told.
//!
//! Match and group events carry them; message, reservation and listing events do not (listings
//! does not keep names). So the service also learns a member's own organisation from identity,
//! on that member's behalf, when they read their inbox or its count: the organisations people
//! write to are those whose members use the site. A decision on an organisation (approval)
//! names it too.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_platform::context::{CallerContext, request};
use synergies_platform::events;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::events::v1::{EventEnvelope, OrganisationDecided};
use synergies_proto::identity::v1 as identity;
use synergies_proto::identity::v1::identity_service_client::IdentityServiceClient;
use uuid::Uuid;

use crate::store::InboxStore;

#[derive(Clone)]
pub struct OrganisationNames {
    client: IdentityServiceClient<ServiceChannel>,
    store: Arc<dyn InboxStore>,
    /// Organisations already learned by this process (names rarely change; a decision event
    /// renames).
    known: Arc<Mutex<HashSet<Uuid>>>,
    /// Readers whose address (and this language) the service already holds.
    readers: Arc<Mutex<HashSet<(Uuid, String)>>>,
}

impl OrganisationNames {
    pub fn new(channel: ServiceChannel, store: Arc<dyn InboxStore>) -> Self {
        Self {
            client: IdentityServiceClient::new(channel),
            store,
            known: Arc::default(),
            readers: Arc::default(),
        }
    }

    /// Learns the caller's address (from identity, on their behalf) and the language they read
    /// in, to write to them about their inbox; once per process and language. Best effort.
    pub async fn learn_reader(&self, caller: &CallerContext, language: &str) {
        let Some(user_id) = caller.user_id else {
            return;
        };
        let language = match language {
            "fr" | "en" => Some(language),
            _ => None,
        };
        let key = (user_id, language.unwrap_or_default().to_owned());
        if self
            .readers
            .lock()
            .is_ok_and(|readers| readers.contains(&key))
        {
            return;
        }
        let message = identity::GetUserRequest {
            user_id: user_id.to_string(),
        };
        let user = match self.client.clone().get_user(request(message, caller)).await {
            Ok(answer) => answer.into_inner().user,
            Err(status) => {
                tracing::debug!(%status, "identity did not give the caller's address");
                return;
            }
        };
        let Some(user) = user.filter(|u| !u.email.is_empty()) else {
            return;
        };
        match self
            .store
            .remember_recipient(&caller.tenant, user_id, &user.email, language)
            .await
        {
            Ok(()) => {
                if let Ok(mut readers) = self.readers.lock() {
                    readers.insert(key);
                }
            }
            Err(error) => tracing::warn!(%error, "could not keep a member's address"),
        }
    }

    /// Learns the caller's own organisation, once per process. Best effort: the inbox is
    /// answered whatever identity says.
    pub async fn learn_callers(&self, caller: &CallerContext) {
        let Some(own) = caller.organisation_id else {
            return;
        };
        if self.known.lock().is_ok_and(|known| known.contains(&own)) {
            return;
        }
        let answer = self
            .client
            .clone()
            .get_my_organisation(request(identity::GetMyOrganisationRequest {}, caller))
            .await;
        let organisation = match answer {
            Ok(answer) => answer.into_inner().organisation,
            Err(status) => {
                tracing::debug!(%status, "identity did not name the caller's organisation");
                return;
            }
        };
        let Some(organisation) = organisation.filter(|o| !o.name.trim().is_empty()) else {
            return;
        };
        match self
            .store
            .remember_organisation(&caller.tenant, own, organisation.name.trim())
            .await
        {
            Ok(()) => {
                if let Ok(mut known) = self.known.lock() {
                    known.insert(own);
                }
            }
            Err(error) => tracing::warn!(%error, "could not keep an organisation's name"),
        }
    }
}

/// `organisation.decided` → keeps the organisation's name (idempotent: the name is set again).
pub struct DecidedNamesHandler {
    store: Arc<dyn InboxStore>,
}

impl DecidedNamesHandler {
    pub fn new(store: Arc<dyn InboxStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl EventHandler for DecidedNamesHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: OrganisationDecided = events::payload(envelope)?;
        let (Ok(id), name) = (
            Uuid::parse_str(&event.organisation_id),
            event.organisation_name.trim(),
        ) else {
            return Err(HandlerError::Permanent(format!(
                "organisation_id {:?} is not a UUID",
                event.organisation_id
            )));
        };
        if name.is_empty() {
            return Ok(());
        }
        self.store
            .remember_organisation(&envelope.tenant, id, name)
            .await
            .map_err(|error| match error {
                crate::error::NotificationsError::Storage(error) => HandlerError::from(error),
                other => HandlerError::Permanent(other.to_string()),
            })
    }
}
