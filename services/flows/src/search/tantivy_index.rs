//! The flow search index on tantivy, in memory: one index of every tenant's current flows.

use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term,
};
use uuid::Uuid;

use super::analysis;
use super::engine::{FlowSearchEngine, FlowSearchError};
use crate::domain::{Change, Confidentiality, Flow, Revision};
use crate::store::FlowQuery;

/// Memory the writer buffers before it writes a segment (tantivy's minimum).
const WRITER_MEMORY: usize = 15_000_000;

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
    text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_index_option(IndexRecordOption::Basic),
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
        text: builder.add_text_field("text", text),
    };
    (builder.build(), fields)
}

struct Writer {
    writer: IndexWriter<TantivyDocument>,
    /// The newest version applied per flow, removed ones included (a late replay of an older
    /// revision must not bring a flow back).
    versions: HashMap<Uuid, i64>,
}

pub struct TantivyFlowIndex {
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<Writer>,
}

impl TantivyFlowIndex {
    pub fn new() -> Result<Self, FlowSearchError> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            fields,
            reader,
            writer: Mutex::new(Writer {
                writer,
                versions: HashMap::new(),
            }),
        })
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
        let tokens = analysis::terms(&analysis::flow_text(flow))
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        doc.add_pre_tokenized_text(
            f.text,
            PreTokenizedString {
                text: String::new(),
                tokens,
            },
        );
        doc
    }

    fn term(field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    }

    fn query(&self, tenant: &str, query: &FlowQuery) -> Box<dyn Query> {
        let f = &self.fields;
        let mut clauses = vec![Self::term(f.tenant, tenant)];
        if let Some(organisation) = query.organisation {
            clauses.push(Self::term(f.organisation, &organisation.to_string()));
        }
        if let Some(direction) = query.direction {
            clauses.push(Self::term(f.direction, direction.as_str()));
        }
        if let Some(resource_class) = query.resource_class {
            clauses.push(Self::term(f.resource_class, resource_class.as_str()));
        }
        if let Some(own) = query.own_or_public {
            clauses.push(Box::new(BooleanQuery::union(vec![
                Self::term(f.organisation, &own.to_string()),
                Self::term(f.confidentiality, Confidentiality::Public.as_str()),
            ])));
        }
        for term in analysis::terms(&query.text) {
            clauses.push(Self::term(f.text, &term));
        }
        Box::new(BooleanQuery::new(
            clauses.into_iter().map(|q| (Occur::Must, q)).collect(),
        ))
    }
}

impl FlowSearchEngine for TantivyFlowIndex {
    fn apply(&self, revisions: &[Revision]) -> Result<(), FlowSearchError> {
        let mut writer = self.writer.lock().expect("flow index writer lock");
        let mut changed = false;
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
            changed = true;
        }
        if changed {
            writer.writer.commit()?;
            // Reloaded before the lock is released: a search after this call returns sees it.
            self.reader.reload()?;
        }
        Ok(())
    }

    fn search(&self, tenant: &str, query: &FlowQuery) -> Result<Vec<Uuid>, FlowSearchError> {
        let collector = NewestFirst {
            before: query.after.map(|id| id.as_u128()),
            limit: query.limit as usize,
        };
        let ids = self
            .reader
            .searcher()
            .search(&*self.query(tenant, query), &collector)?;
        Ok(ids.into_iter().map(Uuid::from_u128).collect())
    }

    fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// The `limit` greatest ids (UUIDv7: the newest) below `before`, greatest first.
struct NewestFirst {
    before: Option<u128>,
    limit: usize,
}

struct SegmentNewestFirst {
    before: Option<u128>,
    limit: usize,
    id_high: Column<u64>,
    id_low: Column<u64>,
    /// Reversed, so that the smallest kept id is on top.
    best: BinaryHeap<std::cmp::Reverse<u128>>,
}

impl Collector for NewestFirst {
    type Fruit = Vec<u128>;
    type Child = SegmentNewestFirst;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentNewestFirst> {
        let columns = reader.fast_fields();
        Ok(SegmentNewestFirst {
            before: self.before,
            limit: self.limit,
            id_high: columns.u64("id_high")?,
            id_low: columns.u64("id_low")?,
            best: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<u128>>) -> tantivy::Result<Vec<u128>> {
        let mut ids: Vec<u128> = fruits.into_iter().flatten().collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.truncate(self.limit);
        Ok(ids)
    }
}

impl SegmentCollector for SegmentNewestFirst {
    type Fruit = Vec<u128>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let high = self.id_high.first(doc).unwrap_or_default();
        let low = self.id_low.first(doc).unwrap_or_default();
        let id = (u128::from(high) << 64) | u128::from(low);
        if self.before.is_some_and(|before| id >= before) || self.limit == 0 {
            return;
        }
        if self.best.len() < self.limit {
            self.best.push(std::cmp::Reverse(id));
        } else if self.best.peek().is_some_and(|smallest| id > smallest.0) {
            self.best.pop();
            self.best.push(std::cmp::Reverse(id));
        }
    }

    fn harvest(self) -> Vec<u128> {
        self.best.into_iter().map(|r| r.0).collect()
    }
}
