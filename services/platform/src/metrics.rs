//! Prometheus metrics: one recorder per process, rendered as text by `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests): metrics then go there.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Prometheus text exposition of every metric recorded so far.
pub fn render() -> String {
    handle().render()
}
