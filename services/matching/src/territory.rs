//! What matching needs to know of a territory's settings: the radius of its mutualisation
//! groups, which each tenant admin sets (identity holds it).
//!
//! Read from identity when an event is handled, and kept a minute: a burst of events (a
//! campaign's import) asks once, and a radius changed by a tenant admin applies to the next
//! changes within a minute — groups are proposals, not rules, so a short delay costs nothing.
//! When identity does not answer, the last known radius serves; with none known, the event
//! waits for identity rather than group firms with a radius the territory did not choose.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use synergies_platform::context::anonymous_request;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::identity::v1 as identity;
use synergies_proto::identity::v1::identity_service_client::IdentityServiceClient;

use crate::engine::DEFAULT_RADIUS_KM;

/// How long a radius read from identity is used without asking again.
const FRESH_FOR: Duration = Duration::from_mins(1);

/// Where the radius of a tenant comes from.
#[async_trait::async_trait]
pub trait RadiusSource: Send + Sync {
    /// The radius of `tenant`'s mutualisation groups, in km; `Err` when it cannot be known now.
    async fn radius_km(&self, tenant: &str) -> Result<f64, tonic::Status>;
}

/// Identity's settings, kept a minute per tenant.
#[derive(Clone)]
pub struct TenantSettings {
    client: IdentityServiceClient<ServiceChannel>,
    known: Arc<Mutex<HashMap<String, (f64, Instant)>>>,
}

impl TenantSettings {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: IdentityServiceClient::new(channel),
            known: Arc::default(),
        }
    }

    fn cached(&self, tenant: &str) -> Option<(f64, Instant)> {
        self.known.lock().ok()?.get(tenant).copied()
    }
}

#[async_trait::async_trait]
impl RadiusSource for TenantSettings {
    async fn radius_km(&self, tenant: &str) -> Result<f64, tonic::Status> {
        let cached = self.cached(tenant);
        if let Some((radius, at)) = cached
            && at.elapsed() < FRESH_FOR
        {
            return Ok(radius);
        }
        let message = identity::GetTenantRequest {
            slug: tenant.to_owned(),
        };
        let answer = self
            .client
            .clone()
            .get_tenant(anonymous_request(message))
            .await;
        let radius = match answer {
            Ok(answer) => radius_of(answer.into_inner().tenant),
            // A tenant identity does not know has no setting: events of it are handled with
            // the default (they come from its other services, which know it).
            Err(status) if status.code() == tonic::Code::NotFound => DEFAULT_RADIUS_KM,
            Err(status) => {
                return match cached {
                    Some((radius, _)) => {
                        tracing::warn!(%status, tenant, "identity did not answer: the last known mutualisation radius serves");
                        Ok(radius)
                    }
                    None => Err(status),
                };
            }
        };
        if let Ok(mut known) = self.known.lock() {
            known.insert(tenant.to_owned(), (radius, Instant::now()));
        }
        Ok(radius)
    }
}

fn radius_of(tenant: Option<identity::Tenant>) -> f64 {
    match tenant
        .and_then(|t| t.settings)
        .map_or(0, |s| s.mutualisation_radius_km)
    {
        0 => DEFAULT_RADIUS_KM,
        radius => f64::from(radius),
    }
}

/// The same radius for every tenant (tools and tests that run without identity).
pub struct FixedRadius(pub f64);

#[async_trait::async_trait]
impl RadiusSource for FixedRadius {
    async fn radius_km(&self, _tenant: &str) -> Result<f64, tonic::Status> {
        Ok(self.0)
    }
}
