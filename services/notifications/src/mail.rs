//! E-mails: what they say (French first, English on request) and how they leave (SMTP).

use synergies_proto::events::v1::{
    OrganisationDecided, PasswordResetRequested, Recipient, UserInvited, UserVerificationRequested,
};

/// A written e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mail {
    pub recipient: String,
    pub subject: String,
    /// The text part.
    pub body: String,
    /// The HTML part; empty for text-only e-mails.
    pub html: String,
    /// The one-click unsubscribe address (`List-Unsubscribe`, RFC 8058); empty for account
    /// e-mails, which cannot be turned off.
    pub list_unsubscribe: String,
}

/// The e-mail asking a new user to confirm their address.
pub fn verification(event: &UserVerificationRequested, public_url: &str) -> Mail {
    let link = format!(
        "{}/verify-email?token={}",
        public_url.trim_end_matches('/'),
        event.verification_token
    );
    let (subject, body) = if event.language == "en" {
        (
            format!(
                "Confirm your e-mail address for {}",
                event.tenant_display_name
            ),
            format!(
                "Hello {name},\n\n\
                 You registered {organisation} on Synergies {territory}. Please confirm your e-mail \
                 address by following this link (valid for 3 days):\n\n{link}\n\n\
                 A facilitator of the territory will then review your organisation.\n\n\
                 If you did not register, ignore this message.\n",
                name = event.display_name,
                organisation = event.organisation_name,
                territory = event.tenant_display_name,
            ),
        )
    } else {
        (
            format!(
                "Confirmez votre adresse e-mail pour {}",
                event.tenant_display_name
            ),
            format!(
                "Bonjour {name},\n\n\
                 Vous avez inscrit {organisation} sur Synergies {territory}. Merci de confirmer \
                 votre adresse e-mail en suivant ce lien (valable 3 jours) :\n\n{link}\n\n\
                 Un animateur du territoire examinera ensuite votre organisation.\n\n\
                 Si vous n'êtes pas à l'origine de cette inscription, ignorez ce message.\n",
                name = event.display_name,
                organisation = event.organisation_name,
                territory = event.tenant_display_name,
            ),
        )
    };
    Mail {
        recipient: event.email.clone(),
        subject,
        body,
        html: String::new(),
        list_unsubscribe: String::new(),
    }
}

/// The e-mail telling a user what a facilitator decided about their organisation.
pub fn decision(event: &OrganisationDecided, recipient: &Recipient, public_url: &str) -> Mail {
    let english = recipient.language == "en";
    let organisation = &event.organisation_name;
    let territory = &event.tenant_display_name;
    let (subject, verdict) = match (event.status.as_str(), english) {
        ("approved", true) => (
            format!("{organisation} is approved on Synergies {territory}"),
            format!(
                "{organisation} is approved: you can now publish offers and requests at {public_url}."
            ),
        ),
        ("approved", false) => (
            format!("{organisation} est validée sur Synergies {territory}"),
            format!(
                "{organisation} est validée : vous pouvez publier vos offres et demandes sur {public_url}."
            ),
        ),
        ("rejected", true) => (
            format!("{organisation} was not accepted on Synergies {territory}"),
            format!(
                "{organisation} was not accepted. Reason given by the facilitator: {}",
                event.reason
            ),
        ),
        ("rejected", false) => (
            format!("{organisation} n'a pas été acceptée sur Synergies {territory}"),
            format!(
                "{organisation} n'a pas été acceptée. Motif indiqué par l'animateur : {}",
                event.reason
            ),
        ),
        ("closed", true) => (
            format!("{organisation} is closed on Synergies {territory}"),
            format!(
                "{organisation} was closed by its administrator. Your account remains: you may \
                 still sign in to download or erase your data at {public_url}."
            ),
        ),
        ("closed", false) => (
            format!("{organisation} est fermée sur Synergies {territory}"),
            format!(
                "{organisation} a été fermée par son administrateur. Votre compte demeure : vous \
                 pouvez toujours vous connecter pour télécharger ou effacer vos données sur {public_url}."
            ),
        ),
        (_, true) => (
            format!("{organisation} is suspended on Synergies {territory}"),
            format!(
                "{organisation} is suspended. Reason given by the facilitator: {}",
                event.reason
            ),
        ),
        (_, false) => (
            format!("{organisation} est suspendue sur Synergies {territory}"),
            format!(
                "{organisation} est suspendue. Motif indiqué par l'animateur : {}",
                event.reason
            ),
        ),
    };
    let greeting = if english { "Hello" } else { "Bonjour" };
    let body = format!("{greeting} {},\n\n{verdict}\n", recipient.display_name);
    Mail {
        recipient: recipient.email.clone(),
        subject,
        body,
        html: String::new(),
        list_unsubscribe: String::new(),
    }
}

/// The e-mail inviting a colleague to join an organisation.
pub fn invitation(event: &UserInvited, public_url: &str) -> Mail {
    let link = format!(
        "{}/accept-invitation?token={}",
        public_url.trim_end_matches('/'),
        event.invitation_token
    );
    let (subject, body) = if event.language == "en" {
        (
            format!(
                "{} invites you to join {} on Synergies",
                event.inviter_name, event.organisation_name
            ),
            format!(
                "Hello,\n\n{} invites you to join {} on Synergies {}, the exchange platform of the \
                 territory's professionals. To create your account, follow this link (valid for 7 days):\n\n{link}\n",
                event.inviter_name, event.organisation_name, event.tenant_display_name,
            ),
        )
    } else {
        (
            format!(
                "{} vous invite à rejoindre {} sur Synergies",
                event.inviter_name, event.organisation_name
            ),
            format!(
                "Bonjour,\n\n{} vous invite à rejoindre {} sur Synergies {}, la plateforme d'échanges \
                 des professionnels du territoire. Pour créer votre compte, suivez ce lien (valable 7 jours) :\n\n{link}\n",
                event.inviter_name, event.organisation_name, event.tenant_display_name,
            ),
        )
    };
    Mail {
        recipient: event.email.clone(),
        subject,
        body,
        html: String::new(),
        list_unsubscribe: String::new(),
    }
}

