//! The scorer the store calls: the pure scoring module with the knowledge shipped in the
//! repository, behind a trait so that store tests can state their own fits.

use std::sync::Arc;

use uuid::Uuid;

use crate::scoring::{
    self, CandidateIndex, Direction, Item, Knowledge, MutualisationGroup, Scored, best_of,
    score_prepared,
};

/// Radius of a mutualisation group, in kilometres, of a tenant that sets none.
pub const DEFAULT_RADIUS_KM: f64 = 15.0;

/// Candidates scored in full for one new item: the best by what they share with it (see
/// `scoring/README.md`, "Candidates").
pub const CANDIDATES_SCORED: usize = 400;

/// Substitutions a new item proposes at most, its best: what a page lists for one item. An item
/// also takes part in the proposals of later items that rank it among their best.
pub const PROPOSALS_PER_ITEM: usize = 20;

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

    /// An index of a territory's open items that finds a new item's candidates without
    /// scoring every open item; `None`: every open item of the other direction is scored.
    fn candidate_index(&self) -> Option<Box<dyn Candidates>> {
        None
    }

    /// What `item` would be grouped by: only items of one pool are grouped together, and a
    /// change regroups its item's pool alone. `None`: never grouped. The default, one pool for
    /// every item, regroups a whole direction at each change.
    fn pool(&self, item: &Item) -> Option<String> {
        let _ = item;
        Some(String::new())
    }

    /// The groups of at least three organisations within `radius_km` among `items` (all of
    /// one direction).
    fn groups(&self, items: &[Item], radius_km: f64) -> Vec<MutualisationGroup>;
}

/// A territory's open items, held by the store and told of every change, that answers a new
/// item's substitutions among them.
pub trait Candidates: Send + Sync {
    /// Holds `item` (open), replacing what was held under its id.
    fn insert(&mut self, item: &Item);
    fn remove(&mut self, id: Uuid);
    /// The best substitutions worth proposing between `item` and the items held (candidate
    /// id and score), at most [`PROPOSALS_PER_ITEM`], best first.
    fn substitutions(&mut self, item: &Item) -> Vec<(Uuid, Scored)>;
}

/// The scoring module with the bundled knowledge (read once per process).
pub struct BundledScorer {
    knowledge: &'static Knowledge,
}

impl Default for BundledScorer {
    fn default() -> Self {
        Self {
            knowledge: Knowledge::global(),
        }
    }
}

impl Scorer for BundledScorer {
    fn substitution(&self, output: &Item, input: &Item) -> Option<Scored> {
        scoring::score_substitution(output, input, self.knowledge)
    }

    fn substitutions(&self, item: &Item, candidates: &[&Item]) -> Vec<Option<Scored>> {
        let prepared = self.knowledge.prepare(item);
        candidates
            .iter()
            .map(|candidate| {
                let candidate = self.knowledge.prepare(candidate);
                match item.direction {
                    Direction::Out => score_prepared(&prepared, &candidate, self.knowledge),
                    Direction::In => score_prepared(&candidate, &prepared, self.knowledge),
                }
            })
            .collect()
    }

    fn candidate_index(&self) -> Option<Box<dyn Candidates>> {
        Some(Box::new(IndexedCandidates {
            index: CandidateIndex::new(self.knowledge),
            knowledge: self.knowledge,
            limit: CANDIDATES_SCORED,
        }))
    }

    fn pool(&self, item: &Item) -> Option<String> {
        scoring::pool_of(item, self.knowledge).map(|(_, key)| key)
    }

    fn groups(&self, items: &[Item], radius_km: f64) -> Vec<MutualisationGroup> {
        scoring::mutualisation_groups(items, radius_km, self.knowledge)
    }
}

/// The bundled scorer's candidates: held prepared (preparing an item — its words normalised,
/// compared with every documented exchange — is most of the cost of scoring a pair) in a
/// [`CandidateIndex`].
pub struct IndexedCandidates {
    index: CandidateIndex,
    knowledge: &'static Knowledge,
    limit: usize,
}

impl IndexedCandidates {
    /// The bundled knowledge's index, scoring at most `limit` candidates per new item.
    pub fn with_limit(limit: usize) -> Self {
        let knowledge = Knowledge::global();
        Self {
            index: CandidateIndex::new(knowledge),
            knowledge,
            limit,
        }
    }
}

impl Candidates for IndexedCandidates {
    fn insert(&mut self, item: &Item) {
        let prepared = self.knowledge.prepare(item).into_owned();
        self.index.insert(Arc::new(prepared));
    }

    fn remove(&mut self, id: Uuid) {
        self.index.remove(id);
    }

    fn substitutions(&mut self, item: &Item) -> Vec<(Uuid, Scored)> {
        let prepared = self.knowledge.prepare(item);
        let candidates = self.index.candidates(&prepared, self.limit);
        best_of(&prepared, &candidates, self.knowledge, PROPOSALS_PER_ITEM)
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

    /// The bundled scorer's index, empty, and an offer of pallets with a request for them.
    fn pallets() -> (Box<dyn Candidates>, Item, Item) {
        let held = BundledScorer::default()
            .candidate_index()
            .expect("the bundled scorer has an index");
        let offer = item(Direction::Out, "40 palettes Europe", "packaging/pallets");
        let request = item(Direction::In, "Cherche des palettes", "packaging/pallets");
        (held, offer, request)
    }

    #[test]
    fn held_candidates_score_as_pairs_do_and_follow_their_changes() {
        let scorer = BundledScorer::default();
        let (mut held, offer, mut request) = pallets();
        let chairs = item(Direction::In, "Chaises de bureau", "furniture/office");
        held.insert(&request);
        held.insert(&chairs);
        let expected = scorer.substitution(&offer, &request).expect("pallets fit");
        assert!(scorer.substitution(&offer, &chairs).is_none());
        assert_eq!(
            held.substitutions(&offer),
            vec![(request.id, expected.clone())]
        );
        // Seen from the input's side, the same pair.
        held.insert(&offer);
        assert_eq!(held.substitutions(&request), vec![(offer.id, expected)]);
        // A candidate that changed is held as it now reads; one removed is not proposed.
        request.category = Some("furniture/office".into());
        request.label = "Chaises".into();
        held.insert(&request);
        assert!(held.substitutions(&offer).is_empty());
        held.remove(offer.id);
        assert!(held.substitutions(&request).is_empty());
    }

    #[test]
    fn an_item_of_the_same_organisation_is_no_candidate() {
        let (mut held, offer, mut request) = pallets();
        request.organisation_id = offer.organisation_id;
        held.insert(&request);
        assert!(held.substitutions(&offer).is_empty());
    }
}
