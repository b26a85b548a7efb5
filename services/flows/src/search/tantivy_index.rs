//! The flow search index on tantivy: one index of every tenant's current flows, in a slot of
//! the replica's local disk (`synergies_search::slot`, shared with listings, as are the
//! analysis and the query of a text).
//!
//! Writes do not commit, as in listings: a commit (files synced, the reader reloaded) costs
//! milliseconds, and an import of a thousand rows on another replica arrives as a thousand
//! events. The next read commits what was written since the last one, so a search right after
//! a write still sees it, and a burst shares one commit; a background task also commits every
//! second ([`super::indexed_store`]), so the files on disk never fall far behind. Each commit
//! carries the newest revision time indexed, from which a restarted replica catches up.

use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use synergies_search::analysis::pre_tokenized;
use synergies_search::query::{TextFields, filter, term};
use synergies_search::slot::{self, OnDisk, Wanted};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::directory::DirectoryLock;
use tantivy::index::IndexSettings;
use tantivy::query::{BooleanQuery, Query};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{
    DocId, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term,
};
use uuid::Uuid;

use super::analysis::{self, QueryGroup};
use super::engine::{FlowSearchEngine, FlowSearchError, Found};
use crate::domain::{Change, Confidentiality, Flow, Revision};
use crate::store::FlowQuery;

/// Bumped whenever the schema or the analysis changes: every replica then rebuilds its index.
/// A change of the synonym file changes the index version by itself (see [`index_version`]).
pub const SCHEMA_VERSION: &str = "flows-search-1";
/// A word of the label or the organisation's name weighs this many words of the rest.
pub use synergies_search::query::TITLE_BOOST;
/// Memory the writer buffers before it writes a segment (tantivy's minimum is 15 MB).
const WRITER_MEMORY: usize = 15_000_000;

/// The version written with an index: the schema's and a fingerprint of the synonym file
/// (FNV-1a, stable across builds), since the synonyms decide the terms indexed.
pub fn index_version() -> String {
    synergies_search::analysis::index_version(SCHEMA_VERSION)
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    id_high: Field,
    id_low: Field,
    tenant: Field,
    organisation: Field,
    direction: Field,
    resource_class: Field,
    confidentiality: Field,
    title: Field,
    body: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: builder.add_text_field("id", STRING),
        id_high: builder.add_u64_field("id_high", FAST),
        id_low: builder.add_u64_field("id_low", FAST),
        tenant: builder.add_text_field("tenant", STRING),
        organisation: builder.add_text_field("organisation", STRING),
        direction: builder.add_text_field("direction", STRING),
        resource_class: builder.add_text_field("resource_class", STRING),
        confidentiality: builder.add_text_field("confidentiality", STRING),
        title: builder.add_text_field("title", text.clone()),
        body: builder.add_text_field("body", text),
    };
    (builder.build(), fields)
}

struct Writer {
    writer: IndexWriter<TantivyDocument>,
    /// The newest version applied per flow since the process started, removed ones included
    /// (`i64::MAX`): a late or replayed older revision must not bring a flow back.
    versions: HashMap<Uuid, i64>,
    /// The newest revision time indexed (the commit's payload).
    watermark: Option<DateTime<Utc>>,
    /// Changes not committed yet: the next read commits them.
    pending: bool,
}

pub struct TantivyFlowIndex {
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<Writer>,
    directory: PathBuf,
    replica_id: String,
    _slot: DirectoryLock,
}

impl TantivyFlowIndex {
    /// Opens the index of `source` (names the database it is built from) in a free slot under
    /// `base`, wiping it when it is of another database or schema version, or damaged.
    pub fn open(base: &Path, source: &str) -> Result<(Self, OnDisk), FlowSearchError> {
        let (schema, fields) = schema();
        let version = index_version();
        let slot = slot::take(
            base,
            source,
            &Wanted {
                schema: &schema,
                settings: IndexSettings::default(),
                version: &version,
                what: "flow search index",
            },
        )?;
        let writer = slot.index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = slot
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let watermark = slot.on_disk.watermark();
        Ok((
            Self {
                fields,
                reader,
                writer: Mutex::new(Writer {
                    writer,
                    versions: HashMap::new(),
                    watermark,
                    pending: false,
                }),
                directory: slot.directory,
                replica_id: slot.replica_id,
                _slot: slot.lock,
            },
            slot.on_disk,
        ))
    }

