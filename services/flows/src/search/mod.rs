//! Flow search: the facilitators' text search over a territory's flows, on an embedded
//! full-text index (tantivy) kept by each replica in its memory, with the database as the
//! truth.
//!
//! A territory's inventory is thousands of flows, not millions: the index is built from the
//! database at start in well under a second and needs no files. It follows the writes of this
//! replica at once and, before each search, the revisions the other replicas wrote since it
//! last looked ([`indexed_store`]) — read-your-writes on every replica, without a consumer
//! of its own per replica.

pub mod analysis;
pub mod engine;
pub mod indexed_store;
pub mod tantivy_index;
