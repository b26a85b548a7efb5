//! Notifications service: consumes `match.found` and keeps each member's in-app inbox.
//! (Preferences, digests, e-mail over SMTP and live pushes come with later issues.)

pub mod error;
pub mod grpc;
pub mod handler;
pub mod store;

use std::sync::Arc;

use synergies_platform::service::ServiceEnv;
use synergies_proto::notifications::v1::notifications_service_server::NotificationsServiceServer;
use tokio::net::TcpListener;

pub const SERVICE_NAME: &str = "synergies.notifications.v1.NotificationsService";
/// Durable consumer of match events.
pub const MATCHES_CONSUMER: &str = "notifications-matches";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: TcpListener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let store = store::for_database(&database);
    let (_relay, relay_task) = env.spawn_relay(&database);
    let consumer_task = env.spawn_consumer(
        MATCHES_CONSUMER,
        <synergies_proto::events::v1::MatchFound as synergies_platform::events::Event>::TYPE,
        Arc::new(handler::MatchFoundHandler::new(Arc::clone(&store))),
    );
    let routes = tonic::service::Routes::new(NotificationsServiceServer::new(
        grpc::NotificationsApi::new(store, env.verifier.clone()),
    ));
    tracing::info!(address = %listener.local_addr()?, "notifications service listening");
    synergies_platform::grpc::serve(SERVICE_NAME, listener, routes, env.shutdown.clone()).await?;
    consumer_task.await?;
    relay_task.await?;
    Ok(())
}
