//! Photo metadata: one trait, PostgreSQL and SQLite implementations generated from one body,
//! checked by `tests/photo_store_conformance.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::Row;
use synergies_platform::db::Database;
use uuid::Uuid;

use super::Photo;
use super::error::PhotosError;

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

macro_rules! photo_store {
    ($store:ident, $database:ty) => {
        pub struct $store {
            pool: sqlx::Pool<$database>,
        }

        impl $store {
            fn photo_from(row: &<$database as sqlx::Database>::Row) -> Result<Photo, sqlx::Error> {
                let int = |column: &str| row.try_get::<i32, _>(column).map(|v| v.max(0) as u32);
                let big = |column: &str| row.try_get::<i64, _>(column).map(unsigned);
                Ok(Photo {
                    id: row.try_get("id")?,
                    tenant: row.try_get("tenant")?,
                    listing_id: row.try_get("listing_id")?,
                    position: int("position")?,
                    content_type: row.try_get("content_type")?,
                    width: int("width")?,
                    height: int("height")?,
                    size_bytes: big("size_bytes")?,
                    thumbnail_width: int("thumbnail_width")?,
                    thumbnail_height: int("thumbnail_height")?,
                    thumbnail_size_bytes: big("thumbnail_size_bytes")?,
                    created_at: row.try_get("created_at")?,
                })
            }
        }

        #[async_trait]
        impl PhotoStore for $store {
            async fn add(&self, photo: Photo, max: u32) -> Result<Photo, PhotosError> {
                let mut tx = self.pool.begin().await?;
                // Takes the listing's place (and its row lock) first: the count and the position
                // below are then read by one upload at a time.
                let counted = sqlx::query(
                    "INSERT INTO listing_photo_counts (listing_id, photos) VALUES ($1, 1)
                     ON CONFLICT (listing_id) DO UPDATE SET photos = listing_photo_counts.photos + 1
                     WHERE listing_photo_counts.photos < $2",
                )
                .bind(photo.listing_id)
                .bind(max as i32)
                .execute(&mut *tx)
                .await?;
                if counted.rows_affected() == 0 {
                    return Err(PhotosError::GalleryFull);
                }
                let next: i32 = sqlx::query_scalar(
                    "SELECT CAST(COALESCE(MAX(position) + 1, 0) AS INTEGER) FROM listing_photos WHERE listing_id = $1",
                )
                .bind(photo.listing_id)
                .fetch_one(&mut *tx)
                .await?;
                let photo = Photo { position: next.max(0) as u32, ..photo };
                sqlx::query(&format!(
                    "INSERT INTO listing_photos ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind(photo.id)
                .bind(&photo.tenant)
                .bind(photo.listing_id)
                .bind(photo.position as i32)
                .bind(&photo.content_type)
                .bind(photo.width as i32)
                .bind(photo.height as i32)
                .bind(photo.size_bytes as i64)
                .bind(photo.thumbnail_width as i32)
                .bind(photo.thumbnail_height as i32)
                .bind(photo.thumbnail_size_bytes as i64)
                .bind(photo.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(photo)
            }

            async fn list(&self, tenant: &str, listing_id: Uuid) -> Result<Vec<Photo>, PhotosError> {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM listing_photos WHERE tenant = $1 AND listing_id = $2 ORDER BY position, id"
                ))
                .bind(tenant)
                .bind(listing_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::photo_from).collect::<Result<_, _>>()?)
            }

            async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Photo>, PhotosError> {
                let row = sqlx::query(&format!("SELECT {COLUMNS} FROM listing_photos WHERE tenant = $1 AND id = $2"))
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(Self::photo_from).transpose()?)
            }

            async fn delete(&self, tenant: &str, listing_id: Uuid, id: Uuid) -> Result<bool, PhotosError> {
                let mut tx = self.pool.begin().await?;
                // The count first, as `add` does: both lock in the same order.
                sqlx::query("UPDATE listing_photo_counts SET photos = photos - 1 WHERE listing_id = $1")
                    .bind(listing_id)
                    .execute(&mut *tx)
                    .await?;
                let position: Option<i32> = sqlx::query_scalar(
                    "DELETE FROM listing_photos WHERE tenant = $1 AND listing_id = $2 AND id = $3 RETURNING position",
                )
                .bind(tenant)
                .bind(listing_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(position) = position else {
                    // Dropping the transaction rolls the count back.
                    return Ok(false);
                };
                sqlx::query("UPDATE listing_photos SET position = position - 1 WHERE listing_id = $1 AND position > $2")
                    .bind(listing_id)
                    .bind(position)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn existing(&self, ids: &[Uuid]) -> Result<std::collections::HashSet<Uuid>, PhotosError> {
                let mut existing = std::collections::HashSet::new();
                // Bounded statements: SQLite allows 32 766 parameters, PostgreSQL 65 535.
                for chunk in ids.chunks(500) {
                    let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
                    let sql = format!("SELECT id FROM listing_photos WHERE id IN ({})", placeholders.join(", "));
                    let mut query = sqlx::query_scalar::<_, Uuid>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    existing.extend(query.fetch_all(&self.pool).await?);
                }
                Ok(existing)
            }

            async fn reorder(&self, tenant: &str, listing_id: Uuid, order: &[Uuid]) -> Result<Vec<Photo>, PhotosError> {
                let mut tx = self.pool.begin().await?;
                // The count row is the listing's lock, as in `add` and `delete`.
                sqlx::query("UPDATE listing_photo_counts SET photos = photos WHERE listing_id = $1")
                    .bind(listing_id)
                    .execute(&mut *tx)
                    .await?;
                let current: Vec<Uuid> = sqlx::query_scalar(
                    "SELECT id FROM listing_photos WHERE tenant = $1 AND listing_id = $2",
                )
                .bind(tenant)
                .bind(listing_id)
                .fetch_all(&mut *tx)
                .await?;
                if !is_permutation(&current, order) {
                    return Err(order_mismatch());
                }
                for (position, id) in order.iter().enumerate() {
                    sqlx::query("UPDATE listing_photos SET position = $1 WHERE id = $2")
                        .bind(position as i32)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                self.list(tenant, listing_id).await
            }
        }
    };
}

photo_store!(PostgresPhotos, sqlx::Postgres);
photo_store!(SqlitePhotos, sqlx::Sqlite);