    /// Where the index lives (the slot directory).
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// This replica's stable name (kept with the index): names its event consumer.
    pub fn replica_id(&self) -> &str {
        &self.replica_id
    }

    /// Bytes the index takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        slot::size_on_disk(&self.directory.join("index"))
    }

    fn document(&self, flow: &Flow) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, flow.id.to_string());
        let (high, low) = flow.id.as_u64_pair();
        doc.add_u64(f.id_high, high);
        doc.add_u64(f.id_low, low);
        doc.add_text(f.tenant, &flow.tenant);
        doc.add_text(f.organisation, flow.organisation_id.to_string());
        doc.add_text(f.direction, flow.content.direction.as_str());
        doc.add_text(f.resource_class, flow.content.resource_class.as_str());
        doc.add_text(f.confidentiality, flow.content.confidentiality.as_str());
        doc.add_pre_tokenized_text(f.title, pre_tokenized(&analysis::title_text(flow)));
        doc.add_pre_tokenized_text(f.body, pre_tokenized(&analysis::body_text(flow)));
        doc
    }

    /// Adds flows known to be absent from the index (the first build), without committing.
    pub fn add_new(&self, flows: &[Flow]) -> Result<(), FlowSearchError> {
        let mut writer = self.writer.lock().expect("flow index writer lock");
        for flow in flows {
            writer.writer.add_document(self.document(flow))?;
            writer.versions.insert(flow.id, flow.version);
            writer.watermark = writer.watermark.max(Some(flow.updated_at));
        }
        Ok(())
    }

    /// Writes what was added to disk and shows it to searches.
    pub fn commit(&self) -> Result<(), FlowSearchError> {
        let mut writer = self.writer.lock().expect("flow index writer lock");
        self.commit_locked(&mut writer)
    }

    fn commit_locked(&self, writer: &mut Writer) -> Result<(), FlowSearchError> {
        slot::commit(&mut writer.writer, writer.watermark)?;
        writer.pending = false;
        // Reloaded before the lock is released: the search that follows sees the changes.
        self.reader.reload()?;
        Ok(())
    }

    /// Commits the changes written since the last commit, if any, and shows them to searches.
    pub fn commit_pending(&self) -> Result<(), FlowSearchError> {
        let mut writer = self.writer.lock().expect("flow index writer lock");
        if writer.pending {
            self.commit_locked(&mut writer)?;
        }
        Ok(())
    }

    /// Empties the index (before a full rebuild), visibly.
    pub fn clear(&self) -> Result<(), FlowSearchError> {
        let mut writer = self.writer.lock().expect("flow index writer lock");
        writer.writer.delete_all_documents()?;
        writer.versions.clear();
        writer.watermark = None;
        self.commit_locked(&mut writer)
    }

    /// The label and organisation's name, and the rest, as text queries search them.
    fn text_fields(&self) -> TextFields {
        TextFields {
            title: self.fields.title,
            body: self.fields.body,
        }
    }

    fn query(&self, tenant: &str, query: &FlowQuery, groups: &[QueryGroup]) -> Box<dyn Query> {
        let f = &self.fields;
        let mut clauses = vec![filter(term(f.tenant, tenant))];
        if let Some(organisation) = query.organisation {
            clauses.push(filter(term(f.organisation, &organisation.to_string())));
        }
        if let Some(direction) = query.direction {
            clauses.push(filter(term(f.direction, direction.as_str())));
        }
        if let Some(resource_class) = query.resource_class {
            clauses.push(filter(term(f.resource_class, resource_class.as_str())));
        }
        if let Some(own) = query.own_or_public {
            clauses.push(filter(Box::new(BooleanQuery::union(vec![
                term(f.organisation, &own.to_string()),
                term(f.confidentiality, Confidentiality::Public.as_str()),
            ]))));
        }
        clauses.extend(self.text_fields().clauses(groups));
        Box::new(BooleanQuery::new(clauses))
    }
}

