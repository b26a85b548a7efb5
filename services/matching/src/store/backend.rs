//! The matching store, written once for the database that the module including it names as
//! `Db` (`postgres.rs`, `sqlite.rs`): one body, compiled for each backend. Everything that is
//! not a query — statements ([`crate::store::sql`]), scoring, pipeline rules — lives outside it;
//! the steps several operations share are in `steps.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use crate::domain::{
    IndexedItem, ItemState, Outcome, Synergy, SynergyKind, SynergyStatus, direction_str, kind_str,
};
use crate::error::MatchingError;
use crate::impact::RealisedImpact;
use crate::scoring::ItemKind;
use crate::store::mirror::{Mirror, Mirrors};
use crate::store::sql::{
    GIVE_FEEDBACK, INSERT_NOTE, ITEM_COLUMNS, ITEM_FROM, ITEM_TOMBSTONE, OPEN_ITEMS_OF_TENANT,
    REALISED_SYNERGIES, REALISED_SYNERGIES_OF_ORGANISATION, SET_ITEM_STATE, SYNERGY_IDS,
    SYNERGY_IDS_OF_ITEM, SYNERGY_IDS_OF_ORGANISATION, TENANTS_WITH_OPEN_ITEMS, UPDATE_PIPELINE,
    UPSERT_ITEM,
};
use crate::store::{Delivery, MatchingStore, PipelineChange, SynergyFilter};

pub struct SqlStore {
    pub(in crate::store) pool: sqlx::Pool<super::Db>,
    pub(in crate::store) mirrors: Mirrors,
}

