//! The search engine behind listing search: what it keeps and answers, whatever its make.

use uuid::Uuid;

use super::{Facets, SearchQuery};
use crate::domain::Listing;

/// A listing the engine found: its id and what ranked it (the listing itself is read from
/// the database, which stays the truth).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub id: Uuid,
    /// The text score as an integer (0 without text), so that cursors compare exactly.
    pub score: i64,
    pub distance_squared: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index files: {0}")]
    Files(#[from] std::io::Error),
    #[error("search index: {0}")]
    Damaged(String),
}

impl From<synergies_search::IndexError> for SearchError {
    fn from(error: synergies_search::IndexError) -> Self {
        use synergies_search::IndexError;
        match error {
            IndexError::Index(error) => Self::Index(error),
            IndexError::Files(error) => Self::Files(error),
            IndexError::Damaged(reason) => Self::Damaged(reason),
        }
    }
}

/// A search index of published listings. Its methods block (disk, CPU): call them from
/// blocking threads.
pub trait SearchEngine: Send + Sync {
    /// Indexes each published listing of `listings` as it now is and drops the others; the
    /// next search sees the change.
    fn upsert(&self, listings: &[Listing]) -> Result<(), SearchError>;
    /// Drops these listings (gone from the database); the next search sees it.
    fn remove(&self, ids: &[Uuid]) -> Result<(), SearchError>;
    /// At most `query.limit` listings after `query.after`, in the query's order, and the facet
    /// counts of every match (whatever the cursor) when `with_facets`.
    fn search(
        &self,
        tenant: &str,
        query: &SearchQuery,
        with_facets: bool,
    ) -> Result<(Vec<Found>, Facets), SearchError>;
    /// Commits what was written since the last commit, if anything (searches do it first
    /// anyway; a background task calls it so that the files on disk keep up without searches).
    fn commit_pending(&self) -> Result<(), SearchError> {
        Ok(())
    }
    /// How many listings the index holds.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
