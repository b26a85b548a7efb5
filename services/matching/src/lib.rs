//! Matching service: keeps a per-tenant index of open items — published listings and diagnosed
//! flows, seen the same way — from one durable consumer per aggregate (`listing`, `exchange`,
//! `flow`, `organisation`), and on each change asks the pure [`scoring`] module which
//! substitutions (an output of one organisation for an input of another) and which
//! mutualisation groups (three or more organisations nearby with the same need or waste) are
//! worth proposing. Synergies are stored with their score, factors and explanation, carried
//! by facilitators through a pipeline, and announced through the outbox (`match.found`).

pub mod directory;
pub mod domain;
pub mod engine;
pub mod error;
pub mod grpc;
pub mod handler;
pub mod impact;
pub mod scoring;
pub mod store;
pub mod territory;

use std::sync::Arc;

use synergies_platform::grpc::Listener;
use synergies_platform::service::ServiceEnv;
use synergies_proto::matching::v1::matching_service_server::MatchingServiceServer;

pub const SERVICE_NAME: &str = "synergies.matching.v1.MatchingService";
pub const PRODUCER: &str = "matching";
/// Durable consumers, one per aggregate followed (`<prefix>.*.<aggregate>.*`).
pub const LISTING_CONSUMER: &str = "matching-listing";
pub const EXCHANGE_CONSUMER: &str = "matching-exchange";
pub const FLOW_CONSUMER: &str = "matching-flow";
pub const ORGANISATION_CONSUMER: &str = "matching-organisation";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: Listener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let store = store::for_database(&database);
    let scorer: Arc<dyn engine::Scorer> = Arc::new(engine::BundledScorer::default());
    let identity = env.channel("identity")?;
    let radius: Arc<dyn territory::RadiusSource> =
        Arc::new(territory::TenantSettings::new(identity.clone()));
    let (relay, relay_task) = env.spawn_relay(&database);
    // Each territory's copy loads in the background; an event that comes first loads its own.
    let warm_up = {
        let (store, scorer) = (Arc::clone(&store), Arc::clone(&scorer));
        tokio::spawn(async move {
            match store.warm_up(scorer.as_ref()).await {
                Ok(tenants) => tracing::info!(tenants, "territories' open items loaded"),
                Err(error) => {
                    tracing::warn!(
                        %error,
                        "could not load the territories' open items ahead of events; each loads at its first event"
                    );
                }
            }
        })
    };
    let consumer_tasks = [
        ("listing", LISTING_CONSUMER),
        ("exchange", EXCHANGE_CONSUMER),
        ("flow", FLOW_CONSUMER),
        ("organisation", ORGANISATION_CONSUMER),
    ]
    .map(|(aggregate, consumer)| {
        let handler = handler::AggregateHandler::new(
            Arc::clone(&store),
            Arc::clone(&scorer),
            Arc::clone(&radius),
            relay.clone(),
            consumer,
        );
        env.spawn_aggregate_consumer(consumer, aggregate, Arc::new(handler))
    });
    let directory = directory::Directory::new(identity, Arc::clone(&store));
    let routes = tonic::service::Routes::new(MatchingServiceServer::new(grpc::MatchingApi::new(
        store,
        env.verifier.clone(),
        directory,
    )));
    tracing::info!(address = %listener.local_addr()?, "matching service listening");
    env.serve_grpc(SERVICE_NAME, listener, routes, &database)
        .await?;
    for task in consumer_tasks {
        task.await?;
    }
    relay_task.await?;
    warm_up.abort();
    Ok(())
}
