use clap::ValueEnum;
use synergies_platform::config::PlatformConfig;
use synergies_platform::db::{Database, StorageTarget};
use synergies_platform::service::ServiceEnv;
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Service {
    Identity,
    Listings,
    Matching,
    Notifications,
    Gateway,
}

impl Service {
    /// The services that own data and speak gRPC (all but the gateway).
    pub const BACKENDS: [Service; 4] = [
        Service::Identity,
        Service::Listings,
        Service::Matching,
        Service::Notifications,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Listings => "listings",
            Self::Matching => "matching",
            Self::Notifications => "notifications",
            Self::Gateway => "gateway",
        }
    }

    /// Address this service listens on in microservices mode.
    pub fn listen_address(self, config: &PlatformConfig) -> &str {
        let services = &config.services;
        match self {
            Self::Identity => &services.identity_listen,
            Self::Listings => &services.listings_listen,
            Self::Matching => &services.matching_listen,
            Self::Notifications => &services.notifications_listen,
            Self::Gateway => &config.gateway.listen,
        }
    }

    /// Runs a backend service until shutdown.
    pub async fn run(self, env: ServiceEnv, listener: TcpListener) -> anyhow::Result<()> {
        match self {
            Self::Identity => synergies_identity::run(env, listener).await,
            Self::Listings => synergies_listings::run(env, listener).await,
            Self::Matching => synergies_matching::run(env, listener).await,
            Self::Notifications => synergies_notifications::run(env, listener).await,
            Self::Gateway => anyhow::bail!("the gateway is not a gRPC service"),
        }
    }

    /// Connects and migrates this service's database.
    pub async fn migrate(self, target: &StorageTarget) -> anyhow::Result<Database> {
        match self {
            Self::Identity => synergies_identity::database(target).await,
            Self::Listings => synergies_listings::database(target).await,
            Self::Matching => synergies_matching::database(target).await,
            Self::Notifications => synergies_notifications::database(target).await,
            Self::Gateway => anyhow::bail!("the gateway has no database"),
        }
    }
}
