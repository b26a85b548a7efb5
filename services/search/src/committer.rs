//! The background commit of an index whose writes do not commit: a commit (files written and
//! synced, the reader reloaded) costs milliseconds that no write should wait for, and searches
//! commit what is pending first, so this only keeps the files on disk (what a restart resumes
//! from) close behind.

use std::fmt::Display;
use std::sync::Weak;
use std::time::Duration;

/// Calls `commit` on a blocking thread every second while `index` lives (the first time a
/// second from now: the index was just opened or built). `what` names the index in the logs.
pub fn spawn<T, E>(index: Weak<T>, commit: fn(&T) -> Result<(), E>, what: &'static str)
where
    T: Send + Sync + 'static,
    E: Display + Send + 'static,
{
    tokio::spawn(async move {
        let second = Duration::from_secs(1);
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + second, second);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(index) = index.upgrade() else {
                return;
            };
            let committed =
                tokio::task::spawn_blocking(move || commit(&index).map_err(|e| e.to_string()))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
            if let Err(error) = committed {
                tracing::warn!(%error, "could not commit the {what}'s pending writes");
            }
        }
    });
}
