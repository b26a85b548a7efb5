//! What a flow search index keeps and answers, whatever its make.

use uuid::Uuid;

use crate::domain::Revision;
use crate::store::FlowQuery;

#[derive(Debug, thiserror::Error)]
pub enum FlowSearchError {
    #[error("flow search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// A search index of the current flows of every tenant. Its methods block (CPU): call them
/// from blocking threads.
pub trait FlowSearchEngine: Send + Sync {
    /// Applies revisions, each only if newer than what the index holds of its flow (so that
    /// replays and any order end as the database is): a recorded or changed flow is indexed
    /// as it is in the revision, a removed one dropped. Visible to the next search.
    fn apply(&self, revisions: &[Revision]) -> Result<(), FlowSearchError>;
    /// The ids of the tenant's flows that contain every word of `query.text` and pass its
    /// filters, newest first, after `query.after`, at most `query.limit`.
    fn search(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Uuid>, FlowSearchError>;
    /// How many flows the index holds.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
