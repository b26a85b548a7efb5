//! Delivers queued e-mails over SMTP, retrying failures with growing delays. Mails are stored
//! before they are sent, so a crash or an SMTP outage delays an e-mail but never loses it.

use std::sync::Arc;
use std::time::Duration;

use synergies_platform::CancellationToken;
use tokio::sync::Notify;

use crate::mail::SmtpSender;
use crate::store::MailStore;

/// Attempts after which a mail is left for the operator (its error stays visible).
const MAX_ATTEMPTS: i64 = 10;

/// Wakes the sender when a handler has queued a mail.
#[derive(Clone, Default)]
pub struct SenderWaker(pub Arc<Notify>);

pub async fn run(
    store: Arc<dyn MailStore>,
    sender: SmtpSender,
    waker: SenderWaker,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        if let Err(error) = deliver_due(store.as_ref(), &sender).await {
            tracing::warn!(%error, "reading queued e-mails failed");
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = waker.0.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

async fn deliver_due(
    store: &dyn MailStore,
    sender: &SmtpSender,
) -> Result<(), crate::error::NotificationsError> {
    let now = synergies_platform::time::now();
    for queued in store
        .due_mail(now, 50)
        .await?
        .into_iter()
        .filter(|q| q.attempts < MAX_ATTEMPTS)
    {
        match sender.send(&queued.mail).await {
            Ok(()) => {
                store
                    .mark_sent(queued.id, synergies_platform::time::now())
                    .await?;
                tracing::info!(mail_id = %queued.id, "e-mail sent");
            }
            Err(error) => {
                let attempt = u32::try_from(queued.attempts + 1).unwrap_or(u32::MAX);
                let delay =
                    synergies_platform::retry::backoff(attempt + 4, Duration::from_hours(1));
                let next = synergies_platform::time::now()
                    + chrono::TimeDelta::from_std(delay).unwrap_or_default();
                tracing::warn!(mail_id = %queued.id, attempt, %error, "e-mail not sent, will retry");
                store
                    .mark_failed(queued.id, &error.to_string(), next)
                    .await?;
            }
        }
    }
    Ok(())
}
