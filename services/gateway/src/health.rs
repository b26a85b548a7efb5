//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::state::GatewayState;

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Every downstream service answers its gRPC health check as serving.
pub async fn readyz(State(state): State<GatewayState>) -> (StatusCode, Json<Value>) {
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
    let ready = results.iter().all(|(_, serving)| *serving);
    let services: serde_json::Map<String, Value> = results
        .into_iter()
        .map(|(name, serving)| {
            (
                name.to_owned(),
                json!(if serving { "serving" } else { "unavailable" }),
            )
        })
        .collect();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "status": if ready { "ready" } else { "not_ready" }, "services": services })),
    )
}

/// Prometheus text exposition.
pub async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        synergies_platform::metrics::render(),
    )
}
