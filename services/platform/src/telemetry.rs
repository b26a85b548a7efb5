//! Logs and traces. `tracing` everywhere; every span also becomes an OpenTelemetry span so that
//! trace ids exist even without an exporter, and OTLP export is switched on by the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` variable. W3C trace context crosses HTTP, gRPC and the bus;
//! each hop's root span records `trace_id` so one request can be followed through every log.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryConfig};

/// Keeps the tracer provider alive; flushes pending spans when dropped.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// The OTLP/gRPC span exporter to `endpoint`; over TLS for an `https` endpoint, checking the
/// collector's certificate against the configured CA, else the system's roots.
fn otlp_exporter(
    endpoint: &str,
    config: &TelemetryConfig,
) -> Result<opentelemetry_otlp::SpanExporter, String> {
    use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint);
    if endpoint.starts_with("https://") {
        let ca_file = Some(config.otlp_ca_file.clone())
            .filter(|f| !f.is_empty())
            .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_CERTIFICATE").ok())
            .filter(|f| !f.is_empty());
        let tls = match ca_file {
            Some(path) => {
                let pem = std::fs::read(&path).map_err(|error| format!("{path}: {error}"))?;
                tonic::transport::ClientTlsConfig::new()
                    .ca_certificate(tonic::transport::Certificate::from_pem(pem))
            }
            None => tonic::transport::ClientTlsConfig::new().with_native_roots(),
        };
        exporter = exporter.with_tls_config(tls);
    }
    exporter.build().map_err(|error| error.to_string())
}

/// Installs the global subscriber once per process. Later calls (tests that start several
/// applications in one process) keep the first one.
pub fn init(service_name: &str, config: &TelemetryConfig) -> TelemetryGuard {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    // Metrics recorded before a recorder exists are lost: install it first.
    crate::metrics::handle();

    let mut builder = SdkTracerProvider::builder().with_resource(
        opentelemetry_sdk::Resource::builder()
            .with_service_name(service_name.to_owned())
            .build(),
    );
    let otlp_endpoint = Some(config.otlp_endpoint.clone())
        .filter(|e| !e.is_empty())
        .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
        .filter(|e| !e.is_empty());
    let mut export_error = None;
    if let Some(endpoint) = &otlp_endpoint {
        match otlp_exporter(endpoint, config) {
            Ok(exporter) => builder = builder.with_batch_exporter(exporter),
            Err(error) => export_error = Some(error),
        }
    }
    let provider = builder.build();
    let tracer = provider.tracer("synergies");

    // One filter per layer, not one for the whole subscriber: the pool metrics layer needs
    // sqlx's trace-level acquire events, which the logs and traces filter out.
    let filter = || {
        EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(&config.filter))
            .unwrap_or_else(|_| EnvFilter::new("info"))
    };
    let fmt_layer = match config.format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    };
    let installed = tracing_subscriber::registry()
        .with(fmt_layer.with_filter(filter()))
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(filter()),
        )
        .with(crate::metrics::PoolAcquireTimes::layer())
        .try_init()
        .is_ok();
    if !installed {
        return TelemetryGuard { provider: None };
    }
    opentelemetry::global::set_tracer_provider(provider.clone());
    if let Some(error) = export_error {
        tracing::warn!(%error, "OTLP exporter could not be built; traces stay local");
    } else if let Some(endpoint) = otlp_endpoint {
        tracing::info!(%endpoint, "exporting traces over OTLP");
    }
    TelemetryGuard {
        provider: Some(provider),
    }
}

/// Makes `parent` the parent of `span` and records the resulting trace id on it.
pub fn adopt_parent(span: &Span, parent: opentelemetry::Context) {
    let _ = span.set_parent(parent);
    record_trace_id(span);
}

/// Records the span's trace id in its `trace_id` field (declared `tracing::field::Empty`).
pub fn record_trace_id(span: &Span) {
    if let Some(trace_id) = trace_id_of(span) {
        span.record("trace_id", tracing::field::display(trace_id));
    }
}

pub fn trace_id_of(span: &Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// W3C `traceparent` and `tracestate` of the current span.
pub fn current_trace_headers() -> HashMap<String, String> {
    let mut headers = HashMap::new();
    TraceContextPropagator::new().inject_context(&Span::current().context(), &mut headers);
    headers
}

/// Parent context from `traceparent`/`tracestate` values (absent or malformed: a new trace).
pub fn context_from_headers<S: std::hash::BuildHasher>(
    headers: &HashMap<String, String, S>,
) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(headers)
}

pub fn context_from_http(headers: &http::HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

pub fn inject_into_metadata(metadata: &mut MetadataMap) {
    TraceContextPropagator::new()
        .inject_context(&Span::current().context(), &mut MetadataInjector(metadata));
}

/// Writes `span`'s context in `headers` (`traceparent`, `tracestate`), replacing any there.
pub fn inject_into_http(span: &Span, headers: &mut http::HeaderMap) {
    TraceContextPropagator::new().inject_context(&span.context(), &mut HeaderInjector(headers));
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_https_collector_is_reached_over_tls_checked_against_the_configured_ca() {
        let config = TelemetryConfig::default();
        // The system's roots when no CA is named; plain HTTP/2 for http://.
        assert!(otlp_exporter("https://collector.example.org:4317", &config).is_ok());
        assert!(otlp_exporter("http://127.0.0.1:4317", &config).is_ok());
        // A CA file that cannot be read is an error that names it, not a silent fallback.
        let config = TelemetryConfig {
            otlp_ca_file: "/nonexistent/collector-ca.crt".into(),
            ..config
        };
        let error = otlp_exporter("https://collector.example.org:4317", &config).unwrap_err();
        assert!(error.contains("/nonexistent/collector-ca.crt"), "{error}");
    }
}
