//! A member changing their e-mail address (identity's `user.email_change_requested` and
//! `user.email_changed`): the link that confirms it goes to the new address; once confirmed,
//! the old address is told, and what this service writes to the member goes to the new one —
//! whose undeliverable mark, if an earlier account left one, is cleared (its owner just
//! proved it receives our mail by following the link).

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_platform::events;
use synergies_proto::events::v1::{EventEnvelope, UserEmailChangeRequested, UserEmailChanged};

use crate::bounces::BounceStore;
use crate::consumers::keys;
use crate::error::NotificationsError;
use crate::mail::Mail;
use crate::store::{InboxStore, MailStore};

/// `user.email_change_requested` → the e-mail with the confirmation link, to the new address.
pub fn confirmation_mails(
    envelope: &EventEnvelope,
    tenant_url: &str,
) -> Result<Vec<Mail>, HandlerError> {
    let event: UserEmailChangeRequested = events::payload(envelope)?;
    Ok(vec![confirmation(&event, tenant_url)])
}

/// The e-mail asking to confirm a new address, sent to it.
pub fn confirmation(event: &UserEmailChangeRequested, tenant_url: &str) -> Mail {
    let link = format!(
        "{}/change-email?token={}",
        tenant_url.trim_end_matches('/'),
        event.change_token
    );
    let (subject, body) = if event.language == "en" {
        (
            format!(
                "Confirm your new e-mail address for Synergies {}",
                event.tenant_display_name
            ),
            format!(
                "Hello {name},\n\nYou asked to use this address, {new}, on Synergies {territory} \
                 instead of {old}. To confirm it, follow this link (valid for 24 hours):\n\n{link}\n\n\
                 Until then, your current address stays valid. If you did not ask for this, ignore \
                 this message: nothing changes.\n",
                name = event.display_name,
                new = event.new_email,
                old = event.old_email,
                territory = event.tenant_display_name,
            ),
        )
    } else {
        (
            format!(
                "Confirmez votre nouvelle adresse e-mail pour Synergies {}",
                event.tenant_display_name
            ),
            format!(
                "Bonjour {name},\n\nVous avez demandé à utiliser cette adresse, {new}, sur Synergies \
                 {territory} à la place de {old}. Pour la confirmer, suivez ce lien (valable 24 heures) :\n\n\
                 {link}\n\nD'ici là, votre adresse actuelle reste valable. Si vous n'avez rien \
                 demandé, ignorez ce message : rien ne change.\n",
                name = event.display_name,
                new = event.new_email,
                old = event.old_email,
                territory = event.tenant_display_name,
            ),
        )
    };
    Mail {
        recipient: event.new_email.clone(),
        subject,
        body,
        ..Mail::default()
    }
}

/// The e-mail telling the former address that it is no longer the account's.
pub fn changed_notice(event: &UserEmailChanged, tenant_url: &str) -> Mail {
    let sign_in = format!("{}/connexion", tenant_url.trim_end_matches('/'));
    let (subject, body) = if event.language == "en" {
        (
            format!(
                "Your e-mail address on Synergies {} was changed",
                event.tenant_display_name
            ),
            format!(
                "Hello {name},\n\nThe e-mail address of your account on Synergies {territory} is now \
                 {new}: this address, {old}, no longer signs in and receives nothing more from us.\n\n\
                 If you did not make this change, answer this message or tell the territory's \
                 facilitators at once; you can also sign in with the new address: {sign_in}\n",
                name = event.display_name,
                new = event.new_email,
                old = event.old_email,
                territory = event.tenant_display_name,
            ),
        )
    } else {
        (
            format!(
                "Votre adresse e-mail sur Synergies {} a été changée",
                event.tenant_display_name
            ),
            format!(
                "Bonjour {name},\n\nL'adresse e-mail de votre compte sur Synergies {territory} est \
                 désormais {new} : cette adresse-ci, {old}, ne permet plus de vous connecter et ne \
                 recevra plus rien de notre part.\n\nSi vous n'êtes pas à l'origine de ce changement, \
                 répondez à ce message ou prévenez tout de suite les animateurs du territoire ; vous \
                 pouvez aussi vous connecter avec la nouvelle adresse : {sign_in}\n",
                name = event.display_name,
                new = event.new_email,
                old = event.old_email,
                territory = event.tenant_display_name,
            ),
        )
    };
    Mail {
        recipient: event.old_email.clone(),
        subject,
        body,
        ..Mail::default()
    }
}

