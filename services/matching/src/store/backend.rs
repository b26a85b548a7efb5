//! The two backends of [`super::MatchingStore`]. Their bodies are one `macro_rules!` because
//! sqlx's row and transaction types differ per database; everything that is not a query —
//! statements ([`super::sql`]), scoring, pipeline rules — lives outside it.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use synergies_platform::i18n::Text;
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use super::mirror::{Mirror, Mirrors};
use super::sql::{
    DELETE_PARTY, DELETE_SYNERGY, GIVE_FEEDBACK, GROUPS_OF_POOL, INSERT_NOTE, INSERT_PARTY,
    INSERT_SYNERGY, ITEM_COLUMNS, ITEM_FROM, ITEM_TOMBSTONE, ITEM_VERSION, ITEMS_CHANGED_SINCE,
    LEARN_ORGANISATION, NEXT_REVISION, OPEN_ITEMS_OF_TENANT, PROPOSED_SUBSTITUTIONS_OF_ITEM,
    REALISED_SYNERGIES, REALISED_SYNERGIES_OF_ORGANISATION, RESCORE_SYNERGY,
    REVISE_ORGANISATION_ITEMS, SET_ITEM_STATE, SYNERGY_COLUMNS, SYNERGY_DISMISSALS,
    SYNERGY_ID_BY_KEY, SYNERGY_IDS, SYNERGY_IDS_OF_ITEM, SYNERGY_IDS_OF_ORGANISATION,
    SYNERGY_NOTES, SYNERGY_PARTIES, TENANTS_WITH_OPEN_ITEMS, UPDATE_PIPELINE, UPSERT_ITEM,
};
use super::{Delivery, MatchingStore, PipelineChange, SynergyFilter};
use crate::domain::{
    Confidentiality, IndexedItem, ItemState, Note, Outcome, Party, Proposal, Synergy, SynergyKind,
    SynergyStatus, direction_str, factors_of, kind_str, mutualisation_stem, parse_direction,
    parse_kind, substitution_key, substitution_parties,
};
use crate::error::MatchingError;
use crate::impact::RealisedImpact;
use crate::scoring::{Direction, Item, ItemKind, Position, Quantity, ResourceClass};

fn decode(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}

fn pool_str(kind: crate::scoring::PoolKind) -> &'static str {
    match kind {
        crate::scoring::PoolKind::Collection => "collection",
        crate::scoring::PoolKind::Purchasing => "purchasing",
        crate::scoring::PoolKind::SharedService => "shared-service",
    }
}

fn factors_json(factors: &[(String, f64)]) -> String {
    serde_json::to_string(factors).unwrap_or_else(|_| "[]".to_owned())
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// The items a scorer compares: the output first.
fn oriented<'a>(a: &'a IndexedItem, b: &'a IndexedItem) -> (&'a IndexedItem, &'a IndexedItem) {
    match a.item.direction {
        Direction::Out => (a, b),
        Direction::In => (b, a),
    }
}

