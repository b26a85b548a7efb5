//! Reacts to `match.found`: tells the requester that an offer may meet their request.

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_platform::events;
use synergies_proto::events::v1::{ConversationMessagePosted, EventEnvelope, MatchFound};
use uuid::Uuid;

use crate::store::{InboxItem, InboxStore};

pub struct MatchFoundHandler {
    store: Arc<dyn InboxStore>,
}

impl MatchFoundHandler {
    pub fn new(store: Arc<dyn InboxStore>) -> Self {
        Self { store }
    }
}

fn uuid(field: &str, value: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value)
        .map_err(|_| HandlerError::Permanent(format!("{field} {value:?} is not a UUID")))
}

/// The requester's inbox item. Text is in French, the territory's language; per-user language
/// preferences come with the notifications issue.
pub fn requester_item(
    envelope: &EventEnvelope,
    event: &MatchFound,
) -> Result<InboxItem, HandlerError> {
    Ok(InboxItem {
        id: Uuid::now_v7(),
        tenant: envelope.tenant.clone(),
        user_id: uuid("request_owner_user_id", &event.request_owner_user_id)?,
        kind: envelope.event_type.clone(),
        title: format!(
            "Une offre peut répondre à votre demande « {} »",
            event.request_title
        ),
        body: format!(
            "L'offre « {} » est dans la même catégorie ({}) que votre demande.",
            event.offer_title, event.category
        ),
        listing_id: Some(uuid("offer_listing_id", &event.offer_listing_id)?),
        event_id: events::event_id(envelope)?,
        read: false,
        created_at: synergies_platform::time::now(),
    })
}

#[async_trait]
impl EventHandler for MatchFoundHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: MatchFound = events::payload(envelope)?;
        let item = requester_item(envelope, &event)?;
        let delivered = self
            .store
            .deliver(
                crate::MATCHES_CONSUMER,
                item.event_id,
                std::slice::from_ref(&item),
            )
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if delivered {
            tracing::info!(user_id = %item.user_id, match_id = %event.match_id, "inbox item stored");
        } else {
            tracing::info!(match_id = %event.match_id, "event already handled, skipped");
        }
        Ok(())
    }
}

/// Reacts to `listing.hidden`: tells the listing's owner that a facilitator hid it, and why.
pub struct ListingHiddenHandler {
    store: Arc<dyn InboxStore>,
}

impl ListingHiddenHandler {
    pub fn new(store: Arc<dyn InboxStore>) -> Self {
        Self { store }
    }
}

/// The owner's inbox item, in French like the other inbox texts.
pub fn hidden_listing_item(
    envelope: &EventEnvelope,
    event: &synergies_proto::events::v1::ListingHidden,
) -> Result<InboxItem, HandlerError> {
    let change = event
        .change
        .as_ref()
        .ok_or_else(|| HandlerError::Permanent("listing.hidden without its change".into()))?;
    Ok(InboxItem {
        id: Uuid::now_v7(),
        tenant: envelope.tenant.clone(),
        user_id: uuid("owner_user_id", &change.owner_user_id)?,
        kind: envelope.event_type.clone(),
        title: format!("Votre annonce « {} » a été masquée", change.title),
        body: format!(
            "Un animateur du territoire l'a masquée pour ce motif : {}",
            change.reason
        ),
        listing_id: Some(uuid("listing_id", &change.listing_id)?),
        event_id: events::event_id(envelope)?,
        read: false,
        created_at: synergies_platform::time::now(),
    })
}

#[async_trait]
impl EventHandler for ListingHiddenHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: synergies_proto::events::v1::ListingHidden = events::payload(envelope)?;
        let item = hidden_listing_item(envelope, &event)?;
        let delivered = self
            .store
            .deliver(
                crate::HIDDEN_LISTINGS_CONSUMER,
                item.event_id,
                std::slice::from_ref(&item),
            )
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if delivered {
            tracing::info!(user_id = %item.user_id, "owner told their listing was hidden");
        }
        Ok(())
    }
}

/// Tells the recipient of a message in a conversation about a listing.
pub struct MessagePostedHandler {
    store: Arc<dyn InboxStore>,
}

impl MessagePostedHandler {
    pub fn new(store: Arc<dyn InboxStore>) -> Self {
        Self { store }
    }
}

