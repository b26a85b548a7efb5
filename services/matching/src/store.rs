//! Matching storage: one trait, PostgreSQL and SQLite implementations generated from one body.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::db::Database;
use synergies_platform::outbox::{OutboxEvent, Transactional};
use uuid::Uuid;

use crate::domain::{IndexedListing, Match, Side, pair};
use crate::error::MatchingError;

/// A match as listed back to members.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMatch {
    pub id: Uuid,
    pub offer_listing_id: Uuid,
    pub request_listing_id: Uuid,
    pub category: String,
    pub explanation: String,
    pub score: f64,
    pub created_at: DateTime<Utc>,
}

/// Builds the outbox event announcing a match.
pub type MatchEvent = dyn Fn(&Match) -> OutboxEvent + Send + Sync;

/// Records whether a listing is held, unless a newer change is on record: the events that hold
/// and release a listing come through separate consumers, in any order.
const RECORD_HOLD: &str = "INSERT INTO listing_holds (listing_id, held, changed_at_micros) VALUES ($1, $2, $3)
     ON CONFLICT (listing_id) DO UPDATE SET held = excluded.held, changed_at_micros = excluded.changed_at_micros
      WHERE listing_holds.changed_at_micros < excluded.changed_at_micros";

/// Most counterparts examined for one new listing.
const CANDIDATE_LIMIT: i64 = 500;

#[async_trait]
pub trait MatchingStore: Send + Sync {
    /// In one transaction: unless `consumer` already handled `event_id`, indexes `listing`
    /// (published, edited, or published again after an edit, at `published_at_micros`: that
    /// releases any older hold, and an older version than the one indexed changes nothing),
    /// pairs it with indexed counterparts unless it is still held, and stores each new match
    /// with its event.
    /// `None`: the event had been handled already and nothing changed.
    async fn index_listing(
        &self,
        consumer: &str,
        event_id: Uuid,
        listing: &IndexedListing,
        published_at_micros: i64,
        event_for: &MatchEvent,
    ) -> Result<Option<Vec<Match>>, MatchingError>;

    /// In one transaction: unless `consumer` already handled `event_id`, drops `listing_id` from
    /// the index (withdrawn, expired or hidden: no new match may name it). `false`: handled
    /// already.
    async fn unindex_listing(
        &self,
        consumer: &str,
        event_id: Uuid,
        listing_id: Uuid,
    ) -> Result<bool, MatchingError>;

    /// In one transaction: unless `consumer` already handled `event_id`, records that
    /// `listing_id` is held (reserved for one organisation, or edited and waiting for approval
    /// again: not paired) or released (reservation cancelled: paired again), unless a newer
    /// change than `changed_at_micros` is on record. `false`: handled already.
    async fn hold_listing(
        &self,
        consumer: &str,
        event_id: Uuid,
        listing_id: Uuid,
        held: bool,
        changed_at_micros: i64,
    ) -> Result<bool, MatchingError>;

    /// Matches involving `listing_id` in `tenant`, newest first.
    async fn matches_of(
        &self,
        tenant: &str,
        listing_id: Uuid,
    ) -> Result<Vec<StoredMatch>, MatchingError>;
}

pub fn for_database(database: &Database) -> Arc<dyn MatchingStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

