//! Removes photo files no row points to. Files are written before their row and deleted after
//! it, so a crash in between leaves a file nothing serves or counts. An upload still in flight
//! also has a file and not yet a row: only files older than a grace period go, and a photo's
//! UUIDv7 id says when it was made (a file whose id carries no time is never removed).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::error::PhotosError;
use super::storage::PhotoStorage;
use super::store::PhotoStore;

/// How old a file without a row must be before it is taken for an orphan: far longer than any
/// upload takes between writing its file and its row.
pub const GRACE: Duration = Duration::from_hours(1);

/// Removes the files without a row made before `grace` ago; returns how many photos went.
pub async fn sweep(
    files: &dyn PhotoStorage,
    photos: &dyn PhotoStore,
    grace: Duration,
) -> Result<usize, PhotosError> {
    let cutoff = Utc::now() - grace;
    let old: Vec<Uuid> = files
        .ids(grace)
        .await?
        .into_iter()
        .filter(|id| made_at(*id).is_some_and(|made| made < cutoff))
        .collect();
    let kept = photos.existing(&old).await?;
    let mut removed = 0;
    for id in old.into_iter().filter(|id| !kept.contains(id)) {
        files.delete(id).await?;
        tracing::info!(photo_id = %id, "orphan photo file removed");
        removed += 1;
    }
    Ok(removed)
}

/// When a UUIDv7 was made.
fn made_at(id: Uuid) -> Option<DateTime<Utc>> {
    let (seconds, nanos) = id.get_timestamp()?.to_unix();
    DateTime::from_timestamp(i64::try_from(seconds).ok()?, nanos)
}

/// Sweeps every `every` (the first time one period after start: a restart after a crash does
/// not race the uploads it interrupted), until `shutdown`.
pub async fn run(
    files: Arc<dyn PhotoStorage>,
    photos: Arc<dyn PhotoStore>,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match sweep(files.as_ref(), photos.as_ref(), GRACE).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "orphan photo sweep done"),
            Err(error) => {
                tracing::warn!(%error, "orphan photo sweep failed; retrying at the next tick");
            }
        }
    }
}
