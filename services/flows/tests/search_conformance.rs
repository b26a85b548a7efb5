//! Flow search on the replica's index, on PostgreSQL and SQLite: it finds what the words say
//! (with synonyms and typos), ranks by relevance, pages without losing or repeating a flow,
//! keeps its files on disk (reused, rebuilt when damaged or of another version), and follows
//! the other replicas' writes through the flow events.

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use prost::Message;
use synergies_flows::convert::revision_event;
use synergies_flows::domain::{
    Change, Direction, Flow, FlowFields, OrganisationFacts, Provenance, ResourceClass, Revision,
};
use synergies_flows::search::analysis;
use synergies_flows::search::follower::FlowIndexFollower;
use synergies_flows::search::indexed_store::IndexedFlowStore;
use synergies_flows::search::tantivy_index::TantivyFlowIndex;
use synergies_flows::store::{self, FlowQuery, FlowStore};
use synergies_platform::consumer::EventHandler;
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use synergies_proto::events::v1::EventEnvelope;
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn FlowStore>,
    database: TestDatabase,
    directory: tempfile::TempDir,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "flows",
        &synergies_flows::POSTGRES_MIGRATIONS,
        &synergies_flows::SQLITE_MIGRATIONS,
    )
    .await?;
    Some(Fixture {
        store: store::for_database(&database.database),
        database,
        directory: tempfile::tempdir().unwrap(),
    })
}

impl Fixture {
    /// A replica's indexed store (each call takes a slot of its own in the fixture's directory).
    async fn replica(&self) -> (IndexedFlowStore, Arc<TantivyFlowIndex>) {
        IndexedFlowStore::open(self.store.clone(), self.directory.path(), "test")
            .await
            .unwrap()
    }
}

fn flow(tenant: &str, organisation_id: Uuid, label: &str, fields: FlowFields) -> Flow {
    let content = FlowFields {
        label: label.into(),
        quantity: "1.5".into(),
        unit: "t".into(),
        period: "month".into(),
        direction: if fields.direction.is_empty() {
            "out".into()
        } else {
            fields.direction.clone()
        },
        resource_class: if fields.resource_class.is_empty() {
            "waste".into()
        } else {
            fields.resource_class.clone()
        },
        ewc_code: if fields.resource_class.is_empty() || fields.resource_class == "waste" {
            "150101".into()
        } else {
            String::new()
        },
        ..fields
    }
    .validate()
    .unwrap();
    Flow::record(
        tenant,
        organisation_id,
        content,
        OrganisationFacts {
            name: "Menuiserie Morel".into(),
            nace: "16.23Z".into(),
        },
        None,
        Uuid::now_v7(),
        Provenance::Recorded,
        Utc::now(),
    )
}

fn recorded(flow: &Flow) -> Revision {
    Revision {
        version: 1,
        change: Change::Recorded,
        by: flow.recorded_by,
        at: flow.recorded_at,
        flow: flow.clone(),
    }
}

fn next(revision: &Revision, change: Change, edit: impl FnOnce(&mut Flow)) -> Revision {
    let mut flow = revision.flow.clone();
    edit(&mut flow);
    flow.version = revision.version + 1;
    Revision {
        version: flow.version,
        change,
        by: flow.recorded_by,
        at: Utc::now(),
        flow,
    }
}

async fn write(store: &dyn FlowStore, revision: &Revision) -> bool {
    store
        .write(revision, &revision_event(revision))
        .await
        .unwrap()
}

fn search(text: &str) -> FlowQuery {
    FlowQuery {
        text: text.into(),
        limit: 50,
        ..Default::default()
    }
}

async fn labels(store: &dyn FlowStore, text: &str) -> Vec<String> {
    store
        .list("dijon", &search(text))
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.content.label)
        .collect()
}

