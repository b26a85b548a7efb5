//! The steps the operations of the matching store share (decoding an item, locking a tenant,
//! learning, refreshing the mirror, reconciling and regrouping pairs, loading synergies), for
//! the database that the module including it names as `Db`, like `backend.rs`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sqlx::Row;
use synergies_platform::i18n::Text;
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use crate::domain::{
    Confidentiality, IndexedItem, ItemState, Note, Outcome, Party, Proposal, Synergy, SynergyKind,
    SynergyStatus, direction_str, factors_of, kind_str, mutualisation_stem, parse_direction,
    parse_kind, substitution_key, substitution_parties,
};
use crate::impact::RealisedImpact;
use crate::scoring::{Direction, Item, Position, Quantity, ResourceClass};
use crate::store::Delivery;
use crate::store::mirror::{Mirror, Mirrors};
use crate::store::sql::{
    CURRENT_REVISION, DELETE_PARTY, DELETE_PLAIN_SYNERGY, GROUPS_OF_POOL, INSERT_PAIR,
    INSERT_PARTY, INSERT_SYNERGY, ITEM_AND_ORGANISATION, ITEM_COLUMNS, ITEM_FROM, ITEM_VERSION,
    ITEMS_CHANGED_SINCE, LEARN_ORGANISATION, OPEN_ITEMS_OF_TENANT, PROPOSED_SUBSTITUTIONS_OF_ITEM,
    RESCORE_SYNERGY, REVISE_ORGANISATION_ITEMS, SYNERGY_COLUMNS, SYNERGY_DISMISSALS,
    SYNERGY_ID_BY_KEY, SYNERGY_NOTES, SYNERGY_PARTIES, TAKE_REVISION,
};
use crate::store::values::{decode, factors_json, non_empty, oriented, pool_str};

use super::backend::SqlStore;

/// What a new version of an item finds before it is written.
pub(super) struct Stored {
    /// The item as stored, its state and the time of its last change.
    pub item: Option<(IndexedItem, ItemState, i64)>,
    /// The name and activity known of the new version's organisation.
    pub organisation: Option<(String, String)>,
}

impl Stored {
    /// Whether `item` tells something new of its organisation (its name, or an activity that
    /// differs from the one on record): otherwise recording it again would change nothing.
    pub fn learns_from(&self, item: &crate::scoring::Item) -> bool {
        if item.organisation_name.is_empty() {
            return false;
        }
        match &self.organisation {
            Some((name, nace)) => {
                *name != item.organisation_name || (!item.nace.is_empty() && *nace != item.nace)
            }
            None => true,
        }
    }

    /// `indexed` in `state` as reading it back once written would give it: the name and
    /// activity it does not carry come from what is known of its organisation, after the
    /// name it carries was learned. `None` when that cannot be told without reading it back
    /// (the stored item belongs elsewhere: the write keeps its tenant, kind and organisation).
    pub fn as_written(
        &self,
        indexed: &IndexedItem,
        state: ItemState,
    ) -> Option<(IndexedItem, ItemState)> {
        let item = &indexed.item;
        if let Some((stored, ..)) = &self.item
            && (stored.item.tenant != item.tenant
                || stored.item.kind != item.kind
                || stored.item.organisation_id != item.organisation_id)
        {
            return None;
        }
        let (known_name, known_nace) = self.organisation.clone().unwrap_or_default();
        let mut written = indexed.clone();
        if written.item.organisation_name.is_empty() {
            written.item.organisation_name = known_name;
        }
        if written.item.nace.is_empty() {
            written.item.nace = known_nace;
        }
        // As the columns keep them: empty texts are read back as absent.
        for text in [
            &mut written.item.category,
            &mut written.item.ewc_code,
            &mut written.item.exchange_mode,
        ] {
            if text.as_deref() == Some("") {
                *text = None;
            }
        }
        written.item.available_from = None;
        Some((written, state))
    }
}

impl SqlStore {
    pub fn new(pool: sqlx::Pool<super::Db>) -> Self {
        Self {
            pool,
            mirrors: Mirrors::default(),
        }
    }

