//! The scorer the store calls: the pure scoring module with the knowledge shipped in the
//! repository, behind a trait so that store tests can state their own fits.

use crate::scoring::{self, Item, Knowledge, MutualisationGroup, Scored};

/// Radius of a mutualisation group, in kilometres, of a tenant that sets none.
pub const DEFAULT_RADIUS_KM: f64 = 15.0;

pub trait Scorer: Send + Sync {
    /// Whether `output` can replace `input`, how well and why; `None`: not to be proposed.
    fn substitution(&self, output: &Item, input: &Item) -> Option<Scored>;
    /// The groups of at least three organisations within `radius_km` among `items` (all of
    /// one direction).
    fn groups(&self, items: &[Item], radius_km: f64) -> Vec<MutualisationGroup>;
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

    fn groups(&self, items: &[Item], radius_km: f64) -> Vec<MutualisationGroup> {
        scoring::mutualisation_groups(items, radius_km, self.knowledge)
    }
}
