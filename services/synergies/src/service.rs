//! What `serve`, `migrate` and the all-in-one mode run: the backends of
//! [`synergies_platform::services::BACKENDS`] (the one list of services), each through its
//! crate's `run` and `database`, and the gateway.

use synergies_platform::config::PlatformConfig;
use synergies_platform::db::{Database, StorageTarget};
use synergies_platform::grpc::Listener;
use synergies_platform::service::ServiceEnv;
use synergies_platform::services::Backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// A service that owns data and speaks gRPC.
    Backend(&'static Backend),
    Gateway,
}

impl Service {
    /// The identity backend (signing keys, territories, demo accounts).
    pub fn identity() -> Self {
        Self::named("identity").expect("identity is a backend")
    }

    /// The service of that name: a backend of the list, or `gateway`.
    pub fn named(name: &str) -> Option<Self> {
        if name == "gateway" {
            return Some(Self::Gateway);
        }
        synergies_platform::services::backend(name).map(Self::Backend)
    }

    /// Every backend, in the list's order.
    pub fn backends() -> impl Iterator<Item = Service> {
        synergies_platform::services::BACKENDS
            .iter()
            .map(Self::Backend)
    }

    /// Parses a command-line service name.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::named(name).ok_or_else(|| {
            let known = synergies_platform::services::names()
                .chain(["gateway"])
                .collect::<Vec<_>>()
                .join(", ");
            format!("unknown service {name:?}; services are {known}")
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Backend(backend) => backend.name,
            Self::Gateway => "gateway",
        }
    }

    /// Address this service listens on in microservices mode.
    pub fn listen_address(self, config: &PlatformConfig) -> &str {
        match self {
            Self::Backend(backend) => config.services.listen(backend.name),
            Self::Gateway => &config.gateway.listen,
        }
    }

    /// Runs a backend service until shutdown. The table of crates: one line per backend.
    pub async fn run(self, env: ServiceEnv, listener: Listener) -> anyhow::Result<()> {
        match self.name() {
            "identity" => synergies_identity::run(env, listener).await,
            "listings" => synergies_listings::run(env, listener).await,
            "matching" => synergies_matching::run(env, listener).await,
            "notifications" => synergies_notifications::run(env, listener).await,
            "flows" => synergies_flows::run(env, listener).await,
            "gateway" => anyhow::bail!("the gateway is not a gRPC service"),
            other => anyhow::bail!("no crate runs the {other} service"),
        }
    }

    /// Connects and migrates this service's database.
    pub async fn migrate(self, target: &StorageTarget) -> anyhow::Result<Database> {
        match self.name() {
            "identity" => synergies_identity::database(target).await,
            "listings" => synergies_listings::database(target).await,
            "matching" => synergies_matching::database(target).await,
            "notifications" => synergies_notifications::database(target).await,
            "flows" => synergies_flows::database(target).await,
            "gateway" => anyhow::bail!("the gateway has no database"),
            other => anyhow::bail!("no crate migrates the {other} service"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_backend_of_the_list_has_a_crate_that_migrates_it() {
        let dir = tempfile::tempdir().unwrap();
        for service in Service::backends() {
            let target = StorageTarget::Sqlite {
                path: dir.path().join(format!("{}.db", service.name())),
            };
            service
                .migrate(&target)
                .await
                .unwrap_or_else(|error| panic!("{}: {error:#}", service.name()));
        }
    }

    #[test]
    fn names_parse_back_and_unknown_names_list_the_services() {
        for service in Service::backends().chain([Service::Gateway]) {
            assert_eq!(Service::parse(service.name()), Ok(service));
        }
        let error = Service::parse("flow").unwrap_err();
        assert!(
            error.contains("flows") && error.contains("gateway"),
            "{error}"
        );
    }
}
