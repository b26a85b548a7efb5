//! Every gRPC call, served or made, as an OpenTelemetry span named by the semantic conventions
//! (`rpc.system`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`; kind server or client)
//! and as a duration histogram by service, method and status code. Health checks and
//! reflection are the orchestrator's and tools' chatter: neither span nor metric.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::transport::Channel;
use tower::{Layer, Service};
use tracing::{Instrument, Span};

/// `/package.Service/Method` split in its service and method; `None` for paths that are not
/// application calls (health, reflection) or not gRPC at all.
fn application_call(path: &str) -> Option<(&str, &str)> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let internal = service.starts_with("grpc.health.") || service.starts_with("grpc.reflection.");
    (!internal && !method.is_empty()).then_some((service, method))
}

/// The call's gRPC status: `grpc-status` in the response headers (a trailers-only answer, which
/// is how tonic answers every unary error), else OK. A streaming answer that fails after its
/// first message carries its status in trailers and counts as OK here.
fn status_code<B>(response: &http::Response<B>) -> tonic::Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

/// Server-side statuses that mean the server failed (the semantic conventions' rule for
/// marking a server span as an error; a refused argument is the caller's error).
fn is_server_error(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::Unknown
            | tonic::Code::DeadlineExceeded
            | tonic::Code::Unimplemented
            | tonic::Code::Internal
            | tonic::Code::Unavailable
            | tonic::Code::DataLoss
    )
}

fn finish(span: &Span, code: tonic::Code, error: bool) {
    span.record("rpc.grpc.status_code", code as i32);
    if error {
        span.record("otel.status_code", "ERROR");
    }
}

fn code_name(code: tonic::Code) -> String {
    format!("{code:?}")
}

/// The layer of every gRPC server of the platform.
#[derive(Clone, Copy, Default)]
pub struct ServerCalls;

impl<S> Layer<S> for ServerCalls {
    type Service = ObservedServer<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ObservedServer { inner }
    }
}

#[derive(Clone)]
pub struct ObservedServer<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, B, R> Service<http::Request<B>> for ObservedServer<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let Some((service, method)) = application_call(request.uri().path()) else {
            return Box::pin(self.inner.call(request));
        };
        let (service, method) = (service.to_owned(), method.to_owned());
        // The tracing name stays `grpc.call` (the logs' word); exporters get the conventional
        // `package.Service/Method`.
        let span = tracing::info_span!(
            "grpc.call",
            otel.name = %format_args!("{service}/{method}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        crate::telemetry::adopt_parent(
            &span,
            crate::telemetry::context_from_http(request.headers()),
        );
        let started = Instant::now();
        let call = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(async move {
            let result = call.instrument(span.clone()).await;
            let code = result.as_ref().map_or(tonic::Code::Unknown, status_code);
            finish(&span, code, is_server_error(code));
            metrics::histogram!(
                "synergies_grpc_server_duration_seconds",
                "service" => service,
                "method" => method,
                "code" => code_name(code),
            )
            .record(started.elapsed().as_secs_f64());
            result
        })
    }
}

/// A channel to another service whose calls are client spans (their context is what the
/// callee continues) and client duration histograms. Cheap to clone, as a `Channel`.
#[derive(Clone, Debug)]
pub struct ServiceChannel {
    inner: Channel,
}

impl From<Channel> for ServiceChannel {
    fn from(inner: Channel) -> Self {
        Self { inner }
    }
}

impl Service<http::Request<tonic::body::Body>> for ServiceChannel {
    type Response = http::Response<tonic::body::Body>;
    type Error = tonic::transport::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<http::Request<tonic::body::Body>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        let Some((service, method)) = application_call(request.uri().path()) else {
            return Box::pin(self.inner.call(request));
        };
        let (service, method) = (service.to_owned(), method.to_owned());
        let span = tracing::info_span!(
            "grpc.client",
            otel.name = %format_args!("{service}/{method}"),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        // The callee's parent is this client span: its context replaces the caller's, which
        // the request carried when it was built.
        crate::telemetry::inject_into_http(&span, request.headers_mut());
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.instrument(span.clone()).await;
            let code = result
                .as_ref()
                .map_or(tonic::Code::Unavailable, status_code);
            // Every status but OK is an error on the client side (the conventions' rule).
            finish(&span, code, code != tonic::Code::Ok);
            metrics::histogram!(
                "synergies_grpc_client_duration_seconds",
                "service" => service,
                "method" => method,
                "code" => code_name(code),
            )
            .record(started.elapsed().as_secs_f64());
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_and_reflection_are_not_application_calls() {
        assert_eq!(
            application_call("/synergies.listings.v1.ListingsService/GetListing"),
            Some(("synergies.listings.v1.ListingsService", "GetListing"))
        );
        assert_eq!(application_call("/grpc.health.v1.Health/Check"), None);
        assert_eq!(
            application_call("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            None
        );
        assert_eq!(application_call("/"), None);
    }

    #[test]
    fn the_status_is_read_from_a_trailers_only_answer() {
        let ok = http::Response::builder().body(()).unwrap();
        assert_eq!(status_code(&ok), tonic::Code::Ok);
        let refused = http::Response::builder()
            .header("grpc-status", "3")
            .body(())
            .unwrap();
        assert_eq!(status_code(&refused), tonic::Code::InvalidArgument);
    }
}
