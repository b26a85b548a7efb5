//! Changing one's e-mail address. A signed-in user asks for a new address, proving their
//! password; a single-use link (a random token of which only the hash is kept, valid for a
//! day) goes to the new address, and the old one stays theirs — for signing in and for our
//! e-mails — until that link is followed. Then the new address is theirs, counted as
//! verified (the link reached it), and the old one is told of the change (`user.email_changed`).
//! An address that another account of the territory has is refused, when asked and again when
//! confirmed (it may have been taken in between).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::outbox::OutboxEvent;
use uuid::Uuid;

use crate::error::IdentityError;

/// How long the link sent to the new address works.
pub const EMAIL_CHANGE_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// A change waiting for its link to be followed.
#[derive(Debug, Clone)]
pub struct PendingEmailChange {
    pub token_hash: String,
    pub user_id: Uuid,
    /// Normalised (trimmed, lowercase).
    pub new_email: String,
    pub expires_at: DateTime<Utc>,
}

/// A change just confirmed: the user's address was `old_email` and is now `new_email`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedEmailChange {
    pub user_id: Uuid,
    pub tenant: String,
    pub tenant_display_name: String,
    pub display_name: String,
    /// Language of the user's e-mails.
    pub language: String,
    pub old_email: String,
    pub new_email: String,
}

/// Builds the `user.email_changed` event of a confirmed change.
pub type EmailChangedEvent<'a> = dyn Fn(&ConfirmedEmailChange) -> OutboxEvent + Send + Sync + 'a;

#[async_trait]
pub trait EmailChangeStore: Send + Sync {
    /// Replaces the user's pending change (if any) by `change`, and stores the event that
    /// sends its link, in one transaction.
    async fn request_email_change(
        &self,
        change: &PendingEmailChange,
        event: &OutboxEvent,
    ) -> Result<(), IdentityError>;

    /// Spends the token of a change: the new address becomes the user's (verified), the
    /// user's other pending changes end, and the event built by `event_for` is stored — in one
    /// transaction. `None`: the token is unknown, used or expired. `EmailTaken`: another
    /// account of the territory has that address now (nothing changes).
    async fn confirm_email_change(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        event_for: &EmailChangedEvent<'_>,
    ) -> Result<Option<ConfirmedEmailChange>, IdentityError>;

    /// The user's pending change, if one is still valid at `now`: its new address and expiry.
    async fn pending_email_change(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>)>, IdentityError>;
}
