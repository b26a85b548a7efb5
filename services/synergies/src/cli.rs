use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::service::Service;

/// Synergies — territorial industrial ecology platform.
///
/// With no command, runs the whole platform in this process on an embedded database (no
/// server to install) and prints the address of the web interface.
#[derive(Debug, Parser)]
#[command(name = "synergies", version)]
pub struct Cli {
    /// TOML configuration file (layered over the defaults, under `SYNERGIES_*` variables).
    #[arg(long, global = true, env = "SYNERGIES_CONFIG")]
    pub config: Option<PathBuf>,

    /// All-in-one mode: where the embedded databases live.
    #[arg(long, global = true, default_value = "./var")]
    pub data_dir: PathBuf,

    /// All-in-one mode: address of the web interface and API (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Once the listeners are bound, writes the address of each to this file, as JSON
    /// (`{"gateway": "127.0.0.1:41234", "metrics": …}`; `serve <service>`: the service's name).
    #[arg(long, global = true)]
    pub ready_file: Option<PathBuf>,

    /// All-in-one mode: create the demo territories (Dijon métropole and a small second one)
    /// on first start.
    #[arg(long)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs one service (microservices mode), on PostgreSQL (`SYNERGIES_DATABASE__URL`) and
    /// NATS JetStream (`SYNERGIES_BUS__NATS_URL`). Addresses come from `[services]`/`[gateway]`.
    Serve {
        /// identity, listings, matching, notifications, flows or gateway.
        #[arg(value_parser = Service::parse)]
        service: Service,
    },
    /// Asks a backend service of this machine (or pod) whether it serves, over gRPC health
    /// and mutual TLS when configured; exits 0 when it does. For Kubernetes' exec probes:
    /// native gRPC probes cannot present a client certificate.
    Health {
        #[arg(value_parser = Service::parse)]
        service: Service,
        /// The server as a whole (liveness), rather than the service with its database and
        /// bus (readiness).
        #[arg(long)]
        server: bool,
    },
    /// Prints the backend services, one a line: name and default port (`deploy/local/run.sh`
    /// starts what this lists).
    Services,
    /// Applies database migrations of every service (or one) to PostgreSQL, or with
    /// `--embedded` to the all-in-one mode's files in `--data-dir`.
    Migrate {
        #[arg(long, value_parser = Service::parse)]
        service: Option<Service>,
        #[arg(long)]
        embedded: bool,
    },
    /// Adds a new key that signs access tokens from now on (identity replicas pick it up within a
    /// minute); tokens signed with older keys stay valid until they expire. On PostgreSQL, or
    /// with `--embedded` on the all-in-one mode's files in `--data-dir`.
    RotateSigningKey {
        #[arg(long)]
        embedded: bool,
    },
    /// Territories (tenants), on PostgreSQL or with `--embedded` on the all-in-one mode's files.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
        #[arg(long, global = true)]
        embedded: bool,
    },
    /// Lists or replays events a consumer gave up on (on NATS, or with `--embedded` on the
    /// all-in-one mode's bus in `--data-dir`).
    DeadLetters {
        #[command(subcommand)]
        command: DeadLetterCommand,
        #[arg(long, global = true)]
        embedded: bool,
    },
    /// Bounced e-mails, on PostgreSQL or with `--embedded` on the all-in-one mode's files.
    Bounces {
        #[command(subcommand)]
        command: BounceCommand,
        #[arg(long, global = true)]
        embedded: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BounceCommand {
    /// Feeds one delivery status notification (RFC 3464), read from standard input (a bounce
    /// mailbox's pipe), as `POST /api/v1/tenants/{tenant}/bounces` does: its permanent failures
    /// count against the territory's addresses.
    Ingest {
        /// The territory whose mail bounced: `dijon-metropole`.
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Creates a territory with its communes (or those of an intercommunality), and optionally
    /// its facilitator organisation.
    Create {
        /// Lowercase letters, digits and hyphens: `dijon-metropole`.
        #[arg(long)]
        slug: String,
        /// Display name: `Dijon Métropole` (with `--epci`: the intercommunality's name by
        /// default).
        #[arg(long, required_unless_present = "epci")]
        name: Option<String>,
        /// A commune of the territory, `INSEE:Name:postal[,postal…]` (repeat the option), e.g.
        /// `--commune 21231:Dijon:21000`.
        #[arg(long = "commune", value_name = "INSEE:NAME:POSTAL_CODES")]
        communes: Vec<String>,
        /// Instead of `--commune`: every commune of the intercommunality (EPCI) with this SIREN,
        /// with its postal codes, from the official list shipped with the platform, e.g.
        /// `--epci 242100410` (Dijon Métropole).
        #[arg(long, value_name = "SIREN", conflicts_with = "communes")]
        epci: Option<String>,
        /// Name of the organisation that facilitates the territory (e.g. its CCI), created
        /// approved; its facilitators are then created over the API.
        #[arg(long)]
        facilitator: Option<String>,
        /// Where maps of the territory open: `latitude,longitude`.
        #[arg(long, value_name = "LAT,LON", value_delimiter = ',')]
        centre: Option<Vec<f64>>,
        /// The map's bounds: `south,west,north,east`.
        #[arg(long, value_name = "S,W,N,E", value_delimiter = ',')]
        bounds: Option<Vec<f64>>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeadLetterCommand {
    /// Prints each dead letter: id, subject, attempts, reason.
    List {
        /// Durable consumer name, e.g. `matching-listing` or `notifications-listing`; every
        /// consumer's when absent.
        #[arg(long)]
        consumer: Option<String>,
    },
    /// Delivers a dead letter again (consumers skip events they already handled).
    Replay {
        #[arg(long)]
        consumer: String,
        #[arg(long)]
        id: u64,
    },
}
