//! What every service needs to run, whichever mode it runs in: where its data lives, the bus,
//! configuration and the shutdown signal. The all-in-one binary builds one per service on
//! SQLite and the in-process bus; `serve <service>` builds one on PostgreSQL and JetStream.

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::Verifier;
use crate::bus::{ConsumerSpec, EventBus};
use crate::config::PlatformConfig;
use crate::consumer::{ConsumerSettings, EventHandler};
use crate::db::{Database, StorageTarget};
use crate::outbox::RelayWaker;

#[derive(Clone)]
pub struct ServiceEnv {
    pub storage: StorageTarget,
    pub bus: Arc<dyn EventBus>,
    pub config: Arc<PlatformConfig>,
    pub shutdown: CancellationToken,
    /// Verifies callers' access tokens against identity's published keys.
    pub verifier: Arc<Verifier>,
    /// How this service is reached and reaches the others (mutual TLS, plain, Unix sockets).
    pub grpc: crate::grpc::Transport,
}

/// A service is ready while its database and the bus answer.
struct DependenciesReady {
    database: Database,
    bus: Arc<dyn EventBus>,
}

#[async_trait::async_trait]
impl crate::grpc::Readiness for DependenciesReady {
    async fn ready(&self) -> bool {
        let (database, bus) = tokio::join!(
            tokio::time::timeout(std::time::Duration::from_secs(2), self.database.ping()),
            tokio::time::timeout(std::time::Duration::from_secs(2), self.bus.is_healthy()),
        );
        database.unwrap_or(false) && bus.unwrap_or(false)
    }
}

impl ServiceEnv {
    /// Serves the service's gRPC `routes` (with health and reflection) until shutdown; its
    /// health reports NOT_SERVING while `database` or the bus is unreachable.
    pub async fn serve_grpc(
        &self,
        service_name: &'static str,
        listener: crate::grpc::Listener,
        routes: tonic::service::Routes,
        database: &Database,
    ) -> Result<(), tonic::transport::Error> {
        let readiness = Arc::new(DependenciesReady {
            database: database.clone(),
            bus: Arc::clone(&self.bus),
        });
        crate::grpc::serve_on(
            service_name,
            listener,
            &self.grpc,
            routes,
            self.shutdown.clone(),
            Some(readiness),
        )
        .await
    }

    /// A channel to the backend `service`, at its configured address, over this process's
    /// transport.
    pub fn channel(
        &self,
        service: &str,
    ) -> Result<crate::grpc::ServiceChannel, crate::grpc::TransportError> {
        self.grpc.channel(self.config.services.url(service))
    }

    /// Starts the outbox relay of `database`; the waker lets commits trigger it at once. The
    /// retention sweep of the same database's outbox and processed-event keys, and the
    /// sampling of its connection pool, start with it and stop on shutdown.
    pub fn spawn_relay(&self, database: &Database) -> (RelayWaker, JoinHandle<()>) {
        tokio::spawn(crate::retention::run(
            database.clone(),
            self.config.retention.clone(),
            self.shutdown.clone(),
        ));
        tokio::spawn(crate::db::observe_pool(
            self.storage.label(),
            database.clone(),
            self.shutdown.clone(),
        ));
        let waker = RelayWaker::default();
        let task = tokio::spawn(crate::outbox::run_relay(
            self.storage.label(),
            database.clone(),
            self.bus.clone(),
            self.config.bus.prefix.clone(),
            self.config.outbox.clone(),
            waker.clone(),
            self.shutdown.clone(),
        ));
        (waker, task)
    }

    /// Starts a durable consumer of one event type in every tenant.
    pub fn spawn_consumer(
        &self,
        consumer: &str,
        event_type: &str,
        handler: Arc<dyn EventHandler>,
    ) -> JoinHandle<()> {
        let filter = crate::events::filter_all_tenants(&self.config.bus.prefix, event_type);
        self.spawn_filtered_consumer(consumer, filter, handler)
    }

    /// Starts a durable consumer of every event of one aggregate (`listing`, `flow`…) in every
    /// tenant; the handler dispatches on the envelope's event type.
    pub fn spawn_aggregate_consumer(
        &self,
        consumer: &str,
        aggregate: &str,
        handler: Arc<dyn EventHandler>,
    ) -> JoinHandle<()> {
        let filter = crate::events::filter_aggregate(&self.config.bus.prefix, aggregate);
        self.spawn_filtered_consumer(consumer, filter, handler)
    }

    fn spawn_filtered_consumer(
        &self,
        consumer: &str,
        filter_subject: String,
        handler: Arc<dyn EventHandler>,
    ) -> JoinHandle<()> {
        let spec = ConsumerSpec {
            name: consumer.to_owned(),
            filter_subject,
        };
        let settings = ConsumerSettings {
            max_deliver: self.config.bus.max_deliver.max(1),
            batch: 32,
        };
        tokio::spawn(crate::consumer::run(
            self.bus.clone(),
            spec,
            handler,
            settings,
            self.shutdown.clone(),
        ))
    }
}
