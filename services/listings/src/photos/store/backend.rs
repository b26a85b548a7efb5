//! The photo store, written once for the database that the module including it names as
//! `Db` (`postgres.rs`, `sqlite.rs`): one body, compiled for each backend, with the SQL both
//! dialects accept.

use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use crate::photos::Photo;
use crate::photos::error::PhotosError;
use crate::photos::store::{COLUMNS, PhotoStore, is_permutation, order_mismatch, unsigned};

pub struct SqlStore {
    pub(in crate::photos::store) pool: sqlx::Pool<super::Db>,
}

impl SqlStore {
    fn photo_from(row: &<super::Db as sqlx::Database>::Row) -> Result<Photo, sqlx::Error> {
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
impl PhotoStore for SqlStore {
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
        let photo = Photo {
            position: next.max(0) as u32,
            ..photo
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO listing_photos ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )))
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
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listing_photos WHERE tenant = $1 AND listing_id = $2 ORDER BY position, id"
        )))
        .bind(tenant)
        .bind(listing_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Self::photo_from)
            .collect::<Result<_, _>>()?)
    }

    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Photo>, PhotosError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listing_photos WHERE tenant = $1 AND id = $2"
        )))
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
            let sql = format!(
                "SELECT id FROM listing_photos WHERE id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query_scalar::<_, Uuid>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            existing.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(existing)
    }

    async fn reorder(
        &self,
        tenant: &str,
        listing_id: Uuid,
        order: &[Uuid],
    ) -> Result<Vec<Photo>, PhotosError> {
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
