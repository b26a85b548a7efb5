//! Listings service: members' offers and requests. Publishing a listing commits it together
//! with its `listing.published` event (transactional outbox), which the relay then publishes.

pub mod domain;
pub mod error;
pub mod grpc;
pub mod photos;
pub mod store;

use std::path::PathBuf;
use std::sync::Arc;

use synergies_platform::service::ServiceEnv;
use synergies_proto::listings::v1::listing_photos_service_server::ListingPhotosServiceServer;
use synergies_proto::listings::v1::listings_service_server::ListingsServiceServer;
use tokio::net::TcpListener;

pub const SERVICE_NAME: &str = "synergies.listings.v1.ListingsService";
/// Producer name stamped on this service's events.
pub const PRODUCER: &str = "listings";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: TcpListener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let (relay, relay_task) = env.spawn_relay(&database);
    let api = grpc::ListingsApi::new(store::for_database(&database), relay, env.verifier.clone());
    let photos = photos_api(&env, &database)?;
    let routes = tonic::service::Routes::new(ListingsServiceServer::new(api)).add_service(
        ListingPhotosServiceServer::new(photos)
            .max_decoding_message_size(photos::grpc::MAX_REQUEST_BYTES),
    );
    tracing::info!(address = %listener.local_addr()?, "listings service listening");
    synergies_platform::grpc::serve(SERVICE_NAME, listener, routes, env.shutdown.clone()).await?;
    relay_task.await?;
    Ok(())
}

/// Photo directory when the configuration names none (`serve listings`; the all-in-one mode
/// names `<data-dir>/photos`).
pub const DEFAULT_PHOTOS_DIRECTORY: &str = "var/photos";

fn photos_api(
    env: &ServiceEnv,
    database: &synergies_platform::db::Database,
) -> anyhow::Result<photos::grpc::ListingPhotosApi> {
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
    Ok(photos::grpc::ListingPhotosApi::new(
        store::for_database(database),
        photos::store::for_database(database),
        Arc::new(files),
        env.verifier.clone(),
    ))
}