/// Reacts to `user.email_changed`: the member's e-mails go to the new address from now on
/// (those not sent yet too), the new address's undeliverable mark is cleared, and the old
/// address is told (once per event).
pub struct EmailChangedHandler {
    inbox: Arc<dyn InboxStore>,
    mail: Arc<dyn MailStore>,
    bounces: Arc<dyn BounceStore>,
    public_url: String,
    sender: crate::sender::SenderWaker,
}

impl EmailChangedHandler {
    pub fn new(
        inbox: Arc<dyn InboxStore>,
        mail: Arc<dyn MailStore>,
        bounces: Arc<dyn BounceStore>,
        public_url: String,
        sender: crate::sender::SenderWaker,
    ) -> Self {
        Self {
            inbox,
            mail,
            bounces,
            public_url,
            sender,
        }
    }

    async fn apply(
        &self,
        tenant: &str,
        event: &UserEmailChanged,
        event_id: uuid::Uuid,
    ) -> Result<bool, NotificationsError> {
        let user_id = uuid::Uuid::parse_str(&event.user_id).map_err(|_| {
            synergies_platform::error::FieldError::new("user_id", "not a UUID", "pas un UUID")
        })?;
        // Both steps set a state (not a count): applying them again on a redelivery is harmless.
        let language = Some(event.language.as_str()).filter(|l| ["fr", "en"].contains(l));
        self.inbox
            .remember_recipient(tenant, user_id, &event.new_email, language)
            .await?;
        let now = synergies_platform::time::now();
        // What waited for the old address (held while it refused mail) goes to the new one.
        let readdressed = self
            .bounces
            .readdress_unsent(tenant, &event.old_email, &event.new_email, event_id, now)
            .await?;
        if readdressed > 0 {
            tracing::info!(%user_id, readdressed, "unsent e-mails go to the new address");
        }
        if self.bounces.clear(tenant, &event.new_email, now).await? {
            tracing::info!(%user_id, "a new address's undeliverable mark cleared");
        }
        let tenant_url = format!("{}/{tenant}", self.public_url.trim_end_matches('/'));
        let notice = changed_notice(event, &tenant_url);
        self.mail
            .queue_mail(keys::EMAIL_CHANGES, event_id, tenant, &[notice])
            .await
    }
}

#[async_trait]
impl EventHandler for EmailChangedHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: UserEmailChanged = events::payload(envelope)?;
        let event_id = events::event_id(envelope)?;
        match self.apply(&envelope.tenant, &event, event_id).await {
            Ok(queued) => {
                if queued {
                    self.sender.0.notify_one();
                }
                Ok(())
            }
            Err(NotificationsError::Storage(error)) => Err(HandlerError::from(error)),
            Err(other) => Err(HandlerError::Permanent(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_goes_to_the_new_address_and_the_notice_to_the_old_one() {
        let requested = UserEmailChangeRequested {
            user_id: uuid::Uuid::now_v7().to_string(),
            old_email: "ancien@brasserie.fr".into(),
            new_email: "achats@brasserie.fr".into(),
            display_name: "Léa".into(),
            change_token: "rt_abc".into(),
            language: "fr".into(),
            tenant_display_name: "Dijon Métropole".into(),
            ..Default::default()
        };
        let mail = confirmation(&requested, "https://synergies.example/dijon/");
        assert_eq!(mail.recipient, "achats@brasserie.fr");
        assert!(
            mail.body
                .contains("https://synergies.example/dijon/change-email?token=rt_abc"),
            "{}",
            mail.body
        );
        let changed = UserEmailChanged {
            user_id: requested.user_id.clone(),
            old_email: requested.old_email.clone(),
            new_email: requested.new_email.clone(),
            display_name: "Léa".into(),
            language: "en".into(),
            tenant_display_name: "Dijon Métropole".into(),
        };
        let notice = changed_notice(&changed, "https://synergies.example/dijon");
        assert_eq!(notice.recipient, "ancien@brasserie.fr");
        assert!(notice.subject.contains("was changed"), "{}", notice.subject);
        assert!(notice.body.contains("achats@brasserie.fr"));
    }
}
