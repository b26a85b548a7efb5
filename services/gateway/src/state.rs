use std::collections::BTreeMap;
use std::sync::Arc;

use synergies_platform::auth::{IdentityKeys, Verifier};
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::matching::v1::matching_service_client::MatchingServiceClient;

use crate::browser_session::CookiePolicy;

/// Where the services answer: the URL of every backend of
/// [`synergies_platform::services::BACKENDS`], by name.
#[derive(Debug, Clone, Default)]
pub struct Downstream(BTreeMap<String, String>);

impl Downstream {
    /// URL of `service` (empty when unknown).
    pub fn url(&self, service: &str) -> &str {
        self.0.get(service).map_or("", String::as_str)
    }

    pub fn set_url(&mut self, service: &str, url: impl Into<String>) {
        self.0.insert(service.to_owned(), url.into());
    }
}

impl From<&synergies_platform::config::ServicesConfig> for Downstream {
    fn from(services: &synergies_platform::config::ServicesConfig) -> Self {
        Self(
            synergies_platform::services::names()
                .map(|name| (name.to_owned(), services.url(name).to_owned()))
                .collect(),
        )
    }
}

/// Clients of every service (channels are cheap to clone and multiplex calls).
#[derive(Clone)]
pub struct GatewayState {
    pub identity: crate::clients::identity::IdentityClient,
    pub listings: crate::clients::listings::ListingsClient,
    /// Photos of listings (served by the listings service; larger messages).
    pub photos: crate::clients::listings::photos::PhotosClient,
    /// Conversations, reservations and exchanges (served by the listings service).
    pub exchanges: crate::clients::listings::exchanges::ExchangesClient,
    pub matching: MatchingServiceClient<ServiceChannel>,
    pub notifications: crate::clients::notifications::NotificationsClient,
    /// Flow inventories (the flows service).
    pub flows: crate::clients::flows::FlowsClient,
    /// Each service's channel and gRPC service name, for readiness.
    pub services: Vec<(&'static str, &'static str, ServiceChannel)>,
    /// Verifies access tokens against identity's published keys.
    pub verifier: Arc<Verifier>,
    /// How browser session cookies are written.
    pub cookies: CookiePolicy,
    /// Territory the root page leads to.
    pub default_tenant: Option<String>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<crate::client_address::TrustedProxies>,
    /// New inbox items pushed live, for the inbox streams of this replica.
    pub live: crate::live::LiveInbox,
    /// The search page's map tiles (none: no map).
    pub map_tiles: Option<Arc<crate::web::map::MapTiles>>,
    /// Every page's Content-Security-Policy (it names the map tiles' origin).
    pub content_security_policy: axum::http::HeaderValue,
}

impl GatewayState {
    /// Channels connect lazily: the gateway starts even while a service is still down,
    /// and `/readyz` says so. `transport` is mutual TLS when certificates are configured: the
    /// gateway then presents its own, which names it to the services.
    pub fn connect(
        downstream: &Downstream,
        transport: &synergies_platform::grpc::Transport,
    ) -> anyhow::Result<Self> {
        // One channel per backend, in the list's order; the clients below share them.
        let channels = synergies_platform::services::BACKENDS
            .iter()
            .map(|backend| {
                Ok((
                    backend.name,
                    backend.grpc_service,
                    transport.channel(downstream.url(backend.name))?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let of = |name: &str| {
            channels
                .iter()
                .find(|(backend, _, _)| *backend == name)
                .map(|(_, _, channel)| channel.clone())
                .expect("every backend has a channel")
        };
        let identity = of("identity");
        let identity_keys = identity.clone();
        let listings = of("listings");
        Ok(Self {
            identity: crate::clients::identity::IdentityClient::new(identity),
            listings: crate::clients::listings::ListingsClient::new(listings.clone()),
            photos: crate::clients::listings::photos::PhotosClient::new(listings.clone()),
            exchanges: crate::clients::listings::exchanges::ExchangesClient::new(listings),
            matching: MatchingServiceClient::new(of("matching")),
            notifications: crate::clients::notifications::NotificationsClient::new(of(
                "notifications",
            )),
            flows: crate::clients::flows::FlowsClient::new(of("flows")),
            services: channels,
            verifier: Arc::new(Verifier::new(Arc::new(IdentityKeys::new(identity_keys)))),
            cookies: CookiePolicy::default(),
            default_tenant: None,
            trusted_proxies: Arc::default(),
            live: crate::live::LiveInbox::default(),
            map_tiles: None,
            content_security_policy: crate::web::map::content_security_policy(None),
        })
    }
}
