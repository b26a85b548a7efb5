//! Delivers queued e-mails over SMTP, retrying failures with growing delays. Mails are stored
//! before they are sent, so a crash or an SMTP outage delays an e-mail but never loses it.
//!
//! Only the server's refusals of a mail count as its attempts: while the SMTP server cannot be
//! reached, the sender stops, waits with backoff, and tries again without charging any mail.
//! A permanent refusal also counts against the address ([`crate::bounces`]): once it is
//! undeliverable, its mails are held instead of sent.

use std::sync::Arc;
use std::time::Duration;

use synergies_platform::CancellationToken;
use tokio::sync::Notify;

use crate::bounces::BounceStore;
use crate::mail::SmtpSender;
use crate::store::{MailStore, QueuedMail};

/// Attempts after which a mail is left for the operator (its error stays visible).
const MAX_ATTEMPTS: i64 = 10;

/// Wakes the sender when a handler has queued a mail.
#[derive(Clone, Default)]
pub struct SenderWaker(pub Arc<Notify>);

pub async fn run(
    store: Arc<dyn MailStore>,
    bounces: Arc<dyn BounceStore>,
    sender: SmtpSender,
    waker: SenderWaker,
    shutdown: CancellationToken,
) {
    let mut outages = 0;
    while !shutdown.is_cancelled() {
        let pause = match deliver_due(store.as_ref(), bounces.as_ref(), &sender).await {
            Ok(Delivery::Done) => {
                outages = 0;
                Duration::from_secs(5)
            }
            Ok(Delivery::ServerUnreachable) => {
                outages += 1;
                synergies_platform::retry::backoff(outages + 4, Duration::from_mins(1))
            }
            Err(error) => {
                tracing::warn!(%error, "reading queued e-mails failed");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = waker.0.notified(), if outages == 0 => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// How a round of sending ended.
enum Delivery {
    /// Every due mail was sent or charged with the server's refusal.
    Done,
    /// The SMTP server could not be reached: the round stopped, no mail was charged.
    ServerUnreachable,
}

async fn deliver_due(
    store: &dyn MailStore,
    bounces: &dyn BounceStore,
    sender: &SmtpSender,
) -> Result<Delivery, crate::error::NotificationsError> {
    let now = synergies_platform::time::now();
    for queued in store
        .due_mail(now, 50)
        .await?
        .into_iter()
        .filter(|q| q.attempts < MAX_ATTEMPTS)
    {
        let address = &queued.mail.recipient;
        if bounces
            .undeliverable(&queued.tenant, address)
            .await?
            .is_some()
        {
            bounces.hold(queued.id).await?;
            tracing::info!(mail_id = %queued.id, "e-mail held: its address is undeliverable");
            continue;
        }
        match sender.send(&queued.mail).await {
            Ok(()) => {
                store
                    .mark_sent(queued.id, synergies_platform::time::now())
                    .await?;
                bounces.record_delivery(&queued.tenant, address).await?;
                tracing::info!(mail_id = %queued.id, "e-mail sent");
            }
            Err(error) if error.is_outage() => {
                tracing::warn!(mail_id = %queued.id, %error, "SMTP server unreachable, waiting (no attempt charged)");
                return Ok(Delivery::ServerUnreachable);
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
                if error.is_permanent() {
                    count_hard_failure(bounces, &queued, &error.to_string()).await?;
                }
            }
        }
    }
    Ok(Delivery::Done)
}

/// A permanent refusal counts against the address; the one that makes it undeliverable is logged
/// for the operator (who also sees it beside the outgoing mail).
async fn count_hard_failure(
    bounces: &dyn BounceStore,
    queued: &QueuedMail,
    error: &str,
) -> Result<(), crate::error::NotificationsError> {
    let now = synergies_platform::time::now();
    let state = bounces
        .record_hard_failure(&queued.tenant, &queued.mail.recipient, error, now)
        .await?;
    if state.undeliverable_since.is_some()
        && state.hard_failures == crate::bounces::HARD_FAILURES_BEFORE_UNDELIVERABLE
    {
        tracing::warn!(tenant = %queued.tenant, hard_failures = state.hard_failures, %error,
            "address undeliverable: its e-mails are held until the member confirms it");
    }
    Ok(())
}