/// The e-mail with a link to choose a new password.
pub fn password_reset(event: &PasswordResetRequested, public_url: &str) -> Mail {
    let link = format!(
        "{}/reset-password?token={}",
        public_url.trim_end_matches('/'),
        event.reset_token
    );
    let (subject, body) = match (event.language.as_str(), event.after_sign_up_attempt) {
        ("en", false) => (
            format!(
                "Choose a new password for Synergies {}",
                event.tenant_display_name
            ),
            format!(
                "Hello {name},\n\nTo choose a new password, follow this link (valid for one hour):\n\n{link}\n\n\
                 Every open session will end. If you did not ask for this, ignore this message: \
                 your password stays as it is.\n",
                name = event.display_name,
            ),
        ),
        ("en", true) => (
            format!(
                "Someone tried to sign up to Synergies {} with your address",
                event.tenant_display_name
            ),
            format!(
                "Hello {name},\n\nSomeone tried to sign up to Synergies {tenant} with this address, \
                 which already has an account: no new account was created.\n\n\
                 If it was you, sign in with your password, or choose a new one with this link \
                 (valid for one hour):\n\n{link}\n\n\
                 If it was not you, ignore this message: your account stays as it is.\n",
                name = event.display_name,
                tenant = event.tenant_display_name,
            ),
        ),
        (_, false) => (
            format!(
                "Choisissez un nouveau mot de passe pour Synergies {}",
                event.tenant_display_name
            ),
            format!(
                "Bonjour {name},\n\nPour choisir un nouveau mot de passe, suivez ce lien (valable une heure) :\n\n{link}\n\n\
                 Toutes vos sessions ouvertes seront fermées. Si vous n'avez rien demandé, ignorez ce \
                 message : votre mot de passe reste inchangé.\n",
                name = event.display_name,
            ),
        ),
        (_, true) => (
            format!(
                "Quelqu'un a tenté de s'inscrire sur Synergies {} avec votre adresse",
                event.tenant_display_name
            ),
            format!(
                "Bonjour {name},\n\nQuelqu'un a tenté de s'inscrire sur Synergies {tenant} avec cette \
                 adresse, qui a déjà un compte : aucun nouveau compte n'a été créé.\n\n\
                 Si c'était vous, connectez-vous avec votre mot de passe, ou choisissez-en un nouveau \
                 avec ce lien (valable une heure) :\n\n{link}\n\n\
                 Si ce n'était pas vous, ignorez ce message : votre compte reste inchangé.\n",
                name = event.display_name,
                tenant = event.tenant_display_name,
            ),
        ),
    };
    Mail {
        recipient: event.email.clone(),
        subject,
        body,
        html: String::new(),
        list_unsubscribe: String::new(),
    }
}

/// Sends e-mails over SMTP.
pub struct SmtpSender {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("invalid SMTP configuration: {0}")]
    Configuration(String),
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("message: {0}")]
    Message(#[from] lettre::error::Error),
}

impl SendError {
    /// The SMTP server could not be reached or did not answer (refused connection, broken
    /// TLS, time-out): an outage of the relay, not a refusal of this mail.
    pub fn is_outage(&self) -> bool {
        matches!(self, Self::Smtp(error) if !error.is_response() && !error.is_permanent() && !error.is_transient())
    }

    /// The server refused this mail for good (a 5xx answer), or its address cannot be written:
    /// a hard failure of the address, which sending again will not change.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Smtp(error) => error.is_permanent(),
            Self::Address(_) => true,
            Self::Configuration(_) | Self::Message(_) => false,
        }
    }
}

impl SmtpSender {
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, SendError> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| SendError::Configuration(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|_| SendError::Address(from.to_owned()))?;
        Ok(Self { transport, from })
    }

    pub async fn send(&self, mail: &Mail) -> Result<(), SendError> {
        use lettre::AsyncTransport;
        let to: lettre::message::Mailbox = mail
            .recipient
            .parse()
            .map_err(|_| SendError::Address(mail.recipient.clone()))?;
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject);
        if !mail.list_unsubscribe.is_empty() {
            use lettre::message::header::{HeaderName, HeaderValue};
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{}>", mail.list_unsubscribe),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = if mail.html.is_empty() {
            builder
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(mail.body.clone())?
        } else {
            builder.multipart(lettre::message::MultiPart::alternative_plain_html(
                mail.body.clone(),
                mail.html.clone(),
            ))?
        };
        self.transport.send(message).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(language: &str) -> UserVerificationRequested {
        UserVerificationRequested {
            email: "marie@cartonnerie.fr".into(),
            display_name: "Marie".into(),
            verification_token: "rt_abc".into(),
            language: language.into(),
            organisation_name: "Cartonnerie".into(),
            tenant_display_name: "Dijon métropole".into(),
            ..Default::default()
        }
    }

    #[test]
    fn verification_mails_carry_the_link_in_the_users_language() {
        let french = verification(&event("fr"), "https://dijon.synergies.fr/");
        assert!(french.subject.starts_with("Confirmez votre adresse"));
        assert!(
            french
                .body
                .contains("https://dijon.synergies.fr/verify-email?token=rt_abc")
        );
        let english = verification(&event("en"), "https://dijon.synergies.fr");
        assert!(english.subject.starts_with("Confirm your e-mail address"));
        assert_eq!(english.recipient, "marie@cartonnerie.fr");
    }
}
