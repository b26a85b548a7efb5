//! One client per backend service: the calls the gateway makes, with their retries and
//! conversions, for `api/` and `web/` alike. Reads — and writes the service makes idempotent —
//! are retried while the service is briefly unavailable; other writes are sent once. Deadlines
//! are the channels' (see `synergies_platform::grpc`).

pub mod flows;
pub mod identity;
pub mod impact;
pub mod listings;
pub mod matching;
pub mod notifications;

use std::future::Future;

use synergies_platform::context::{CallerContext, anonymous_request, request};
use synergies_platform::retry::idempotent_call;
use tonic::Status;

/// RFC 3339 text of a protobuf timestamp (empty when absent).
pub(crate) fn rfc3339(timestamp: Option<&prost_types::Timestamp>) -> String {
    timestamp
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_default()
}

/// The outgoing request: on the caller's behalf, or anonymous (before anyone signed in, or
/// for public pages).
fn outgoing<T>(message: T, caller: Option<&CallerContext>) -> tonic::Request<T> {
    match caller {
        Some(caller) => request(message, caller),
        None => anonymous_request(message),
    }
}

/// Sends a call that is safe to repeat, retried while the service answers `Unavailable`.
async fn retried<C, M, R, F, Fut>(
    client: &C,
    caller: Option<&CallerContext>,
    message: M,
    call: F,
) -> Result<R, Status>
where
    C: Clone,
    M: Clone,
    F: Fn(C, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<R>, Status>>,
{
    idempotent_call(|| call(client.clone(), outgoing(message.clone(), caller)))
        .await
        .map(tonic::Response::into_inner)
}

/// Sends a call once: a write a retry could repeat.
async fn once<C, M, R, F, Fut>(
    client: &C,
    caller: Option<&CallerContext>,
    message: M,
    call: F,
) -> Result<R, Status>
where
    C: Clone,
    F: FnOnce(C, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<R>, Status>>,
{
    call(client.clone(), outgoing(message, caller))
        .await
        .map(tonic::Response::into_inner)
}