/// Every page of `query` on `store`, `page` flows at a time (the cursor is the last flow's
/// score and id): the ids in order, with their scores.
async fn paged(store: &dyn FlowStore, query: &FlowQuery, page: u32) -> Vec<(i64, Uuid)> {
    let mut query = FlowQuery {
        limit: page,
        ..query.clone()
    };
    let mut found = Vec::new();
    loop {
        let scored = store.search("dijon", &query).await.unwrap();
        found.extend(scored.iter().map(|s| (s.score, s.flow.id)));
        if scored.len() < page as usize {
            return found;
        }
        let last = scored.last().unwrap();
        query.after = Some(last.flow.id);
        query.after_score = Some(last.score);
    }
}

/// The flows holding every word of the query exactly (after analysis), from the database.
async fn exact_ids(sql: &dyn FlowStore, query: &FlowQuery) -> Vec<Uuid> {
    let wanted = analysis::terms(&query.text);
    let everything = FlowQuery {
        text: String::new(),
        after: None,
        limit: 10_000,
        ..query.clone()
    };
    sql.list("dijon", &everything)
        .await
        .unwrap()
        .into_iter()
        .filter(|flow| {
            let terms = analysis::terms(&analysis::flow_text(flow));
            wanted.iter().all(|w| terms.contains(w))
        })
        .map(|flow| flow.id)
        .collect()
}

/// With every filter and in pages of 3, a text search finds at least every flow holding the
/// words exactly, each once, best first; another territory's flows stay out.
async fn text_search_pages_best_first_with_every_filter(fixture: Fixture) {
    let sql = fixture.store.as_ref();
    let (brewery, joinery) = (Uuid::now_v7(), Uuid::now_v7());
    let texts = [
        "Huiles de vidange usagées",
        "Chutes de bois de chêne",
        "Palettes Europe cassées",
        "Drêches de brasserie",
        "Chaleur fatale du four",
        "Cartons d'emballage",
    ];
    // One flow stored before the index is built: the build must find it.
    let early = flow("dijon", brewery, "Huiles usagées", FlowFields::default());
    assert!(write(sql, &recorded(&early)).await);
    let (indexed, _) = fixture.replica().await;
    let mut seed = 7u64;
    for n in 0..40usize {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let organisation = if seed >> 60 < 8 { brewery } else { joinery };
        let fields = FlowFields {
            resource_class: ["waste", "by-product", "energy", "water"][(seed >> 40) as usize % 4]
                .into(),
            confidentiality: ["public", "partners", "facilitator"][(seed >> 20) as usize % 3]
                .into(),
            description: if n % 3 == 0 {
                format!("collecte mensuelle, {}", texts[(n + 1) % texts.len()])
            } else {
                String::new()
            },
            direction: if n % 4 == 1 { "in" } else { "out" }.into(),
            ..Default::default()
        };
        let flow = flow("dijon", organisation, texts[n % texts.len()], fields);
        assert!(write(&indexed, &recorded(&flow)).await);
    }
    let elsewhere = flow("beaune", brewery, "Chutes de bois", FlowFields::default());
    assert!(write(&indexed, &recorded(&elsewhere)).await);
    let mut queries = Vec::new();
    for text in [
        "huile",
        "HUILES usagees",
        "chêne",
        "palette cassee",
        "collecte",
        "bois menuiserie",
        "morel",
        "introuvable",
    ] {
        queries.push(search(text));
        queries.push(FlowQuery {
            own_or_public: Some(brewery),
            ..search(text)
        });
        queries.push(FlowQuery {
            organisation: Some(joinery),
            direction: Some(Direction::Out),
            ..search(text)
        });
        queries.push(FlowQuery {
            resource_class: Some(ResourceClass::Waste),
            ..search(text)
        });
    }
    let mut found_some = false;
    for query in queries {
        let whole = paged(&indexed, &query, 100).await;
        assert_eq!(paged(&indexed, &query, 3).await, whole, "{query:?}");
        assert!(
            whole.windows(2).all(|w| w[0] > w[1]),
            "{query:?}: {whole:?}"
        );
        let ids: Vec<Uuid> = whole.iter().map(|(_, id)| *id).collect();
        let exact = exact_ids(sql, &query).await;
        found_some |= !exact.is_empty();
        assert!(exact.iter().all(|id| ids.contains(id)), "{query:?}");
        for id in ids {
            let flow = sql.get("dijon", id).await.unwrap().unwrap();
            assert!(query.organisation.is_none_or(|o| o == flow.organisation_id));
            assert!(query.direction.is_none_or(|d| d == flow.content.direction));
        }
    }
    assert!(found_some);
    assert!(labels(&indexed, "introuvable").await.is_empty());
    let beaune = indexed
        .list("beaune", &search("chutes bois"))
        .await
        .unwrap();
    assert_eq!(
        beaune.iter().map(|f| f.id).collect::<Vec<_>>(),
        [elsewhere.id]
    );
}

