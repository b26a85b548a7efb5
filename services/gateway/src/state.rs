use std::sync::Arc;

use synergies_platform::auth::{IdentityKeys, Verifier};
use synergies_proto::identity::v1::identity_service_client::IdentityServiceClient;
use synergies_proto::listings::v1::exchanges_service_client::ExchangesServiceClient;
use synergies_proto::listings::v1::listing_photos_service_client::ListingPhotosServiceClient;
use synergies_proto::listings::v1::listings_service_client::ListingsServiceClient;
use synergies_proto::matching::v1::matching_service_client::MatchingServiceClient;
use synergies_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
use tonic::transport::Channel;

use crate::browser_session::CookiePolicy;

/// Largest photo answer accepted from listings: a stored photo is a re-encoded JPEG of at most
/// 2000×2000 pixels, far below this even for noise.
const MAX_PHOTO_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Where the services answer.
#[derive(Debug, Clone)]
pub struct Downstream {
    pub identity_url: String,
    pub listings_url: String,
    pub matching_url: String,
    pub notifications_url: String,
}

impl From<&synergies_platform::config::ServicesConfig> for Downstream {
    fn from(services: &synergies_platform::config::ServicesConfig) -> Self {
        Self {
            identity_url: services.identity_url.clone(),
            listings_url: services.listings_url.clone(),
            matching_url: services.matching_url.clone(),
            notifications_url: services.notifications_url.clone(),
        }
    }
}

/// Clients of every service (channels are cheap to clone and multiplex calls).
#[derive(Clone)]
pub struct GatewayState {
    pub identity: IdentityServiceClient<Channel>,
    pub listings: ListingsServiceClient<Channel>,
    /// Photos of listings (served by the listings service; larger messages).
    pub photos: ListingPhotosServiceClient<Channel>,
    /// Conversations, reservations and exchanges (served by the listings service).
    pub exchanges: ExchangesServiceClient<Channel>,
    pub matching: MatchingServiceClient<Channel>,
    pub notifications: NotificationsServiceClient<Channel>,
    /// Each service's channel and gRPC service name, for readiness.
    pub services: Vec<(&'static str, &'static str, Channel)>,
    /// Verifies access tokens against identity's published keys.
    pub verifier: Arc<Verifier>,
    /// How browser session cookies are written.
    pub cookies: CookiePolicy,
    /// Territory the root page leads to.
    pub default_tenant: Option<String>,
}

impl GatewayState {
    /// Channels connect lazily: the gateway starts even while a service is still down,
    /// and `/readyz` says so.
    pub fn connect(downstream: &Downstream) -> anyhow::Result<Self> {
        use synergies_platform::grpc::channel;
        let identity = channel(&downstream.identity_url)?;
        let identity_keys = identity.clone();
        let listings = channel(&downstream.listings_url)?;
        let matching = channel(&downstream.matching_url)?;
        let notifications = channel(&downstream.notifications_url)?;
        Ok(Self {
            identity: IdentityServiceClient::new(identity.clone()),
            listings: ListingsServiceClient::new(listings.clone()),
            photos: ListingPhotosServiceClient::new(listings.clone())
                .max_encoding_message_size(crate::api::photos::UPLOAD_BODY_LIMIT)
                .max_decoding_message_size(MAX_PHOTO_ANSWER_BYTES),
            exchanges: ExchangesServiceClient::new(listings.clone()),
            matching: MatchingServiceClient::new(matching.clone()),
            notifications: NotificationsServiceClient::new(notifications.clone()),
            services: vec![
                (
                    "identity",
                    "synergies.identity.v1.IdentityService",
                    identity,
                ),
                (
                    "listings",
                    "synergies.listings.v1.ListingsService",
                    listings,
                ),
                (
                    "matching",
                    "synergies.matching.v1.MatchingService",
                    matching,
                ),
                (
                    "notifications",
                    "synergies.notifications.v1.NotificationsService",
                    notifications,
                ),
            ],
            verifier: Arc::new(Verifier::new(Arc::new(IdentityKeys::new(identity_keys)))),
            cookies: CookiePolicy::default(),
            default_tenant: None,
        })
    }
}