impl FlowSearchEngine for TantivyFlowIndex {
    fn apply(&self, revisions: &[Revision]) -> Result<(), FlowSearchError> {
        let mut writer = self.writer.lock().expect("flow index writer lock");
        for revision in revisions {
            let id = revision.flow.id;
            if writer
                .versions
                .get(&id)
                .is_some_and(|&held| held >= revision.version)
            {
                continue;
            }
            writer
                .writer
                .delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
            if revision.change != Change::Removed {
                writer.writer.add_document(self.document(&revision.flow))?;
            }
            writer.versions.insert(id, revision.version);
            writer.watermark = writer.watermark.max(Some(revision.at));
            writer.pending = true;
        }
        Ok(())
    }

    fn holds(&self, id: Uuid, version: i64) -> bool {
        let writer = self.writer.lock().expect("flow index writer lock");
        writer
            .versions
            .get(&id)
            .is_some_and(|&held| held >= version)
    }

    fn remove(&self, id: Uuid) -> Result<(), FlowSearchError> {
        let mut writer = self.writer.lock().expect("flow index writer lock");
        if writer.versions.get(&id) == Some(&i64::MAX) {
            return Ok(());
        }
        writer
            .writer
            .delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
        writer.versions.insert(id, i64::MAX);
        writer.pending = true;
        Ok(())
    }

    fn search(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Found>, FlowSearchError> {
        self.commit_pending()?;
        let groups = analysis::query_groups(&query.text);
        let collector = BestFirst {
            scored: !groups.is_empty(),
            // Without words every key's score is 0.
            after: query.after.map(|id| {
                let score = if groups.is_empty() {
                    0
                } else {
                    query.after_score.unwrap_or(i64::MAX)
                };
                (score, id.as_u128())
            }),
            limit: query.limit as usize,
        };
        let found = self
            .reader
            .searcher()
            .search(&*self.query(tenant, query, &groups), &collector)?;
        Ok(found
            .into_iter()
            .map(|(score, id)| Found {
                id: Uuid::from_u128(id),
                score,
            })
            .collect())
    }

    fn len(&self) -> u64 {
        if let Err(error) = self.commit_pending() {
            tracing::warn!(%error, "could not commit the flow index's pending changes");
        }
        self.reader.searcher().num_docs()
    }
}

/// The text score as cursors carry it: BM25 in millionths, so that pages compare exactly.
fn integer_score(score: Score) -> i64 {
    (f64::from(score) * 1_000_000.0).round() as i64
}

/// A match's rank key: greater comes first (best score, then newest — UUIDv7 ids grow).
type Key = (i64, u128);

/// The `limit` best matches after the cursor, best first.
struct BestFirst {
    /// Whether the query has words (else every score is 0: newest first).
    scored: bool,
    /// The previous page's last key: only what ranks after it is kept.
    after: Option<Key>,
    limit: usize,
}

struct SegmentBestFirst {
    scored: bool,
    after: Option<Key>,
    limit: usize,
    id_high: Column<u64>,
    id_low: Column<u64>,
    /// Reversed, so that the worst kept key is on top.
    best: BinaryHeap<std::cmp::Reverse<Key>>,
}

impl Collector for BestFirst {
    type Fruit = Vec<Key>;
    type Child = SegmentBestFirst;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentBestFirst> {
        let columns = reader.fast_fields();
        Ok(SegmentBestFirst {
            scored: self.scored,
            after: self.after,
            limit: self.limit,
            id_high: columns.u64("id_high")?,
            id_low: columns.u64("id_low")?,
            best: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scored
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Key>>) -> tantivy::Result<Vec<Key>> {
        let mut keys: Vec<Key> = fruits.into_iter().flatten().collect();
        keys.sort_unstable_by(|a, b| b.cmp(a));
        keys.truncate(self.limit);
        Ok(keys)
    }
}

impl SegmentCollector for SegmentBestFirst {
    type Fruit = Vec<Key>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let high = self.id_high.first(doc).unwrap_or_default();
        let low = self.id_low.first(doc).unwrap_or_default();
        let id = (u128::from(high) << 64) | u128::from(low);
        let key = (if self.scored { integer_score(score) } else { 0 }, id);
        if self.after.is_some_and(|after| key >= after) || self.limit == 0 {
            return;
        }
        if self.best.len() < self.limit {
            self.best.push(std::cmp::Reverse(key));
        } else if self.best.peek().is_some_and(|worst| key > worst.0) {
            self.best.pop();
            self.best.push(std::cmp::Reverse(key));
        }
    }

    fn harvest(self) -> Vec<Key> {
        self.best.into_iter().map(|r| r.0).collect()
    }
}
