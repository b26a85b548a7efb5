//! E-mails that never leave are not kept for ever: without an SMTP server (all-in-one mode
//! keeps them for the operator), with one unreachable for days, or held for an undeliverable
//! address, an e-mail past the configured age says what is no longer true (a listing gone, a
//! link expired) and only fills the queue. Each is dropped, logged per territory and counted
//! in `synergies_notifications_mails_expired_total`.

use std::sync::Arc;
use std::time::Duration;

use synergies_platform::CancellationToken;

use crate::store::MailStore;

/// How often old unsent e-mails are looked for: an age counted in days needs no finer step.
const SWEEP_INTERVAL: Duration = Duration::from_hours(1);

/// Drops unsent e-mails older than `max_age` every hour until `shutdown`.
pub async fn run(
    store: Arc<dyn MailStore>,
    max_age: chrono::TimeDelta,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        if let Err(error) = expire(store.as_ref(), max_age).await {
            tracing::warn!(%error, "dropping old unsent e-mails failed, will try again");
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = tokio::time::sleep(SWEEP_INTERVAL) => {}
        }
    }
}

/// Drops the unsent e-mails older than `max_age`; how many.
pub async fn expire(
    store: &dyn MailStore,
    max_age: chrono::TimeDelta,
) -> Result<u64, crate::error::NotificationsError> {
    let cutoff = synergies_platform::time::now() - max_age;
    let mut total = 0;
    for (tenant, dropped) in store.expire_unsent(cutoff).await? {
        tracing::warn!(%tenant, dropped, max_age_days = max_age.num_days(),
            "unsent e-mails dropped: older than the configured maximum age");
        metrics::counter!("synergies_notifications_mails_expired_total", "tenant" => tenant)
            .increment(dropped);
        total += dropped;
    }
    Ok(total)
}
