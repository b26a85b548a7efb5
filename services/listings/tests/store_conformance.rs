//! The listings store suite, run against PostgreSQL (split mode) and SQLite (all-in-one). The
//! store is the one the service runs: the database with search on this replica's index. The
//! search cases use a fixed corpus (fixed ids) and assert exact ids in exact order, so both
//! modes are held to the very same answers; the SQL search stays as the reference the engine
//! is compared to where their rankings agree (filters, dates, distances).

use std::sync::Arc;

use chrono::NaiveDate;
use synergies_listings::domain::{
    ExchangeMode, Listing, ListingFields, ListingKind, ListingStatus, Location,
};
use synergies_listings::search::follower::IndexFollower;
use synergies_listings::search::indexed_store::IndexedStore;
use synergies_listings::search::{Near, SearchQuery, Sort};
use synergies_listings::store::{self, ListingQuery, ListingStore};
use synergies_platform::consumer::EventHandler;
use synergies_platform::db::Database;
use synergies_platform::outbox::{OutboxEvent, RelayWaker, unpublished_count};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use synergies_proto::events::v1::{ListingChange, ListingPublished, ListingWithdrawn};
use uuid::Uuid;

struct Fixture {
    /// The database with search on the index, as the service runs it.
    store: Arc<dyn ListingStore>,
    /// The database alone (SQL term search: the reference).
    sql: Arc<dyn ListingStore>,
    database: TestDatabase,
    /// Keeps the index directory as long as the store.
    _index_directory: tempfile::TempDir,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "listings",
        &synergies_listings::POSTGRES_MIGRATIONS,
        &synergies_listings::SQLITE_MIGRATIONS,
    )
    .await?;
    let sql = store::with_search_terms(&database.database, store::SearchTerms::Written);
    let index_directory = tempfile::tempdir().unwrap();
    let (indexed, _) = IndexedStore::open(sql.clone(), index_directory.path(), "conformance")
        .await
        .unwrap();
    Some(Fixture {
        store: Arc::new(indexed),
        sql,
        database,
        _index_directory: index_directory,
    })
}

fn fields(kind: ListingKind, category: &str, title: &str) -> ListingFields {
    ListingFields {
        kind: Some(kind),
        category: category.into(),
        title: title.into(),
        ..Default::default()
    }
}

fn build(tenant: &str, fields: ListingFields) -> Listing {
    let content = fields
        .validate(
            ExchangeMode::ALL,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        )
        .unwrap();
    let mut listing = Listing::draft(tenant, Uuid::now_v7(), Uuid::now_v7(), content, None);
    listing.submit(false).unwrap();
    listing
}

fn listing(tenant: &str, kind: ListingKind, category: &str, title: &str) -> Listing {
    build(tenant, fields(kind, category, title))
}

fn event_for(listing: &Listing) -> OutboxEvent {
    let event = ListingPublished {
        listing_id: listing.id.to_string(),
        ..Default::default()
    };
    OutboxEvent::new(&synergies_platform::events::envelope(
        &listing.tenant,
        "listings",
        &event,
    ))
}

async fn publish(f: &Fixture, listing: &Listing) {
    f.store
        .create(listing, &[event_for(listing)])
        .await
        .unwrap();
}

async fn publishing_stores_the_listing_and_its_event_together(f: Fixture) {
    let mut f_fields = fields(ListingKind::Offer, "packaging/pallets", "Palettes Europe");
    f_fields.exchange_mode = Some(ExchangeMode::Sell);
    f_fields.price_cents = Some(1250);
    f_fields.quantity = "12.5".into();
    f_fields.unit = synergies_listings::domain::Unit::parse("t");
    f_fields.ewc_code = "15 01 03".into();
    f_fields.available_until = NaiveDate::from_ymd_opt(2030, 1, 31);
    let mut offer = build("dijon", f_fields);
    offer.location = Some(Location {
        site_id: Some(Uuid::now_v7()),
        insee_code: "21231".into(),
        coordinates: Some((47.322, 5.041)),
    });
    publish(&f, &offer).await;
    assert_eq!(
        f.store.get("dijon", offer.id).await.unwrap().unwrap(),
        offer
    );
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
}