    pub(super) fn item_from(
        row: &<super::Db as sqlx::Database>::Row,
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

    pub(super) async fn lock_tenant(
        tx: &mut sqlx::Transaction<'static, super::Db>,
        tenant: &str,
    ) -> Result<i64, sqlx::Error> {
        // Two replicas indexing two items of one tenant at once would each miss the
        // other's item: the tenant's changes are serialised by the lock of its counter row,
        // held until the transaction ends, and the same statement takes the tenant's next
        // revision (migration 1007), so revisions commit in their order.
        sqlx::query_scalar(TAKE_REVISION)
            .bind(tenant)
            .fetch_one(&mut **tx)
            .await
    }

    /// `true` when an event at `at_micros` may change the item: it is not closed for
    /// good and no newer change is on record.
    pub(super) async fn may_change(
        tx: &mut sqlx::Transaction<'static, super::Db>,
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

    /// What a new version of an item reads before it is written: the item as stored, with
    /// its state and the time of its last change, and the name and activity known of the
    /// organisation `organisation_id`.
    pub(super) async fn load_for_change(
        tx: &mut sqlx::Transaction<'static, super::Db>,
        item_id: Uuid,
        organisation_id: Uuid,
    ) -> Result<Stored, sqlx::Error> {
        let row = sqlx::query(ITEM_AND_ORGANISATION)
            .bind(item_id)
            .bind(organisation_id)
            .fetch_one(&mut **tx)
            .await?;
        let item = match row.try_get::<Option<Uuid>, _>("item_id")? {
            Some(_) => {
                let (item, state) = Self::item_from(&row)?;
                Some((item, state, row.try_get("changed_at_micros")?))
            }
            None => None,
        };
        let organisation = row
            .try_get::<Option<String>, _>("known_name")?
            .map(|name| -> Result<_, sqlx::Error> {
                Ok((name, row.try_get::<Option<String>, _>("known_nace")?))
            })
            .transpose()?
            .map(|(name, nace)| (name, nace.unwrap_or_default()));
        Ok(Stored { item, organisation })
    }

    pub(super) async fn load_item(
        tx: &mut sqlx::Transaction<'static, super::Db>,
        item_id: Uuid,
    ) -> Result<Option<(IndexedItem, ItemState)>, sqlx::Error> {
        let statement = format!("SELECT {ITEM_COLUMNS} {ITEM_FROM} WHERE i.item_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(item_id)
            .fetch_optional(&mut **tx)
            .await?;
        row.as_ref().map(Self::item_from).transpose()
    }

    /// The tenant's next revision; the caller holds the tenant's lock.
    /// The tenant's last revision taken; the caller holds the tenant's lock.
    pub(super) async fn current_revision(
        tx: &mut sqlx::Transaction<'static, super::Db>,
        tenant: &str,
    ) -> Result<i64, sqlx::Error> {
        Ok(sqlx::query_scalar(CURRENT_REVISION)
            .bind(tenant)
            .fetch_optional(&mut **tx)
            .await?
            .unwrap_or(0))
    }

    /// Records what is known of an organisation; when that changed, its items take the
    /// tenant's next revision (they read differently), under the tenant's lock.
    pub(super) async fn learn(
        tx: &mut sqlx::Transaction<'static, super::Db>,
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
            let revision = Self::lock_tenant(tx, tenant).await?;
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
    /// [`crate::store::mirror`]); the caller holds the tenant's lock.
    pub(super) async fn refresh(
        tx: &mut sqlx::Transaction<'static, super::Db>,
        mirror: &mut Mirror,
        scorer: &dyn crate::engine::Scorer,
        tenant: &str,
    ) -> Result<(), sqlx::Error> {
        if let Some(since) = mirror.revision() {
            let statement = format!("SELECT {ITEM_COLUMNS}, i.revision {ITEMS_CHANGED_SINCE}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(statement))
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
        } else {
            let started = std::time::Instant::now();
            mirror.reset(scorer);
            let current = Self::current_revision(tx, tenant).await?;
            let statement = format!("SELECT {ITEM_COLUMNS} {OPEN_ITEMS_OF_TENANT}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(statement))
                .bind(tenant)
                .fetch_all(&mut **tx)
                .await?;
            for row in &rows {
                let (item, state) = Self::item_from(row)?;
                mirror.apply(scorer, item, state);
            }
            mirror.read_up_to(current);
            tracing::info!(
                tenant,
                open_items = rows.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "loaded the tenant's open items"
            );
        }
        Ok(())
    }

    pub(super) async fn insert_party(
        tx: &mut sqlx::Transaction<'static, super::Db>,
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

    /// Re-scores the substitutions of `item` (open) against its candidates, or drops its
    /// plain proposals (not open: held or gone; see `DELETE_PLAIN_SYNERGY`); then regroups
    /// its pool (and its former one, `previous` being the item before this change).
    /// `stored`: the item as it now reads, when the caller knows it; otherwise it is read.
    pub(super) async fn reconcile(
        tx: &mut sqlx::Transaction<'static, super::Db>,
        delivery: Delivery<'_>,
        mirror: &mut Mirror,
        item_id: Uuid,
        stored: Option<(IndexedItem, ItemState)>,
        previous: Option<Item>,
    ) -> Result<Outcome, sqlx::Error> {
        let mut outcome = Outcome::default();
        let stored = match stored {
            Some(stored) => Some(stored),
            None => Self::load_item(tx, item_id).await?,
        };
        let Some((item, state)) = stored else {
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
                // Most pairs are new: the insertion is tried first, and only a pair already
                // proposed is read back to be re-scored.
                let new_id = Uuid::now_v7();
                let inserted = sqlx::query(INSERT_SYNERGY)
                    .bind(new_id)
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
                    .await?
                    .rows_affected()
                    == 1;
                let id = if inserted {
                    let proposal = Proposal {
                        output: output.clone(),
                        input: input.clone(),
                        scored,
                    };
                    tx.enqueue(&(delivery.event_for)(&item.item.tenant, new_id, &proposal))
                        .await?;
                    outcome.proposed.push((new_id, proposal));
                    new_id
                } else {
                    let id: Uuid = sqlx::query(SYNERGY_ID_BY_KEY)
                        .bind(&item.item.tenant)
                        .bind(&key)
                        .fetch_one(&mut **tx)
                        .await?
                        .try_get("id")?;
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
                };
                sqlx::query(INSERT_PAIR)
                    .bind(id)
                    .bind(output.item.id)
                    .bind(kind_str(output.item.kind))
                    .bind(output.item.organisation_id)
                    .bind(&output.item.label)
                    .bind(input.item.id)
                    .bind(kind_str(input.item.kind))
                    .bind(input.item.organisation_id)
                    .bind(&input.item.label)
                    .execute(&mut **tx)
                    .await?;
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
                    sqlx::query(DELETE_PLAIN_SYNERGY)
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
            Self::regroup(tx, delivery, mirror, &item.item.tenant, direction, &pool).await?;
        }
        Ok(outcome)
    }

    /// Recomputes the mutualisation groups of one pool: a group meeting a stored
    /// group of the same stem is that group (grown or shrunk while only proposed;
    /// members are only added once a facilitator took it up); stored proposals no
    /// longer found are dropped.
    pub(super) async fn regroup(
        tx: &mut sqlx::Transaction<'static, super::Db>,
        delivery: Delivery<'_>,
        mirror: &Mirror,
        tenant: &str,
        direction: Direction,
        pool: &str,
    ) -> Result<(), sqlx::Error> {
        let items = mirror.pool(direction, pool);
        let by_id: BTreeMap<Uuid, &IndexedItem> = items.iter().map(|i| (i.item.id, *i)).collect();
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
            if let Some((id, (_, status, have))) = found {
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
            } else {
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
        for (id, (_, status, _)) in &stored {
            if !matched.contains(id) && status == SynergyStatus::Proposed.as_str() {
                sqlx::query(DELETE_PLAIN_SYNERGY)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn load_synergy(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        id: Uuid,
    ) -> Result<Option<Synergy>, sqlx::Error> {
        let statement = format!("SELECT {SYNERGY_COLUMNS} FROM synergies WHERE id = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(statement))
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
            status: SynergyStatus::parse(&status).ok_or_else(|| decode("status", &status))?,
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

    pub(super) async fn load_many(
        &self,
        tenant: &str,
        ids: Vec<Uuid>,
    ) -> Result<Vec<Synergy>, sqlx::Error> {
        let mut found = Vec::with_capacity(ids.len());
        let mut connection = self.pool.acquire().await?;
        for id in ids {
            if let Some(synergy) = Self::load_synergy(&mut connection, id).await?
                && synergy.tenant == tenant
            {
                found.push(synergy);
            }
        }
        Ok(found)
    }
}
