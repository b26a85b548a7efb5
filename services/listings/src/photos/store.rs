//! Photo metadata: one trait, PostgreSQL and SQLite implementations sharing one body
//! (`store/backend.rs`, compiled for each database), checked by
//! `tests/photo_store_conformance.rs`.

mod postgres;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::db::Database;
use uuid::Uuid;

use super::Photo;
use super::error::PhotosError;
pub use postgres::PostgresPhotos;
pub use sqlite::SqlitePhotos;

#[async_trait]
pub trait PhotoStore: Send + Sync {
    /// Appends the photo to its listing's gallery and returns it with its position, or
    /// [`PhotosError::GalleryFull`] when the listing already has `max` photos — also when
    /// several uploads race for the last place.
    async fn add(&self, photo: Photo, max: u32) -> Result<Photo, PhotosError>;
    /// The listing's photos in gallery order.
    async fn list(&self, tenant: &str, listing_id: Uuid) -> Result<Vec<Photo>, PhotosError>;
    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Photo>, PhotosError>;
    /// Removes the photo of that listing and closes the gap in the gallery; `false` if there is
    /// no such photo.
    async fn delete(&self, tenant: &str, listing_id: Uuid, id: Uuid) -> Result<bool, PhotosError>;
    /// Puts the listing's photos in `order`, which must name each of them once (else
    /// [`PhotosError::Invalid`] on `photo_ids`); returns them in their new order.
    /// Which of `ids` have a row, in any tenant (the orphan sweep).
    async fn existing(&self, ids: &[Uuid]) -> Result<std::collections::HashSet<Uuid>, PhotosError>;
    async fn reorder(
        &self,
        tenant: &str,
        listing_id: Uuid,
        order: &[Uuid],
    ) -> Result<Vec<Photo>, PhotosError>;
}

fn order_mismatch() -> PhotosError {
    PhotosError::Invalid(synergies_platform::error::FieldError::new(
        "photo_ids",
        "must name every photo of the listing exactly once",
        "doit nommer chaque photo de l'annonce exactement une fois",
    ))
}

/// Whether `order` names each of `current` exactly once.
fn is_permutation(current: &[Uuid], order: &[Uuid]) -> bool {
    let mut current = current.to_vec();
    let mut order = order.to_vec();
    current.sort_unstable();
    order.sort_unstable();
    current == order
}

pub fn for_database(database: &Database) -> Arc<dyn PhotoStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresPhotos { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqlitePhotos { pool: pool.clone() }),
    }
}

const COLUMNS: &str = "id, tenant, listing_id, position, content_type, width, height, size_bytes, \
     thumbnail_width, thumbnail_height, thumbnail_size_bytes, created_at";

/// Integer columns are signed in SQL; every value stored here came from a `u32`/`u64`.
fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}
