//! Shared runtime of every Synergies service.
//!
//! Each service is a library that takes what it needs from here: typed configuration,
//! telemetry, the gRPC server and client set-up, the error codes every service maps to,
//! the caller context carried in gRPC metadata, database pools, the event bus (NATS JetStream or
//! the in-process bus), the transactional outbox and its relay, and idempotent consumers.

pub mod auth;
pub mod bus;
pub mod config;
pub mod consumer;
pub mod context;
pub mod db;
pub mod error;
pub mod events;
pub mod grpc;
pub mod i18n;
pub mod idempotency;
pub mod media;
pub mod metrics;
pub mod outbox;
pub mod policy;
pub mod retention;
pub mod retry;
pub mod service;
pub mod services;
pub mod shutdown;
pub mod telemetry;
#[doc(hidden)]
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod validate;

pub use tokio_util::sync::CancellationToken;
