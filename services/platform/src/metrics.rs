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

/// The histogram of how long taking a connection from a database pool took.
pub const POOL_ACQUIRE_SECONDS: &str = "synergies_db_pool_acquire_duration_seconds";

/// Where sqlx reports each connection taken from a pool, with the time it took
/// (`acquired_after_secs`): at the level [`crate::db`] sets with `acquire_time_level`, or as a
/// warning past `acquire_slow_threshold`.
const SQLX_ACQUIRE_TARGET: &str = "sqlx::pool::acquire";

/// Turns sqlx's acquire events into [`POOL_ACQUIRE_SECONDS`]. sqlx counts no waits itself and
/// its pools are used directly as executors all over the services, so its own timing, reported
/// as an event, is the one place every acquisition passes through. An acquisition that times
/// out (`PoolTimedOut`, after `acquire_timeout`) reports nothing and is not in the histogram.
pub struct PoolAcquireTimes;

impl PoolAcquireTimes {
    /// The layer, filtered to sqlx's acquire events (whatever the logs' filter says).
    pub fn layer<S>() -> impl tracing_subscriber::Layer<S>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        use tracing_subscriber::Layer as _;
        Self.with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target(SQLX_ACQUIRE_TARGET, tracing::Level::TRACE),
        )
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PoolAcquireTimes {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() != SQLX_ACQUIRE_TARGET {
            return;
        }
        let mut visitor = AcquiredAfter(None);
        event.record(&mut visitor);
        if let Some(seconds) = visitor.0 {
            metrics::histogram!(POOL_ACQUIRE_SECONDS).record(seconds);
        }
    }
}

/// Reads `acquired_after_secs` off an acquire event.
struct AcquiredAfter(Option<f64>);

impl tracing::field::Visit for AcquiredAfter {
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        if field.name() == "acquired_after_secs" {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &tracing::field::Field, _value: &dyn std::fmt::Debug) {}
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

    /// Connections taken from a pool made by `db` show in the acquire-time histogram, through
    /// sqlx's own events: nothing else but the layer and a query.
    #[tokio::test(flavor = "current_thread")]
    async fn pool_acquisitions_are_timed() {
        use tracing_subscriber::layer::SubscriberExt;
        super::handle();
        let count = || {
            super::render()
                .lines()
                .find_map(|line| {
                    line.strip_prefix("synergies_db_pool_acquire_duration_seconds_count ")
                })
                .map_or(0.0, |n| n.parse::<f64>().unwrap())
        };
        let subscriber = tracing_subscriber::registry().with(super::PoolAcquireTimes::layer());
        let _default = tracing::subscriber::set_default(subscriber);
        let directory = tempfile::tempdir().unwrap();
        let pool = crate::db::sqlite_pool(&directory.path().join("t.db"))
            .await
            .unwrap();
        let before = count();
        for _ in 0..3 {
            sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        }
        assert!(count() >= before + 3.0, "{}", super::render());
        assert!(
            super::render()
                .contains("synergies_db_pool_acquire_duration_seconds_bucket{le=\"0.005\"}"),
            "{}",
            super::render()
        );
    }
}