macro_rules! matching_store {
    ($store:ident, $database:ty, $tenant_lock:expr) => {
        pub struct $store {
            pool: sqlx::Pool<$database>,
            mirrors: Mirrors,
        }

        impl $store {
            pub fn new(pool: sqlx::Pool<$database>) -> Self {
                Self {
                    pool,
                    mirrors: Mirrors::default(),
                }
            }

            fn item_from(
                row: &<$database as sqlx::Database>::Row,
            ) -> Result<(IndexedItem, ItemState), sqlx::Error> {
                let kind: String = row.try_get("kind")?;
                let direction: String = row.try_get("direction")?;
                let class: String = row.try_get("resource_class")?;
                let state: String = row.try_get("state")?;
                let quantity: Option<f64> = row.try_get("quantity")?;
                let unit: String = row.try_get("unit")?;
                let latitude: Option<f64> = row.try_get("latitude")?;
                let longitude: Option<f64> = row.try_get("longitude")?;
                let until: String = row.try_get("available_until")?;
                let confidentiality: String = row.try_get("confidentiality")?;
                let item = Item {
                    id: row.try_get("item_id")?,
                    kind: parse_kind(&kind).ok_or_else(|| decode("item kind", &kind))?,
                    tenant: row.try_get("tenant")?,
                    organisation_id: row.try_get("organisation_id")?,
                    organisation_name: row.try_get("organisation_name")?,
                    nace: row.try_get("nace")?,
                    direction: parse_direction(&direction)
                        .ok_or_else(|| decode("direction", &direction))?,
                    resource_class: ResourceClass::parse(&class).unwrap_or(ResourceClass::Material),
                    category: non_empty(row.try_get("category")?),
                    ewc_code: non_empty(row.try_get("ewc_code")?),
                    label: row.try_get("label")?,
                    description: row.try_get("description")?,
                    yearly_quantity: quantity.map(|amount| Quantity { amount, unit }),
                    position: latitude
                        .zip(longitude)
                        .map(|(latitude, longitude)| Position {
                            latitude,
                            longitude,
                        }),
                    available_from: None,
                    available_until: NaiveDate::parse_from_str(&until, "%Y-%m-%d").ok(),
                    exchange_mode: non_empty(row.try_get("exchange_mode")?),
                };
                let indexed = IndexedItem {
                    item,
                    owner_user_id: row.try_get("owner_user_id")?,
                    confidentiality: Confidentiality::parse(&confidentiality),
                };
                Ok((
                    indexed,
                    ItemState::parse(&state).ok_or_else(|| decode("state", &state))?,
                ))
            }

            async fn lock_tenant(
                tx: &mut sqlx::Transaction<'static, $database>,
                tenant: &str,
            ) -> Result<(), sqlx::Error> {
                // Two replicas indexing two items of one tenant at once would each miss the
                // other's item: the tenant's changes are serialised.
                if let Some(statement) = $tenant_lock {
                    sqlx::query(statement)
                        .bind(tenant)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// `true` when an event at `at_micros` may change the item: it is not closed for
            /// good and no newer change is on record.
            async fn may_change(
                tx: &mut sqlx::Transaction<'static, $database>,
                item_id: Uuid,
                at_micros: i64,
            ) -> Result<bool, sqlx::Error> {
                let Some(row) = sqlx::query(ITEM_VERSION)
                    .bind(item_id)
                    .fetch_optional(&mut **tx)
                    .await?
                else {
                    return Ok(true);
                };
                let state: String = row.try_get("state")?;
                let changed_at: i64 = row.try_get("changed_at_micros")?;
                Ok(state != ItemState::Closed.as_str() && changed_at <= at_micros)
            }

            async fn load_item(
                tx: &mut sqlx::Transaction<'static, $database>,
                item_id: Uuid,
            ) -> Result<Option<(IndexedItem, ItemState)>, sqlx::Error> {
                let statement = format!("SELECT {ITEM_COLUMNS} {ITEM_FROM} WHERE i.item_id = $1");
                let row = sqlx::query(&statement)
                    .bind(item_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                row.as_ref().map(Self::item_from).transpose()
            }

            /// The tenant's next revision; the caller holds the tenant's lock.
            async fn next_revision(
                tx: &mut sqlx::Transaction<'static, $database>,
                tenant: &str,
            ) -> Result<i64, sqlx::Error> {
                sqlx::query(NEXT_REVISION)
                    .bind(tenant)
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get("next")
            }

            /// Records what is known of an organisation; when that changed, its items take the
            /// tenant's next revision (they read differently), under the tenant's lock.
            async fn learn(
                tx: &mut sqlx::Transaction<'static, $database>,
                tenant: &str,
                organisation_id: Uuid,
                name: &str,
                nace: &str,
            ) -> Result<(), sqlx::Error> {
                let changed = sqlx::query(LEARN_ORGANISATION)
                    .bind(organisation_id)
                    .bind(tenant)
                    .bind(name)
                    .bind(nace)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected()
                    > 0;
                if changed {
                    Self::lock_tenant(tx, tenant).await?;
                    let revision = Self::next_revision(tx, tenant).await?;
                    sqlx::query(REVISE_ORGANISATION_ITEMS)
                        .bind(tenant)
                        .bind(organisation_id)
                        .bind(revision)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// Brings this replica's copy of the tenant's open items up to date (see
            /// [`super::mirror`]); the caller holds the tenant's lock.
            async fn refresh(
                tx: &mut sqlx::Transaction<'static, $database>,
                mirror: &mut Mirror,
                scorer: &dyn crate::engine::Scorer,
                tenant: &str,
            ) -> Result<(), sqlx::Error> {
                match mirror.revision() {
                    Some(since) => {
                        let statement =
                            format!("SELECT {ITEM_COLUMNS}, i.revision {ITEMS_CHANGED_SINCE}");
                        let rows = sqlx::query(&statement)
                            .bind(tenant)
                            .bind(since)
                            .fetch_all(&mut **tx)
                            .await?;
                        let mut last = since;
                        for row in &rows {
                            let (item, state) = Self::item_from(row)?;
                            last = last.max(row.try_get("revision")?);
                            mirror.apply(scorer, item, state);
                        }
                        mirror.read_up_to(last);
                    }
                    None => {
                        let started = std::time::Instant::now();
                        mirror.reset(scorer);
                        let next = Self::next_revision(tx, tenant).await?;
                        let statement = format!("SELECT {ITEM_COLUMNS} {OPEN_ITEMS_OF_TENANT}");
                        let rows = sqlx::query(&statement)
                            .bind(tenant)
                            .fetch_all(&mut **tx)
                            .await?;
                        for row in &rows {
                            let (item, state) = Self::item_from(row)?;
                            mirror.apply(scorer, item, state);
                        }
                        mirror.read_up_to(next - 1);
                        tracing::info!(
                            tenant,
                            open_items = rows.len(),
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "loaded the tenant's open items"
                        );
                    }
                }
                Ok(())
            }

            async fn insert_party(
                tx: &mut sqlx::Transaction<'static, $database>,
                synergy_id: Uuid,
                item: &IndexedItem,
                role: &str,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(INSERT_PARTY)
                    .bind(synergy_id)
                    .bind(item.item.id)
                    .bind(kind_str(item.item.kind))
                    .bind(role)
                    .bind(item.item.organisation_id)
                    .bind(&item.item.label)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Re-scores the substitutions of `item` (open) against its candidates, or drops
            /// its proposals (not open); then regroups its pool (and its former one, `previous`
            /// being the item before this change).
            async fn reconcile(
                tx: &mut sqlx::Transaction<'static, $database>,
                delivery: Delivery<'_>,
                mirror: &mut Mirror,
                item_id: Uuid,
                previous: Option<Item>,
            ) -> Result<Outcome, sqlx::Error> {
                let mut outcome = Outcome::default();
                let Some((item, state)) = Self::load_item(tx, item_id).await? else {
                    return Ok(outcome);
                };
                Self::refresh(tx, mirror, delivery.scorer, &item.item.tenant).await?;
                let mut kept = BTreeSet::new();
                if state == ItemState::Open {
                    let now = synergies_platform::time::now();
                    for (candidate, scored) in mirror.substitutions(delivery.scorer, &item.item) {
                        let (output, input) = oriented(&item, candidate);
                        let key = substitution_key(output.item.id, input.item.id);
                        kept.insert(key.clone());
                        let factors = factors_json(&factors_of(&scored));
                        let existing: Option<Uuid> = sqlx::query(SYNERGY_ID_BY_KEY)
                            .bind(&item.item.tenant)
                            .bind(&key)
                            .fetch_optional(&mut **tx)
                            .await?
                            .map(|row| row.try_get("id"))
                            .transpose()?;
                        let id = match existing {
                            Some(id) => {
                                sqlx::query(RESCORE_SYNERGY)
                                    .bind(id)
                                    .bind(scored.score)
                                    .bind(&factors)
                                    .bind(&scored.explanation.fr)
                                    .bind(&scored.explanation.en)
                                    .bind(output.item.resource_class.as_str())
                                    .bind("")
                                    .bind(now)
                                    .execute(&mut **tx)
                                    .await?;
                                id
                            }
                            None => {
                                let id = Uuid::now_v7();
                                sqlx::query(INSERT_SYNERGY)
                                    .bind(id)
                                    .bind(&item.item.tenant)
                                    .bind(SynergyKind::Substitution.as_str())
                                    .bind(&key)
                                    .bind(direction_str(Direction::Out))
                                    .bind(output.item.resource_class.as_str())
                                    .bind("")
                                    .bind(scored.score)
                                    .bind(&factors)
                                    .bind(&scored.explanation.fr)
                                    .bind(&scored.explanation.en)
                                    .bind(now)
                                    .execute(&mut **tx)
                                    .await?;
                                let proposal = Proposal {
                                    output: output.clone(),
                                    input: input.clone(),
                                    scored,
                                };
                                tx.enqueue(&(delivery.event_for)(&item.item.tenant, id, &proposal))
                                    .await?;
                                outcome.proposed.push((id, proposal));
                                id
                            }
                        };
                        Self::insert_party(tx, id, output, "output").await?;
                        Self::insert_party(tx, id, input, "input").await?;
                    }
                }
                let proposed = sqlx::query(PROPOSED_SUBSTITUTIONS_OF_ITEM)
                    .bind(item_id)
                    .fetch_all(&mut **tx)
                    .await?;
                for row in &proposed {
                    let key: String = row.try_get("synergy_key")?;
                    if kept.contains(&key) {
                        continue;
                    }
                    let id: Uuid = row.try_get("id")?;
                    // Not among this item's best, but perhaps among the other side's: a pair
                    // still worth proposing stays, re-scored.
                    let other = substitution_parties(&key)
                        .map(|(output, input)| if output == item_id { input } else { output });
                    let rescored = match (state, other) {
                        (ItemState::Open, Some(other)) => {
                            mirror.rescore(delivery.scorer, &item.item, other)
                        }
                        _ => None,
                    };
                    match rescored {
                        Some((scored, output_class)) => {
                            sqlx::query(RESCORE_SYNERGY)
                                .bind(id)
                                .bind(scored.score)
                                .bind(factors_json(&factors_of(&scored)))
                                .bind(&scored.explanation.fr)
                                .bind(&scored.explanation.en)
                                .bind(output_class.as_str())
                                .bind("")
                                .bind(synergies_platform::time::now())
                                .execute(&mut **tx)
                                .await?;
                        }
                        None => {
                            sqlx::query(DELETE_SYNERGY)
                                .bind(id)
                                .execute(&mut **tx)
                                .await?;
                        }
                    }
                }
                let mut pools = BTreeSet::new();
                for version in std::iter::once(&item.item).chain(previous.as_ref()) {
                    if let Some(pool) = delivery.scorer.pool(version) {
                        pools.insert((version.direction, pool));
                    }
                }
                for (direction, pool) in pools {
                    Self::regroup(tx, delivery, mirror, &item.item.tenant, direction, &pool)
                        .await?;
                }
                Ok(outcome)
            }

            /// Recomputes the mutualisation groups of one pool: a group meeting a stored
            /// group of the same stem is that group (grown or shrunk while only proposed;
            /// members are only added once a facilitator took it up); stored proposals no
            /// longer found are dropped.
            async fn regroup(
                tx: &mut sqlx::Transaction<'static, $database>,
                delivery: Delivery<'_>,
                mirror: &Mirror,
                tenant: &str,
                direction: Direction,
                pool: &str,
            ) -> Result<(), sqlx::Error> {
                let items = mirror.pool(direction, pool);
                let by_id: BTreeMap<Uuid, &IndexedItem> =
                    items.iter().map(|i| (i.item.id, *i)).collect();
                let plain: Vec<Item> = items.iter().map(|i| i.item.clone()).collect();
                let groups = if plain.len() >= 3 {
                    delivery.scorer.groups(&plain, delivery.radius_km)
                } else {
                    Vec::new()
                };
                let pattern = if pool.is_empty() {
                    format!("mutualisation:{}:%", direction_str(direction))
                } else {
                    let escaped = pool
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_");
                    format!("mutualisation:{}:%:{escaped}:%", direction_str(direction))
                };
                let rows = sqlx::query(GROUPS_OF_POOL)
                    .bind(tenant)
                    .bind(direction_str(direction))
                    .bind(&pattern)
                    .fetch_all(&mut **tx)
                    .await?;
                // id → (key, status, members)
                let mut stored: BTreeMap<Uuid, (String, String, BTreeSet<Uuid>)> = BTreeMap::new();
                for row in &rows {
                    let id: Uuid = row.try_get("id")?;
                    let entry = stored.entry(id).or_insert((
                        row.try_get("synergy_key")?,
                        row.try_get("status")?,
                        BTreeSet::new(),
                    ));
                    if let Some(member) = row.try_get::<Option<Uuid>, _>("item_id")? {
                        entry.2.insert(member);
                    }
                }
                let now = synergies_platform::time::now();
                let mut matched = BTreeSet::new();
                for group in &groups {
                    let members: Vec<&IndexedItem> = group
                        .members
                        .iter()
                        .filter_map(|id| by_id.get(id).copied())
                        .collect();
                    if members.len() < 3 {
                        continue;
                    }
                    let stem = mutualisation_stem(group);
                    let found = stored.iter().find(|(id, (key, _, have))| {
                        !matched.contains(*id)
                            && key.starts_with(&stem)
                            && group.members.iter().any(|m| have.contains(m))
                    });
                    let factors = factors_json(&[("members".to_owned(), members.len() as f64)]);
                    let score = 1.0;
                    match found {
                        Some((id, (_, status, have))) => {
                            let id = *id;
                            matched.insert(id);
                            sqlx::query(RESCORE_SYNERGY)
                                .bind(id)
                                .bind(score)
                                .bind(&factors)
                                .bind(&group.explanation.fr)
                                .bind(&group.explanation.en)
                                .bind(group.resource_class.as_str())
                                .bind(pool_str(group.kind))
                                .bind(now)
                                .execute(&mut **tx)
                                .await?;
                            if status == SynergyStatus::Proposed.as_str() {
                                for gone in have.iter().filter(|m| !group.members.contains(m)) {
                                    sqlx::query(DELETE_PARTY)
                                        .bind(id)
                                        .bind(gone)
                                        .execute(&mut **tx)
                                        .await?;
                                }
                            }
                            for member in &members {
                                Self::insert_party(tx, id, member, "member").await?;
                            }
                            let newcomers: Vec<&IndexedItem> = members
                                .iter()
                                .copied()
                                .filter(|m| !have.contains(&m.item.id))
                                .collect();
                            if !newcomers.is_empty() {
                                tx.enqueue(&(delivery.group_event_for)(
                                    tenant, id, group, &members, &newcomers,
                                ))
                                .await?;
                            }
                        }
                        None => {
                            let id = Uuid::now_v7();
                            let key = format!("{stem}{}", members[0].item.id);
                            sqlx::query(INSERT_SYNERGY)
                                .bind(id)
                                .bind(tenant)
                                .bind(SynergyKind::Mutualisation.as_str())
                                .bind(&key)
                                .bind(direction_str(direction))
                                .bind(group.resource_class.as_str())
                                .bind(pool_str(group.kind))
                                .bind(score)
                                .bind(&factors)
                                .bind(&group.explanation.fr)
                                .bind(&group.explanation.en)
                                .bind(now)
                                .execute(&mut **tx)
                                .await?;
                            matched.insert(id);
                            for member in &members {
                                Self::insert_party(tx, id, member, "member").await?;
                            }
                            tx.enqueue(&(delivery.group_event_for)(
                                tenant, id, group, &members, &members,
                            ))
                            .await?;
                        }
                    }
                }
                for (id, (_, status, _)) in &stored {
                    if !matched.contains(id) && status == SynergyStatus::Proposed.as_str() {
                        sqlx::query(DELETE_SYNERGY)
                            .bind(id)
                            .execute(&mut **tx)
                            .await?;
                    }
                }
                Ok(())
            }

            async fn load_synergy(
                connection: &mut <$database as sqlx::Database>::Connection,
                id: Uuid,
            ) -> Result<Option<Synergy>, sqlx::Error> {
                let statement = format!("SELECT {SYNERGY_COLUMNS} FROM synergies WHERE id = $1");
                let Some(row) = sqlx::query(&statement)
                    .bind(id)
                    .fetch_optional(&mut *connection)
                    .await?
                else {
                    return Ok(None);
                };
                let kind: String = row.try_get("kind")?;
                let direction: String = row.try_get("direction")?;
                let status: String = row.try_get("status")?;
                let factors: String = row.try_get("factors")?;
                let parties = sqlx::query(SYNERGY_PARTIES)
                    .bind(id)
                    .fetch_all(&mut *connection)
                    .await?
                    .iter()
                    .map(|p| -> Result<Party, sqlx::Error> {
                        let kind: String = p.try_get("item_kind")?;
                        let state: String = p.try_get("state")?;
                        let confidentiality: String = p.try_get("confidentiality")?;
                        Ok(Party {
                            kind: parse_kind(&kind).ok_or_else(|| decode("item kind", &kind))?,
                            item_id: p.try_get("item_id")?,
                            organisation_id: p.try_get("organisation_id")?,
                            organisation_name: p.try_get("organisation_name")?,
                            label: p.try_get("label")?,
                            role: p.try_get("role")?,
                            confidentiality: Confidentiality::parse(&confidentiality),
                            open: state == ItemState::Open.as_str(),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let dismissed_by = sqlx::query(SYNERGY_DISMISSALS)
                    .bind(id)
                    .fetch_all(&mut *connection)
                    .await?
                    .iter()
                    .map(|r| r.try_get("organisation_id"))
                    .collect::<Result<Vec<Uuid>, _>>()?;
                let notes = sqlx::query(SYNERGY_NOTES)
                    .bind(id)
                    .fetch_all(&mut *connection)
                    .await?
                    .iter()
                    .map(|r| -> Result<Note, sqlx::Error> {
                        Ok(Note {
                            text: r.try_get("text")?,
                            by_user_id: r.try_get("by_user_id")?,
                            at: r.try_get("at")?,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Synergy {
                    id,
                    tenant: row.try_get("tenant")?,
                    kind: SynergyKind::parse(&kind).ok_or_else(|| decode("synergy kind", &kind))?,
                    key: row.try_get("synergy_key")?,
                    direction: parse_direction(&direction)
                        .ok_or_else(|| decode("direction", &direction))?,
                    resource_class: row.try_get("resource_class")?,
                    pool: row.try_get("pool")?,
                    score: row.try_get("score")?,
                    factors: serde_json::from_str(&factors).unwrap_or_default(),
                    explanation: Text::new(
                        row.try_get::<String, _>("explanation_en")?,
                        row.try_get::<String, _>("explanation_fr")?,
                    ),
                    status: SynergyStatus::parse(&status)
                        .ok_or_else(|| decode("status", &status))?,
                    status_reason: row.try_get("status_reason")?,
                    notes,
                    advisor_user_id: row.try_get("advisor_user_id")?,
                    realised_quantity: row.try_get("realised_quantity")?,
                    realised_unit: row.try_get("realised_unit")?,
                    realised_at: row.try_get("realised_at")?,
                    realised_impact: RealisedImpact {
                        kg_diverted_grams: row.try_get("realised_kg_grams")?,
                        co2e_grams: row.try_get("realised_co2e_grams")?,
                        value_cents: row.try_get("realised_value_cents")?,
                    },
                    parties,
                    dismissed_by,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                }))
            }

            async fn load_many(
                &self,
                tenant: &str,
                ids: Vec<Uuid>,
            ) -> Result<Vec<Synergy>, sqlx::Error> {
                let mut found = Vec::with_capacity(ids.len());
                let mut connection = self.pool.acquire().await?;
                for id in ids {
                    if let Some(synergy) = Self::load_synergy(&mut *connection, id).await? {
                        if synergy.tenant == tenant {
                            found.push(synergy);
                        }
                    }
                }
                Ok(found)
            }
        }

        #[async_trait]
        impl MatchingStore for $store {
            async fn warm_up(
                &self,
                scorer: &dyn crate::engine::Scorer,
            ) -> Result<usize, MatchingError> {
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
                    let statement =
                        format!("SELECT {ITEM_COLUMNS}, i.revision {OPEN_ITEMS_OF_TENANT}");
                    let rows = sqlx::query(&statement)
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
                Self::lock_tenant(&mut tx, &item.tenant).await?;
                if !Self::may_change(&mut tx, item.id, at_micros).await? {
                    tx.commit().await?;
                    return Ok(Some(Outcome::default()));
                }
                let previous = Self::load_item(&mut tx, item.id)
                    .await?
                    .map(|(i, _)| i.item);
                if !item.organisation_name.is_empty() {
                    Self::learn(
                        &mut tx,
                        &item.tenant,
                        item.organisation_id,
                        &item.organisation_name,
                        &item.nace,
                    )
                    .await?;
                }
                let revision = Self::next_revision(&mut tx, &item.tenant).await?;
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
                let mut mirror = self.mirrors.lock(&item.tenant).await;
                let outcome =
                    Self::reconcile(&mut tx, delivery, &mut mirror, item.id, previous).await?;
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
                Self::lock_tenant(&mut tx, tenant).await?;
                if !Self::may_change(&mut tx, item_id, at_micros).await? {
                    tx.commit().await?;
                    return Ok(Some(Outcome::default()));
                }
                let revision = Self::next_revision(&mut tx, tenant).await?;
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
                let outcome =
                    Self::reconcile(&mut tx, delivery, &mut mirror, item_id, None).await?;
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
                let statement = format!(
                    "SELECT {ITEM_COLUMNS} {ITEM_FROM} WHERE i.item_id = $1 AND i.tenant = $2"
                );
                let row = sqlx::query(&statement)
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

            async fn synergy(
                &self,
                tenant: &str,
                id: Uuid,
            ) -> Result<Option<Synergy>, MatchingError> {
                let mut connection = self.pool.acquire().await?;
                Ok(Self::load_synergy(&mut *connection, id)
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
                let Some(current) = Self::load_synergy(&mut *tx, id)
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
                let updated = Self::load_synergy(&mut *tx, id).await?;
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
    };
}

matching_store!(
    PostgresStore,
    sqlx::Postgres,
    Some("SELECT pg_advisory_xact_lock(hashtext($1))")
);
// SQLite serialises writers itself.
matching_store!(SqliteStore, sqlx::Sqlite, None::<&str>);
