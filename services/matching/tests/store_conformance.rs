//! The matching store suite, run against PostgreSQL and SQLite. A scorer of the suite's own
//! (same category fits) keeps these tests about the store: what is kept, once, and when.

use std::sync::Arc;

use synergies_matching::domain::{
    Confidentiality, IndexedItem, ItemState, SynergyKind, SynergyStatus,
};
use synergies_matching::engine::{BundledScorer, Scorer};
use synergies_matching::handler::{group_proposed_event, match_found_event};
use synergies_matching::impact::RealisedImpact;
use synergies_matching::scoring::{
    Direction, Factor, Item, ItemKind, MutualisationGroup, PoolKind, ResourceClass, Scored,
};
use synergies_matching::store::{self, Delivery, MatchingStore, PipelineChange, SynergyFilter};
use synergies_platform::i18n::Text;
use synergies_platform::outbox::unpublished_count;
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use uuid::Uuid;

/// Same category: a fit of 0.8; groups: every category shared by three organisations or more.
struct SameCategory;

impl Scorer for SameCategory {
    fn substitution(&self, output: &Item, input: &Item) -> Option<Scored> {
        (output.category == input.category && output.organisation_id != input.organisation_id).then(
            || Scored {
                score: 0.8,
                factors: vec![Factor {
                    name: "category",
                    value: 1.0,
                }],
                explanation: Text::new(
                    format!("{} could meet {}", output.label, input.label),
                    format!("{} peut répondre à {}", output.label, input.label),
                ),
            },
        )
    }

    fn groups(&self, items: &[Item], _radius_km: f64) -> Vec<MutualisationGroup> {
        let mut categories: Vec<&str> =
            items.iter().filter_map(|i| i.category.as_deref()).collect();
        categories.sort_unstable();
        categories.dedup();
        categories
            .into_iter()
            .filter_map(|category| {
                let members: Vec<&Item> = items
                    .iter()
                    .filter(|i| i.category.as_deref() == Some(category))
                    .collect();
                let mut organisations: Vec<Uuid> =
                    members.iter().map(|i| i.organisation_id).collect();
                organisations.sort_unstable();
                organisations.dedup();
                (organisations.len() >= 3).then(|| MutualisationGroup {
                    kind: PoolKind::Collection,
                    direction: members[0].direction,
                    resource_class: members[0].resource_class,
                    key: category.to_owned(),
                    members: members.iter().map(|i| i.id).collect(),
                    explanation: Text::new("pool it", "mutualisez"),
                })
            })
            .collect()
    }
}

struct Fixture {
    store: Arc<dyn MatchingStore>,
    database: TestDatabase,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "matching",
        &synergies_matching::POSTGRES_MIGRATIONS,
        &synergies_matching::SQLITE_MIGRATIONS,
    )
    .await?;
    Some(Fixture {
        store: store::for_database(&database.database),
        database,
    })
}

fn item(tenant: &str, kind: ItemKind, direction: Direction, category: &str) -> IndexedItem {
    IndexedItem {
        item: Item {
            id: Uuid::now_v7(),
            kind,
            tenant: tenant.into(),
            organisation_id: Uuid::now_v7(),
            organisation_name: String::new(),
            nace: String::new(),
            direction,
            resource_class: ResourceClass::Material,
            category: Some(category.into()),
            ewc_code: None,
            label: format!("{direction:?} of {category}"),
            description: String::new(),
            yearly_quantity: None,
            position: None,
            available_from: None,
            available_until: None,
            exchange_mode: None,
        },
        owner_user_id: (kind == ItemKind::Listing).then(Uuid::now_v7),
        confidentiality: Confidentiality::Public,
    }
}

fn offer(category: &str) -> IndexedItem {
    item("dijon", ItemKind::Listing, Direction::Out, category)
}

fn request(category: &str) -> IndexedItem {
    item("dijon", ItemKind::Listing, Direction::In, category)
}

fn delivery(event_id: Uuid) -> Delivery<'static> {
    Delivery {
        consumer: "matching-listing",
        event_id,
        scorer: &SameCategory,
        radius_km: 15.0,
        event_for: &match_found_event,
        group_event_for: &group_proposed_event,
    }
}

