//! The one list of backend services. The configuration (`[services]` addresses), the binary
//! (`serve`, `migrate`, all-in-one), the gateway's clients, the test harness and
//! `deploy/local/run.sh` (through `synergies services`) all follow it: a new service is one
//! entry here, its crate, and its line in the binary's table of crates.

/// A service that owns data and speaks gRPC (every service but the gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backend {
    /// `identity`, `listings`…: the `serve` argument, the schema and database file name, and
    /// the `SYNERGIES_SERVICES__<NAME>_LISTEN` / `_URL` variables.
    pub name: &'static str,
    /// Port it listens on by default (`127.0.0.1:<port>`). Below Linux's ephemeral range.
    pub default_port: u16,
    /// Its gRPC service name, for readiness checks.
    pub grpc_service: &'static str,
}

/// In an order they can start in: a service calls only services before it (identity first;
/// flows calls matching). The split test layout starts them so, each told where those before
/// it listen.
pub const BACKENDS: &[Backend] = &[
    Backend {
        name: "identity",
        default_port: 7301,
        grpc_service: "synergies.identity.v1.IdentityService",
    },
    Backend {
        name: "listings",
        default_port: 7302,
        grpc_service: "synergies.listings.v1.ListingsService",
    },
    Backend {
        name: "matching",
        default_port: 7303,
        grpc_service: "synergies.matching.v1.MatchingService",
    },
    Backend {
        name: "notifications",
        default_port: 7304,
        grpc_service: "synergies.notifications.v1.NotificationsService",
    },
    Backend {
        name: "flows",
        default_port: 7305,
        grpc_service: "synergies.flows.v1.FlowsService",
    },
];

/// The backend of that name.
pub fn backend(name: &str) -> Option<&'static Backend> {
    BACKENDS.iter().find(|backend| backend.name == name)
}

/// Names of every backend, in the list's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    BACKENDS.iter().map(|backend| backend.name)
}
