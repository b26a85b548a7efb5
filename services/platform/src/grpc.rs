//! gRPC server and client set-up shared by every service: health (per-service status),
//! reflection (v1 and v1alpha), a trace span per call carrying the caller's trace context,
//! graceful shutdown that drains in-flight calls for at most [`crate::shutdown::DRAIN_TIMEOUT`].

pub mod balance;
mod observe;
mod transport;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use observe::{ServerCalls, ServiceChannel};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::{Channel, Endpoint, Server};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
pub use transport::{Listener, Transport, TransportError, unix_url};

/// Whether what a service needs to do its work (its database, the bus) answers right now.
#[async_trait::async_trait]
pub trait Readiness: Send + Sync + 'static {
    async fn ready(&self) -> bool;
}

/// How often the health status follows the service's dependencies.
const READINESS_EVERY: Duration = Duration::from_secs(2);

/// Serves `routes` plus health and reflection on `listener` until `shutdown`.
/// `service_name` is the fully qualified gRPC service whose health is reported.
pub async fn serve(
    service_name: &'static str,
    listener: impl Into<Listener>,
    routes: Routes,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    serve_with_readiness(service_name, listener, routes, shutdown, None).await
}

/// [`serve`], with a health status that reports NOT_SERVING while `readiness` says a
/// dependency is down, so that an orchestrator stops sending the service work meanwhile.
pub async fn serve_with_readiness(
    service_name: &'static str,
    listener: impl Into<Listener>,
    routes: Routes,
    shutdown: CancellationToken,
    readiness: Option<std::sync::Arc<dyn Readiness>>,
) -> Result<(), tonic::transport::Error> {
    serve_on(
        service_name,
        listener.into(),
        &Transport::default(),
        routes,
        shutdown,
        readiness,
    )
    .await
}

/// [`serve_with_readiness`] over `transport`: on TCP with mutual TLS when it has certificates
/// (callers without a certificate signed by its CA are refused in the handshake), on a Unix
/// socket for this process alone.
pub async fn serve_on(
    service_name: &'static str,
    listener: Listener,
    transport: &Transport,
    routes: Routes,
    shutdown: CancellationToken,
    readiness: Option<std::sync::Arc<dyn Readiness>>,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status(service_name, ServingStatus::Serving)
        .await;
    let watch = CancellationToken::new();
    if let Some(readiness) = readiness {
        tokio::spawn(follow_readiness(
            health_reporter.clone(),
            service_name,
            readiness,
            watch.clone(),
        ));
    }
    let _stop_watching = watch.drop_guard();
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(synergies_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("the embedded descriptor set is valid");
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(synergies_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .expect("the embedded descriptor set is valid");
    let routes = routes
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);

    let drain = CancellationToken::new();
    let mut builder = Server::builder().layer(ServerCalls);
    let signal = drain.clone().cancelled_owned();
    let mut server: Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>> =
        match listener {
            Listener::Tcp(listener) => {
                if let Some(tls) = transport.server_tls() {
                    builder = builder.tls_config(tls)?;
                }
                Box::pin(
                    builder
                        .add_routes(routes)
                        .serve_with_incoming_shutdown(incoming(listener), signal),
                )
            }
            Listener::Unix(listener, _) => {
                Box::pin(builder.add_routes(routes).serve_with_incoming_shutdown(
                    Box::pin(transport::same_process_only(listener)),
                    signal,
                ))
            }
        };
    tokio::select! {
        result = &mut server => return result,
        () = shutdown.cancelled() => {}
    }
    mark_not_serving(&health_reporter, service_name).await;
    drain.cancel();
    if let Ok(result) = tokio::time::timeout(crate::shutdown::DRAIN_TIMEOUT, server).await {
        result
    } else {
        tracing::warn!(
            service = service_name,
            "in-flight calls did not finish in time"
        );
        Ok(())
    }
}

async fn follow_readiness(
    reporter: HealthReporter,
    service_name: &'static str,
    readiness: std::sync::Arc<dyn Readiness>,
    stop: CancellationToken,
) {
    let mut serving = true;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(READINESS_EVERY) => {}
        }
        let ready = readiness.ready().await;
        if stop.is_cancelled() {
            return;
        }
        if ready != serving {
            serving = ready;
            let status = if ready {
                tracing::info!(service = service_name, "dependencies answer again: serving");
                ServingStatus::Serving
            } else {
                tracing::warn!(service = service_name, "a dependency is down: not serving");
                ServingStatus::NotServing
            };
            reporter.set_service_status(service_name, status).await;
            reporter.set_service_status("", status).await;
        }
    }
}

async fn mark_not_serving(reporter: &HealthReporter, service_name: &str) {
    reporter
        .set_service_status(service_name, ServingStatus::NotServing)
        .await;
    reporter
        .set_service_status("", ServingStatus::NotServing)
        .await;
}

/// Accepted connections with Nagle's algorithm off: small gRPC frames must not wait for the
/// peer's delayed ACK (tens of milliseconds per call otherwise).
fn incoming(listener: TcpListener) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))
}

/// A lazily connected plain channel with connect and request timeouts (see
/// [`Transport::channel`] for the services' own, which may be mutual TLS).
pub fn channel(url: &str) -> Result<Channel, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .tcp_nodelay(true)
        .connect_lazy())
}

/// Asks a service's health endpoint whether `service_name` is serving.
pub async fn is_serving(channel: impl Into<ServiceChannel>, service_name: &str) -> bool {
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel.into());
    let request = tonic_health::pb::HealthCheckRequest {
        service: service_name.to_owned(),
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), client.check(request)).await,
        Ok(Ok(response)) if response.get_ref().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    )
}
