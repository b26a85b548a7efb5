//! Typed, layered configuration: built-in defaults, then an optional TOML file, then
//! `SYNERGIES_` environment variables (`__` separates sections: `SYNERGIES_BUS__NATS_URL`).
//!
//! Unknown keys are refused so that a typo in a variable name stops start-up instead of being
//! silently ignored. Variables starting with `SYNERGIES_TEST_` belong to the test harness and
//! `SYNERGIES_CONFIG` names the file; both are skipped here.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub const ENV_PREFIX: &str = "SYNERGIES_";

/// Whole-platform configuration; each service reads the sections it needs.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PlatformConfig {
    pub database: DatabaseConfig,
    pub bus: BusConfig,
    pub outbox: OutboxConfig,
    pub retention: RetentionConfig,
    pub telemetry: TelemetryConfig,
    pub services: ServicesConfig,
    pub grpc: GrpcConfig,
    pub identity: IdentityConfig,
    pub listings: ListingsConfig,
    pub flows: FlowsConfig,
    pub notifications: NotificationsConfig,
    pub gateway: GatewayConfig,
    pub photos: PhotosConfig,
}

/// Where listing photos are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhotosConfig {
    /// Directory of the photo files. Empty: `<data-dir>/photos` in all-in-one mode, `var/photos`
    /// (relative to the working directory) for `serve listings`. With several listings replicas
    /// it must be one volume shared by all of them (ReadWriteMany).
    pub directory: String,
    /// Seconds between two sweeps of photo files that no photo row points to (left by a crash
    /// in the middle of an upload); each sweep lists the directory.
    pub orphan_sweep_secs: u64,
}

