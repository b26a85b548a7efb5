//! The flows store suite, run against PostgreSQL and SQLite: both backends hold the same flows,
//! revisions and events, refuse the same stale writes and answer the same lists in the same
//! order.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use synergies_flows::convert::revision_event;
use synergies_flows::domain::{
    Change, Confidentiality, Direction, Flow, FlowFields, OrganisationFacts, Provenance,
    ResourceClass, Revision, SiteFacts,
};
use synergies_flows::search::analysis;
use synergies_flows::search::indexed_store::IndexedFlowStore;
use synergies_flows::store::{self, FlowQuery, FlowStore};
use synergies_platform::outbox::unpublished_count;
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn FlowStore>,
    database: TestDatabase,
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
    })
}

fn flow(tenant: &str, organisation_id: Uuid, fields: FlowFields) -> Flow {
    let content = FlowFields {
        label: "Chutes de bois".into(),
        quantity: "1.5".into(),
        unit: "t".into(),
        period: "month".into(),
        ..fields
    }
    .validate()
    .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
    Flow::record(
        tenant,
        organisation_id,
        content,
        OrganisationFacts {
            name: "Menuiserie Morel".into(),
            nace: "16.23Z".into(),
        },
        Some(SiteFacts {
            site_id: Uuid::now_v7(),
            insee_code: "21231".into(),
            latitude: Some(47.32),
            longitude: Some(5.04),
        }),
        Uuid::now_v7(),
        Provenance::Recorded,
        at,
    )
}

fn out(resource_class: &str, confidentiality: &str) -> FlowFields {
    FlowFields {
        direction: "out".into(),
        resource_class: resource_class.into(),
        confidentiality: confidentiality.into(),
        ewc_code: if resource_class == "waste" {
            "150101".into()
        } else {
            String::new()
        },
        ..Default::default()
    }
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

async fn write(store: &dyn FlowStore, revision: &Revision) -> bool {
    store
        .write(revision, &revision_event(revision))
        .await
        .unwrap()
}

async fn recording_stores_the_flow_its_revision_and_its_event_together(fixture: Fixture) {
    let store = fixture.store.as_ref();
    let flow = flow("dijon", Uuid::now_v7(), out("by-product", ""));
    assert!(write(store, &recorded(&flow)).await);
    assert_eq!(
        store.get("dijon", flow.id).await.unwrap(),
        Some(flow.clone())
    );
    let history = store.history("dijon", flow.id).await.unwrap();
    assert_eq!(history, [recorded(&flow)]);
    assert_eq!(
        unpublished_count(&fixture.database.database).await.unwrap(),
        1
    );
    // The same flow recorded twice: refused, and nothing of the second attempt is kept.
    let again = recorded(&flow);
    assert!(store.write(&again, &revision_event(&again)).await.is_err());
    assert_eq!(store.history("dijon", flow.id).await.unwrap().len(), 1);
    assert_eq!(
        unpublished_count(&fixture.database.database).await.unwrap(),
        1
    );
}

async fn a_change_is_written_only_from_the_version_it_was_made_on(fixture: Fixture) {
    let store = fixture.store.as_ref();
    let first = flow("dijon", Uuid::now_v7(), out("by-product", ""));
    assert!(write(store, &recorded(&first)).await);
    let by = Uuid::now_v7();
    let at = first.recorded_at + chrono::Duration::days(1);
    let content = FlowFields {
        label: "Sciure".into(),
        quantity: "2".into(),
        unit: "t".into(),
        period: "week".into(),
        ..out("by-product", "public")
    }
    .validate()
    .unwrap();
    let second = first.changed(content.clone(), first.organisation.clone(), None, by, at);
    let change = Revision {
        version: 2,
        change: Change::Changed,
        by,
        at,
        flow: second.clone(),
    };
    assert!(write(store, &change).await);
    assert_eq!(
        store.get("dijon", first.id).await.unwrap(),
        Some(second.clone())
    );

    // Someone else edited version 1 meanwhile: refused, nothing written.
    let stale = Revision {
        flow: first.changed(
            content,
            first.organisation.clone(),
            None,
            Uuid::now_v7(),
            at,
        ),
        ..change.clone()
    };
    assert!(!write(store, &stale).await);
    assert_eq!(store.get("dijon", first.id).await.unwrap(), Some(second));
    assert_eq!(store.history("dijon", first.id).await.unwrap().len(), 2);
    assert_eq!(
        unpublished_count(&fixture.database.database).await.unwrap(),
        2
    );
}

async fn a_removed_flow_leaves_the_lists_and_keeps_its_history(fixture: Fixture) {
    let store = fixture.store.as_ref();
    let flow = flow("dijon", Uuid::now_v7(), out("waste", "public"));
    assert!(write(store, &recorded(&flow)).await);
    let removal = Revision {
        version: 2,
        change: Change::Removed,
        by: Uuid::now_v7(),
        at: flow.recorded_at + chrono::Duration::hours(1),
        flow: flow.clone(),
    };
    assert!(write(store, &removal).await);
    assert_eq!(store.get("dijon", flow.id).await.unwrap(), None);
    let everything = FlowQuery {
        limit: 10,
        ..Default::default()
    };
    assert!(store.list("dijon", &everything).await.unwrap().is_empty());
    let history = store.history("dijon", flow.id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| (r.version, r.change))
            .collect::<Vec<_>>(),
        [(1, Change::Recorded), (2, Change::Removed)]
    );
    assert!(!write(store, &removal).await, "removed once only");
}

