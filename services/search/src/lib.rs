//! Text search shared by the services that keep a tantivy index of their own (listings and
//! flows): one French analysis, one way to turn a text into the engine's query, and one layout
//! of an index on the replica's local disk. Each service keeps its own schema, filters,
//! collector and ranking; what is here must behave the same for both, so that a word finds a
//! listing and a flow alike.

pub mod analysis;
pub mod committer;
pub mod query;
pub mod slot;

/// What can go wrong with an index on disk; each service wraps it in its own error.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("{0}")]
    Files(#[from] std::io::Error),
    #[error("{0}")]
    Damaged(String),
}