impl Default for PhotosConfig {
    fn default() -> Self {
        Self {
            directory: String::new(),
            orphan_sweep_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    /// `smtp://host:port` (plain), `smtps://…` (TLS) or `smtp://…?tls=required` (STARTTLS), with
    /// optional `user:password@`. Empty: e-mails are kept for the operator, not sent.
    pub smtp_url: Secret,
    /// Sender of every e-mail.
    pub from: String,
    /// Address of the web interface, for links in e-mails.
    pub public_url: String,
    /// IANA time zone of the territories (digests go at 08:00 there), e.g. `Europe/Paris`.
    pub time_zone: String,
    /// Territories in another time zone: `slug=Zone` pairs separated by commas, e.g.
    /// `reunion=Indian/Reunion`.
    pub tenant_time_zones: String,
    /// Seconds between two looks for digests and reminders that are due.
    pub scheduler_interval_secs: u64,
    /// Tests only: the scheduler's clock starts at this RFC 3339 instant (then runs at the real
    /// pace) instead of now, so that 08:00 or a reminder's deadline need not be waited for.
    pub clock_start: String,
    /// Days an e-mail may wait unsent (no SMTP server, an unreachable one, an undeliverable
    /// address) before it is dropped; 0 keeps them for ever.
    pub unsent_mail_max_age_days: u32,
    /// Seconds a territory's branding (name, colour, logo) and time zone are kept before
    /// identity is asked again: a changed or removed logo shows in e-mails after at most this.
    pub branding_cache_secs: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            smtp_url: Secret::default(),
            from: "Synergies <no-reply@synergies.localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            time_zone: "Europe/Paris".into(),
            tenant_time_zones: String::new(),
            scheduler_interval_secs: 60,
            clock_start: String::new(),
            unsent_mail_max_age_days: 30,
            branding_cache_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListingsConfig {
    /// Seconds between two looks for listings whose availability has ended. Expiry goes by the
    /// day, so minutes of delay are invisible; tests shorten it.
    pub expiry_sweep_secs: u64,
    /// Directory of this replica's search index, on its own local disk (rebuilt from the
    /// database when missing, so it needs no backup). Empty: `<data-dir>/search-index` in
    /// all-in-one mode, `var/search-index` (relative to the working directory) for `serve
    /// listings`. Replicas that share a directory each take a slot of their own in it.
    pub search_directory: String,
}

impl Default for ListingsConfig {
    fn default() -> Self {
        Self {
            expiry_sweep_secs: 300,
            search_directory: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FlowsConfig {
    /// Directory of this replica's flow search index, on its own local disk (rebuilt from the
    /// database when missing, so it needs no backup). Empty: `<data-dir>/flows-search-index`
    /// in all-in-one mode, `var/flows-search-index` (relative to the working directory) for
    /// `serve flows`. Replicas that share a directory each take a slot of their own in it.
    pub search_directory: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// Secret the platform operator exchanges for an operator access token. Empty: disabled.
    pub operator_token: Secret,
    /// Key-encryption keys that seal the token signing keys at rest: `id:base64` of 32 random
    /// bytes, comma-separated, the first sealing (see `identity::key_encryption`). Empty: keys
    /// are stored unsealed, with a warning at start.
    pub key_encryption_keys: Secret,
    /// The same list read from a file (a mounted secret); wins over `key_encryption_keys`.
    pub key_encryption_keys_file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// PostgreSQL URL for microservices mode. Each service uses its own schema in it.
    pub url: Secret,
    /// The password of `url`'s role read from a file (a mounted secret), which replaces any
    /// password `url` holds: the owner's password then lives in the secret alone.
    pub password_file: String,
    pub max_connections: u32,
    /// Schema name prefix (tests give each run its own so they can share one database).
    pub schema_prefix: String,
    /// Each service's own role (see [`DatabaseRoles`]). Empty: every service connects with
    /// `url`'s role, which then also migrates.
    pub roles: DatabaseRoles,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: Secret::new("postgres://postgres@127.0.0.1:5432/synergies"),
            password_file: String::new(),
            max_connections: 10,
            schema_prefix: String::new(),
            roles: DatabaseRoles::default(),
        }
    }
}

impl DatabaseConfig {
    /// Puts the password of [`Self::password_file`] (when named) into [`Self::url`].
    fn read_password_file(&mut self) -> Result<(), ConfigError> {
        if self.password_file.is_empty() {
            return Ok(());
        }
        let read = std::fs::read_to_string(&self.password_file).map_err(|error| {
            ConfigError(format!(
                "cannot read {} ({ENV_PREFIX}DATABASE__PASSWORD_FILE): {error}",
                self.password_file
            ))
        })?;
        // Secrets files usually end with a newline that is not part of the password.
        let password = read.trim_end_matches(['\n', '\r']);
        let url = with_password(self.url.expose(), password).ok_or_else(|| {
            ConfigError(format!(
                "{ENV_PREFIX}DATABASE__PASSWORD_FILE needs a user in {ENV_PREFIX}DATABASE__URL \
                 (postgres://<user>@<host>/<database>)"
            ))
        })?;
        self.url = Secret::new(url);
        Ok(())
    }
}

/// `url` (`postgres://user[:old]@host/…`) with `password` for its user, percent-encoded;
/// `None` when the URL names no user.
fn with_password(url: &str, password: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (user_info, host) = authority.rsplit_once('@')?;
    let user = user_info
        .split(':')
        .next()
        .filter(|user| !user.is_empty())?;
    let encoded: String = password
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    Some(format!("{scheme}://{user}:{encoded}@{host}{path}"))
}

/// The PostgreSQL role of each service, so that one service's credentials reach its own schema
/// only (never identity's signing keys): `<service>_user`, and its password as
/// `<service>_password` or, from a mounted secret, `<service>_password_file`
/// (`SYNERGIES_DATABASE__ROLES__LISTINGS_USER`…). The server and database are `database.url`'s.
///
/// With a role configured, `synergies migrate` connects as `database.url`'s role (the owner),
/// applies the migrations, creates or updates the role (its password too: rotation is a new
/// password and a migrate) and grants it its schema's rows; `serve <service>` connects as the
/// role, which can run no DDL, and waits until the owner has migrated. Roles are cluster-wide:
/// two deployments on one PostgreSQL server need different role names.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct DatabaseRoles(BTreeMap<String, Secret>);

const ROLE_KEYS: [&str; 3] = ["_user", "_password", "_password_file"];

impl DatabaseRoles {
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), Secret::new(value));
    }

    /// `service`'s own role, with its password read (from its file when one is named); `None`
    /// when the service has none and connects as the owner.
    pub fn role(&self, service: &str) -> Result<Option<crate::db::RuntimeRole>, ConfigError> {
        let value = |suffix: &str| {
            self.0
                .get(&format!("{service}{suffix}"))
                .filter(|value| !value.is_empty())
        };
        let Some(user) = value("_user") else {
            return Ok(None);
        };
        let password = match (value("_password_file"), value("_password")) {
            (Some(file), _) => {
                let read = std::fs::read_to_string(file.expose()).map_err(|error| {
                    ConfigError(format!(
                        "cannot read {} (key `database.roles.{service}_password_file`): {error}",
                        file.expose()
                    ))
                })?;
                // Secrets files usually end with a newline that is not part of the password.
                Some(Secret::new(read.trim_end_matches(['\n', '\r'])))
            }
            (None, password) => password.cloned(),
        };
        Ok(Some(crate::db::RuntimeRole {
            name: user.expose().to_owned(),
            password,
        }))
    }

    /// Keys naming no backend or no known setting, and passwords given without their user.
    fn mistakes(&self) -> Vec<String> {
        let mut mistakes = Vec::new();
        for (key, value) in &self.0 {
            let service = ROLE_KEYS.iter().find_map(|suffix| key.strip_suffix(suffix));
            match service {
                Some(service) if crate::services::backend(service).is_some() => {
                    let user = self.0.get(&format!("{service}_user"));
                    let orphan = !key.ends_with("_user") && !value.is_empty();
                    if orphan && user.is_none_or(Secret::is_empty) {
                        mistakes.push(format!(
                            "`database.roles.{key}` without `database.roles.{service}_user` \
                             (environment variable {ENV_PREFIX}DATABASE__ROLES__{}_USER)",
                            service.to_uppercase()
                        ));
                    }
                }
                _ => mistakes.push(format!(
                    "unknown key `database.roles.{key}` (environment variable \
                     {ENV_PREFIX}DATABASE__ROLES__{}); each service has `<service>_user`, \
                     `<service>_password` and `<service>_password_file`",
                    key.to_uppercase()
                )),
            }
        }
        let mut users: Vec<(&str, &str)> = self
            .0
            .iter()
            .filter_map(|(key, user)| Some((key.strip_suffix("_user")?, user.expose())))
            .filter(|(_, user)| !user.is_empty())
            .collect();
        users.sort_by_key(|(_, user)| *user);
        for pair in users.windows(2) {
            if pair[0].1 == pair[1].1 {
                mistakes.push(format!(
                    "{} and {} have the same database role: each service needs its own",
                    pair[0].0, pair[1].0
                ));
            }
        }
        mistakes
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusConfig {
    pub nats_url: String,
    /// First token of every subject; the JetStream stream is named after it.
    pub prefix: String,
    /// Deliveries of one event before it is dead-lettered.
    pub max_deliver: u32,
    /// Seconds a consumer may hold an event before it is delivered again.
    pub ack_wait_secs: u64,
    /// Copies of each JetStream stream: 1 on a single server, 3 on a three-server cluster.
    pub stream_replicas: usize,
    /// Days dead letters are kept (on NATS, the dead-letter stream's max age; in all-in-one
    /// mode, by the retention sweep). 0 keeps them until they are replayed.
    pub dead_letter_max_age_days: u64,
    /// PEM certificate authority the NATS server's certificate is checked against (TLS is then
    /// required). Empty: the system's roots, when the URL is `tls://`.
    pub tls_ca_file: String,
    /// PEM client certificate and key, for a server that verifies its clients.
    pub tls_cert_file: String,
    pub tls_key_file: String,
    /// User and password, when the server asks for them (or put them in the URL).
    pub user: String,
    pub password: Secret,
    /// A NATS credentials file (`.creds`: user JWT and NKey seed), instead of user and password.
    pub credentials_file: String,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            nats_url: "nats://127.0.0.1:4222".into(),
            prefix: "synergies".into(),
            max_deliver: 5,
            ack_wait_secs: 30,
            stream_replicas: 1,
            dead_letter_max_age_days: 30,
            tls_ca_file: String::new(),
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
            user: String::new(),
            password: Secret::default(),
            credentials_file: String::new(),
        }
    }
}

impl BusConfig {
    /// Whether the connection to NATS is encrypted: a `tls://` URL, or a CA or client
    /// certificate given.
    pub fn tls_required(&self) -> bool {
        self.nats_url.starts_with("tls://")
            || !self.tls_ca_file.is_empty()
            || !self.tls_cert_file.is_empty()
    }
}

/// How the services speak gRPC to each other in microservices mode. With the three files
/// given, every connection is mutual TLS: a service serves with its certificate and accepts
/// only callers presenting one signed by `ca_file`; every caller (the gateway, a service
/// calling another) presents its own and checks the server's against the same CA. Without
/// them, gRPC is plain HTTP/2, for a private network only. The all-in-one mode ignores this
/// section: its services speak over Unix sockets only the process itself may use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpcConfig {
    /// PEM certificate (with its chain) this process presents, as a server and as a client.
    pub cert_file: String,
    /// PEM private key of that certificate.
    pub key_file: String,
    /// PEM certificate authority that signs every service's and the gateway's certificate.
    pub ca_file: String,
    /// DNS name (subjectAltName) that identifies the gateway's certificate: only a caller
    /// presenting it may state the end client's address (sign-in throttling counts per client).
    pub gateway_name: String,
    /// How often a service's DNS name is resolved again to find its replicas (a headless
    /// Service answers every ready pod); calls are spread over all of them. 0: one connection
    /// to the first address, as a plain client would.
    pub resolve_interval_ms: u64,
}

