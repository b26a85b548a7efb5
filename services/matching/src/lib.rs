//! Matching service: consumes `listing.published`, keeps a per-tenant index of open listings
//! (which `listing.withdrawn`, `.expired`, `.hidden` and `exchange.completed` remove, and which
//! skips listings held by a reservation), finds counterparts and emits `match.found` through its
//! own outbox.
//!
//! The rule is a deliberate placeholder — same tenant, same category, offer against request,
//! different organisations — which the matching issue replaces with real scoring (taxonomy,
//! EWC/NACE knowledge, text similarity, distance, quantities, timing, exchange modes).

pub mod domain;
pub mod error;
pub mod grpc;
pub mod handler;
pub mod scoring;
pub mod store;

use std::sync::Arc;

use synergies_platform::service::ServiceEnv;
use synergies_proto::events::v1 as events;
use synergies_proto::matching::v1::matching_service_server::MatchingServiceServer;
use tokio::net::TcpListener;

pub const SERVICE_NAME: &str = "synergies.matching.v1.MatchingService";
pub const PRODUCER: &str = "matching";
/// Durable consumer of listing publications.
pub const LISTINGS_CONSUMER: &str = "matching-listings";
/// Durable consumer of edits of published listings, which re-index them.
pub const UPDATED_CONSUMER: &str = "matching-updated";
/// Durable consumers of the events that close a listing (one subject filter each: NATS 2.9).
pub const WITHDRAWN_CONSUMER: &str = "matching-withdrawn";
pub const EXPIRED_CONSUMER: &str = "matching-expired";
pub const HIDDEN_CONSUMER: &str = "matching-hidden";
pub const COMPLETED_CONSUMER: &str = "matching-completed";
/// Durable consumers of reservations and their cancellations, which hold and release a listing.
pub const RESERVED_CONSUMER: &str = "matching-reserved";
pub const RESERVATION_CANCELLED_CONSUMER: &str = "matching-reservation-cancelled";
/// Durable consumer of submissions for approval, which hold a listing edited after approval.
pub const SUBMITTED_CONSUMER: &str = "matching-submitted";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: TcpListener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let store = store::for_database(&database);
    let (relay, relay_task) = env.spawn_relay(&database);
    let consumer_task = env.spawn_consumer(
        LISTINGS_CONSUMER,
        <events::ListingPublished as synergies_platform::events::Event>::TYPE,
        Arc::new(
            handler::ListingPublishedHandler::<events::ListingPublished>::new(
                Arc::clone(&store),
                relay.clone(),
                LISTINGS_CONSUMER,
            ),
        ),
    );
    let updates_task = env.spawn_consumer(
        UPDATED_CONSUMER,
        <events::ListingUpdated as synergies_platform::events::Event>::TYPE,
        Arc::new(
            handler::ListingPublishedHandler::<events::ListingUpdated>::new(
                Arc::clone(&store),
                relay,
                UPDATED_CONSUMER,
            ),
        ),
    );
    let step_tasks = [
        step_consumer::<events::ListingWithdrawn>(&env, &store, WITHDRAWN_CONSUMER),
        step_consumer::<events::ListingExpired>(&env, &store, EXPIRED_CONSUMER),
        step_consumer::<events::ListingHidden>(&env, &store, HIDDEN_CONSUMER),
        step_consumer::<events::ExchangeCompleted>(&env, &store, COMPLETED_CONSUMER),
        step_consumer::<events::ListingReserved>(&env, &store, RESERVED_CONSUMER),
        step_consumer::<events::ListingSubmitted>(&env, &store, SUBMITTED_CONSUMER),
        step_consumer::<events::ListingReservationCancelled>(
            &env,
            &store,
            RESERVATION_CANCELLED_CONSUMER,
        ),
    ];
    let routes = tonic::service::Routes::new(MatchingServiceServer::new(grpc::MatchingApi::new(
        store,
        env.verifier.clone(),
    )));
    tracing::info!(address = %listener.local_addr()?, "matching service listening");
    env.serve_grpc(SERVICE_NAME, listener, routes, &database)
        .await?;
    consumer_task.await?;
    updates_task.await?;
    for task in step_tasks {
        task.await?;
    }
    relay_task.await?;
    Ok(())
}

fn step_consumer<E: handler::ListingStep>(
    env: &ServiceEnv,
    store: &Arc<dyn store::MatchingStore>,
    consumer: &'static str,
) -> tokio::task::JoinHandle<()> {
    env.spawn_consumer(
        consumer,
        E::TYPE,
        Arc::new(handler::ListingStepHandler::<E>::new(
            Arc::clone(store),
            consumer,
        )),
    )
}
