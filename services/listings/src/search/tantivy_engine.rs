//! The search engine on tantivy: one index of the published listings of every tenant, in a
//! directory of the replica's local disk.
//!
//! The slot on disk, the French analysis and the query of a text are shared with flow search
//! (`synergies_search`): both services analyse and rank a text alike.
//!
//! Writes do not commit: a commit (files written and synced, the reader reloaded) costs about
//! 9 ms, which every listing write would wait for. The next read commits what was written since
//! the last one, so a search right after a write still sees it, and a burst of writes shares one
//! commit; a background task also commits every second ([`super::indexed_store`]), so the files
//! on disk never fall far behind. Each commit carries the newest `updated_at` indexed: a
//! restarted replica reads only what changed since (see
//! [`super::indexed_store::IndexedStore::open`]), including what it had not committed.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Datelike, Utc};
use synergies_search::analysis::{self, pre_tokenized};
use synergies_search::query::{TextFields, filter, term};
use synergies_search::slot::{self, Wanted};
use tantivy::directory::DirectoryLock;
use tantivy::index::{IndexSettings, IndexSortByField, Order};
use tantivy::query::{BooleanQuery, Query, RangeQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use uuid::Uuid;

use super::collector::{Collected, SearchCollector};
use super::engine::{Found, SearchEngine, SearchError};
use super::{Cursor, Facets, Near, SearchQuery, Sort};
use crate::domain::{Listing, ListingStatus};

/// Bumped whenever the schema or the analysis changes: every replica then rebuilds its index.
/// A change of the synonym file changes the index version by itself (see [`index_version`]).
pub const SCHEMA_VERSION: &str = "listings-search-2";

/// The version written with an index: the schema's and a fingerprint of the synonym file
/// (FNV-1a, stable across builds), since the synonyms decide the terms indexed.
pub fn index_version() -> String {
    analysis::index_version(SCHEMA_VERSION)
}
/// A title word weighs this many description words.
pub use synergies_search::query::TITLE_BOOST;
/// Memory the writer buffers before it writes a segment.
const WRITER_MEMORY: usize = 50_000_000;
/// The first ring a nearest-first page looks in, km: most pages fill within it.
const FIRST_RING_KM: f64 = 0.5;
/// A ring's box is this much wider than the ring, so that rounding never leaves out a listing
/// the ring's circle contains.
const RING_BOX_MARGIN: f64 = 1.001;

/// Newest first inside every segment (UUIDv7 ids grow with time): a newest-first page is
/// filled by a segment's first matches, and every later match is turned away by one integer
/// comparison.
fn index_settings() -> IndexSettings {
    IndexSettings {
        sort_by_field: Some(IndexSortByField {
            field: "id_high".into(),
            order: Order::Desc,
        }),
        ..IndexSettings::default()
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub id_high: Field,
    pub id_low: Field,
    pub tenant: Field,
    pub kind: Field,
    pub resource_type: Field,
    pub category: Field,
    pub category_root: Field,
    pub exchange_mode: Field,
    pub insee_code: Field,
    pub available_from: Field,
    pub available_until: Field,
    pub latitude: Field,
    pub longitude: Field,
    pub title: Field,
    pub description: Field,
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
        kind: builder.add_text_field("kind", STRING),
        resource_type: builder.add_text_field("resource_type", STRING),
        // The category and each of its ancestors, so that a parent finds its subtree.
        category: builder.add_text_field("category", STRING),
        category_root: builder.add_text_field("category_root", STRING | FAST),
        exchange_mode: builder.add_text_field("exchange_mode", STRING | FAST),
        insee_code: builder.add_text_field("insee_code", STRING),
        available_from: builder.add_i64_field("available_from", FAST),
        available_until: builder.add_i64_field("available_until", FAST),
        latitude: builder.add_f64_field("latitude", FAST),
        longitude: builder.add_f64_field("longitude", FAST),
        title: builder.add_text_field("title", text.clone()),
        description: builder.add_text_field("description", text),
    };
    (builder.build(), fields)
}

/// A date as the index keeps it: days since the common era.
pub(crate) fn day_number(date: chrono::NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

struct Writer {
    writer: IndexWriter<TantivyDocument>,
    /// The newest `updated_at` of the listings indexed.
    watermark: Option<DateTime<Utc>>,
    /// Changes not committed yet: the next read commits them.
    pending: bool,
}

/// What [`TantivyEngine::open`] found on disk: the index is current up to an `updated_at`.
pub use synergies_search::slot::OnDisk;

pub struct TantivyEngine {
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<Writer>,
    directory: PathBuf,
    replica_id: String,
    _slot: DirectoryLock,
}

impl TantivyEngine {
    /// Opens the index of `source` (names the database it is built from) in a free slot
    /// under `base` — preferably one that already holds an index of that database — wiping it
    /// when it is of another database or schema version, or damaged.
    pub fn open(base: &Path, source: &str) -> Result<(Self, OnDisk), SearchError> {
        let (schema, fields) = schema();
        let version = index_version();
        let slot = slot::take(
            base,
            source,
            &Wanted {
                schema: &schema,
                settings: index_settings(),
                version: &version,
                what: "search index",
            },
        )?;
        let writer = slot.index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = slot
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok((
            Self {
                fields,
                reader,
                writer: Mutex::new(Writer {
                    writer,
                    watermark: slot.on_disk.watermark(),
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

    /// This replica's stable name (kept with the index).
    pub fn replica_id(&self) -> &str {
        &self.replica_id
    }

    /// Bytes the index takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        slot::size_on_disk(&self.directory.join("index"))
    }

    fn document(&self, listing: &Listing) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, listing.id.to_string());
        let (high, low) = listing.id.as_u64_pair();
        doc.add_u64(f.id_high, high);
        doc.add_u64(f.id_low, low);
        doc.add_text(f.tenant, &listing.tenant);
        doc.add_text(f.kind, listing.kind.as_str());
        doc.add_text(f.resource_type, listing.resource_type.as_str());
        let mut path = String::new();
        for part in listing.category.split('/') {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(part);
            doc.add_text(f.category, &path);
        }
        doc.add_text(f.category_root, crate::taxonomy::root(&listing.category));
        doc.add_text(f.exchange_mode, listing.exchange_mode.as_str());
        if let Some(location) = &listing.location {
            doc.add_text(f.insee_code, &location.insee_code);
            if let Some((latitude, longitude)) = location.coordinates {
                doc.add_f64(f.latitude, latitude);
                doc.add_f64(f.longitude, longitude);
            }
        }
        if let Some(from) = listing.available_from {
            doc.add_i64(f.available_from, day_number(from));
        }
        if let Some(until) = listing.available_until {
            doc.add_i64(f.available_until, day_number(until));
        }
        doc.add_pre_tokenized_text(f.title, pre_tokenized(&listing.title));
        doc.add_pre_tokenized_text(f.description, pre_tokenized(&listing.description));
        doc
    }

    /// Adds listings known to be absent from the index (the first build), without committing.
    pub fn add_new(&self, listings: &[Listing]) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().expect("search writer lock");
        for listing in listings {
            if listing.status == ListingStatus::Published {
                writer.writer.add_document(self.document(listing))?;
            }
            writer.watermark = writer.watermark.max(Some(listing.updated_at));
        }
        Ok(())
    }

    /// Writes what was added to disk and shows it to searches.
    pub fn commit(&self) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().expect("search writer lock");
        Self::commit_locked(&mut writer)?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    fn commit_locked(writer: &mut Writer) -> Result<(), SearchError> {
        slot::commit(&mut writer.writer, writer.watermark)?;
        writer.pending = false;
        Ok(())
    }

    /// Commits the changes written since the last commit, if any, and shows them to searches.
    fn make_visible(&self) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().expect("search writer lock");
        if writer.pending {
            Self::commit_locked(&mut writer)?;
            // Reloaded before the lock is released: the search that follows sees the changes.
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Empties the index (before a full rebuild), visibly.
    pub fn clear(&self) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().expect("search writer lock");
        writer.writer.delete_all_documents()?;
        writer.watermark = None;
        Self::commit_locked(&mut writer)?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// The title and the description, as text queries search them.
    fn text_fields(&self) -> TextFields {
        TextFields {
            title: self.fields.title,
            body: self.fields.description,
        }
    }

    /// Listings whose coordinates lie in the box around `near` of `radius_km` (a range on the
    /// coordinate columns: only the box's listings reach the collector, which then applies the
    /// exact box and circle of the search).
    fn within_box(&self, near: &Near, radius_km: f64) -> Box<dyn Query> {
        let ring = Near {
            radius_km: radius_km * RING_BOX_MARGIN,
            ..*near
        };
        let (min_lat, max_lat, min_lon, max_lon) = ring.bounding_box();
        let range = |field: Field, low: f64, high: f64| -> Box<dyn Query> {
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_f64(field, low)),
                Bound::Included(Term::from_field_f64(field, high)),
            ))
        };
        Box::new(BooleanQuery::intersection(vec![
            range(self.fields.latitude, min_lat, max_lat),
            range(self.fields.longitude, min_lon, max_lon),
        ]))
    }

    /// The engine query; near a point, only the box of `ring_km` around it is visited.
    fn query(&self, tenant: &str, query: &SearchQuery, ring_km: Option<f64>) -> Box<dyn Query> {
        let f = &self.fields;
        let mut clauses = vec![filter(term(f.tenant, tenant))];
        if let (Some(near), Some(ring_km)) = (&query.near, ring_km) {
            clauses.push(filter(self.within_box(near, ring_km)));
        }
        if let Some(kind) = query.kind {
            clauses.push(filter(term(f.kind, kind.as_str())));
        }
        if let Some(resource_type) = query.resource_type {
            clauses.push(filter(term(f.resource_type, resource_type.as_str())));
        }
        if let Some(category) = &query.category {
            clauses.push(filter(term(f.category, category)));
        }
        if let Some(mode) = query.exchange_mode {
            clauses.push(filter(term(f.exchange_mode, mode.as_str())));
        }
        if query.free_only {
            let free = BooleanQuery::union(vec![
                term(f.exchange_mode, "give"),
                term(f.exchange_mode, "lend"),
            ]);
            clauses.push(filter(Box::new(free)));
        }
        if let Some(insee_code) = &query.insee_code {
            clauses.push(filter(term(f.insee_code, insee_code)));
        }
        if query.has_text() {
            // A query built from terms alone (no raw text) is searched by those terms.
            let text = if query.text.trim().is_empty() {
                query.terms.join(" ")
            } else {
                query.text.clone()
            };
            clauses.extend(self.text_fields().clauses(&analysis::query_groups(&text)));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

impl SearchEngine for TantivyEngine {
    fn upsert(&self, listings: &[Listing]) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().expect("search writer lock");
        for listing in listings {
            writer.writer.delete_term(Term::from_field_text(
                self.fields.id,
                &listing.id.to_string(),
            ));
            if listing.status == ListingStatus::Published {
                writer.writer.add_document(self.document(listing))?;
            }
            writer.watermark = writer.watermark.max(Some(listing.updated_at));
        }
        writer.pending = true;
        Ok(())
    }

    fn remove(&self, ids: &[Uuid]) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().expect("search writer lock");
        for id in ids {
            writer
                .writer
                .delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
        }
        writer.pending = true;
        Ok(())
    }

    fn commit_pending(&self) -> Result<(), SearchError> {
        self.make_visible()
    }

    fn search(
        &self,
        tenant: &str,
        query: &SearchQuery,
        with_facets: bool,
    ) -> Result<(Vec<Found>, Facets), SearchError> {
        self.make_visible()?;
        let collector = SearchCollector::new(query, with_facets);
        let searcher = self.reader.searcher();
        let Some(near) = query.near else {
            let Collected { found, facets } =
                searcher.search(&*self.query(tenant, query, None), &collector)?;
            return Ok((found, facets));
        };
        // Facets count every listing of the radius, and only a nearest-first order lets a
        // nearer ring decide the page: otherwise the whole radius is the one ring.
        let mut ring_km = if with_facets || query.sort != Sort::Nearest {
            near.radius_km
        } else {
            let after_km = match query.after {
                Some(Cursor::Nearest {
                    distance_squared, ..
                }) => distance_squared.max(0.0).sqrt(),
                _ => 0.0,
            };
            (after_km + FIRST_RING_KM).min(near.radius_km)
        };
        loop {
            let Collected { found, facets } =
                searcher.search(&*self.query(tenant, query, Some(ring_km)), &collector)?;
            // Every listing outside the ring's box is farther than the ring: when the page is
            // full of listings inside the ring's circle, nothing outside can displace them.
            let settled = found.len() >= query.limit as usize
                && found
                    .last()
                    .and_then(|last| last.distance_squared)
                    .is_some_and(|d2| d2 <= ring_km * ring_km);
            if settled || ring_km >= near.radius_km {
                return Ok((found, facets));
            }
            ring_km = (ring_km * 2.0).min(near.radius_km);
        }
    }

    fn len(&self) -> u64 {
        if let Err(error) = self.make_visible() {
            tracing::warn!(%error, "could not commit the search index's pending changes");
        }
        self.reader.searcher().num_docs()
    }
}