impl GrpcConfig {
    /// Whether gRPC connections are mutual TLS (the files are all given; see [`PlatformConfig::load`]).
    pub fn mutual_tls(&self) -> bool {
        !self.cert_file.is_empty()
    }
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            cert_file: String::new(),
            key_file: String::new(),
            ca_file: String::new(),
            gateway_name: "gateway".into(),
            resolve_interval_ms: 5_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// Turned off only to hold events in the outbox (crash tests, maintenance).
    pub relay_enabled: bool,
    pub batch_size: u32,
    /// Longest pause between two scans when no commit woke the relay.
    pub poll_interval_ms: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            relay_enabled: true,
            batch_size: 100,
            poll_interval_ms: 500,
        }
    }
}

/// How long the platform tables keep what has done its work (see `retention`). Dead letters'
/// age is `bus.dead_letter_max_age_days`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Off: nothing is pruned (an investigation that needs the rows).
    pub enabled: bool,
    /// Days a published outbox row is kept (unpublished rows are never pruned).
    pub outbox_days: u64,
    /// Days a consumer remembers an event it handled. Must exceed the bus's 7 days of
    /// retention, or a late redelivery could be handled twice.
    pub processed_events_days: u64,
    /// Seconds between two sweeps.
    pub sweep_interval_secs: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            outbox_days: 7,
            processed_events_days: 30,
            sweep_interval_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    pub format: LogFormat,
    /// `tracing` filter directives; `RUST_LOG` wins when set.
    pub filter: String,
    /// HTTP address serving `/metrics` and `/healthz`: of a service run alone (`serve
    /// <service>`, the gateway included) or of the all-in-one process. Never the public port,
    /// which does not serve `/metrics`. Empty: not served.
    pub metrics_listen: String,
    /// OTLP/gRPC collector traces are exported to, `http://…` or `https://…`. Empty: the
    /// standard `OTEL_EXPORTER_OTLP_ENDPOINT` variable, and no export without it.
    pub otlp_endpoint: String,
    /// PEM certificate authority of an `https` collector. Empty: the standard
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE` variable, else the system's roots.
    pub otlp_ca_file: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info".into(),
            metrics_listen: String::new(),
            otlp_endpoint: String::new(),
            otlp_ca_file: String::new(),
        }
    }
}

/// Where each service listens (`serve <service>`) and where the others reach it: for every
/// backend of [`crate::services::BACKENDS`], `<name>_listen` and `<name>_url`
/// (`SYNERGIES_SERVICES__IDENTITY_URL`…). Any other key is refused when loading.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct ServicesConfig(BTreeMap<String, String>);

impl Default for ServicesConfig {
    fn default() -> Self {
        let mut addresses = BTreeMap::new();
        for backend in crate::services::BACKENDS {
            let address = format!("127.0.0.1:{}", backend.default_port);
            addresses.insert(format!("{}_url", backend.name), format!("http://{address}"));
            addresses.insert(format!("{}_listen", backend.name), address);
        }
        Self(addresses)
    }
}

impl ServicesConfig {
    /// Address `service` listens on in microservices mode (empty for an unknown service).
    pub fn listen(&self, service: &str) -> &str {
        self.0
            .get(&format!("{service}_listen"))
            .map_or("", String::as_str)
    }

    /// Where the others reach `service` (empty for an unknown service).
    pub fn url(&self, service: &str) -> &str {
        self.0
            .get(&format!("{service}_url"))
            .map_or("", String::as_str)
    }

    pub fn set_url(&mut self, service: &str, url: impl Into<String>) {
        self.0.insert(format!("{service}_url"), url.into());
    }

    pub fn set_listen(&mut self, service: &str, address: impl Into<String>) {
        self.0.insert(format!("{service}_listen"), address.into());
    }

    /// Keys naming no backend, e.g. a misspelt `idenity_url`.
    fn unknown_keys(&self) -> Vec<String> {
        self.0
            .keys()
            .filter(|key| {
                let service = key
                    .strip_suffix("_listen")
                    .or_else(|| key.strip_suffix("_url"));
                service.is_none_or(|service| crate::services::backend(service).is_none())
            })
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    pub listen: String,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Browser session cookies are `Secure` with `__Host-` names. Turn off only to serve
    /// browsers over plain HTTP on a trusted network (localhost is fine either way).
    pub secure_cookies: bool,
    /// Territory the root page `/` leads to (empty: a page explaining where territories live).
    pub default_tenant: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client, comma-separated addresses or
    /// CIDR blocks (`10.0.0.0/8, 192.0.2.7`). Sign-in throttling counts per client; empty: the
    /// connection's peer is the client and `X-Forwarded-For` is ignored.
    pub trusted_proxies: String,
    /// Key that binds CSRF tokens to their browser session (an HMAC of the session id). Every
    /// gateway replica needs the same one. Empty: a random key per process — open forms then
    /// need a reload after a restart.
    pub csrf_secret: Secret,
    /// Address of the map tiles the search page's map shows (`{z}`, `{x}`, `{y}`, optionally
    /// `{s}`), e.g. a tile server of one's own. The pages allow images from its origin only in
    /// addition to their own. Empty: no map, the results are a list (as they are anyway without
    /// JavaScript or when the tiles cannot be reached).
    pub map_tiles_url: String,
    /// The credit the tiles' licence asks for, shown on the map.
    pub map_tiles_attribution: String,
}

/// OpenStreetMap's own tiles (their usage policy suits a small territory's traffic).
pub const OPENSTREETMAP_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 64 * 1024,
            secure_cookies: true,
            default_tenant: String::new(),
            trusted_proxies: String::new(),
            csrf_secret: Secret::default(),
            map_tiles_url: OPENSTREETMAP_TILES.into(),
            map_tiles_attribution: "© OpenStreetMap".into(),
        }
    }
}

/// A string that never appears in logs or `Debug` output.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"[redacted]\""
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl PlatformConfig {
    /// Loads defaults, then `file` (or the file named by `SYNERGIES_CONFIG`), then environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("SYNERGIES_CONFIG").map(PathBuf::from));
        let mut figment = Figment::from(Serialized::defaults(PlatformConfig::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError(format!(
                    "configuration file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(environment());
        let config: Self = figment
            .extract()
            .map_err(|error| ConfigError(describe(&error)))?;
        let unknown = config.services.unknown_keys();
        if !unknown.is_empty() {
            let known = crate::services::names().collect::<Vec<_>>().join(", ");
            return Err(ConfigError(format!(
                "unknown service addresses {} (environment variables {}); services are {known}, \
                 each with `<service>_listen` and `<service>_url`",
                unknown.join(", "),
                unknown
                    .iter()
                    .map(|key| format!("{ENV_PREFIX}SERVICES__{}", key.to_uppercase()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        config.check_files()?;
        let mut config = config;
        config.database.read_password_file()?;
        let mistakes = config.database.roles.mistakes();
        if !mistakes.is_empty() {
            return Err(ConfigError(mistakes.join("; ")));
        }
        Ok(config)
    }

    /// Files that only make sense together: half a TLS set-up must not pass for a whole one.
    fn check_files(&self) -> Result<(), ConfigError> {
        let grpc = [
            &self.grpc.cert_file,
            &self.grpc.key_file,
            &self.grpc.ca_file,
        ];
        let given = grpc.iter().filter(|file| !file.is_empty()).count();
        if given != 0 && given != grpc.len() {
            return Err(ConfigError(format!(
                "mutual TLS between services needs {ENV_PREFIX}GRPC__CERT_FILE, \
                 {ENV_PREFIX}GRPC__KEY_FILE and {ENV_PREFIX}GRPC__CA_FILE together (key `grpc` \
                 in a file); {given} of them are set"
            )));
        }
        if self.bus.tls_cert_file.is_empty() != self.bus.tls_key_file.is_empty() {
            return Err(ConfigError(format!(
                "a NATS client certificate needs {ENV_PREFIX}BUS__TLS_CERT_FILE and \
                 {ENV_PREFIX}BUS__TLS_KEY_FILE together"
            )));
        }
        Ok(())
    }
}

fn environment() -> Env {
    Env::prefixed(ENV_PREFIX).split("__").filter(|key| {
        let key = key.as_str().to_ascii_lowercase();
        !key.starts_with("test_") && key != "config"
    })
}

/// Names the environment variable (or file) behind each error, which figment alone does not.
fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let path = &e.path;
            let from_env = e
                .metadata
                .as_ref()
                .is_some_and(|m| m.name.contains("environment"));
            if from_env && !path.is_empty() {
                format!(
                    "{} (environment variable {ENV_PREFIX}{})",
                    e.kind,
                    path.join("__").to_uppercase()
                )
            } else if let Some(source) = e.metadata.as_ref().and_then(|m| m.source.as_ref()) {
                format!("{} (key `{}` in {source})", e.kind, path.join("."))
            } else {
                format!("{} (key `{}`)", e.kind, path.join("."))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
// figment's `Jail` closures return its (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_environment_variable_is_named_in_the_error() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SYNERGIES_BUS__NATS_ULR", "nats://x");
            let error = PlatformConfig::load(None).unwrap_err().to_string();
            assert!(error.contains("SYNERGIES_BUS__NATS_ULR"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn a_malformed_value_is_named_in_the_error() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SYNERGIES_BUS__MAX_DELIVER", "many");
            let error = PlatformConfig::load(None).unwrap_err().to_string();
            assert!(error.contains("SYNERGIES_BUS__MAX_DELIVER"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn layers_apply_in_order_and_test_variables_are_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "synergies.toml",
                "[bus]\nprefix = \"from-file\"\nmax_deliver = 7\n",
            )?;
            jail.set_env("SYNERGIES_BUS__PREFIX", "from-env");
            jail.set_env("SYNERGIES_TEST_DATABASE_URL", "postgres://elsewhere");
            let config = PlatformConfig::load(Some(Path::new("synergies.toml"))).unwrap();
            assert_eq!(config.bus.prefix, "from-env");
            assert_eq!(config.bus.max_deliver, 7);
            assert_eq!(config.bus.ack_wait_secs, 30);
            Ok(())
        });
    }

    #[test]
    fn service_addresses_follow_the_list_of_services() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SYNERGIES_SERVICES__FLOWS_URL", "http://flows:50055");
            let config = PlatformConfig::load(None).unwrap();
            assert_eq!(config.services.url("flows"), "http://flows:50055");
            assert_eq!(config.services.listen("identity"), "127.0.0.1:7301");
            assert_eq!(config.services.url("listings"), "http://127.0.0.1:7302");
            jail.set_env("SYNERGIES_SERVICES__IDENITY_URL", "http://x");
            let error = PlatformConfig::load(None).unwrap_err().to_string();
            assert!(error.contains("SYNERGIES_SERVICES__IDENITY_URL"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn half_a_mutual_tls_set_up_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SYNERGIES_GRPC__CERT_FILE", "/etc/synergies/tls.crt");
            let error = PlatformConfig::load(None).unwrap_err().to_string();
            assert!(error.contains("SYNERGIES_GRPC__CA_FILE"), "{error}");
            jail.set_env("SYNERGIES_GRPC__KEY_FILE", "/etc/synergies/tls.key");
            jail.set_env("SYNERGIES_GRPC__CA_FILE", "/etc/synergies/ca.crt");
            let config = PlatformConfig::load(None).unwrap();
            assert!(config.grpc.mutual_tls());
            assert_eq!(config.grpc.gateway_name, "gateway");
            Ok(())
        });
    }

    #[test]
    fn the_owner_password_is_read_from_a_file_into_the_database_url() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("owner-password", "p@ss/w:rd\n")?;
            jail.set_env(
                "SYNERGIES_DATABASE__URL",
                "postgres://postgres:development@db:5432/synergies?sslmode=require",
            );
            jail.set_env("SYNERGIES_DATABASE__PASSWORD_FILE", "owner-password");
            let config = PlatformConfig::load(None).unwrap();
            assert_eq!(
                config.database.url.expose(),
                "postgres://postgres:p%40ss%2Fw%3Ard@db:5432/synergies?sslmode=require"
            );
            assert!(!format!("{config:?}").contains("p%40ss"));

            jail.set_env("SYNERGIES_DATABASE__URL", "postgres://db:5432/synergies");
            let error = PlatformConfig::load(None).unwrap_err().to_string();
            assert!(error.contains("needs a user"), "{error}");
            jail.set_env(
                "SYNERGIES_DATABASE__URL",
                "postgres://postgres@db/synergies",
            );
            jail.set_env("SYNERGIES_DATABASE__PASSWORD_FILE", "missing");
            let error = PlatformConfig::load(None).unwrap_err().to_string();
            assert!(
                error.contains("missing") && error.contains("SYNERGIES_DATABASE__PASSWORD_FILE"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    fn service_roles_read_their_password_from_a_file_and_refuse_stray_keys() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("listings-password", "s3cret\n")?;
            jail.set_env(
                "SYNERGIES_DATABASE__ROLES__LISTINGS_USER",
                "synergies_listings",
            );
            jail.set_env(
                "SYNERGIES_DATABASE__ROLES__LISTINGS_PASSWORD_FILE",
                "listings-password",
            );
            jail.set_env("SYNERGIES_DATABASE__ROLES__FLOWS_USER", "synergies_flows");
            jail.set_env("SYNERGIES_DATABASE__ROLES__FLOWS_PASSWORD", "from-env");
            let config = PlatformConfig::load(None).unwrap();
            let listings = config.database.roles.role("listings").unwrap().unwrap();
            assert_eq!(listings.name, "synergies_listings");
            assert_eq!(
                listings.password.as_ref().map(Secret::expose),
                Some("s3cret")
            );
            let flows = config.database.roles.role("flows").unwrap().unwrap();
            assert_eq!(
                flows.password.as_ref().map(Secret::expose),
                Some("from-env")
            );
            assert!(config.database.roles.role("identity").unwrap().is_none());
            assert!(!format!("{config:?}").contains("from-env"));

            jail.set_env("SYNERGIES_DATABASE__ROLES__MATCHING_PASSWORD", "orphan");
            let error = PlatformConfig::load(None).unwrap_err().to_string();
            assert!(
                error.contains("SYNERGIES_DATABASE__ROLES__MATCHING_USER"),
                "{error}"
            );
            jail.set_env("SYNERGIES_DATABASE__ROLES__MATCHING_PASSWORD", "");
            jail.set_env("SYNERGIES_DATABASE__ROLES__LISTING_USER", "typo");
            let error = PlatformConfig::load(None).unwrap_err().to_string();
            assert!(
                error.contains("SYNERGIES_DATABASE__ROLES__LISTING_USER"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = IdentityConfig {
            operator_token: Secret::new("hunter2"),
            key_encryption_keys: Secret::new("kek:c2VjcmV0"),
            key_encryption_keys_file: String::new(),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("c2VjcmV0"));
    }
}
