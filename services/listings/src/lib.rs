//! Listings service: members' offers and requests, their lifecycle and their search. Every
//! change commits together with its event (transactional outbox), which the relay then
//! publishes; a sweeper expires listings whose availability has ended.

pub mod convert;
pub mod domain;
pub mod error;
pub mod exchanges;
/// EWC codes, shared with the other services.
pub use synergies_codes::ewc;
pub mod grpc;
pub mod handler;
pub mod photos;
pub mod search;
pub mod store;
pub mod sweeper;
pub mod taxonomy;
pub mod territory;
pub mod text;

use std::time::Duration;

use std::path::PathBuf;
use std::sync::Arc;

use synergies_platform::grpc::Listener;
use synergies_platform::service::ServiceEnv;
use synergies_proto::listings::v1::exchanges_service_server::ExchangesServiceServer;
use synergies_proto::listings::v1::listing_photos_service_server::ListingPhotosServiceServer;
use synergies_proto::listings::v1::listings_service_server::ListingsServiceServer;

pub const SERVICE_NAME: &str = "synergies.listings.v1.ListingsService";
/// Producer name stamped on this service's events.
pub const PRODUCER: &str = "listings";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: Listener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let (relay, relay_task) = env.spawn_relay(&database);
    let database_store = store::for_database(&database);
    let index_started = chrono::Utc::now();
    let (directory, source) = search_location(&env);
    let (indexed_store, engine) =
        search::indexed_store::IndexedStore::open(database_store.clone(), &directory, &source)
            .await?;
    let store: Arc<dyn store::ListingStore> = Arc::new(indexed_store);
    let follower_task = env.spawn_aggregate_consumer(
        &search::follower::consumer_name(engine.replica_id()),
        search::follower::AGGREGATE,
        Arc::new(search::follower::IndexFollower::new(
            database_store,
            engine,
            index_started,
        )),
    );
    let territory = territory::Territory::new(env.channel("identity")?);
    let sweeper = tokio::spawn(sweeper::run(
        store.clone(),
        relay.clone(),
        Duration::from_secs(env.config.listings.expiry_sweep_secs.max(1)),
        env.shutdown.clone(),
    ));
    let exchange_store = exchanges::store::for_database(&database);
    let organisations_task = env.spawn_consumer(
        handler::ORGANISATIONS_CONSUMER,
        "organisation.decided",
        std::sync::Arc::new(handler::OrganisationDecidedHandler::new(
            store.clone(),
            exchange_store.clone(),
            relay.clone(),
        )),
    );
    let erasures_task = env.spawn_consumer(
        handler::ERASURES_CONSUMER,
        "user.erased",
        std::sync::Arc::new(handler::UserErasedHandler::new(exchange_store.clone())),
    );
    let exchanges = exchanges::grpc::ExchangesApi::new(
        store.clone(),
        exchange_store.clone(),
        relay.clone(),
        env.verifier.clone(),
        territory.clone(),
        database.clone(),
    );
    let api = grpc::ListingsApi::new(
        store,
        exchange_store,
        relay,
        env.verifier.clone(),
        territory,
        database.clone(),
    );
    let photo_files = photo_files(&env)?;
    let photo_store = photos::store::for_database(&database);
    let orphans = tokio::spawn(photos::orphans::run(
        Arc::clone(&photo_files),
        Arc::clone(&photo_store),
        Duration::from_secs(env.config.photos.orphan_sweep_secs.max(1)),
        env.shutdown.clone(),
    ));
    let photos = photos::grpc::ListingPhotosApi::new(
        store::for_database(&database),
        photo_store,
        photo_files,
        env.verifier.clone(),
    );
    let routes = tonic::service::Routes::new(ListingsServiceServer::new(api))
        .add_service(
            ListingPhotosServiceServer::new(photos)
                .max_decoding_message_size(photos::grpc::MAX_REQUEST_BYTES),
        )
        .add_service(ExchangesServiceServer::new(exchanges));
    tracing::info!(address = %listener.local_addr()?, "listings service listening");
    env.serve_grpc(SERVICE_NAME, listener, routes, &database)
        .await?;
    relay_task.await?;
    sweeper.await?;
    orphans.await?;
    organisations_task.await?;
    erasures_task.await?;
    follower_task.await?;
    Ok(())
}

/// Where this replica keeps its search index when the configuration names no directory
/// (`listings.search_directory`) and it runs on PostgreSQL (relative to the working
/// directory); on SQLite (all-in-one) it sits next to the database, in the data directory.
/// Replicas sharing a directory each take a slot of their own.
pub const DEFAULT_SEARCH_DIRECTORY: &str = "var/search-index";

/// The directory of this replica's search index, and the name of the database it is built
/// from (without credentials).
fn search_location(env: &ServiceEnv) -> (PathBuf, String) {
    let configured = &env.config.listings.search_directory;
    let (default, source) = match &env.storage {
        synergies_platform::db::StorageTarget::Sqlite { path } => (
            path.parent()
                .unwrap_or_else(|| std::path::Path::new("."))
                .join("search-index"),
            format!("sqlite:{}", path.display()),
        ),
        synergies_platform::db::StorageTarget::Postgres { url, schema, .. } => {
            let server = url.rsplit('@').next().unwrap_or_default();
            (
                PathBuf::from(DEFAULT_SEARCH_DIRECTORY),
                format!("postgres:{server}/{schema}"),
            )
        }
    };
    let directory = if configured.is_empty() {
        default
    } else {
        PathBuf::from(configured)
    };
    (directory, source)
}
/// Photo directory when the configuration names none (`serve listings`; the all-in-one mode
/// names `<data-dir>/photos`).
pub const DEFAULT_PHOTOS_DIRECTORY: &str = "var/photos";

/// The photo files: a directory (the configured one, or the default).
fn photo_files(env: &ServiceEnv) -> anyhow::Result<Arc<dyn photos::storage::PhotoStorage>> {
    let configured = &env.config.photos.directory;
    let directory = PathBuf::from(if configured.is_empty() {
        DEFAULT_PHOTOS_DIRECTORY
    } else {
        configured
    });
    let files = photos::storage::Directory::open(&directory).map_err(|error| {
        anyhow::anyhow!(
            "cannot use the photo directory {} (SYNERGIES_PHOTOS__DIRECTORY): {error}",
            directory.display()
        )
    })?;
    tracing::info!(directory = %directory.display(), "listing photos stored on the file system");
    Ok(Arc::new(files))
}
