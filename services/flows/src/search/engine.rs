//! What a flow search index keeps and answers, whatever its make.

use uuid::Uuid;

use crate::domain::Revision;
use crate::store::FlowQuery;

#[derive(Debug, thiserror::Error)]
pub enum FlowSearchError {
    #[error("flow search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("flow search index files: {0}")]
    Files(#[from] std::io::Error),
    #[error("flow search index: {0}")]
    Damaged(String),
}

impl From<synergies_search::IndexError> for FlowSearchError {
    fn from(error: synergies_search::IndexError) -> Self {
        use synergies_search::IndexError;
        match error {
            IndexError::Index(error) => Self::Index(error),
            IndexError::Files(error) => Self::Files(error),
            IndexError::Damaged(reason) => Self::Damaged(reason),
        }
    }
}

/// A flow the engine found: its id and what ranked it (the flow itself is read from the
/// database, which stays the truth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub id: Uuid,
    /// The BM25 score in millionths (0 without words), so that page cursors compare exactly.
    pub score: i64,
}

/// A search index of the current flows of every tenant. Its methods block (disk, CPU): call
/// them from blocking threads.
pub trait FlowSearchEngine: Send + Sync {
    /// Applies revisions, each only if newer than what the index holds of its flow (so that
    /// replays and any order end as the database is): a recorded or changed flow is indexed
    /// as it is in the revision, a removed one dropped. Visible to the next search (which
    /// commits what is pending).
    fn apply(&self, revisions: &[Revision]) -> Result<(), FlowSearchError>;
    /// Whether the index already holds this version of the flow, or a newer one (or knows it
    /// removed): an event about it then changes nothing.
    fn holds(&self, id: Uuid, version: i64) -> bool;
    /// Drops a flow that is gone from the database, for good (ids are never reused).
    fn remove(&self, id: Uuid) -> Result<(), FlowSearchError>;
    /// The tenant's flows that contain every word of `query.text` (each word, its synonym
    /// concept, or — in longer words — the word with one typo) and pass its filters: best
    /// BM25 score first (the label and organisation name weigh more than the rest), then
    /// newest; without words, newest first. After the cursor (`query.after_score`,
    /// `query.after`), at most `query.limit`.
    fn search(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Found>, FlowSearchError>;
    /// How many flows the index holds.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
