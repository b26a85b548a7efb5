//! Identity service: tenants (territories), their member organisations and users.
//! Users authenticate with an API token issued at creation (signed JWTs come with the
//! identity issue); the gateway resolves tokens into a caller context through `Authenticate`.

pub mod domain;
pub mod error;
pub mod grpc;
pub mod identifiers;
pub mod store;
pub mod territory;

use std::sync::Arc;

use synergies_platform::service::ServiceEnv;
use synergies_proto::identity::v1::identity_service_server::IdentityServiceServer;
use tokio::net::TcpListener;

pub const SERVICE_NAME: &str = "synergies.identity.v1.IdentityService";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: TcpListener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let store = store::for_database(&database);
    let api = grpc::IdentityApi::new(Arc::clone(&store));
    let routes = tonic::service::Routes::new(IdentityServiceServer::new(api));
    tracing::info!(address = %listener.local_addr()?, "identity service listening");
    synergies_platform::grpc::serve(SERVICE_NAME, listener, routes, env.shutdown.clone()).await?;
    Ok(())
}
