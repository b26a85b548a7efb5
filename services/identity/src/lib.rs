//! Identity service: tenants (territories), their member organisations and users.
//! Users sign in with their e-mail and password and receive a short-lived access token (JWT,
//! EdDSA) and a rotating refresh token; every service verifies access tokens locally against
//! the keys identity publishes (`GetJwks`).

pub mod communes;
pub mod convert;
pub mod demo;
pub mod domain;
pub mod email_change;
pub mod error;
pub mod grpc;
pub mod identifiers;
pub mod key_encryption;
pub mod keys;
pub mod logo;
pub mod passwords;
pub mod registration;
pub mod store;
pub mod territory;
pub mod throttle;

use std::sync::Arc;

use synergies_platform::grpc::Listener;
use synergies_platform::service::ServiceEnv;
use synergies_proto::identity::v1::identity_service_server::IdentityServiceServer;

pub const SERVICE_NAME: &str = "synergies.identity.v1.IdentityService";
/// Producer name stamped on this service's events.
pub const PRODUCER: &str = "identity";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: Listener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let store = store::for_database(&database);
    let encryption = Arc::new(key_encryption::KeyEncryption::from_settings(
        env.config.identity.key_encryption_keys.expose(),
        &env.config.identity.key_encryption_keys_file,
    )?);
    let keys = Arc::new(keys::KeyRing::load(Arc::clone(&store), encryption).await?);
    let (relay, relay_task) = env.spawn_relay(&database);
    let operator_token = env.config.identity.operator_token.clone();
    let api = grpc::IdentityApi::new(
        Arc::clone(&store),
        relay,
        keys,
        operator_token,
        database.clone(),
        env.grpc.clone(),
    );
    let routes = tonic::service::Routes::new(IdentityServiceServer::new(api));
    tracing::info!(address = %listener.local_addr()?, "identity service listening");
    env.serve_grpc(SERVICE_NAME, listener, routes, &database)
        .await?;
    relay_task.await?;
    Ok(())
}