macro_rules! matching_store {
    ($store:ident, $database:ty) => {
        pub struct $store {
            pool: sqlx::Pool<$database>,
        }

        impl $store {
            fn indexed_from(row: &<$database as sqlx::Database>::Row) -> Result<IndexedListing, sqlx::Error> {
                let kind: String = row.try_get("kind")?;
                Ok(IndexedListing {
                    listing_id: row.try_get("listing_id")?,
                    tenant: row.try_get("tenant")?,
                    side: Side::parse(&kind).ok_or_else(|| sqlx::Error::Decode(format!("unknown side {kind:?}").into()))?,
                    category: row.try_get("category")?,
                    organisation_id: row.try_get("organisation_id")?,
                    owner_user_id: row.try_get("owner_user_id")?,
                    title: row.try_get("title")?,
                })
            }
        }

        #[async_trait]
        impl MatchingStore for $store {
            async fn index_listing(
                &self,
                consumer: &str,
                event_id: Uuid,
                listing: &IndexedListing,
                published_at_micros: i64,
                event_for: &MatchEvent,
            ) -> Result<Option<Vec<Match>>, MatchingError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(None);
                }
                let closed = sqlx::query("SELECT 1 FROM closed_listings WHERE listing_id = $1")
                    .bind(listing.listing_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if closed {
                    tx.commit().await?;
                    return Ok(Some(Vec::new()));
                }
                let newest = sqlx::query(
                    "INSERT INTO listing_index (listing_id, tenant, kind, category, organisation_id, owner_user_id, title, indexed_at, published_at_micros)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (listing_id) DO UPDATE
                        SET kind = excluded.kind, category = excluded.category, title = excluded.title,
                            published_at_micros = excluded.published_at_micros
                      WHERE listing_index.published_at_micros <= excluded.published_at_micros",
                )
                .bind(listing.listing_id)
                .bind(&listing.tenant)
                .bind(listing.side.as_str())
                .bind(&listing.category)
                .bind(listing.organisation_id)
                .bind(listing.owner_user_id)
                .bind(&listing.title)
                .bind(synergies_platform::time::now())
                .bind(published_at_micros)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if !newest {
                    // An older version than the one indexed (delivered late): nothing to redo.
                    tx.commit().await?;
                    return Ok(Some(Vec::new()));
                }
                sqlx::query(RECORD_HOLD)
                    .bind(listing.listing_id)
                    .bind(false)
                    .bind(published_at_micros)
                    .execute(&mut *tx)
                    .await?;
                // Held by a newer change (a reservation handled before this publication, say):
                // indexed, paired once released.
                let held = sqlx::query("SELECT 1 FROM listing_holds WHERE listing_id = $1 AND held")
                    .bind(listing.listing_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if held {
                    tx.commit().await?;
                    return Ok(Some(Vec::new()));
                }
                let candidates = sqlx::query(
                    "SELECT listing_id, tenant, kind, category, organisation_id, owner_user_id, title FROM listing_index
                      WHERE tenant = $1 AND category = $2 AND kind = $3 AND organisation_id <> $4
                        AND NOT EXISTS (SELECT 1 FROM listing_holds h WHERE h.listing_id = listing_index.listing_id AND h.held)
                      ORDER BY listing_id DESC LIMIT $5",
                )
                .bind(&listing.tenant)
                .bind(&listing.category)
                .bind(listing.side.opposite().as_str())
                .bind(listing.organisation_id)
                .bind(CANDIDATE_LIMIT)
                .fetch_all(&mut *tx)
                .await?;
                let mut found = Vec::new();
                for candidate in &candidates {
                    let Some(new_match) = pair(listing, &Self::indexed_from(candidate)?) else { continue };
                    let inserted = sqlx::query(
                        "INSERT INTO matches (id, tenant, offer_listing_id, request_listing_id, category, explanation, score, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (offer_listing_id, request_listing_id) DO NOTHING",
                    )
                    .bind(new_match.id)
                    .bind(&new_match.tenant)
                    .bind(new_match.offer.listing_id)
                    .bind(new_match.request.listing_id)
                    .bind(&new_match.offer.category)
                    .bind(&new_match.explanation)
                    .bind(new_match.score)
                    .bind(new_match.created_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        tx.enqueue(&event_for(&new_match)).await?;
                        found.push(new_match);
                    }
                }
                tx.commit().await?;
                Ok(Some(found))
            }

            async fn unindex_listing(&self, consumer: &str, event_id: Uuid, listing_id: Uuid) -> Result<bool, MatchingError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(false);
                }
                sqlx::query("INSERT INTO closed_listings (listing_id) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(listing_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM listing_index WHERE listing_id = $1")
                    .bind(listing_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn hold_listing(
                &self,
                consumer: &str,
                event_id: Uuid,
                listing_id: Uuid,
                held: bool,
                changed_at_micros: i64,
            ) -> Result<bool, MatchingError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(false);
                }
                sqlx::query(RECORD_HOLD)
                .bind(listing_id)
                .bind(held)
                .bind(changed_at_micros)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn matches_of(&self, tenant: &str, listing_id: Uuid) -> Result<Vec<StoredMatch>, MatchingError> {
                let rows = sqlx::query(
                    "SELECT id, offer_listing_id, request_listing_id, category, explanation, score, created_at FROM matches
                      WHERE tenant = $1 AND (offer_listing_id = $2 OR request_listing_id = $2)
                      ORDER BY id DESC LIMIT 200",
                )
                .bind(tenant)
                .bind(listing_id)
                .fetch_all(&self.pool)
                .await?;
                let stored = rows
                    .iter()
                    .map(|row| -> Result<StoredMatch, sqlx::Error> {
                        Ok(StoredMatch {
                            id: row.try_get("id")?,
                            offer_listing_id: row.try_get("offer_listing_id")?,
                            request_listing_id: row.try_get("request_listing_id")?,
                            category: row.try_get("category")?,
                            explanation: row.try_get("explanation")?,
                            score: row.try_get("score")?,
                            created_at: row.try_get("created_at")?,
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(stored)
            }
        }
    };
}

matching_store!(PostgresStore, sqlx::Postgres);
matching_store!(SqliteStore, sqlx::Sqlite);