async fn flows_of_another_tenant_are_invisible(fixture: Fixture) {
    let store = fixture.store.as_ref();
    let flow = flow("dijon", Uuid::now_v7(), out("energy", "public"));
    assert!(write(store, &recorded(&flow)).await);
    assert_eq!(store.get("beaune", flow.id).await.unwrap(), None);
    let everything = FlowQuery {
        limit: 10,
        ..Default::default()
    };
    assert!(store.list("beaune", &everything).await.unwrap().is_empty());
    assert!(store.history("beaune", flow.id).await.unwrap().is_empty());
    let mut elsewhere = recorded(&flow);
    elsewhere.flow.tenant = "beaune".into();
    elsewhere.version = 2;
    elsewhere.change = Change::Changed;
    assert!(
        !write(store, &elsewhere).await,
        "another tenant cannot change it"
    );
}

async fn lists_filter_and_page_newest_first(fixture: Fixture) {
    let store = fixture.store.as_ref();
    let brewery = Uuid::now_v7();
    let joinery = Uuid::now_v7();
    let mut flows = Vec::new();
    for (organisation, fields) in [
        (brewery, out("by-product", "facilitator")),
        (brewery, out("waste", "partners")),
        (joinery, out("by-product", "public")),
        (
            joinery,
            FlowFields {
                direction: "in".into(),
                ..out("energy", "partners")
            },
        ),
    ] {
        let flow = flow("dijon", organisation, fields);
        assert!(write(store, &recorded(&flow)).await);
        flows.push(flow.id);
    }
    let ids = |found: Vec<Flow>| found.into_iter().map(|f| f.id).collect::<Vec<_>>();
    let query = |query: FlowQuery| FlowQuery { limit: 10, ..query };
    let newest_first: Vec<_> = flows.iter().rev().copied().collect();
    assert_eq!(
        ids(store
            .list("dijon", &query(FlowQuery::default()))
            .await
            .unwrap()),
        newest_first
    );
    assert_eq!(
        ids(store
            .list(
                "dijon",
                &query(FlowQuery {
                    organisation: Some(brewery),
                    ..Default::default()
                })
            )
            .await
            .unwrap()),
        [flows[1], flows[0]]
    );
    assert_eq!(
        ids(store
            .list(
                "dijon",
                &query(FlowQuery {
                    direction: Some(Direction::In),
                    ..Default::default()
                })
            )
            .await
            .unwrap()),
        [flows[3]]
    );
    assert_eq!(
        ids(store
            .list(
                "dijon",
                &query(FlowQuery {
                    resource_class: Some(ResourceClass::ByProduct),
                    ..Default::default()
                })
            )
            .await
            .unwrap()),
        [flows[2], flows[0]]
    );
    // A member of the brewery: its own flows and the joinery's public one.
    assert_eq!(
        ids(store
            .list(
                "dijon",
                &query(FlowQuery {
                    own_or_public: Some(brewery),
                    ..Default::default()
                })
            )
            .await
            .unwrap()),
        [flows[2], flows[1], flows[0]]
    );
    // Pages: after the second newest.
    let page = store
        .list(
            "dijon",
            &FlowQuery {
                after: Some(flows[2]),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(page), [flows[1]]);
    let stored = store.get("dijon", flows[1]).await.unwrap().unwrap();
    assert_eq!(stored.content.confidentiality, Confidentiality::Partners);
    assert_eq!(stored.content.ewc_code.as_deref(), Some("150101"));
    assert_eq!(stored.content.yearly_quantity().to_string(), "18");
}

async fn an_import_writes_every_flow_or_none(fixture: Fixture) {
    let store = fixture.store.as_ref();
    let organisation = Uuid::now_v7();
    let batch: Vec<_> = (0..3)
        .map(|_| {
            let revision = recorded(&flow("dijon", organisation, out("water", "")));
            let event = revision_event(&revision);
            (revision, event)
        })
        .collect();
    // The last row collides with the first (same flow): the whole batch is refused.
    let mut colliding = batch.clone();
    colliding.push(batch[0].clone());
    assert!(store.record_all(&colliding).await.is_err());
    let everything = FlowQuery {
        limit: 10,
        ..Default::default()
    };
    assert!(store.list("dijon", &everything).await.unwrap().is_empty());
    assert_eq!(
        unpublished_count(&fixture.database.database).await.unwrap(),
        0
    );

    store.record_all(&batch).await.unwrap();
    assert_eq!(store.list("dijon", &everything).await.unwrap().len(), 3);
    assert_eq!(
        unpublished_count(&fixture.database.database).await.unwrap(),
        3
    );
    for (revision, _) in &batch {
        assert_eq!(
            store
                .history("dijon", revision.flow.id)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

/// Every page of `query` on `store`, `page` flows at a time: the ids in order.
async fn paged_ids(store: &dyn FlowStore, tenant: &str, query: &FlowQuery, page: u32) -> Vec<Uuid> {
    let mut query = FlowQuery {
        limit: page,
        ..query.clone()
    };
    let mut ids = Vec::new();
    loop {
        let found = store.list(tenant, &query).await.unwrap();
        ids.extend(found.iter().map(|f| f.id));
        if found.len() < page as usize {
            return ids;
        }
        query.after = found.last().map(|f| f.id);
    }
}

/// The reference: the database's filtered list, then the words checked flow by flow.
async fn reference_ids(sql: &dyn FlowStore, tenant: &str, query: &FlowQuery) -> Vec<Uuid> {
    let wanted = analysis::terms(&query.text);
    let everything = FlowQuery {
        text: String::new(),
        after: None,
        limit: 10_000,
        ..query.clone()
    };
    sql.list(tenant, &everything)
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

/// Text search runs on the replica's index; with every filter and in pages, it answers what
/// the database's list filtered word by word answers.
async fn text_search_on_the_index_answers_as_the_reference(fixture: Fixture) {
    let sql = fixture.store.as_ref();
    let (brewery, joinery) = (Uuid::now_v7(), Uuid::now_v7());
    let labels = [
        "Huiles de vidange usagées",
        "Chutes de bois de chêne",
        "Palettes Europe cassées",
        "Drêches de brasserie",
        "Chaleur fatale du four",
        "Cartons d'emballage",
    ];
    // One flow stored before the index is built: the build must find it.
    let early = flow("dijon", brewery, out("waste", "public"));
    assert!(write(sql, &recorded(&early)).await);
    let indexed = IndexedFlowStore::open(fixture.store.clone()).await.unwrap();
    let mut seed = 7u64;
    for n in 0..40usize {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let organisation = if seed >> 60 < 8 { brewery } else { joinery };
        let mut fields = out(
            ["waste", "by-product", "energy", "water"][(seed >> 40) as usize % 4],
            ["public", "partners", "facilitator"][(seed >> 20) as usize % 3],
        );
        fields.label = labels[n % labels.len()].into();
        fields.description = if n % 3 == 0 {
            "collecte mensuelle".into()
        } else {
            String::new()
        };
        if n % 4 == 1 {
            fields.direction = "in".into();
        }
        let flow = flow("dijon", organisation, fields);
        assert!(write(&indexed, &recorded(&flow)).await);
    }
    // Another territory's flow with the same words stays out.
    let elsewhere = flow("beaune", brewery, out("waste", "public"));
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
        queries.push(FlowQuery {
            text: text.into(),
            ..Default::default()
        });
        queries.push(FlowQuery {
            text: text.into(),
            own_or_public: Some(brewery),
            ..Default::default()
        });
        queries.push(FlowQuery {
            text: text.into(),
            organisation: Some(joinery),
            direction: Some(Direction::Out),
            ..Default::default()
        });
        queries.push(FlowQuery {
            text: text.into(),
            resource_class: Some(ResourceClass::Waste),
            ..Default::default()
        });
    }
    let mut found_some = false;
    for query in queries {
        let expected = reference_ids(sql, "dijon", &query).await;
        found_some |= !expected.is_empty();
        assert_eq!(
            paged_ids(&indexed, "dijon", &query, 3).await,
            expected,
            "{query:?}"
        );
    }
    assert!(found_some);
    let beaune = FlowQuery {
        text: "chutes bois".into(),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        indexed
            .list("beaune", &beaune)
            .await
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect::<Vec<_>>(),
        [elsewhere.id]
    );
}

/// A flow written through one replica is found by another at its next search, changed and
/// removed alike (it catches up on the revisions before searching).
async fn another_replica_finds_what_one_wrote_at_its_next_search(fixture: Fixture) {
    let first = IndexedFlowStore::open(fixture.store.clone()).await.unwrap();
    let second = IndexedFlowStore::open(fixture.store.clone()).await.unwrap();
    let search = |text: &str| FlowQuery {
        text: text.into(),
        limit: 10,
        ..Default::default()
    };
    let ids = |found: Vec<Flow>| found.into_iter().map(|f| f.id).collect::<Vec<_>>();
    let mut flow = flow("dijon", Uuid::now_v7(), out("waste", "public"));
    // Written now, as the service stamps its revisions.
    flow.recorded_at = Utc::now();
    flow.updated_at = flow.recorded_at;
    let mut revision = recorded(&flow);
    revision.at = Utc::now();
    assert!(write(&first, &revision).await);
    assert_eq!(
        ids(second.list("dijon", &search("chutes bois")).await.unwrap()),
        [flow.id]
    );

    let mut changed = flow.clone();
    changed.content.label = "Sciure de hêtre".into();
    changed.version = 2;
    let change = Revision {
        version: 2,
        change: Change::Changed,
        by: flow.recorded_by,
        at: Utc::now(),
        flow: changed.clone(),
    };
    assert!(write(&first, &change).await);
    assert!(
        second
            .list("dijon", &search("chutes"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(second.list("dijon", &search("sciure")).await.unwrap()),
        [flow.id]
    );

    let removal = Revision {
        version: 3,
        change: Change::Removed,
        by: flow.recorded_by,
        at: Utc::now(),
        flow: changed,
    };
    assert!(write(&first, &removal).await);
    assert!(
        second
            .list("dijon", &search("sciure"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        first
            .list("dijon", &search("sciure"))
            .await
            .unwrap()
            .is_empty()
    );
}

synergies_platform::store_conformance!(open;
    text_search_on_the_index_answers_as_the_reference,
    another_replica_finds_what_one_wrote_at_its_next_search,
    an_import_writes_every_flow_or_none,
    recording_stores_the_flow_its_revision_and_its_event_together,
    a_change_is_written_only_from_the_version_it_was_made_on,
    a_removed_flow_leaves_the_lists_and_keeps_its_history,
    flows_of_another_tenant_are_invisible,
    lists_filter_and_page_newest_first,
);
