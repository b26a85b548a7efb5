//! The scorer the store calls: the pure scoring module with the knowledge shipped in the
//! repository, behind a trait so that store tests can state their own fits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::scoring::{
    self, Direction, Item, Knowledge, MutualisationGroup, PreparedItem, Scored, score_prepared,
};

/// Radius of a mutualisation group, in kilometres, of a tenant that sets none.
pub const DEFAULT_RADIUS_KM: f64 = 15.0;

/// Prepared candidates kept at most (a few kilobytes each: an item compared with every
/// documented exchange). Beyond, one is forgotten for each new one.
const PREPARED_KEPT: usize = 50_000;

pub trait Scorer: Send + Sync {
    /// Whether `output` can replace `input`, how well and why; `None`: not to be proposed.
    fn substitution(&self, output: &Item, input: &Item) -> Option<Scored>;

    /// `item` against each of `candidates` (items of the other direction), in order: the same
    /// answers as [`Scorer::substitution`] pair by pair.
    fn substitutions(&self, item: &Item, candidates: &[&Item]) -> Vec<Option<Scored>> {
        candidates
            .iter()
            .map(|candidate| match item.direction {
                Direction::Out => self.substitution(item, candidate),
                Direction::In => self.substitution(candidate, item),
            })
            .collect()
    }

    /// The groups of at least three organisations within `radius_km` among `items` (all of
    /// one direction).
    fn groups(&self, items: &[Item], radius_km: f64) -> Vec<MutualisationGroup>;
}

/// The scoring module with the bundled knowledge (read once per process). Preparing an item
/// (its words normalised, compared with every documented exchange) is most of the cost of
/// scoring a pair, and a candidate meets every new item of its territory: prepared candidates
/// are kept, and used again while the candidate reads the same.
pub struct BundledScorer {
    knowledge: &'static Knowledge,
    prepared: Mutex<HashMap<uuid::Uuid, Arc<PreparedItem<'static>>>>,
}

impl Default for BundledScorer {
    fn default() -> Self {
        Self {
            knowledge: Knowledge::global(),
            prepared: Mutex::default(),
        }
    }
}

impl BundledScorer {
    /// `candidate` prepared, from those kept when it has not changed since.
    fn prepared(&self, candidate: &Item) -> Arc<PreparedItem<'static>> {
        let kept = self
            .prepared
            .lock()
            .ok()
            .and_then(|kept| kept.get(&candidate.id).cloned());
        if let Some(prepared) = kept.filter(|p| p.item() == candidate) {
            return prepared;
        }
        let prepared = Arc::new(self.knowledge.prepare(candidate).into_owned());
        if let Ok(mut kept) = self.prepared.lock() {
            if kept.len() >= PREPARED_KEPT
                && let Some(forgotten) = kept.keys().next().copied()
            {
                kept.remove(&forgotten);
            }
            kept.insert(candidate.id, Arc::clone(&prepared));
        }
        prepared
    }
}

impl Scorer for BundledScorer {
    fn substitution(&self, output: &Item, input: &Item) -> Option<Scored> {
        scoring::score_substitution(output, input, self.knowledge)
    }

    fn substitutions(&self, item: &Item, candidates: &[&Item]) -> Vec<Option<Scored>> {
        let item = self.knowledge.prepare(item);
        candidates
            .iter()
            .map(|candidate| {
                let candidate = self.prepared(candidate);
                match item.item().direction {
                    Direction::Out => score_prepared(&item, &candidate, self.knowledge),
                    Direction::In => score_prepared(&candidate, &item, self.knowledge),
                }
            })
            .collect()
    }

    fn groups(&self, items: &[Item], radius_km: f64) -> Vec<MutualisationGroup> {
        scoring::mutualisation_groups(items, radius_km, self.knowledge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{ItemKind, ResourceClass};

    fn item(direction: Direction, label: &str, category: &str) -> Item {
        Item {
            id: uuid::Uuid::now_v7(),
            kind: ItemKind::Listing,
            tenant: "dijon".into(),
            organisation_id: uuid::Uuid::now_v7(),
            organisation_name: String::new(),
            nace: String::new(),
            direction,
            resource_class: ResourceClass::Material,
            category: Some(category.into()),
            ewc_code: None,
            label: label.into(),
            description: String::new(),
            yearly_quantity: None,
            position: None,
            available_from: None,
            available_until: None,
            exchange_mode: None,
        }
    }

    #[test]
    fn kept_candidates_score_as_pairs_do_and_follow_their_changes() {
        let scorer = BundledScorer::default();
        let offer = item(Direction::Out, "40 palettes Europe", "packaging/pallets");
        let mut request = item(Direction::In, "Cherche des palettes", "packaging/pallets");
        let chairs = item(Direction::In, "Chaises de bureau", "furniture/office");
        let candidates = [&request, &chairs];
        let expected: Vec<_> = candidates
            .iter()
            .map(|c| scorer.substitution(&offer, c))
            .collect();
        assert!(expected[0].is_some() && expected[1].is_none());
        // Twice: the second time from the kept candidates.
        for _ in 0..2 {
            assert_eq!(scorer.substitutions(&offer, &candidates), expected);
        }
        // Seen from the input's side, the same pair.
        assert_eq!(
            scorer.substitutions(&request, &[&offer]),
            vec![expected[0].clone()]
        );
        // A candidate that changed is prepared again, not read from what was kept.
        request.category = Some("furniture/office".into());
        request.label = "Chaises".into();
        assert_eq!(
            scorer.substitutions(&offer, &[&request]),
            vec![scorer.substitution(&offer, &request)]
        );
    }
}