/// A word of the label ranks a flow above the same word in a description; a synonym finds
/// its variants, and a typo in a long word still finds, below the exact hits.
async fn text_search_ranks_by_relevance_with_synonyms_and_typos(fixture: Fixture) {
    let (indexed, _) = fixture.replica().await;
    let organisation = Uuid::now_v7();
    let in_description = flow(
        "dijon",
        organisation,
        "Bidons vides",
        FlowFields {
            description: "Restes d'huiles de vidange".into(),
            ..Default::default()
        },
    );
    let in_label = flow(
        "dijon",
        organisation,
        "Huiles de vidange",
        FlowFields::default(),
    );
    let ibc = flow("dijon", organisation, "IBC 1000 L", FlowFields::default());
    for flow in [&in_description, &in_label, &ibc] {
        assert!(write(&indexed, &recorded(flow)).await);
    }
    assert_eq!(
        labels(&indexed, "vidange").await,
        ["Huiles de vidange", "Bidons vides"]
    );
    assert_eq!(
        labels(&indexed, "huile vidange").await,
        ["Huiles de vidange", "Bidons vides"]
    );
    assert_eq!(labels(&indexed, "GRV").await, ["IBC 1000 L"]);
    assert_eq!(
        labels(&indexed, "vidagne").await,
        ["Huiles de vidange", "Bidons vides"]
    );
    // Short words are matched exactly.
    assert!(labels(&indexed, "IBD").await.is_empty());
}

/// Damages the index files of a replica's slot.
fn damage(slot: &Path) {
    for entry in std::fs::read_dir(slot.join("index")).unwrap().flatten() {
        let path = entry.path();
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !["json", "lock"].contains(&extension) {
            std::fs::write(entry.path(), b"not an index").unwrap();
        }
    }
}

/// The index stays on disk: a restarted replica takes its slot back and catches up on what was
/// written meanwhile; damaged files or another schema version are rebuilt from the database.
async fn the_index_on_disk_is_reused_and_rebuilt_when_damaged_or_outdated(fixture: Fixture) {
    let organisation = Uuid::now_v7();
    let (indexed, index) = fixture.replica().await;
    let (slot, replica_id) = (index.directory().to_owned(), index.replica_id().to_owned());
    let first = flow(
        "dijon",
        organisation,
        "Sciure de hêtre",
        FlowFields::default(),
    );
    assert!(write(&indexed, &recorded(&first)).await);
    // The search commits the write: the files then say up to when the index is current.
    assert_eq!(labels(&indexed, "sciure").await, ["Sciure de hêtre"]);
    drop((indexed, index));

    // Written while the replica is down.
    let second = flow(
        "dijon",
        organisation,
        "Sciure de chêne",
        FlowFields::default(),
    );
    assert!(write(fixture.store.as_ref(), &recorded(&second)).await);
    let (indexed, index) = fixture.replica().await;
    assert_eq!(index.directory(), slot);
    assert_eq!(index.replica_id(), replica_id);
    assert_eq!(labels(&indexed, "sciure").await.len(), 2);
    drop((indexed, index));

    damage(&slot);
    let (indexed, index) = fixture.replica().await;
    assert_eq!(index.directory(), slot);
    assert_eq!(labels(&indexed, "sciure").await.len(), 2);
    drop((indexed, index));

    std::fs::write(slot.join("schema-version"), "flows-search-0").unwrap();
    let (indexed, _index) = fixture.replica().await;
    assert_eq!(labels(&indexed, "sciure").await.len(), 2);
    assert_eq!(
        std::fs::read_to_string(slot.join("schema-version")).unwrap(),
        synergies_flows::search::tantivy_index::index_version()
    );
}

