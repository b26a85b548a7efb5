//! Each replica's copy of a territory's open items, to find a new item's candidates and regroup
//! a pool without reading every open item from the database at each event.
//!
//! The database stays the truth. Every change of an item takes the tenant's next revision
//! under the tenant's lock (migration 1006), and the copy is brought up to date, under that same
//! lock, by reading the items changed since the last revision it read: every replica thus
//! scores against exactly what the database holds, as one replica alone would. A transaction
//! that failed after updating the copy leaves it untrusted, and the next one reloads it.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::domain::{IndexedItem, ItemState};
use crate::engine::{Candidates, Scorer};
use crate::scoring::{Direction, Item, ResourceClass, Scored};

/// The copies of every tenant this replica has handled, each behind its own lock.
#[derive(Default)]
pub(crate) struct Mirrors {
    tenants: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Mirror>>>>,
}

impl Mirrors {
    /// The tenant's copy, for the caller alone until the guard is dropped. Callers hold the
    /// tenant's database lock first, so that two replicas' copies move in the same order.
    pub(crate) async fn lock(&self, tenant: &str) -> tokio::sync::OwnedMutexGuard<Mirror> {
        let mirror = {
            let mut tenants = self
                .tenants
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(tenants.entry(tenant.to_owned()).or_default())
        };
        mirror.lock_owned().await
    }
}

struct Held {
    indexed: IndexedItem,
    pool: Option<String>,
}

/// One tenant's open items as of a revision.
#[derive(Default)]
pub(crate) struct Mirror {
    /// The last revision read; `None` until loaded, or when it cannot be trusted.
    revision: Option<i64>,
    /// Set while a transaction that updated the copy has not committed.
    in_flight: bool,
    items: HashMap<Uuid, Held>,
    pools: HashMap<(Direction, String), BTreeSet<Uuid>>,
    candidates: Option<Box<dyn Candidates>>,
}

impl Mirror {
    /// The revision to read changes after; `None`: load every open item.
    pub(crate) fn revision(&self) -> Option<i64> {
        self.revision.filter(|_| !self.in_flight)
    }

    /// Forgets everything, to load the tenant's open items afresh.
    pub(crate) fn reset(&mut self, scorer: &dyn Scorer) {
        *self = Mirror {
            candidates: scorer.candidate_index(),
            ..Mirror::default()
        };
    }

    /// Takes in one item as the database now holds it.
    pub(crate) fn apply(&mut self, scorer: &dyn Scorer, indexed: IndexedItem, state: ItemState) {
        self.in_flight = true;
        let id = indexed.item.id;
        if let Some(old) = self.items.remove(&id) {
            if let Some(pool) = old.pool {
                let key = (old.indexed.item.direction, pool);
                if let Some(members) = self.pools.get_mut(&key) {
                    members.remove(&id);
                    if members.is_empty() {
                        self.pools.remove(&key);
                    }
                }
            }
            if let Some(candidates) = &mut self.candidates {
                candidates.remove(id);
            }
        }
        if state != ItemState::Open {
            return;
        }
        let pool = scorer.pool(&indexed.item);
        if let Some(pool) = &pool {
            self.pools
                .entry((indexed.item.direction, pool.clone()))
                .or_default()
                .insert(id);
        }
        if let Some(candidates) = &mut self.candidates {
            candidates.insert(&indexed.item);
        }
        self.items.insert(id, Held { indexed, pool });
    }

    /// Records the revision read (the transaction that read it is still open).
    pub(crate) fn read_up_to(&mut self, revision: i64) {
        self.in_flight = true;
        self.revision = Some(revision);
    }

    /// The transaction that updated the copy committed: the copy is the database's.
    pub(crate) fn settled(&mut self) {
        self.in_flight = false;
    }

    /// The substitutions worth proposing for `item` among the open items of the other
    /// direction: through the scorer's candidate index, or by scoring every one of them.
    pub(crate) fn substitutions(
        &mut self,
        scorer: &dyn Scorer,
        item: &Item,
    ) -> Vec<(&IndexedItem, Scored)> {
        let found: Vec<(Uuid, Scored)> = if let Some(candidates) = &mut self.candidates {
            candidates.substitutions(item)
        } else {
            let mut others: Vec<&IndexedItem> = self
                .items
                .values()
                .map(|held| &held.indexed)
                .filter(|other| other.item.direction != item.direction)
                .collect();
            others.sort_by_key(|other| other.item.id);
            let plain: Vec<&Item> = others.iter().map(|other| &other.item).collect();
            let scores = scorer.substitutions(item, &plain);
            others
                .iter()
                .zip(scores)
                .filter_map(|(other, scored)| Some((other.item.id, scored?)))
                .collect()
        };
        found
            .into_iter()
            .filter_map(|(id, scored)| Some((&self.items.get(&id)?.indexed, scored)))
            .collect()
    }

    /// `item` and the open item `other` scored as a pair, with the output's class; `None` when
    /// `other` is not open or the pair is no longer worth proposing.
    pub(crate) fn rescore(
        &self,
        scorer: &dyn Scorer,
        item: &Item,
        other: Uuid,
    ) -> Option<(Scored, ResourceClass)> {
        let other = &self.items.get(&other)?.indexed.item;
        let (output, input) = match item.direction {
            Direction::Out => (item, other),
            Direction::In => (other, item),
        };
        Some((scorer.substitution(output, input)?, output.resource_class))
    }

    /// The open items of one pool, by id.
    pub(crate) fn pool(&self, direction: Direction, pool: &str) -> Vec<&IndexedItem> {
        self.pools
            .get(&(direction, pool.to_owned()))
            .into_iter()
            .flatten()
            .filter_map(|id| self.items.get(id).map(|held| &held.indexed))
            .collect()
    }
}
