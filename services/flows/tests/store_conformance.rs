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

synergies_platform::store_conformance!(open;
    an_import_writes_every_flow_or_none,
    recording_stores_the_flow_its_revision_and_its_event_together,
    a_change_is_written_only_from_the_version_it_was_made_on,
    a_removed_flow_leaves_the_lists_and_keeps_its_history,
    flows_of_another_tenant_are_invisible,
    lists_filter_and_page_newest_first,
);