/// The recipient's inbox item, in French like the others (see [`requester_item`]); the message
/// itself stays in the conversation.
pub fn message_item(
    envelope: &EventEnvelope,
    event: &ConversationMessagePosted,
) -> Result<InboxItem, HandlerError> {
    Ok(InboxItem {
        id: Uuid::now_v7(),
        tenant: envelope.tenant.clone(),
        user_id: uuid("recipient_user_id", &event.recipient_user_id)?,
        kind: envelope.event_type.clone(),
        title: format!("Nouveau message à propos de « {} »", event.listing_title),
        body: "Une organisation vous a écrit dans la conversation sur cette annonce.".to_owned(),
        listing_id: Some(uuid("listing_id", &event.listing_id)?),
        event_id: events::event_id(envelope)?,
        read: false,
        created_at: synergies_platform::time::now(),
    })
}

#[async_trait]
impl EventHandler for MessagePostedHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: ConversationMessagePosted = events::payload(envelope)?;
        let item = message_item(envelope, &event)?;
        let delivered = self
            .store
            .deliver(
                crate::MESSAGES_CONSUMER,
                item.event_id,
                std::slice::from_ref(&item),
            )
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if delivered {
            tracing::info!(user_id = %item.user_id, conversation_id = %event.conversation_id, "inbox item stored");
        }
        Ok(())
    }
}

/// Writes an e-mail for each event it is given and queues it for the sender.
pub struct MailHandler {
    store: Arc<dyn crate::store::MailStore>,
    public_url: String,
    sender: crate::sender::SenderWaker,
    consumer: &'static str,
    compose: Compose,
}

/// Turns an event into the e-mail it causes.
pub type Compose = fn(&EventEnvelope, &str) -> Result<Vec<crate::mail::Mail>, HandlerError>;

impl MailHandler {
    pub fn new(
        store: Arc<dyn crate::store::MailStore>,
        public_url: String,
        sender: crate::sender::SenderWaker,
        consumer: &'static str,
        compose: Compose,
    ) -> Self {
        Self {
            store,
            public_url,
            sender,
            consumer,
            compose,
        }
    }
}

/// `user.verification_requested` → the confirmation e-mail.
pub fn verification_mail(
    envelope: &EventEnvelope,
    public_url: &str,
) -> Result<Vec<crate::mail::Mail>, HandlerError> {
    let event: synergies_proto::events::v1::UserVerificationRequested = events::payload(envelope)?;
    Ok(vec![crate::mail::verification(&event, public_url)])
}

/// `user.password_reset_requested` → the reset e-mail.
pub fn password_reset_mail(
    envelope: &EventEnvelope,
    public_url: &str,
) -> Result<Vec<crate::mail::Mail>, HandlerError> {
    let event: synergies_proto::events::v1::PasswordResetRequested = events::payload(envelope)?;
    Ok(vec![crate::mail::password_reset(&event, public_url)])
}

/// `user.invited` → the invitation e-mail.
pub fn invitation_mail(
    envelope: &EventEnvelope,
    public_url: &str,
) -> Result<Vec<crate::mail::Mail>, HandlerError> {
    let event: synergies_proto::events::v1::UserInvited = events::payload(envelope)?;
    Ok(vec![crate::mail::invitation(&event, public_url)])
}

/// `organisation.decided` → one e-mail to each user of the organisation.
pub fn decision_mails(
    envelope: &EventEnvelope,
    public_url: &str,
) -> Result<Vec<crate::mail::Mail>, HandlerError> {
    let event: synergies_proto::events::v1::OrganisationDecided = events::payload(envelope)?;
    Ok(event
        .recipients
        .iter()
        .map(|recipient| crate::mail::decision(&event, recipient, public_url))
        .collect())
}

#[async_trait]
impl EventHandler for MailHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        // Links lead to the tenant's own pages: `<public url>/<tenant>/verify-email?token=…`.
        let tenant_url = format!(
            "{}/{}",
            self.public_url.trim_end_matches('/'),
            envelope.tenant
        );
        let mails = (self.compose)(envelope, &tenant_url)?;
        let event_id = events::event_id(envelope)?;
        let queued = self
            .store
            .queue_mail(self.consumer, event_id, &envelope.tenant, &mails)
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if queued {
            tracing::info!(event_type = %envelope.event_type, "e-mail queued");
            self.sender.0.notify_one();
        }
        Ok(())
    }
}

/// Reacts to `user.erased`: forgets the user's inbox and the e-mails written to them.
pub struct UserErasedHandler {
    store: Arc<dyn InboxStore>,
}

impl UserErasedHandler {
    pub fn new(store: Arc<dyn InboxStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl EventHandler for UserErasedHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: synergies_proto::events::v1::UserErased = events::payload(envelope)?;
        let user_id = uuid("user_id", &event.user_id)?;
        let forgotten = self
            .store
            .forget_user(
                crate::ERASURES_CONSUMER,
                events::event_id(envelope)?,
                user_id,
                &event.email,
            )
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if forgotten {
            tracing::info!(%user_id, "erased user's notifications forgotten");
        }
        Ok(())
    }
}
