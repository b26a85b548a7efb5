//! Flow search: the facilitators' (and members') text search over a territory's flows, on an
//! embedded full-text engine (tantivy) that each replica keeps on its local disk, with the
//! database as the truth.
//!
//! The rules are listings' (`services/flows/README.md`): French analysis with synonyms and one
//! typo forgiven in longer words ([`analysis`]); every word required; BM25, the label and the
//! organisation's name weighted above the rest ([`tantivy_index`]). The index is built from the
//! database at start, or brought up to date when a sound one of the same schema version is on
//! disk (`synergies_search::slot`); it follows this replica's writes at once and the other replicas' through
//! the flow events ([`follower`]), within a second — no clock is compared for that.

pub mod analysis;
pub mod engine;
pub mod follower;
pub mod indexed_store;
pub mod tantivy_index;
