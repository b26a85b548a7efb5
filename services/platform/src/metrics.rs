//! Prometheus metrics: one recorder per process, rendered as text by `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Buckets of every duration (`*_seconds`) histogram: from a cached page (5 ms) to a photo
/// upload or a slow search (10 s). Histograms, unlike the exporter's default summaries, add up
/// across pods, so Prometheus computes fleet-wide quantiles (`histogram_quantile`).
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), DURATION_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
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

#[cfg(test)]
mod tests {
    #[test]
    fn durations_are_rendered_as_histograms() {
        // Installs the recorder first: what is recorded before goes nowhere.
        super::handle();
        metrics::histogram!("synergies_test_duration_seconds").record(0.03);
        let text = super::render();
        assert!(
            text.contains("synergies_test_duration_seconds_bucket{le=\"0.05\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("synergies_test_duration_seconds_bucket{le=\"0.025\"} 0"),
            "{text}"
        );
        assert!(!text.contains("quantile="), "{text}");
    }
}
