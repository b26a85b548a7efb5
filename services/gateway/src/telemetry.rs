//! One span per HTTP request, child of the caller's W3C trace context when it sent one. The
//! trace id is returned in `x-trace-id` so a user report can be followed through every log.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Orchestrators' probes: every few seconds from every kubelet, they would drown the traces
/// and logs that matter (the semantic conventions advise against spans for them).
const PROBES: [&str; 2] = ["/healthz", "/readyz"];

pub async fn trace_request(request: Request, next: Next) -> Response {
    if PROBES.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // The tracing name stays `http.request` (the logs' word); exporters get the semantic
    // conventions' `{method} {route}`, kind server, and their attribute names.
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format_args!("{} {route}", request.method()),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = %request.method(),
        http.route = %route,
        url.path = %request.uri().path(),
        http.response.status_code = tracing::field::Empty,
        method = %request.method(),
        route = %route,
        trace_id = tracing::field::Empty,
        user_id = tracing::field::Empty,
    );
    synergies_platform::telemetry::adopt_parent(
        &span,
        synergies_platform::telemetry::context_from_http(request.headers()),
    );
    let trace_id = synergies_platform::telemetry::trace_id_of(&span);
    let method = request.method().clone();
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    span.in_scope(|| {
        let elapsed_ms = started.elapsed().as_millis() as u64;
        if status >= 500 {
            // The cause was logged where it happened, in this span: the trace id joins them.
            let trace_id = trace_id.as_deref().unwrap_or_default();
            tracing::error!(status, elapsed_ms, trace_id, "request failed");
        } else {
            tracing::info!(status, elapsed_ms, "request handled");
        }
    });
    metrics::counter!("synergies_http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("synergies_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    if let Some(value) = trace_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert("x-trace-id", value);
    }
    response
}