#[async_trait]
impl MatchingStore for SqlStore {
    async fn warm_up(&self, scorer: &dyn crate::engine::Scorer) -> Result<usize, MatchingError> {
        let tenants: Vec<String> = sqlx::query_scalar(TENANTS_WITH_OPEN_ITEMS)
            .fetch_all(&self.pool)
            .await?;
        let mut loaded_tenants = 0;
        for tenant in &tenants {
            let started = std::time::Instant::now();
            let mut loaded = Mirror::default();
            loaded.reset(scorer);
            // One statement reads one snapshot, without the tenant's lock. Revisions
            // commit in their order (each is taken under that lock), so the snapshot
            // holds every change up to the highest revision it shows, and the copy
            // catches up from there at the next event.
            let statement = format!("SELECT {ITEM_COLUMNS}, i.revision {OPEN_ITEMS_OF_TENANT}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(statement))
                .bind(tenant)
                .fetch_all(&self.pool)
                .await?;
            let mut last = 0;
            for row in &rows {
                let (item, state) = Self::item_from(row)?;
                last = last.max(row.try_get::<i64, _>("revision")?);
                loaded.apply(scorer, item, state);
            }
            loaded.read_up_to(last);
            loaded.settled();
            let mut mirror = self.mirrors.lock(tenant).await;
            // An event may have loaded it meanwhile: its copy is as good, and newer.
            if mirror.revision().is_none() {
                *mirror = loaded;
                loaded_tenants += 1;
                tracing::info!(
                    tenant,
                    open_items = rows.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "loaded the tenant's open items ahead of its events"
                );
            }
        }
        Ok(loaded_tenants)
    }

    async fn put_item(
        &self,
        delivery: Delivery<'_>,
        indexed: &IndexedItem,
        state: ItemState,
        at_micros: i64,
    ) -> Result<Option<Outcome>, MatchingError> {
        let item = &indexed.item;
        let mut tx = self.pool.begin().await?;
        if !tx
            .first_delivery(delivery.consumer, delivery.event_id)
            .await?
        {
            return Ok(None);
        }
        let revision = Self::lock_tenant(&mut tx, &item.tenant).await?;
        let stored = Self::load_for_change(&mut tx, item.id, item.organisation_id).await?;
        // A closed item stays closed, and an older change than the last on record is late.
        if let Some((_, state, changed_at)) = &stored.item
            && (*state == ItemState::Closed || *changed_at > at_micros)
        {
            tx.commit().await?;
            return Ok(Some(Outcome::default()));
        }
        let written = stored.as_written(indexed, state);
        let learns = stored.learns_from(item);
        let previous = stored.item.map(|(i, ..)| i.item);
        if learns {
            Self::learn(
                &mut tx,
                &item.tenant,
                item.organisation_id,
                &item.organisation_name,
                &item.nace,
            )
            .await?;
        }
        sqlx::query(UPSERT_ITEM)
            .bind(item.id)
            .bind(&item.tenant)
            .bind(kind_str(item.kind))
            .bind(item.organisation_id)
            .bind(indexed.owner_user_id)
            .bind(direction_str(item.direction))
            .bind(item.resource_class.as_str())
            .bind(item.category.clone().unwrap_or_default())
            .bind(item.ewc_code.clone().unwrap_or_default())
            .bind(&item.label)
            .bind(&item.description)
            .bind(item.yearly_quantity.as_ref().map(|q| q.amount))
            .bind(
                item.yearly_quantity
                    .as_ref()
                    .map(|q| q.unit.clone())
                    .unwrap_or_default(),
            )
            .bind(item.position.map(|p| p.latitude))
            .bind(item.position.map(|p| p.longitude))
            .bind(
                item.available_until
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
            )
            .bind(item.exchange_mode.clone().unwrap_or_default())
            .bind(indexed.confidentiality.as_str())
            .bind(&item.nace)
            .bind(state.as_str())
            .bind(at_micros)
            .bind(revision)
            .execute(&mut *tx)
            .await?;
        // Every test run checks that the item as written is what reading it back gives.
        #[cfg(debug_assertions)]
        if let Some((written, _)) = &written {
            let read = Self::load_item(&mut tx, item.id).await?.map(|(i, _)| i);
            assert_eq!(
                read.as_ref(),
                Some(written),
                "the item as written reads back alike"
            );
        }
        let mut mirror = self.mirrors.lock(&item.tenant).await;
        let outcome =
            Self::reconcile(&mut tx, delivery, &mut mirror, item.id, written, previous).await?;
        tx.commit().await?;
        mirror.settled();
        Ok(Some(outcome))
    }

    async fn set_item_state(
        &self,
        delivery: Delivery<'_>,
        tenant: &str,
        item_id: Uuid,
        organisation_id: Uuid,
        state: ItemState,
        at_micros: i64,
    ) -> Result<Option<Outcome>, MatchingError> {
        let mut tx = self.pool.begin().await?;
        if !tx
            .first_delivery(delivery.consumer, delivery.event_id)
            .await?
        {
            return Ok(None);
        }
        let revision = Self::lock_tenant(&mut tx, tenant).await?;
        if !Self::may_change(&mut tx, item_id, at_micros).await? {
            tx.commit().await?;
            return Ok(Some(Outcome::default()));
        }
        let known = sqlx::query(SET_ITEM_STATE)
            .bind(item_id)
            .bind(state.as_str())
            .bind(at_micros)
            .bind(revision)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !known && state == ItemState::Closed {
            sqlx::query(ITEM_TOMBSTONE)
                .bind(item_id)
                .bind(tenant)
                .bind(kind_str(ItemKind::Listing))
                .bind(organisation_id)
                .bind(at_micros)
                .bind(revision)
                .execute(&mut *tx)
                .await?;
        }
        let mut mirror = self.mirrors.lock(tenant).await;
        let outcome = Self::reconcile(&mut tx, delivery, &mut mirror, item_id, None, None).await?;
        tx.commit().await?;
        mirror.settled();
        Ok(Some(outcome))
    }

    async fn learn_organisation(
        &self,
        consumer: &str,
        event_id: Uuid,
        tenant: &str,
        organisation_id: Uuid,
        name: &str,
        nace: &str,
    ) -> Result<bool, MatchingError> {
        let mut tx = self.pool.begin().await?;
        if !tx.first_delivery(consumer, event_id).await? {
            return Ok(false);
        }
        Self::learn(&mut tx, tenant, organisation_id, name, nace).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn remember_organisation(
        &self,
        tenant: &str,
        organisation_id: Uuid,
        name: &str,
        nace: &str,
    ) -> Result<(), MatchingError> {
        let mut tx = self.pool.begin().await?;
        Self::learn(&mut tx, tenant, organisation_id, name, nace).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn item(
        &self,
        tenant: &str,
        item_id: Uuid,
    ) -> Result<Option<(IndexedItem, ItemState)>, MatchingError> {
        let statement =
            format!("SELECT {ITEM_COLUMNS} {ITEM_FROM} WHERE i.item_id = $1 AND i.tenant = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(item_id)
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(Self::item_from).transpose()?)
    }

    async fn synergies_of_item(
        &self,
        tenant: &str,
        item_id: Uuid,
    ) -> Result<Vec<Synergy>, MatchingError> {
        let ids = sqlx::query(SYNERGY_IDS_OF_ITEM)
            .bind(tenant)
            .bind(item_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        Ok(self.load_many(tenant, ids).await?)
    }

    async fn synergies(
        &self,
        tenant: &str,
        filter: &SynergyFilter,
    ) -> Result<Vec<Synergy>, MatchingError> {
        let query = match filter.organisation_id {
            Some(organisation) => sqlx::query(SYNERGY_IDS_OF_ORGANISATION)
                .bind(tenant)
                .bind(filter.kind.map(SynergyKind::as_str).unwrap_or_default())
                .bind(filter.status.map(SynergyStatus::as_str).unwrap_or_default())
                .bind(organisation),
            None => sqlx::query(SYNERGY_IDS)
                .bind(tenant)
                .bind(filter.kind.map(SynergyKind::as_str).unwrap_or_default())
                .bind(filter.status.map(SynergyStatus::as_str).unwrap_or_default()),
        };
        let ids = query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let mut found = self.load_many(tenant, ids).await?;
        if let Some(organisation) = filter.organisation_id {
            found.retain(|s| s.involves(organisation));
        }
        Ok(found)
    }

    async fn synergy(&self, tenant: &str, id: Uuid) -> Result<Option<Synergy>, MatchingError> {
        let mut connection = self.pool.acquire().await?;
        Ok(Self::load_synergy(&mut connection, id)
            .await?
            .filter(|s| s.tenant == tenant))
    }

    async fn update_pipeline(
        &self,
        tenant: &str,
        id: Uuid,
        change: &PipelineChange,
        by_user_id: Uuid,
    ) -> Result<Option<Synergy>, MatchingError> {
        let mut tx = self.pool.begin().await?;
        let Some(current) = Self::load_synergy(&mut tx, id)
            .await?
            .filter(|s| s.tenant == tenant)
        else {
            return Ok(None);
        };
        let now = synergies_platform::time::now();
        let status = change.status.unwrap_or(current.status);
        let reason = match (&change.reason, status) {
            (Some(reason), _) => reason.clone(),
            (None, SynergyStatus::Abandoned) => current.status_reason.clone(),
            (None, _) => String::new(),
        };
        sqlx::query(UPDATE_PIPELINE)
            .bind(id)
            .bind(status.as_str())
            .bind(reason)
            .bind(change.advisor_user_id.or(current.advisor_user_id))
            .bind(change.realised_quantity.or(current.realised_quantity))
            .bind(change.unit.clone().unwrap_or(current.realised_unit))
            .bind(now)
            .bind(change.realised_impact.map(|_| now).or(current.realised_at))
            .bind(
                change
                    .realised_impact
                    .map_or(current.realised_impact.kg_diverted_grams, |i| {
                        i.kg_diverted_grams
                    }),
            )
            .bind(
                change
                    .realised_impact
                    .map_or(current.realised_impact.co2e_grams, |i| i.co2e_grams),
            )
            .bind(
                change
                    .realised_impact
                    .map_or(current.realised_impact.value_cents, |i| i.value_cents),
            )
            .execute(&mut *tx)
            .await?;
        if let Some(note) = &change.note {
            sqlx::query(INSERT_NOTE)
                .bind(Uuid::now_v7())
                .bind(id)
                .bind(note)
                .bind(by_user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let updated = Self::load_synergy(&mut tx, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn realised(
        &self,
        tenant: &str,
        organisation_id: Option<Uuid>,
    ) -> Result<Vec<(DateTime<Utc>, RealisedImpact)>, MatchingError> {
        let rows = match organisation_id {
            None => {
                sqlx::query(REALISED_SYNERGIES)
                    .bind(tenant)
                    .fetch_all(&self.pool)
                    .await?
            }
            Some(organisation) => {
                sqlx::query(REALISED_SYNERGIES_OF_ORGANISATION)
                    .bind(tenant)
                    .bind(organisation)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows
            .iter()
            .map(|row| -> Result<_, sqlx::Error> {
                Ok((
                    row.try_get("realised_at")?,
                    RealisedImpact {
                        kg_diverted_grams: row.try_get("realised_kg_grams")?,
                        co2e_grams: row.try_get("realised_co2e_grams")?,
                        value_cents: row.try_get("realised_value_cents")?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn give_feedback(
        &self,
        tenant: &str,
        id: Uuid,
        organisation_id: Uuid,
        relevant: bool,
    ) -> Result<Option<Synergy>, MatchingError> {
        if self.synergy(tenant, id).await?.is_none() {
            return Ok(None);
        }
        sqlx::query(GIVE_FEEDBACK)
            .bind(id)
            .bind(organisation_id)
            .bind(relevant)
            .bind(synergies_platform::time::now())
            .execute(&self.pool)
            .await?;
        self.synergy(tenant, id).await
    }
}
