//! The listings store, written once for the database that the module including it names as
//! `Db` (`postgres.rs`, `sqlite.rs`): one body, compiled for each backend, with the SQL both
//! dialects accept.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use synergies_platform::outbox::{OutboxEvent, Transactional};
use uuid::Uuid;

use crate::domain::{
    Condition, ExchangeMode, Listing, ListingKind, ListingStatus, Location, Price, PriceBasis,
    Quantity, Recurrence, ResourceType, Unit,
};
use crate::error::ListingsError;
use crate::search::{Cursor, Facets, Hit, SearchQuery, Sort};
use crate::store::{
    COLUMNS, ListingQuery, ListingStore, SearchTerms, UPSERT_SETS, parsed, parsed_option,
};

pub struct SqlStore {
    pub(in crate::store) pool: sqlx::Pool<super::Db>,
    pub(in crate::store) terms: SearchTerms,
}

impl SqlStore {
    fn listing_from(row: &<super::Db as sqlx::Database>::Row) -> Result<Listing, sqlx::Error> {
        let text = |column: &str| -> Result<String, sqlx::Error> { row.try_get(column) };
        let price_cents: Option<i64> = row.try_get("price_cents")?;
        let price = match price_cents {
            Some(cents) => Some(Price {
                cents,
                basis: parsed("price_basis", &text("price_basis")?, PriceBasis::parse)?,
            }),
            None => None,
        };
        let thousandths: Option<i64> = row.try_get("quantity_thousandths")?;
        let quantity = match thousandths {
            Some(thousandths) => Some(Quantity {
                thousandths,
                unit: parsed("quantity_unit", &text("quantity_unit")?, Unit::parse)?,
                recurrence: parsed("recurrence", &text("recurrence")?, Recurrence::parse)?,
            }),
            None => None,
        };
        let insee_code: Option<String> = row.try_get("insee_code")?;
        let latitude: Option<f64> = row.try_get("latitude")?;
        let longitude: Option<f64> = row.try_get("longitude")?;
        let location = insee_code
            .map(|insee_code| -> Result<Location, sqlx::Error> {
                Ok(Location {
                    site_id: row.try_get("site_id")?,
                    insee_code,
                    coordinates: latitude.zip(longitude),
                })
            })
            .transpose()?;
        Ok(Listing {
            id: row.try_get("id")?,
            tenant: row.try_get("tenant")?,
            organisation_id: row.try_get("organisation_id")?,
            owner_user_id: row.try_get("owner_user_id")?,
            kind: parsed("kind", &text("kind")?, ListingKind::parse)?,
            resource_type: parsed(
                "resource_type",
                &text("resource_type")?,
                ResourceType::parse,
            )?,
            category: row.try_get("category")?,
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            ewc_code: row.try_get("ewc_code")?,
            exchange_mode: parsed(
                "exchange_mode",
                &text("exchange_mode")?,
                ExchangeMode::parse,
            )?,
            price,
            quantity,
            condition: parsed_option(
                "item_condition",
                row.try_get("item_condition")?,
                Condition::parse,
            )?,
            available_from: row.try_get("available_from")?,
            available_until: row.try_get("available_until")?,
            location,
            status: parsed("status", &text("status")?, ListingStatus::parse)?,
            status_reason: row.try_get("status_reason")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// Binds a listing's columns in [`COLUMNS`] order.
    fn bind_listing<'q>(
        query: sqlx::query::Query<'q, super::Db, <super::Db as sqlx::Database>::Arguments>,
        listing: &'q Listing,
    ) -> sqlx::query::Query<'q, super::Db, <super::Db as sqlx::Database>::Arguments> {
        let location = listing.location.as_ref();
        let coordinates = location.and_then(|l| l.coordinates);
        query
            .bind(listing.id)
            .bind(&listing.tenant)
            .bind(listing.organisation_id)
            .bind(listing.owner_user_id)
            .bind(listing.kind.as_str())
            .bind(listing.resource_type.as_str())
            .bind(&listing.category)
            .bind(crate::taxonomy::root(&listing.category))
            .bind(&listing.title)
            .bind(&listing.description)
            .bind(listing.ewc_code.as_deref())
            .bind(listing.exchange_mode.as_str())
            .bind(listing.price.map(|p| p.cents))
            .bind(listing.price.map(|p| p.basis.as_str()))
            .bind(listing.quantity.map(|q| q.thousandths))
            .bind(listing.quantity.map(|q| q.unit.as_str()))
            .bind(listing.quantity.map(|q| q.recurrence.as_str()))
            .bind(listing.condition.map(Condition::as_str))
            .bind(listing.available_from)
            .bind(listing.available_until)
            .bind(location.and_then(|l| l.site_id))
            .bind(location.map(|l| l.insee_code.as_str()))
            .bind(coordinates.map(|c| c.0))
            .bind(coordinates.map(|c| c.1))
            .bind(listing.status.as_str())
            .bind(&listing.status_reason)
            .bind(listing.created_at)
            .bind(listing.updated_at)
    }

    async fn write_terms(
        tx: &mut <super::Db as sqlx::Database>::Connection,
        listing: &Listing,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM listing_terms WHERE listing_id = $1")
            .bind(listing.id)
            .execute(&mut *tx)
            .await?;
        let terms = crate::text::weighted_terms(&listing.title, &listing.description);
        // One multi-row insert per chunk: a listing has at most a few hundred terms.
        for chunk in terms.chunks(200) {
            let mut insert = sqlx::QueryBuilder::<super::Db>::new(
                "INSERT INTO listing_terms (tenant, term, listing_id, weight) ",
            );
            insert.push_values(chunk, |mut row, (term, weight)| {
                row.push_bind(&listing.tenant)
                    .push_bind(term)
                    .push_bind(listing.id)
                    .push_bind(*weight);
            });
            insert.build().execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// `SELECT` of the listings matching every filter of `query`, with their text score
    /// and squared distance, as a derived table named `s` (the page and the facets read it).
    fn push_matches(sql: &mut sqlx::QueryBuilder<super::Db>, tenant: &str, query: &SearchQuery) {
        sql.push("(SELECT l.*, ");
        if query.terms.is_empty() {
            sql.push("CAST(0 AS BIGINT) AS score, ");
        } else {
            sql.push("m.score AS score, ");
        }
        match &query.near {
            Some(near) => {
                let k = near.km_per_degree_longitude();
                sql.push("((l.longitude - ")
                    .push_bind(near.longitude)
                    .push(") * ")
                    .push_bind(k)
                    .push(") * ((l.longitude - ")
                    .push_bind(near.longitude)
                    .push(") * ")
                    .push_bind(k)
                    .push(") + ((l.latitude - ")
                    .push_bind(near.latitude)
                    .push(") * ")
                    .push_bind(crate::search::KM_PER_DEGREE)
                    .push(") * ((l.latitude - ")
                    .push_bind(near.latitude)
                    .push(") * ")
                    .push_bind(crate::search::KM_PER_DEGREE)
                    .push(") AS d2 FROM listings l ");
            }
            None => {
                sql.push("CAST(NULL AS DOUBLE PRECISION) AS d2 FROM listings l ");
            }
        }
        if !query.terms.is_empty() {
            sql.push(
                "JOIN (SELECT listing_id, SUM(weight) AS score FROM listing_terms WHERE tenant = ",
            )
            .push_bind(tenant.to_owned())
            .push(" AND term IN (");
            let mut terms = sql.separated(", ");
            for term in &query.terms {
                terms.push_bind(term.clone());
            }
            sql.push(") GROUP BY listing_id HAVING COUNT(*) = ")
                .push_bind(query.terms.len() as i64)
                .push(") m ON m.listing_id = l.id ");
        }
        sql.push("WHERE l.tenant = ")
            .push_bind(tenant.to_owned())
            .push(" AND l.status = 'published'");
        if let Some(kind) = query.kind {
            sql.push(" AND l.kind = ").push_bind(kind.as_str());
        }
        if let Some(resource_type) = query.resource_type {
            sql.push(" AND l.resource_type = ")
                .push_bind(resource_type.as_str());
        }
        if let Some(category) = &query.category {
            sql.push(" AND (l.category = ")
                .push_bind(category.clone())
                .push(" OR l.category LIKE ")
                .push_bind(format!("{category}/%"))
                .push(")");
        }
        if let Some(mode) = query.exchange_mode {
            sql.push(" AND l.exchange_mode = ").push_bind(mode.as_str());
        }
        if query.free_only {
            sql.push(" AND l.exchange_mode IN ('give', 'lend')");
        }
        if let Some(insee_code) = &query.insee_code {
            sql.push(" AND l.insee_code = ")
                .push_bind(insee_code.clone());
        }
        if let Some(day) = query.available_on {
            sql.push(" AND (l.available_from IS NULL OR l.available_from <= ")
                .push_bind(day)
                .push(") AND (l.available_until IS NULL OR l.available_until >= ")
                .push_bind(day)
                .push(")");
        }
        if let Some(near) = &query.near {
            let (min_lat, max_lat, min_lon, max_lon) = near.bounding_box();
            sql.push(" AND l.latitude BETWEEN ")
                .push_bind(min_lat)
                .push(" AND ")
                .push_bind(max_lat)
                .push(" AND l.longitude BETWEEN ")
                .push_bind(min_lon)
                .push(" AND ")
                .push_bind(max_lon);
        }
        sql.push(") s");
        if let Some(near) = &query.near {
            sql.push(" WHERE s.d2 <= ")
                .push_bind(near.radius_km * near.radius_km);
        } else {
            sql.push(" WHERE 1 = 1");
        }
    }

    /// Counts per top-level category and per exchange mode, in one pass over the matches.
    async fn facets(&self, tenant: &str, query: &SearchQuery) -> Result<Facets, sqlx::Error> {
        let mut sql = sqlx::QueryBuilder::<super::Db>::new(
            "SELECT s.category_root AS category_root, s.exchange_mode AS exchange_mode, COUNT(*) AS n FROM ",
        );
        Self::push_matches(&mut sql, tenant, query);
        sql.push(" GROUP BY s.category_root, s.exchange_mode");
        let rows = sql.build().fetch_all(&self.pool).await?;
        let mut categories = std::collections::BTreeMap::<String, i64>::new();
        let mut modes = std::collections::BTreeMap::<String, i64>::new();
        for row in &rows {
            let n: i64 = row.try_get("n")?;
            *categories.entry(row.try_get("category_root")?).or_default() += n;
            *modes.entry(row.try_get("exchange_mode")?).or_default() += n;
        }
        Ok(Facets {
            categories: categories.into_iter().collect(),
            exchange_modes: modes.into_iter().collect(),
        })
    }
}

#[async_trait]
impl ListingStore for SqlStore {
    async fn create(&self, listing: &Listing, events: &[OutboxEvent]) -> Result<(), ListingsError> {
        let placeholders = (1..=28)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO listings ({COLUMNS}) VALUES ({placeholders})");
        let mut tx = self.pool.begin().await?;
        Self::bind_listing(sqlx::query(sqlx::AssertSqlSafe(sql)), listing)
            .execute(&mut *tx)
            .await?;
        if self.terms == SearchTerms::Written {
            Self::write_terms(&mut tx, listing).await?;
        }
        for event in events {
            tx.enqueue(event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn save(
        &self,
        listing: &Listing,
        expected: ListingStatus,
        events: &[OutboxEvent],
    ) -> Result<bool, ListingsError> {
        // $1..$4 and $27 (id, tenant, organisation, owner, created_at) never change; they
        // are bound so that one binding function serves both statements.
        let sql = format!(
            "UPDATE listings SET {UPSERT_SETS}
              WHERE id = $1 AND tenant = $2 AND organisation_id = $3 AND owner_user_id = $4
                AND created_at = $27 AND status = $29"
        );
        let mut tx = self.pool.begin().await?;
        let updated = Self::bind_listing(sqlx::query(sqlx::AssertSqlSafe(sql)), listing)
            .bind(expected.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated != 1 {
            return Ok(false);
        }
        if self.terms == SearchTerms::Written {
            Self::write_terms(&mut tx, listing).await?;
        }
        for event in events {
            tx.enqueue(event).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn get(&self, tenant: &str, id: Uuid) -> Result<Option<Listing>, ListingsError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listings WHERE tenant = $1 AND id = $2"
        )))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(Self::listing_from).transpose()?)
    }

    async fn list(
        &self,
        tenant: &str,
        query: &ListingQuery,
    ) -> Result<Vec<Listing>, ListingsError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listings
              WHERE tenant = $1 AND (owner_user_id = $6 OR ($6 IS NULL AND status = $7))
                AND ($2 IS NULL OR kind = $2)
                AND ($3 IS NULL OR category = $3 OR category LIKE $3 || '/%')
                AND ($4 IS NULL OR id < $4)
                AND ($8 IS NULL OR organisation_id = $8)
              ORDER BY id DESC LIMIT $5"
        )))
        .bind(tenant)
        .bind(query.kind.map(ListingKind::as_str))
        .bind(query.category.as_deref())
        .bind(query.after)
        .bind(i64::from(query.limit))
        .bind(query.owner)
        .bind(query.status.unwrap_or(ListingStatus::Published).as_str())
        .bind(query.organisation)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Self::listing_from)
            .collect::<Result<_, _>>()?)
    }

    async fn search(
        &self,
        tenant: &str,
        query: &SearchQuery,
        with_facets: bool,
    ) -> Result<(Vec<Hit>, Facets), ListingsError> {
        if self.terms == SearchTerms::Unwritten && query.has_text() {
            return Err(ListingsError::Search(
                "text search runs on the search index".into(),
            ));
        }
        let mut sql = sqlx::QueryBuilder::<super::Db>::new("SELECT * FROM ");
        Self::push_matches(&mut sql, tenant, query);
        let text = !query.terms.is_empty();
        match (query.after, query.sort) {
            (Some(Cursor::Relevance { score, id }), _) => {
                sql.push(" AND (s.score < ")
                    .push_bind(score)
                    .push(" OR (s.score = ")
                    .push_bind(score)
                    .push(" AND s.id < ")
                    .push_bind(id)
                    .push("))");
            }
            (
                Some(Cursor::Nearest {
                    distance_squared,
                    id,
                }),
                _,
            ) => {
                sql.push(" AND (s.d2 > ")
                    .push_bind(distance_squared)
                    .push(" OR (s.d2 = ")
                    .push_bind(distance_squared)
                    .push(" AND s.id < ")
                    .push_bind(id)
                    .push("))");
            }
            (Some(Cursor::Newest { id }), _) => {
                sql.push(" AND s.id < ").push_bind(id);
            }
            (None, _) => {}
        }
        match query.sort {
            Sort::Relevance if text => sql.push(" ORDER BY s.score DESC, s.id DESC"),
            Sort::Nearest => sql.push(" ORDER BY s.d2 ASC, s.id DESC"),
            _ => sql.push(" ORDER BY s.id DESC"),
        };
        sql.push(" LIMIT ").push_bind(i64::from(query.limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        let hits = rows
            .iter()
            .map(|row| -> Result<Hit, sqlx::Error> {
                let distance_squared: Option<f64> = row.try_get("d2")?;
                Ok(Hit {
                    listing: Self::listing_from(row)?,
                    score: row.try_get("score")?,
                    distance_km: distance_squared.map(f64::sqrt),
                    distance_squared,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let facets = if with_facets {
            self.facets(tenant, query).await?
        } else {
            Facets::default()
        };
        Ok((hits, facets))
    }

    async fn index_unindexed(&self) -> Result<usize, ListingsError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listings l
              WHERE NOT EXISTS (SELECT 1 FROM listing_terms t WHERE t.listing_id = l.id)"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut indexed = 0;
        for row in &rows {
            let listing = Self::listing_from(row)?;
            let mut tx = self.pool.begin().await?;
            Self::write_terms(&mut tx, &listing).await?;
            tx.commit().await?;
            indexed += 1;
        }
        Ok(indexed)
    }

    async fn get_many(&self, tenant: &str, ids: &[Uuid]) -> Result<Vec<Listing>, ListingsError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // By primary key alone (the tenant is checked below): given the tenant too,
        // SQLite walks the tenant's index instead of the key.
        let mut sql = sqlx::QueryBuilder::<super::Db>::new(format!(
            "SELECT {COLUMNS} FROM listings WHERE id IN ("
        ));
        let mut list = sql.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        sql.push(")");
        let rows = sql.build().fetch_all(&self.pool).await?;
        let mut by_id: std::collections::HashMap<Uuid, Listing> = rows
            .iter()
            .map(|row| Self::listing_from(row).map(|l| (l.id, l)))
            .collect::<Result<_, _>>()?;
        by_id.retain(|_, listing| listing.tenant == tenant);
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn published_page(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listings WHERE status = 'published' AND ($1 IS NULL OR id > $1)
              ORDER BY id LIMIT $2"
        )))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Self::listing_from)
            .collect::<Result<_, _>>()?)
    }

    async fn changed_page(
        &self,
        since: DateTime<Utc>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listings WHERE updated_at >= $1 AND ($2 IS NULL OR id > $2)
              ORDER BY id LIMIT $3"
        )))
        .bind(since)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Self::listing_from)
            .collect::<Result<_, _>>()?)
    }

    async fn published_count(&self) -> Result<u64, ListingsError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM listings WHERE status = 'published'")
                .fetch_one(&self.pool)
                .await?;
        Ok(count.max(0) as u64)
    }

    async fn due_for_expiry(
        &self,
        today: NaiveDate,
        limit: u32,
    ) -> Result<Vec<Listing>, ListingsError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listings
              WHERE status IN ('draft', 'pending_approval', 'published') AND available_until < $1
              ORDER BY available_until, id LIMIT $2"
        )))
        .bind(today)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Self::listing_from)
            .collect::<Result<_, _>>()?)
    }
}
