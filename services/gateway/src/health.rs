//! Liveness and readiness (metrics have their own listener: `telemetry.metrics_listen`).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::GatewayState;

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// What `/readyz` requires beyond the gateway itself.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadinessQuery {
    /// `all`: ready only while every service answers too (start-up scripts and tests wait for
    /// that); absent: the gateway's own readiness, which orchestrators probe.
    services: Option<RequiredServices>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RequiredServices {
    All,
}

/// Readiness of this gateway, with each service's state in detail.
///
/// The gateway is ready as soon as it answers: a service that is down is reported
/// (`"status": "degraded"`, that service `"unavailable"`) but does not fail the probe, because
/// every gateway replica sees the same service down, and taking them all out of rotation would
/// turn one service's outage into a full one. The pages and API calls that need the missing
/// service answer 503 with `Retry-After`; the others keep working.
/// `/readyz?services=all` fails (503) unless every service answers.
pub async fn readyz(
    State(state): State<GatewayState>,
    Query(query): Query<ReadinessQuery>,
) -> (StatusCode, Json<Value>) {
    let checks = state
        .services
        .iter()
        .map(|(name, service, channel)| async move {
            (
                *name,
                synergies_platform::grpc::is_serving(channel.clone(), service).await,
            )
        });
    let results = futures::future::join_all(checks).await;
    let every_service_serving = results.iter().all(|(_, serving)| *serving);
    let services: serde_json::Map<String, Value> = results
        .into_iter()
        .map(|(name, serving)| {
            (
                name.to_owned(),
                json!(if serving { "serving" } else { "unavailable" }),
            )
        })
        .collect();
    let (status, summary) = match (every_service_serving, query.services) {
        (true, _) => (StatusCode::OK, "ready"),
        (false, None) => (StatusCode::OK, "degraded"),
        (false, Some(RequiredServices::All)) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
    };
    (
        status,
        Json(json!({ "status": summary, "services": services })),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_util::sync::CancellationToken;

    use crate::{Downstream, GatewayState};

    /// One real gRPC server per backend, answering the standard health check.
    struct Backend {
        name: &'static str,
        stop: CancellationToken,
        server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
    }

    async fn start_backends(downstream: &mut Downstream) -> Vec<Backend> {
        let mut backends = Vec::new();
        for backend in synergies_platform::services::BACKENDS {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            downstream.set_url(
                backend.name,
                format!("http://{}", listener.local_addr().unwrap()),
            );
            let stop = CancellationToken::new();
            let server = tokio::spawn(synergies_platform::grpc::serve_with_readiness(
                backend.grpc_service,
                listener,
                tonic::service::Routes::default(),
                stop.clone(),
                None,
            ));
            backends.push(Backend {
                name: backend.name,
                stop,
                server,
            });
        }
        backends
    }

    /// `GET path` over plain HTTP/1.0: status and JSON body.
    async fn get(address: std::net::SocketAddr, path: &str) -> (u16, Value) {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: gateway\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        let status = answer[9..12].parse().unwrap();
        let body = answer.split_once("\r\n\r\n").unwrap().1;
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn one_service_down_degrades_readiness_without_failing_it() {
        let mut downstream = Downstream::default();
        let mut backends = start_backends(&mut downstream).await;
        let state =
            GatewayState::connect(&downstream, &synergies_platform::grpc::Transport::default())
                .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = listener.local_addr().unwrap();
        let app = crate::router(state, 64 * 1024);
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        // Every service answers once its server is up: wait for that, bounded.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while get(gateway, "/readyz?services=all").await.0 != 200 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the services never all answered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (status, body) = get(gateway, "/readyz").await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ready")));

        // matching stops: the gateway stays ready, and says which service is missing.
        let matching = backends.iter().position(|b| b.name == "matching").unwrap();
        let stopped = backends.remove(matching);
        stopped.stop.cancel();
        stopped.server.await.unwrap().unwrap();
        let (status, body) = get(gateway, "/readyz").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["services"]["matching"], "unavailable");
        assert_eq!(body["services"]["identity"], "serving");
        assert_eq!(body["services"]["listings"], "serving");

        // Start-up scripts ask for every service: not ready while one is missing.
        let (status, body) = get(gateway, "/readyz?services=all").await;
        assert_eq!((status, body["status"].as_str()), (503, Some("not_ready")));
        // A misspelt requirement is refused rather than silently ignored.
        let (status, _) = get(gateway, "/readyz?service=all").await;
        assert_eq!(status, 400);

        for backend in backends {
            backend.stop.cancel();
        }
        server.abort();
    }
}