async fn a_failed_publication_leaves_neither_listing_nor_event(f: Fixture) {
    let offer = listing(
        "dijon",
        ListingKind::Offer,
        "packaging/pallets",
        "Palettes Europe",
    );
    publish(&f, &offer).await;
    // Same id again: the insert fails, so the second event must not be stored either.
    let again = Listing {
        title: "Other".into(),
        ..offer.clone()
    };
    assert!(f.store.create(&again, &[event_for(&again)]).await.is_err());
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
    assert_eq!(
        f.store.get("dijon", offer.id).await.unwrap().unwrap().title,
        "Palettes Europe"
    );
}

async fn a_change_is_written_only_from_the_expected_status(f: Fixture) {
    let mut offer = listing("dijon", ListingKind::Offer, "wood", "Chutes de chêne");
    publish(&f, &offer).await;
    offer.withdraw().unwrap();
    // Someone else's view: it was still a draft. Nothing is written, no event.
    assert!(
        !f.store
            .save(&offer, ListingStatus::Draft, &[event_for(&offer)])
            .await
            .unwrap()
    );
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
    assert!(
        f.store
            .save(&offer, ListingStatus::Published, &[event_for(&offer)])
            .await
            .unwrap()
    );
    let stored = f.store.get("dijon", offer.id).await.unwrap().unwrap();
    assert_eq!(stored.status, ListingStatus::Withdrawn);
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 2);
}

