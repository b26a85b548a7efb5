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

use std::path::PathBuf;
use std::sync::Arc;

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
    let database_store = store::for_database(&database);
    let index_started = chrono::Utc::now();
    let (directory, source) = search_location(&env);
    let (indexed_store, index) =
        search::indexed_store::IndexedFlowStore::open(database_store.clone(), &directory, &source)
            .await?;
    let follower_task = env.spawn_aggregate_consumer(
        &search::follower::consumer_name(index.replica_id()),
        search::follower::AGGREGATE,
        Arc::new(search::follower::FlowIndexFollower::new(
            database_store,
            index,
            index_started,
        )),
    );
    let flow_store: Arc<dyn store::FlowStore> = Arc::new(indexed_store);
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
    follower_task.await?;
    Ok(())
}

/// Where this replica keeps its flow search index when the configuration names no directory
/// (`flows.search_directory`) and it runs on PostgreSQL (relative to the working directory);
/// on SQLite (all-in-one) it sits next to the database, in the data directory. Replicas
/// sharing a directory each take a slot of their own.
pub const DEFAULT_SEARCH_DIRECTORY: &str = "var/flows-search-index";

/// The directory of this replica's flow search index, and the name of the database it is
/// built from (without credentials).
fn search_location(env: &ServiceEnv) -> (PathBuf, String) {
    let configured = &env.config.flows.search_directory;
    let (default, source) = match &env.storage {
        synergies_platform::db::StorageTarget::Sqlite { path } => (
            path.parent()
                .unwrap_or_else(|| std::path::Path::new("."))
                .join("flows-search-index"),
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
