//! Flows service: what each organisation of a territory takes in and lets out (materials,
//! waste, energy, water, services…), declared by its members or recorded by an advisor during
//! a diagnostic. Every write commits with its event (`flow.recorded`, `flow.changed`,
//! `flow.removed`, carrying the whole flow) in the outbox, and with a revision in the flow's
//! history.

pub mod campaigns;
pub mod convert;
pub mod csv;
pub mod decimal;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod import;
pub mod organisations;
pub mod search;
pub mod store;
pub mod xlsx;

use synergies_platform::grpc::Listener;
use synergies_platform::service::ServiceEnv;
use synergies_proto::flows::v1::campaigns_service_server::CampaignsServiceServer;
use synergies_proto::flows::v1::flows_service_server::FlowsServiceServer;

pub const SERVICE_NAME: &str = "synergies.flows.v1.FlowsService";
/// Producer name stamped on this service's events.
pub const PRODUCER: &str = "flows";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: Listener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let (relay, relay_task) = env.spawn_relay(&database);
    let organisations = organisations::Organisations::new(env.channel("identity")?);
    let campaigns = campaigns::grpc::CampaignsApi::new(
        campaigns::store::for_database(&database),
        env.verifier.clone(),
        organisations.clone(),
    );
    let flow_store: std::sync::Arc<dyn store::FlowStore> = std::sync::Arc::new(
        search::indexed_store::IndexedFlowStore::open(store::for_database(&database)).await?,
    );
    let api = grpc::FlowsApi::new(
        flow_store,
        relay,
        env.verifier.clone(),
        organisations,
        database.clone(),
        env.channel("matching")?,
    );
    let routes = tonic::service::Routes::new(FlowsServiceServer::new(api))
        .add_service(CampaignsServiceServer::new(campaigns));
    tracing::info!(address = %listener.local_addr()?, "flows service listening");
    env.serve_grpc(SERVICE_NAME, listener, routes, &database)
        .await?;
    relay_task.await?;
    Ok(())
}
