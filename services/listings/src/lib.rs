//! Listings service: members' offers and requests. Publishing a listing commits it together
//! with its `listing.published` event (transactional outbox), which the relay then publishes.

pub mod domain;
pub mod error;
pub mod grpc;
pub mod store;

use synergies_platform::service::ServiceEnv;
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
    let routes = tonic::service::Routes::new(ListingsServiceServer::new(api));
    tracing::info!(address = %listener.local_addr()?, "listings service listening");
    synergies_platform::grpc::serve(SERVICE_NAME, listener, routes, env.shutdown.clone()).await?;
    relay_task.await?;
    Ok(())
}
