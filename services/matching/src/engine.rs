//! The scorer the store calls: the pure scoring module with the knowledge shipped in the
//! repository, behind a trait so that store tests can state their own fits.

use crate::scoring::{self, Item, Knowledge, MutualisationGroup, Scored};

/// Default radius of a mutualisation group, in kilometres (the tenant default).
pub const DEFAULT_RADIUS_KM: f64 = 15.0;

pub trait Scorer: Send + Sync {
    /// Whether `output` can replace `input`, how well and why; `None`: not to be proposed.
    fn substitution(&self, output: &Item, input: &Item) -> Option<Scored>;
    /// The groups of at least three organisations among `items` (all of one direction).
    fn groups(&self, items: &[Item]) -> Vec<MutualisationGroup>;
}

/// The scoring module with the bundled knowledge.
pub struct BundledScorer {
    knowledge: Knowledge,
    radius_km: f64,
}

impl BundledScorer {
    pub fn new(radius_km: f64) -> Self {
        Self {
            knowledge: Knowledge::bundled(),
            radius_km,
        }
    }
}

impl Scorer for BundledScorer {
    fn substitution(&self, output: &Item, input: &Item) -> Option<Scored> {
        scoring::score_substitution(output, input, &self.knowledge)
    }

    fn groups(&self, items: &[Item]) -> Vec<MutualisationGroup> {
        scoring::mutualisation_groups(items, self.radius_km, &self.knowledge)
    }
}