async fn listings_of_another_tenant_are_invisible(f: Fixture) {
    let offer = listing("dijon", ListingKind::Offer, "furniture", "Bureaux");
    publish(&f, &offer).await;
    assert!(f.store.get("beaune", offer.id).await.unwrap().is_none());
    let beaune = f
        .store
        .list(
            "beaune",
            &ListingQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(beaune.is_empty());
    let query = SearchQuery {
        limit: 10,
        ..SearchQuery::with_text("bureau")
    };
    assert!(
        f.store
            .search("beaune", &query, true)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    assert_eq!(
        f.store.search("dijon", &query, true).await.unwrap().0.len(),
        1
    );
}

async fn listing_filters_and_pages_newest_first(f: Fixture) {
    let mut created = Vec::new();
    for (kind, category) in [
        (ListingKind::Offer, "packaging/pallets"),
        (ListingKind::Request, "packaging/pallets"),
        (ListingKind::Offer, "packaging"),
        (ListingKind::Offer, "plastics"),
        (ListingKind::Offer, "furniture"),
    ] {
        let l = listing("dijon", kind, category, category);
        publish(&f, &l).await;
        created.push(l);
    }
    let ids = |listings: Vec<Listing>| listings.into_iter().map(|l| l.id).collect::<Vec<_>>();
    let offers_in_packaging = f
        .store
        .list(
            "dijon",
            &ListingQuery {
                kind: Some(ListingKind::Offer),
                category: Some("packaging".into()),
                after: None,
                owner: None,
                status: None,
                organisation: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(offers_in_packaging), vec![created[2].id, created[0].id]);

    let first = f
        .store
        .list(
            "dijon",
            &ListingQuery {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(first.clone()), vec![created[4].id, created[3].id]);
    let second = f
        .store
        .list(
            "dijon",
            &ListingQuery {
                after: Some(first[1].id),
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(second), vec![created[2].id, created[1].id]);
}

async fn outbox_relay_publishes_in_order(f: Fixture) {
    // The relay works on whichever backend the store uses.
    let dir = tempfile::tempdir().unwrap();
    let bus = synergies_platform::bus::local::LocalBus::open(
        &dir.path().join("bus.db"),
        synergies_platform::bus::BusSettings {
            prefix: "relaytest".into(),
            ack_wait: std::time::Duration::from_secs(5),
        },
    )
    .await
    .unwrap();
    let first = listing("dijon", ListingKind::Offer, "wood", "Chutes de bois");
    let second = listing("dijon", ListingKind::Request, "wood", "Bois de chauffage");
    publish(&f, &first).await;
    publish(&f, &second).await;
    let database: &Database = &f.database.database;
    let published = synergies_platform::outbox::relay_batch(database, &bus, "relaytest", 10)
        .await
        .unwrap();
    assert_eq!(published, 2);
    assert_eq!(unpublished_count(database).await.unwrap(), 0);
    let published_again = synergies_platform::outbox::relay_batch(database, &bus, "relaytest", 10)
        .await
        .unwrap();
    assert_eq!(published_again, 0);
}

async fn an_owner_lists_their_own_listings(f: Fixture) {
    let mine = listing("dijon", ListingKind::Offer, "wood", "Mes chutes");
    let theirs = listing("dijon", ListingKind::Offer, "wood", "Leurs chutes");
    publish(&f, &mine).await;
    publish(&f, &theirs).await;
    let query = ListingQuery {
        owner: Some(mine.owner_user_id),
        limit: 10,
        ..Default::default()
    };
    let listed = f.store.list("dijon", &query).await.unwrap();
    assert_eq!(
        listed.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![mine.id]
    );
}

async fn moderators_list_listings_of_one_status(f: Fixture) {
    let published = listing("dijon", ListingKind::Offer, "wood", "Chutes");
    let mut waiting = listing("dijon", ListingKind::Offer, "wood", "En attente");
    waiting.status = ListingStatus::PendingApproval;
    publish(&f, &published).await;
    publish(&f, &waiting).await;
    let of = |status| ListingQuery {
        status,
        limit: 10,
        ..Default::default()
    };
    let ids = |listings: Vec<Listing>| listings.into_iter().map(|l| l.id).collect::<Vec<_>>();
    assert_eq!(
        ids(f.store.list("dijon", &of(None)).await.unwrap()),
        [published.id]
    );
    assert_eq!(
        ids(f
            .store
            .list("dijon", &of(Some(ListingStatus::PendingApproval)))
            .await
            .unwrap()),
        [waiting.id]
    );
}

// ---------------------------------------------------------------- search over a fixed corpus

const DIJON: (f64, f64) = (47.322, 5.041);

/// Corpus entry `n` gets id `n`: ids order the corpus as creation would.
fn corpus() -> Vec<Listing> {
    let entry = |n: u128,
                 tenant: &str,
                 kind: ListingKind,
                 category: &str,
                 title: &str,
                 description: &str,
                 mode: ExchangeMode,
                 place: Option<(f64, f64)>| {
        let mut f = fields(kind, category, title);
        f.description = description.into();
        f.exchange_mode = Some(mode);
        if mode == ExchangeMode::Sell {
            f.price_cents = Some(1000);
        }
        if n == 6 {
            f.available_until = NaiveDate::from_ymd_opt(2026, 1, 31);
        }
        let mut listing = build(tenant, f);
        listing.id = Uuid::from_u128(n);
        listing.location = Some(Location {
            site_id: None,
            insee_code: "21231".into(),
            coordinates: place,
        });
        listing
    };
    use ExchangeMode::{Give, Lend, Sell};
    use ListingKind::{Offer, Request};
    let mut draft = entry(
        8,
        "dijon",
        Offer,
        "packaging/pallets",
        "Palettes brouillon",
        "",
        Give,
        Some(DIJON),
    );
    draft.status = ListingStatus::Draft;
    vec![
        entry(
            1,
            "dijon",
            Offer,
            "packaging/pallets",
            "Palettes Europe en bon état",
            "40 palettes, chêne",
            Give,
            Some(DIJON),
        ),
        entry(
            2,
            "dijon",
            Offer,
            "packaging/cardboard",
            "Cartons de déménagement",
            "Cartons double cannelure, palette complète",
            Give,
            Some((47.293, 5.005)),
        ),
        entry(
            3,
            "dijon",
            Offer,
            "it-electronics/screens",
            "Écrans et ordinateurs",
            "Matériel électronique usagé : écrans, unités centrales",
            Sell,
            Some((47.336, 4.999)),
        ),
        entry(
            4,
            "dijon",
            Request,
            "packaging/pallets",
            "Cherche palette",
            "",
            Give,
            None,
        ),
        entry(
            5,
            "dijon",
            Offer,
            "lighting/fluorescent-tubes",
            "Tubes fluorescents",
            "Déchets électroniques à recycler",
            Give,
            Some((47.0, 4.8)),
        ),
        entry(
            6,
            "dijon",
            Offer,
            "furniture",
            "Bureau en bois",
            "Mobilier : bureaux et chaises, palette non fournie",
            Lend,
            Some(DIJON),
        ),
        entry(
            7,
            "beaune",
            Offer,
            "packaging/pallets",
            "Palettes",
            "",
            Give,
            Some(DIJON),
        ),
        draft,
    ]
}

async fn seed(f: &Fixture) {
    for listing in corpus() {
        f.store.create(&listing, &[]).await.unwrap();
    }
}

fn text(query: &str) -> SearchQuery {
    SearchQuery {
        limit: 50,
        ..SearchQuery::with_text(query)
    }
}

async fn ids(f: &Fixture, query: &SearchQuery) -> Vec<u128> {
    let (hits, _) = f.store.search("dijon", query, false).await.unwrap();
    hits.iter().map(|h| h.listing.id.as_u128()).collect()
}

async fn french_text_search_ignores_accents_case_and_plurals(f: Fixture) {
    seed(&f).await;
    // BM25, title weighted above description: the two titles first, then the two
    // descriptions, the shorter one (2) before the longer (6).
    assert_eq!(ids(&f, &text("palette")).await, [1, 4, 2, 6]);
    assert_eq!(ids(&f, &text("Palettes")).await, [1, 4, 2, 6]);
    assert_eq!(ids(&f, &text("electronique")).await, [5, 3]);
    assert_eq!(ids(&f, &text("carton")).await, [2]);
    assert_eq!(ids(&f, &text("ÉCRAN")).await, [3]);
    // Every term is required.
    assert_eq!(ids(&f, &text("palette chêne")).await, [1]);
    assert_eq!(
        ids(&f, &text("palette ordinateur")).await,
        Vec::<u128>::new()
    );
    let (hits, _) = f
        .store
        .search("dijon", &text("palette"), false)
        .await
        .unwrap();
    let scores: Vec<i64> = hits.iter().map(|h| h.score).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]) && scores[1] > scores[2],
        "title hits above description hits: {scores:?}"
    );
}

async fn filters_narrow_the_results(f: Fixture) {
    seed(&f).await;
    let mut query = text("");
    query.category = Some("packaging".into());
    assert_eq!(ids(&f, &query).await, [4, 2, 1]);
    query.kind = Some(ListingKind::Offer);
    assert_eq!(ids(&f, &query).await, [2, 1]);

    let mut free = text("palette");
    free.free_only = true;
    assert_eq!(ids(&f, &free).await, [1, 4, 2, 6]);
    let mut sold = text("");
    sold.exchange_mode = Some(ExchangeMode::Sell);
    assert_eq!(ids(&f, &sold).await, [3]);
    let mut paid_only_free = sold.clone();
    paid_only_free.free_only = true;
    assert_eq!(ids(&f, &paid_only_free).await, Vec::<u128>::new());

    let mut available = text("palette");
    available.available_on = NaiveDate::from_ymd_opt(2026, 2, 15);
    assert_eq!(ids(&f, &available).await, [1, 4, 2]);

    let mut commune = text("");
    commune.insee_code = Some("21231".into());
    assert_eq!(ids(&f, &commune).await, [6, 5, 4, 3, 2, 1]);
    let mut skills = text("");
    skills.resource_type = Some(synergies_listings::domain::ResourceType::Skill);
    assert_eq!(ids(&f, &skills).await, Vec::<u128>::new());
}

async fn distance_search_sorts_nearest_first(f: Fixture) {
    seed(&f).await;
    let mut near = text("");
    near.near = Some(Near::validate(DIJON.0, DIJON.1, 5.0).unwrap());
    near.sort = Sort::Nearest;
    // 1 and 6 at the point (newest first), Talant ~3.5 km, Chenôve ~4.2 km; the far one and
    // the one without coordinates are out.
    assert_eq!(ids(&f, &near).await, [6, 1, 3, 2]);
    let (hits, _) = f.store.search("dijon", &near, false).await.unwrap();
    let km: Vec<f64> = hits.iter().map(|h| h.distance_km.unwrap()).collect();
    assert!(
        km[0] == 0.0 && (3.0..4.0).contains(&km[2]) && (4.0..4.5).contains(&km[3]),
        "{km:?}"
    );
    near.near = Some(Near::validate(DIJON.0, DIJON.1, 50.0).unwrap());
    assert_eq!(ids(&f, &near).await, [6, 1, 3, 2, 5]);
}

async fn every_sort_pages_with_its_cursor(f: Fixture) {
    seed(&f).await;
    let mut queries = vec![text("palette"), text("")];
    let mut nearest = text("");
    nearest.near = Some(Near::validate(DIJON.0, DIJON.1, 50.0).unwrap());
    nearest.sort = Sort::Nearest;
    queries.push(nearest);
    for mut query in queries {
        let everything = ids(&f, &query).await;
        let mut paged = Vec::new();
        query.limit = 2;
        loop {
            let (hits, _) = f.store.search("dijon", &query, false).await.unwrap();
            paged.extend(hits.iter().map(|h| h.listing.id.as_u128()));
            if hits.len() < 2 {
                break;
            }
            query.after = Some(hits.last().unwrap().cursor(&query));
        }
        assert_eq!(paged, everything, "{query:?}");
    }
}

async fn facets_count_the_current_search(f: Fixture) {
    seed(&f).await;
    let (_, facets) = f
        .store
        .search("dijon", &text("palette"), true)
        .await
        .unwrap();
    assert_eq!(
        facets.categories,
        [("furniture".to_owned(), 1), ("packaging".to_owned(), 3)]
    );
    assert_eq!(
        facets.exchange_modes,
        [("give".to_owned(), 3), ("lend".to_owned(), 1)]
    );
}

async fn an_edit_reindexes_the_listing(f: Fixture) {
    seed(&f).await;
    let mut cartons = f
        .store
        .get("dijon", Uuid::from_u128(2))
        .await
        .unwrap()
        .unwrap();
    let mut edited = fields(
        ListingKind::Offer,
        "packaging/crates",
        "Caisses en plastique",
    );
    edited.exchange_mode = Some(ExchangeMode::Give);
    cartons
        .update(
            edited
                .validate(
                    ExchangeMode::ALL,
                    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                )
                .unwrap(),
            cartons.location.clone(),
            false,
        )
        .unwrap();
    assert!(
        f.store
            .save(&cartons, ListingStatus::Published, &[])
            .await
            .unwrap()
    );
    assert_eq!(ids(&f, &text("carton")).await, Vec::<u128>::new());
    assert_eq!(ids(&f, &text("caisse plastique")).await, [2]);
}

async fn the_sweeper_expires_what_has_ended(f: Fixture) {
    seed(&f).await;
    let today = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    let expired =
        synergies_listings::sweeper::sweep(f.store.as_ref(), &RelayWaker::default(), today)
            .await
            .unwrap();
    assert_eq!(expired, 1);
    let furniture = f
        .store
        .get("dijon", Uuid::from_u128(6))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(furniture.status, ListingStatus::Expired);
    assert_eq!(unpublished_count(&f.database.database).await.unwrap(), 1);
    assert_eq!(ids(&f, &text("bureau")).await, Vec::<u128>::new());
    let again = synergies_listings::sweeper::sweep(f.store.as_ref(), &RelayWaker::default(), today)
        .await
        .unwrap();
    assert_eq!(again, 0);
}

async fn listings_stored_before_the_index_get_their_terms(f: Fixture) {
    let old = listing("dijon", ListingKind::Offer, "wood", "Chutes de chêne");
    publish(&f, &old).await;
    let delete = "DELETE FROM listing_terms";
    match &f.database.database {
        Database::Postgres(pool) => sqlx::query(delete).execute(pool).await.map(|_| ()),
        Database::Sqlite(pool) => sqlx::query(delete).execute(pool).await.map(|_| ()),
    }
    .unwrap();
    let sql_ids = |query: SearchQuery| {
        let sql = f.sql.clone();
        async move {
            let (hits, _) = sql.search("dijon", &query, false).await.unwrap();
            hits.iter()
                .map(|h| h.listing.id.as_u128())
                .collect::<Vec<_>>()
        }
    };
    assert!(sql_ids(text("chene")).await.is_empty());
    assert_eq!(f.store.index_unindexed().await.unwrap(), 1);
    assert_eq!(sql_ids(text("chene")).await, [old.id.as_u128()]);
    assert_eq!(f.store.index_unindexed().await.unwrap(), 0);
}

// ---------------------------------------------------------------- the engine's own cases

async fn ids_in(store: &dyn ListingStore, tenant: &str, query: &SearchQuery) -> Vec<u128> {
    let (hits, _) = store.search(tenant, query, false).await.unwrap();
    hits.iter().map(|h| h.listing.id.as_u128()).collect()
}

/// Stores listing `n` of `tenant` titled `title` (published, at Dijon).
async fn titled(store: &dyn ListingStore, tenant: &str, n: u128, title: &str) -> Listing {
    let mut listing = listing(tenant, ListingKind::Offer, "packaging", title);
    listing.id = Uuid::from_u128(n);
    store.create(&listing, &[]).await.unwrap();
    listing
}

async fn one_typo_is_forgiven_in_longer_words_below_exact_hits(f: Fixture) {
    seed(&f).await;
    // One edit in a word of five letters or more.
    // Typo matches rank by field too: title and description, title, then descriptions.
    assert_eq!(ids(&f, &text("palete")).await, [1, 4, 6, 2]);
    assert_eq!(ids(&f, &text("cartom")).await, [2]);
    assert_eq!(ids(&f, &text("bureu")).await, [6]);
    // Not in shorter words, nor two edits.
    assert_eq!(ids(&f, &text("tobe")).await, Vec::<u128>::new());
    assert_eq!(ids(&f, &text("paletet chene")).await, [1]);
    assert_eq!(ids(&f, &text("pallettte")).await, Vec::<u128>::new());
    // The exact hit ranks above the newer listing matched through a typo.
    titled(f.store.as_ref(), "typos", 101, "Lot de cartons").await;
    titled(f.store.as_ref(), "typos", 102, "Lot de cartoons").await;
    assert_eq!(
        ids_in(f.store.as_ref(), "typos", &text("cartons")).await,
        [101, 102]
    );
}

async fn synonyms_find_trade_names_and_everyday_words(f: Fixture) {
    let store = f.store.as_ref();
    titled(store, "synonymes", 201, "Palox en bon état").await;
    titled(store, "synonymes", 202, "Cubitainer 1000 L").await;
    titled(store, "synonymes", 203, "Chutes de bois de chêne").await;
    titled(store, "synonymes", 204, "Europalettes").await;
    for (query, expected) in [
        ("caisse palette", &[201][..]),
        ("IBC", &[202]),
        ("grand récipient vrac", &[202]),
        ("wood offcuts", &[203]),
        // A palox is a kind of pallet; a pallet is not a palox.
        ("palettes", &[204, 201]),
        ("palox", &[201]),
        // Broader concepts are one level: a palox is a pallet, not packaging.
        ("emballage", &[204, 202]),
    ] {
        assert_eq!(
            ids_in(store, "synonymes", &text(query)).await,
            expected,
            "{query}"
        );
    }
}

/// Where rankings do not depend on text scores, the engine answers exactly as the SQL did.
async fn the_engine_answers_as_the_sql_reference(f: Fixture) {
    seed(&f).await;
    let mut queries = Vec::new();
    for sort in [Sort::Relevance, Sort::Newest, Sort::Nearest] {
        for radius in [1.0, 3.6, 5.0, 50.0] {
            let mut query = text("");
            query.sort = sort;
            query.near = Some(Near::validate(DIJON.0, DIJON.1, radius).unwrap());
            queries.push(query);
        }
    }
    let mut category = text("");
    category.category = Some("packaging".into());
    queries.push(category);
    let mut dated = text("");
    dated.available_on = NaiveDate::from_ymd_opt(2026, 2, 15);
    queries.push(dated);
    let mut words = text("palette chêne");
    words.sort = Sort::Newest;
    queries.push(words);
    for query in queries {
        let (engine, engine_facets) = f.store.search("dijon", &query, true).await.unwrap();
        let (sql, sql_facets) = f.sql.search("dijon", &query, true).await.unwrap();
        let id_and_distance =
            |hits: &[synergies_listings::search::Hit]| -> Vec<(Uuid, Option<f64>)> {
                hits.iter().map(|h| (h.listing.id, h.distance_km)).collect()
            };
        assert_eq!(id_and_distance(&engine), id_and_distance(&sql), "{query:?}");
        assert_eq!(engine_facets, sql_facets, "{query:?}");
    }
}

/// A scattered corpus, paged in small pages: nearest-first pages (the engine looks in growing
/// rings around the point), newest-first pages of a category (the index is sorted newest
/// first), with and without facets, answer exactly as the SQL reference.
async fn scattered_pages_answer_as_the_sql_reference(f: Fixture) {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let categories = ["packaging/pallets", "packaging/cardboard", "wood/offcuts"];
    for n in 0..160u64 {
        let category = categories[(next() % 3) as usize];
        let mut f_fields = fields(ListingKind::Offer, category, "Palettes");
        f_fields.exchange_mode = Some(if n % 4 == 0 {
            ExchangeMode::Lend
        } else {
            ExchangeMode::Give
        });
        let mut listing = build("dijon", f_fields);
        // Every fifth on the point itself (ties broken by id), the others up to ~11 km away.
        let jitter = |r: u64| (r % 2000) as f64 / 10_000.0 - 0.1;
        let place = if n % 5 == 0 {
            DIJON
        } else {
            (DIJON.0 + jitter(next()), DIJON.1 + jitter(next()))
        };
        listing.location = Some(Location {
            site_id: None,
            insee_code: "21231".into(),
            coordinates: (n % 23 != 0).then_some(place),
        });
        f.store.create(&listing, &[]).await.unwrap();
    }
    let mut queries = Vec::new();
    for radius in [0.3, 1.0, 2.5, 8.0, 50.0] {
        for sort in [Sort::Nearest, Sort::Newest, Sort::Relevance] {
            // Without text: text scores are the engine's own (BM25), not the reference's.
            let mut query = text("");
            query.sort = sort;
            query.near = Some(Near::validate(DIJON.0, DIJON.1, radius).unwrap());
            queries.push(query);
        }
    }
    let mut category = text("");
    category.category = Some("packaging".into());
    category.sort = Sort::Newest;
    queries.push(category);
    queries.push(text(""));
    let key = |hits: &[synergies_listings::search::Hit]| -> Vec<(Uuid, Option<f64>)> {
        hits.iter().map(|h| (h.listing.id, h.distance_km)).collect()
    };
    for mut query in queries {
        query.limit = 7;
        let mut pages = 0;
        loop {
            for with_facets in [true, false] {
                let (engine, engine_facets) =
                    f.store.search("dijon", &query, with_facets).await.unwrap();
                let (sql, sql_facets) = f.sql.search("dijon", &query, with_facets).await.unwrap();
                assert_eq!(key(&engine), key(&sql), "page {pages} of {query:?}");
                if with_facets && query.after.is_none() {
                    assert_eq!(engine_facets, sql_facets, "{query:?}");
                }
            }
            let (hits, _) = f.store.search("dijon", &query, false).await.unwrap();
            pages += 1;
            let Some(last) = hits.last().filter(|_| hits.len() == 7) else {
                break;
            };
            query.after = Some(last.cursor(&query));
        }
        assert!(pages >= 1);
    }
}

async fn another_replica_follows_the_events(f: Fixture) {
    let other_directory = tempfile::tempdir().unwrap();
    let (other, other_engine) =
        IndexedStore::open(f.sql.clone(), other_directory.path(), "conformance")
            .await
            .unwrap();
    let follower = IndexFollower::new(f.sql.clone(), other_engine, chrono::Utc::now());
    let mut published = listing("dijon", ListingKind::Offer, "wood", "Chutes de chêne");
    publish(&f, &published).await;
    // This replica sees its own write at once; the other one once the event reaches it.
    assert_eq!(ids(&f, &text("chene")).await, [published.id.as_u128()]);
    assert!(ids_in(&other, "dijon", &text("chene")).await.is_empty());
    follower
        .handle(&synergies_platform::events::envelope(
            "dijon",
            "listings",
            &ListingPublished {
                listing_id: published.id.to_string(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        ids_in(&other, "dijon", &text("chene")).await,
        [published.id.as_u128()]
    );
    published.withdraw().unwrap();
    assert!(
        f.store
            .save(&published, ListingStatus::Published, &[])
            .await
            .unwrap()
    );
    assert!(ids(&f, &text("chene")).await.is_empty());
    follower
        .handle(&synergies_platform::events::envelope(
            "dijon",
            "listings",
            &ListingWithdrawn {
                change: Some(ListingChange {
                    listing_id: published.id.to_string(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    assert!(ids_in(&other, "dijon", &text("chene")).await.is_empty());
}

async fn the_index_is_rebuilt_when_outdated_or_damaged_and_caught_up_after_a_restart(f: Fixture) {
    let directory = tempfile::tempdir().unwrap();
    let open = |source| IndexedStore::open(f.sql.clone(), directory.path(), source);
    // Reopened before it ever held a listing.
    drop(open("conformance").await.unwrap());
    let (store, _) = open("conformance").await.unwrap();
    titled(&store, "dijon", 301, "Palettes Europe").await;
    drop(store);
    // Written while this replica was down: found once it is back.
    titled(f.sql.as_ref(), "dijon", 302, "Palettes perdues").await;
    let (store, _) = open("conformance").await.unwrap();
    assert_eq!(ids_in(&store, "dijon", &text("palette")).await, [302, 301]);
    drop(store);

    let slot = directory.path().join("0");
    std::fs::write(slot.join("schema-version"), "listings-search-0").unwrap();
    let (store, _) = open("conformance").await.unwrap();
    assert_eq!(ids_in(&store, "dijon", &text("palette")).await, [302, 301]);
    drop(store);

    for entry in std::fs::read_dir(slot.join("index")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "term" || e == "idx") {
            std::fs::write(&path, b"damaged").unwrap();
        }
    }
    let (store, _) = open("conformance").await.unwrap();
    assert_eq!(ids_in(&store, "dijon", &text("palette")).await, [302, 301]);
}

synergies_platform::store_conformance!(open;
    one_typo_is_forgiven_in_longer_words_below_exact_hits,
    synonyms_find_trade_names_and_everyday_words,
    the_engine_answers_as_the_sql_reference,
    scattered_pages_answer_as_the_sql_reference,
    another_replica_follows_the_events,
    the_index_is_rebuilt_when_outdated_or_damaged_and_caught_up_after_a_restart,
    listings_stored_before_the_index_get_their_terms,
    an_owner_lists_their_own_listings,
    moderators_list_listings_of_one_status,
    publishing_stores_the_listing_and_its_event_together,
    a_failed_publication_leaves_neither_listing_nor_event,
    a_change_is_written_only_from_the_expected_status,
    listings_of_another_tenant_are_invisible,
    listing_filters_and_pages_newest_first,
    outbox_relay_publishes_in_order,
    french_text_search_ignores_accents_case_and_plurals,
    filters_narrow_the_results,
    distance_search_sorts_nearest_first,
    every_sort_pages_with_its_cursor,
    facets_count_the_current_search,
    an_edit_reindexes_the_listing,
    the_sweeper_expires_what_has_ended,
);