fn envelope(revision: &Revision) -> EventEnvelope {
    EventEnvelope::decode(revision_event(revision).envelope.as_slice()).unwrap()
}

/// A flow written through one replica reaches another through its event: recorded, changed
/// and removed alike; a late replay of an older event leaves the index as the database is.
async fn another_replica_follows_the_flow_events(fixture: Fixture) {
    let started = Utc.timestamp_opt(0, 0).unwrap();
    let (first, _) = fixture.replica().await;
    let (second, second_index) = fixture.replica().await;
    let follower = FlowIndexFollower::new(fixture.store.clone(), second_index, started);
    let flow = flow(
        "dijon",
        Uuid::now_v7(),
        "Chutes de bois",
        FlowFields::default(),
    );
    let recording = recorded(&flow);
    assert!(write(&first, &recording).await);
    assert_eq!(labels(&first, "chutes bois").await, ["Chutes de bois"]);
    assert!(labels(&second, "chutes bois").await.is_empty());
    follower.handle(&envelope(&recording)).await.unwrap();
    assert_eq!(labels(&second, "chutes bois").await, ["Chutes de bois"]);

    let change = next(&recording, Change::Changed, |f| {
        f.content.label = "Sciure de hêtre".into();
    });
    assert!(write(&first, &change).await);
    follower.handle(&envelope(&change)).await.unwrap();
    // The recording's event again, late: the database says sawdust.
    follower.handle(&envelope(&recording)).await.unwrap();
    assert!(labels(&second, "chutes").await.is_empty());
    assert_eq!(labels(&second, "sciure").await, ["Sciure de hêtre"]);

    let removal = next(&change, Change::Removed, |_| {});
    assert!(write(&first, &removal).await);
    follower.handle(&envelope(&removal)).await.unwrap();
    follower.handle(&envelope(&change)).await.unwrap();
    assert!(labels(&second, "sciure").await.is_empty());
    assert!(labels(&first, "sciure").await.is_empty());
    drop(fixture.database);
}

/// A hit the database no longer agrees with (changed on another replica, its event not yet
/// handled here) is left out, and the page is still filled from what follows.
async fn a_hit_changed_elsewhere_is_left_out_and_the_page_still_fills(fixture: Fixture) {
    let (first, _) = fixture.replica().await;
    let (second, second_index) = fixture.replica().await;
    let follower = FlowIndexFollower::new(
        fixture.store.clone(),
        second_index,
        Utc.timestamp_opt(0, 0).unwrap(),
    );
    let organisation = Uuid::now_v7();
    let mut recordings = Vec::new();
    for label in ["Sciure fine", "Sciure grossière", "Sciure humide"] {
        let recording = recorded(&flow("dijon", organisation, label, FlowFields::default()));
        assert!(write(&first, &recording).await);
        follower.handle(&envelope(&recording)).await.unwrap();
        recordings.push(recording);
    }
    // The newest becomes a by-product through the first replica; the second is not told yet.
    let change = next(&recordings[2], Change::Changed, |f| {
        f.content.resource_class = ResourceClass::ByProduct;
        f.content.ewc_code = None;
    });
    assert!(write(&first, &change).await);
    let waste = FlowQuery {
        resource_class: Some(ResourceClass::Waste),
        limit: 2,
        ..search("sciure")
    };
    let page = second.search("dijon", &waste).await.unwrap();
    assert_eq!(page.len(), 2);
    assert!(page.iter().all(|s| s.flow.id != change.flow.id));
}

synergies_platform::store_conformance!(open;
    a_hit_changed_elsewhere_is_left_out_and_the_page_still_fills,
    text_search_pages_best_first_with_every_filter,
    text_search_ranks_by_relevance_with_synonyms_and_typos,
    the_index_on_disk_is_reused_and_rebuilt_when_damaged_or_outdated,
    another_replica_follows_the_flow_events,
);