/// Puts `item` open at `at`, as a new event; the number of substitutions newly proposed.
async fn put_at(f: &Fixture, item: &IndexedItem, at: i64) -> Option<usize> {
    f.store
        .put_item(delivery(Uuid::now_v7()), item, ItemState::Open, at)
        .await
        .unwrap()
        .map(|outcome| outcome.proposed.len())
}

async fn put(f: &Fixture, item: &IndexedItem) -> Option<usize> {
    put_at(f, item, 1_000).await
}

async fn set_state(f: &Fixture, item: &IndexedItem, state: ItemState, at: i64) {
    f.store
        .set_item_state(
            delivery(Uuid::now_v7()),
            &item.item.tenant,
            item.item.id,
            item.item.organisation_id,
            state,
            at,
        )
        .await
        .unwrap();
}

async fn substitutions_of(f: &Fixture, item: &IndexedItem) -> usize {
    f.store
        .synergies_of_item(&item.item.tenant, item.item.id)
        .await
        .unwrap()
        .len()
}

async fn an_offer_and_a_request_make_one_synergy_seen_from_both_and_one_event(f: Fixture) {
    let request = request("packaging/pallets");
    assert_eq!(put(&f, &request).await, Some(0));
    let offer = offer("packaging/pallets");
    assert_eq!(put(&f, &offer).await, Some(1));
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
    let seen = f
        .store
        .synergies_of_item("dijon", request.item.id)
        .await
        .unwrap();
    assert_eq!(seen.len(), 1);
    let synergy = &seen[0];
    assert_eq!(synergy.kind, SynergyKind::Substitution);
    assert_eq!(synergy.status, SynergyStatus::Proposed);
    assert!((synergy.score - 0.8).abs() < 1e-9);
    assert_eq!(synergy.factors, vec![("category".to_owned(), 1.0)]);
    assert!(synergy.explanation.fr.contains("peut répondre"));
    assert_eq!(
        synergy.counterpart_of(request.item.id).unwrap().item_id,
        offer.item.id
    );
    assert_eq!(
        f.store
            .synergies_of_item("dijon", offer.item.id)
            .await
            .unwrap(),
        seen
    );
    assert!(
        f.store
            .synergies_of_item("beaune", offer.item.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn an_event_handled_twice_or_replayed_changes_nothing(f: Fixture) {
    put(&f, &request("wood")).await;
    let offer = offer("wood");
    let event_id = Uuid::now_v7();
    let first = f
        .store
        .put_item(delivery(event_id), &offer, ItemState::Open, 1_000)
        .await
        .unwrap();
    assert_eq!(first.map(|o| o.proposed.len()), Some(1));
    let again = f
        .store
        .put_item(delivery(event_id), &offer, ItemState::Open, 1_000)
        .await
        .unwrap();
    assert_eq!(again, None, "the same event is skipped");
    // The same publication as another event (a replay by the producer): no second synergy.
    assert_eq!(put(&f, &offer).await, Some(0));
    assert_eq!(substitutions_of(&f, &offer).await, 1);
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
}

async fn nothing_across_tenants_within_an_organisation_or_when_unrelated(f: Fixture) {
    let wood = offer("wood");
    put(&f, &wood).await;
    let elsewhere = item("beaune", ItemKind::Listing, Direction::In, "wood");
    assert_eq!(put(&f, &elsewhere).await, Some(0));
    put(&f, &offer("paper")).await;
    assert_eq!(
        put(&f, &offer("paper")).await,
        Some(0),
        "two offers do not pair"
    );
    let mut own = request("wood");
    own.item.organisation_id = wood.item.organisation_id;
    assert_eq!(put(&f, &own).await, Some(0));
    assert_eq!(put(&f, &request("metals")).await, Some(0));
    assert_eq!(substitutions_of(&f, &wood).await, 0);
}

async fn an_item_that_leaves_drops_its_proposals_not_those_taken_up(f: Fixture) {
    let offer = offer("wood");
    put(&f, &offer).await;
    let (first, second) = (request("wood"), request("wood"));
    put(&f, &first).await;
    put(&f, &second).await;
    let taken_up = f
        .store
        .synergies_of_item("dijon", second.item.id)
        .await
        .unwrap()[0]
        .id;
    let change = PipelineChange {
        status: Some(SynergyStatus::Contacted),
        ..PipelineChange::default()
    };
    f.store
        .update_pipeline("dijon", taken_up, &change, Uuid::now_v7())
        .await
        .unwrap()
        .unwrap();
    set_state(&f, &offer, ItemState::Closed, 2_000).await;
    assert_eq!(substitutions_of(&f, &first).await, 0);
    let kept = f
        .store
        .synergies_of_item("dijon", second.item.id)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, SynergyStatus::Contacted);
    assert!(
        !kept[0]
            .parties
            .iter()
            .find(|p| p.item_id == offer.item.id)
            .unwrap()
            .open
    );
    // Closed for good: a late publication does not open it again.
    assert_eq!(put_at(&f, &offer, 3_000).await, Some(0));
    assert_eq!(put(&f, &request("wood")).await, Some(0));
}

async fn synergy_of(f: &Fixture, item: &IndexedItem) -> Uuid {
    f.store
        .synergies_of_item(&item.item.tenant, item.item.id)
        .await
        .unwrap()[0]
        .id
}

/// What bounds matching's storage: a withdrawn listing's plain proposals go with it, while
/// every synergy someone worked on — realised, annotated, given feedback — stays, as the
/// pipeline's history and the territory's impact.
async fn a_withdrawn_listing_leaves_only_the_synergies_worked_on(f: Fixture) {
    let offer = offer("wood");
    put(&f, &offer).await;
    let [plain, realised, noted, dismissed] = [
        request("wood"),
        request("wood"),
        request("wood"),
        request("wood"),
    ];
    for need in [&plain, &realised, &noted, &dismissed] {
        assert_eq!(put(&f, need).await, Some(1));
    }
    let facilitator = Uuid::now_v7();
    let realise = PipelineChange {
        status: Some(SynergyStatus::Realised),
        realised_quantity: Some(12.0),
        unit: Some("t".into()),
        realised_impact: Some(RealisedImpact {
            kg_diverted_grams: Some(12_000_000),
            co2e_grams: None,
            value_cents: None,
        }),
        ..PipelineChange::default()
    };
    f.store
        .update_pipeline(
            "dijon",
            synergy_of(&f, &realised).await,
            &realise,
            facilitator,
        )
        .await
        .unwrap()
        .unwrap();
    let annotate = PipelineChange {
        note: Some("Appeler la scierie lundi".into()),
        ..PipelineChange::default()
    };
    f.store
        .update_pipeline(
            "dijon",
            synergy_of(&f, &noted).await,
            &annotate,
            facilitator,
        )
        .await
        .unwrap()
        .unwrap();
    f.store
        .give_feedback(
            "dijon",
            synergy_of(&f, &dismissed).await,
            dismissed.item.organisation_id,
            false,
        )
        .await
        .unwrap()
        .unwrap();
    // The four requests also make a purchasing group, which stays: they are still open.
    let all = SynergyFilter {
        kind: Some(SynergyKind::Substitution),
        ..SynergyFilter::default()
    };
    assert_eq!(f.store.synergies("dijon", &all).await.unwrap().len(), 4);

    set_state(&f, &offer, ItemState::Closed, 2_000).await;

    assert_eq!(
        substitutions_of(&f, &plain).await,
        0,
        "the plain proposal goes"
    );
    let kept = f.store.synergies("dijon", &all).await.unwrap();
    assert_eq!(kept.len(), 3, "{kept:?}");
    let of = |need: &IndexedItem| {
        kept.iter()
            .find(|s| s.counterpart_of(offer.item.id).map(|p| p.item_id) == Some(need.item.id))
            .unwrap_or_else(|| panic!("no synergy kept for {}", need.item.label))
    };
    assert_eq!(of(&realised).status, SynergyStatus::Realised);
    assert_eq!(
        of(&realised).realised_impact.kg_diverted_grams,
        Some(12_000_000)
    );
    assert_eq!(of(&noted).status, SynergyStatus::Proposed);
    assert_eq!(of(&noted).notes.len(), 1);
    assert_eq!(
        of(&dismissed).dismissed_by,
        vec![dismissed.item.organisation_id]
    );
    assert_eq!(f.store.realised("dijon", None).await.unwrap().len(), 1);
    for synergy in &kept {
        let gone = synergy.parties.iter().find(|p| p.item_id == offer.item.id);
        assert!(!gone.unwrap().open, "the withdrawn listing shows as closed");
    }
}

async fn a_held_listing_is_paired_again_once_released(f: Fixture) {
    let offer = offer("wood");
    put(&f, &offer).await;
    set_state(&f, &offer, ItemState::Held, 2_000).await;
    let request = request("wood");
    assert_eq!(put(&f, &request).await, Some(0), "held: not paired");
    set_state(&f, &offer, ItemState::Open, 3_000).await;
    assert_eq!(substitutions_of(&f, &request).await, 1);
}

async fn an_older_change_delivered_late_changes_nothing(f: Fixture) {
    let offer = offer("metals");
    let mut edited = offer.clone();
    edited.item.category = Some("wood".into());
    assert_eq!(put_at(&f, &edited, 2_000).await, Some(0));
    put(&f, &request("metals")).await;
    assert_eq!(
        put_at(&f, &offer, 1_000).await,
        Some(0),
        "the stale version is ignored"
    );
    assert_eq!(put(&f, &request("wood")).await, Some(1), "the edit stands");
    set_state(&f, &edited, ItemState::Held, 1_500).await;
    assert_eq!(
        put(&f, &request("wood")).await,
        Some(1),
        "a stale hold is ignored"
    );
}

async fn a_change_re_scores_and_drops_what_no_longer_fits(f: Fixture) {
    let request = request("wood");
    put(&f, &request).await;
    let offer = offer("wood");
    put_at(&f, &offer, 1_000).await;
    assert_eq!(substitutions_of(&f, &request).await, 1);
    let mut edited = offer.clone();
    edited.item.category = Some("metals".into());
    put_at(&f, &edited, 2_000).await;
    assert_eq!(substitutions_of(&f, &request).await, 0);
}

async fn the_pipeline_notes_and_feedback_are_kept(f: Fixture) {
    let request = request("wood");
    put(&f, &request).await;
    put(&f, &offer("wood")).await;
    let id = f
        .store
        .synergies_of_item("dijon", request.item.id)
        .await
        .unwrap()[0]
        .id;
    let advisor = Uuid::now_v7();
    let change = PipelineChange {
        status: Some(SynergyStatus::Realised),
        note: Some("Premier enlèvement fait".into()),
        realised_quantity: Some(12.5),
        unit: Some("t".into()),
        advisor_user_id: Some(advisor),
        reason: None,
        realised_impact: Some(RealisedImpact {
            kg_diverted_grams: Some(12_500_000),
            co2e_grams: None,
            value_cents: Some(51_250),
        }),
    };
    let updated = f
        .store
        .update_pipeline("dijon", id, &change, advisor)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.status, SynergyStatus::Realised);
    assert_eq!(updated.realised_quantity, Some(12.5));
    assert_eq!(updated.realised_unit, "t");
    assert_eq!(updated.advisor_user_id, Some(advisor));
    assert_eq!(updated.notes[0].text, "Premier enlèvement fait");
    assert_eq!(updated.realised_impact, change.realised_impact.unwrap());
    let realised_at = updated.realised_at.expect("the time it was realised");
    // What it added is counted for the territory and for each party, not for others.
    let counted = f.store.realised("dijon", None).await.unwrap();
    assert_eq!(counted, vec![(realised_at, updated.realised_impact)]);
    let of_party = f
        .store
        .realised("dijon", Some(request.item.organisation_id))
        .await
        .unwrap();
    assert_eq!(of_party.len(), 1);
    let of_stranger = f.store.realised("dijon", Some(Uuid::now_v7())).await;
    assert!(of_stranger.unwrap().is_empty());
    assert!(f.store.realised("beaune", None).await.unwrap().is_empty());
    assert!(
        f.store
            .update_pipeline("beaune", id, &change, advisor)
            .await
            .unwrap()
            .is_none()
    );
    let dismissed = f
        .store
        .give_feedback("dijon", id, request.item.organisation_id, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dismissed.dismissed_by, vec![request.item.organisation_id]);
    assert!(!dismissed.visible_to_member(request.item.organisation_id));
    let realised = SynergyFilter {
        status: Some(SynergyStatus::Realised),
        ..SynergyFilter::default()
    };
    assert_eq!(
        f.store.synergies("dijon", &realised).await.unwrap().len(),
        1
    );
    assert!(
        f.store
            .synergies("beaune", &realised)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn three_organisations_make_a_group_that_grows(f: Fixture) {
    let needs: Vec<IndexedItem> = (0..3).map(|_| request("hygiene/gloves")).collect();
    for need in &needs[..2] {
        put(&f, need).await;
    }
    let groups = SynergyFilter {
        kind: Some(SynergyKind::Mutualisation),
        ..SynergyFilter::default()
    };
    assert!(
        f.store
            .synergies("dijon", &groups)
            .await
            .unwrap()
            .is_empty()
    );
    put(&f, &needs[2]).await;
    let found = f.store.synergies("dijon", &groups).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].parties.len(), 3);
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        1,
        "the group is announced"
    );
    let id = found[0].id;
    put(&f, &request("hygiene/gloves")).await;
    let grown = f.store.synergies("dijon", &groups).await.unwrap();
    assert_eq!(
        (grown.len(), grown[0].id, grown[0].parties.len()),
        (1, id, 4)
    );
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        2,
        "the newcomer is told"
    );
    put_at(&f, &needs[0], 2_000).await;
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        2,
        "nobody twice"
    );
    let mine = SynergyFilter {
        organisation_id: Some(needs[0].item.organisation_id),
        ..groups.clone()
    };
    assert_eq!(f.store.synergies("dijon", &mine).await.unwrap().len(), 1);
    for need in &needs {
        set_state(&f, need, ItemState::Closed, 5_000).await;
    }
    assert!(
        f.store
            .synergies("dijon", &groups)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn flows_and_listings_pair_across_kinds(f: Fixture) {
    let mut flow = item("dijon", ItemKind::Flow, Direction::Out, "wood");
    flow.item.organisation_name = "Scierie du Morvan".into();
    flow.confidentiality = Confidentiality::Facilitator;
    put(&f, &flow).await;
    let request = request("wood");
    assert_eq!(put(&f, &request).await, Some(1));
    let seen = f
        .store
        .synergies_of_item("dijon", request.item.id)
        .await
        .unwrap();
    let counterpart = seen[0].counterpart_of(request.item.id).unwrap();
    assert_eq!(counterpart.kind, ItemKind::Flow);
    assert_eq!(counterpart.organisation_name, "Scierie du Morvan");
    assert!(
        !seen[0].visible_to_member(request.item.organisation_id),
        "a flow kept for facilitators is never shown to another organisation"
    );
    assert!(seen[0].visible_to_member(flow.item.organisation_id));
}

/// A second replica of the service over the same database: a store of its own, with its own
/// copy of the open items.
fn replica(f: &Fixture) -> Arc<dyn MatchingStore> {
    store::for_database(&f.database.database)
}

async fn put_on(
    store: &Arc<dyn MatchingStore>,
    scorer: &'static dyn Scorer,
    item: &IndexedItem,
) -> usize {
    let delivery = Delivery {
        scorer,
        ..delivery(Uuid::now_v7())
    };
    store
        .put_item(
            delivery,
            item,
            ItemState::Open,
            synergies_platform::time::now().timestamp_micros(),
        )
        .await
        .unwrap()
        .map_or(0, |outcome| outcome.proposed.len())
}

async fn replicas_see_each_others_changes(f: Fixture) {
    let other = replica(&f);
    let need = request("packaging/pallets");
    put(&f, &need).await;
    let first = offer("packaging/pallets");
    assert_eq!(
        put_on(&other, &SameCategory, &first).await,
        1,
        "the other replica's request is a candidate"
    );
    set_state(&f, &need, ItemState::Closed, 5_000).await;
    assert_eq!(
        put_on(&other, &SameCategory, &offer("packaging/pallets")).await,
        0,
        "a request closed on the first replica is no candidate on the second"
    );
    let second_need = request("packaging/pallets");
    assert_eq!(
        put(&f, &second_need).await,
        Some(2),
        "both offers, one of them put on the other replica since"
    );
}

/// The bundled scorer finds candidates through its index, which each replica keeps in step
/// with the database.
async fn the_bundled_index_follows_every_replicas_changes(f: Fixture) {
    static BUNDLED: std::sync::LazyLock<BundledScorer> =
        std::sync::LazyLock::new(BundledScorer::default);
    let other = replica(&f);
    let mut need = request("packaging/pallets");
    need.item.label = "Cherche des palettes Europe".into();
    assert_eq!(put_on(&f.store, &*BUNDLED, &need).await, 0);
    let mut pallets = offer("packaging/pallets");
    pallets.item.label = "40 palettes Europe".into();
    assert_eq!(put_on(&other, &*BUNDLED, &pallets).await, 1);
    // The need changes on the first replica: office chairs are no use for pallets.
    need.item.category = Some("furniture/office".into());
    need.item.label = "Chaises de bureau".into();
    put_on(&f.store, &*BUNDLED, &need).await;
    assert_eq!(substitutions_of(&f, &pallets).await, 0);
    let mut more = offer("packaging/pallets");
    more.item.label = "Palettes en bois".into();
    assert_eq!(
        put_on(&other, &*BUNDLED, &more).await,
        0,
        "the second replica knows the need changed"
    );
}

/// A replica starting on a territory that has open items loads them ahead of its first event,
/// without the territory's lock, and still sees every change made after it read them.
async fn a_replica_loaded_at_start_sees_what_changed_after(f: Fixture) {
    static BUNDLED: std::sync::LazyLock<BundledScorer> =
        std::sync::LazyLock::new(BundledScorer::default);
    let pallet_need = |label: &str| {
        let mut need = request("packaging/pallets");
        need.item.label = label.into();
        need
    };
    let early = pallet_need("Cherche des palettes Europe");
    let gone_before = pallet_need("Palettes pour le quai");
    put_on(&f.store, &*BUNDLED, &early).await;
    put_on(&f.store, &*BUNDLED, &gone_before).await;
    set_state(&f, &gone_before, ItemState::Closed, 2_000_000_000_000_000).await;

    let starting = replica(&f);
    assert_eq!(
        starting.warm_up(&*BUNDLED).await.unwrap(),
        1,
        "dijon loaded"
    );

    // After its snapshot: a new need, and the early one leaves.
    let late = pallet_need("Besoin de palettes en bois");
    put_on(&f.store, &*BUNDLED, &late).await;
    set_state(&f, &early, ItemState::Closed, 2_000_000_000_000_000).await;

    let mut pallets = offer("packaging/pallets");
    pallets.item.label = "40 palettes Europe".into();
    assert_eq!(put_on(&starting, &*BUNDLED, &pallets).await, 1);
    assert_eq!(
        substitutions_of(&f, &late).await,
        1,
        "the need put since is found"
    );
    assert_eq!(
        substitutions_of(&f, &early).await,
        0,
        "the need closed since is not"
    );
    assert_eq!(
        starting.warm_up(&*BUNDLED).await.unwrap(),
        0,
        "a copy already loaded is kept"
    );
}

synergies_platform::store_conformance!(open;
    a_replica_loaded_at_start_sees_what_changed_after,
    replicas_see_each_others_changes,
    the_bundled_index_follows_every_replicas_changes,
    an_offer_and_a_request_make_one_synergy_seen_from_both_and_one_event,
    an_event_handled_twice_or_replayed_changes_nothing,
    nothing_across_tenants_within_an_organisation_or_when_unrelated,
    an_item_that_leaves_drops_its_proposals_not_those_taken_up,
    a_withdrawn_listing_leaves_only_the_synergies_worked_on,
    a_held_listing_is_paired_again_once_released,
    an_older_change_delivered_late_changes_nothing,
    a_change_re_scores_and_drops_what_no_longer_fits,
    the_pipeline_notes_and_feedback_are_kept,
    three_organisations_make_a_group_that_grows,
    flows_and_listings_pair_across_kinds,
);
