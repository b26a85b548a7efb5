//! Expires listings whose availability window has ended: each becomes `expired` with its
//! `listing.expired` event, in one transaction. Runs in every replica; two replicas racing on
//! one listing is harmless (the second's conditional write finds the status changed and skips).

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use synergies_platform::outbox::RelayWaker;
use tokio_util::sync::CancellationToken;

use crate::convert::change_event;
use crate::error::ListingsError;
use crate::store::ListingStore;

const BATCH: u32 = 100;

/// Expires what is due on `today`; returns how many listings expired.
pub async fn sweep(
    store: &dyn ListingStore,
    relay: &RelayWaker,
    today: NaiveDate,
) -> Result<usize, ListingsError> {
    let mut expired = 0;
    loop {
        let due = store.due_for_expiry(today, BATCH).await?;
        let mut progressed = false;
        for mut listing in due.iter().cloned() {
            let previous = listing.status;
            if listing.expire(today).is_err() {
                continue;
            }
            let events: Vec<_> = change_event(&listing, None, false).into_iter().collect();
            if store.save(&listing, previous, &events).await? {
                expired += 1;
                progressed = true;
                tracing::info!(listing_id = %listing.id, tenant = %listing.tenant, "listing expired");
            }
        }
        if progressed {
            relay.wake();
        }
        if due.len() < BATCH as usize || !progressed {
            return Ok(expired);
        }
    }
}

/// Sweeps at start and then every `every`, until `shutdown`.
pub async fn run(
    store: Arc<dyn ListingStore>,
    relay: RelayWaker,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        let today = chrono::Utc::now().date_naive();
        if let Err(error) = sweep(store.as_ref(), &relay, today).await {
            tracing::warn!(%error, "listing expiry sweep failed; retrying at the next tick");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
