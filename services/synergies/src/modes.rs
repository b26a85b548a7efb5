//! The ways the binary runs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use synergies_gateway::Downstream;
use synergies_platform::CancellationToken;
use synergies_platform::auth::{IdentityKeys, Verifier};
use synergies_platform::bus::local::LocalBus;
use synergies_platform::bus::nats::{NatsAccess, NatsBus, StreamSettings};
use synergies_platform::bus::{BusSettings, EventBus};
use synergies_platform::config::{PlatformConfig, Secret};
use synergies_platform::db::{PostgresAccess, StorageTarget};
use synergies_platform::grpc::{Listener, Transport, unix_url};
use synergies_platform::service::ServiceEnv;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::cli::{BounceCommand, Cli, Command, DeadLetterCommand, TenantCommand};
use crate::service::Service;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::data_dir::create_private_files();
    let config = Arc::new(PlatformConfig::load(cli.config.as_deref())?);
    match cli.command {
        None => {
            let ready_file = cli.ready_file.as_deref();
            all_in_one(config, &cli.data_dir, cli.listen, cli.demo, ready_file).await
        }
        Some(Command::Serve { service }) => serve(config, service, cli.ready_file.as_deref()).await,
        Some(Command::Health { service, server }) => health(&config, service, server).await,
        Some(Command::Services) => {
            for backend in synergies_platform::services::BACKENDS {
                println!("{} {}", backend.name, backend.default_port);
            }
            Ok(())
        }
        Some(Command::Migrate { service, embedded }) => {
            migrate(&config, service, embedded.then_some(cli.data_dir.as_path())).await
        }
        Some(Command::RotateSigningKey { embedded }) => {
            let target = if embedded {
                sqlite_target(&cli.data_dir, Service::identity())
            } else {
                postgres_target(&config, Service::identity(), Purpose::Rows)?
            };
            let store = synergies_identity::store::for_database(
                &synergies_identity::database(&target).await?,
            );
            let encryption = synergies_identity::key_encryption::KeyEncryption::from_settings(
                config.identity.key_encryption_keys.expose(),
                &config.identity.key_encryption_keys_file,
            )?;
            let key =
                synergies_identity::keys::KeyRing::rotate(store.as_ref(), &encryption).await?;
            println!("new signing key {}", key.kid);
            Ok(())
        }
        Some(Command::Tenant { command, embedded }) => {
            let target = if embedded {
                sqlite_target(&cli.data_dir, Service::identity())
            } else {
                postgres_target(&config, Service::identity(), Purpose::Rows)?
            };
            tenant(&target, command).await
        }
        Some(Command::DeadLetters { command, embedded }) => {
            dead_letters(&config, command, embedded.then_some(cli.data_dir.as_path())).await
        }
        Some(Command::Bounces { command, embedded }) => {
            let notifications = Service::named("notifications").expect("a backend");
            let target = if embedded {
                sqlite_target(&cli.data_dir, notifications)
            } else {
                postgres_target(&config, notifications, Purpose::Rows)?
            };
            let BounceCommand::Ingest { tenant } = command;
            crate::bounces::ingest(&target, &tenant, &mut std::io::stdin().lock()).await
        }
    }
}

/// `synergies tenant create …`.
async fn tenant(target: &StorageTarget, command: TenantCommand) -> anyhow::Result<()> {
    use synergies_identity::domain::{
        TerritoryCommune, facilitator_organisation, new_tenant, new_tenant_of_intercommunality,
    };
    let TenantCommand::Create {
        slug,
        name,
        communes,
        epci,
        facilitator,
        centre,
        bounds,
    } = command;
    let communes = communes
        .iter()
        .map(|spec| {
            let mut parts = spec.splitn(3, ':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(insee_code), Some(name), Some(postal_codes)) => Ok(TerritoryCommune {
                    insee_code: insee_code.trim().to_owned(),
                    name: name.trim().to_owned(),
                    postal_codes: postal_codes
                        .split(',')
                        .map(|p| p.trim().to_owned())
                        .filter(|p| !p.is_empty())
                        .collect(),
                }),
                _ => Err(anyhow::anyhow!(
                    "--commune {spec:?}: expected INSEE:Name:postal[,postal], e.g. 21231:Dijon:21000"
                )),
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let centre = match centre.as_deref() {
        None => None,
        Some(&[latitude, longitude]) => Some((latitude, longitude)),
        Some(_) => anyhow::bail!("--centre: expected latitude,longitude, e.g. 47.3229,5.0379"),
    };
    let bounds = match bounds.as_deref() {
        None => None,
        Some(&[south, west, north, east]) => Some([south, west, north, east]),
        Some(_) => anyhow::bail!("--bounds: expected south,west,north,east"),
    };
    let name = name.unwrap_or_default();
    let mut tenant = match epci {
        Some(epci) => new_tenant_of_intercommunality(&slug, &name, &epci)?,
        None => new_tenant(&slug, &name, communes)?,
    };
    tenant.map = synergies_identity::domain::TerritoryMap { centre, bounds }.validated()?;
    let store =
        synergies_identity::store::for_database(&synergies_identity::database(target).await?);
    store.create_tenant(&tenant).await?;
    println!(
        "territory {} ({}) created with {} communes",
        tenant.slug,
        tenant.display_name,
        tenant.communes.len()
    );
    if let Some(facilitator) = facilitator {
        let organisation = facilitator_organisation(&tenant.slug, &facilitator)?;
        store.create_organisation(&organisation).await?;
        println!(
            "facilitator organisation {} ({})",
            organisation.name, organisation.id
        );
    }
    Ok(())
}

fn bus_settings(config: &PlatformConfig) -> BusSettings {
    BusSettings {
        prefix: config.bus.prefix.clone(),
        ack_wait: Duration::from_secs(config.bus.ack_wait_secs.max(1)),
    }
}

/// The NATS bus of microservices mode and of the operator commands.
async fn nats_bus(config: &PlatformConfig) -> anyhow::Result<NatsBus> {
    let streams = StreamSettings {
        replicas: config.bus.stream_replicas.max(1),
        dead_letter_max_age: Duration::from_secs(
            config
                .bus
                .dead_letter_max_age_days
                .saturating_mul(24 * 3600),
        ),
    };
    let access = NatsAccess::from_config(&config.bus);
    Ok(
        NatsBus::connect_with_access(&config.bus.nats_url, bus_settings(config), streams, &access)
            .await?,
    )
}

/// What a PostgreSQL connection is for: the owner migrates, a service (or an operator's
/// command) works with the rows, as the service's own role when it has one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Migrate,
    Rows,
}

fn postgres_target(
    config: &PlatformConfig,
    service: Service,
    purpose: Purpose,
) -> anyhow::Result<StorageTarget> {
    let access = match (config.database.roles.role(service.name())?, purpose) {
        (None, _) => PostgresAccess::Owner,
        (Some(role), Purpose::Migrate) => PostgresAccess::OwnerGranting(role),
        (Some(role), Purpose::Rows) => PostgresAccess::Runtime(role),
    };
    Ok(StorageTarget::Postgres {
        url: config.database.url.expose().to_owned(),
        schema: format!("{}{}", config.database.schema_prefix, service.name()),
        max_connections: config.database.max_connections.max(1),
        access,
    })
}

fn sqlite_target(data_dir: &Path, service: Service) -> StorageTarget {
    StorageTarget::Sqlite {
        path: data_dir.join(format!("{}.db", service.name())),
    }
}

async fn local_bus(config: &PlatformConfig, data_dir: &Path) -> anyhow::Result<Arc<dyn EventBus>> {
    Ok(Arc::new(open_local_bus(config, data_dir).await?))
}

async fn open_local_bus(config: &PlatformConfig, data_dir: &Path) -> anyhow::Result<LocalBus> {
    crate::data_dir::prepare(data_dir)?;
    Ok(LocalBus::open(&data_dir.join("bus.db"), bus_settings(config)).await?)
}

/// Everything in one process, on SQLite files and the durable in-process bus.
async fn all_in_one(
    config: Arc<PlatformConfig>,
    data_dir: &Path,
    listen: SocketAddr,
    demo: bool,
    ready_file: Option<&Path>,
) -> anyhow::Result<()> {
    let _telemetry = synergies_platform::telemetry::init("synergies", &config.telemetry);
    let shutdown = synergies_platform::shutdown::on_signal();
    let local = open_local_bus(&config, data_dir).await?;
    if config.retention.enabled {
        tokio::spawn(
            local.clone().run_retention(
                Duration::from_secs(
                    config
                        .bus
                        .dead_letter_max_age_days
                        .saturating_mul(24 * 3600),
                ),
                Duration::from_secs(config.retention.sweep_interval_secs.max(1)),
                shutdown.clone(),
            ),
        );
    }
    let bus: Arc<dyn EventBus> = Arc::new(local);
    let mut demo_accounts = Vec::new();
    if demo {
        let identity =
            synergies_identity::database(&sqlite_target(data_dir, Service::identity())).await?;
        let accounts =
            synergies_identity::demo::seed(&synergies_identity::store::for_database(&identity))
                .await?;
        write_demo_accounts(data_dir, &accounts)?;
        tracing::info!(
            accounts = accounts.len(),
            file = %data_dir.join(DEMO_ACCOUNTS).display(),
            "demo territories ready"
        );
        demo_accounts = accounts;
    }
    // Bound first: with port 0, the address links lead to is the one the system gave.
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    let mut config = (*config).clone();
    // Links in e-mails lead to this very process unless an address was configured.
    let default_public_url = synergies_platform::config::NotificationsConfig::default().public_url;
    if config.notifications.public_url == default_public_url {
        config.notifications.public_url = format!("http://{address}");
    }
    if demo && config.gateway.default_tenant.is_empty() {
        synergies_identity::territory::DIJON_METROPOLE
            .slug
            .clone_into(&mut config.gateway.default_tenant);
    }
    if config.identity.operator_token.is_empty() {
        config.identity.operator_token = operator_token(data_dir)?;
    }
    if config.photos.directory.is_empty() {
        config.photos.directory = data_dir.join("photos").display().to_string();
    }
    let config = Arc::new(config);
    // Services still talk gRPC — one code path in both modes — but over Unix sockets in the
    // private data directory that only this process may connect to (no TCP port another local
    // process could call, and no certificates to manage).
    let sockets = data_dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", data_dir.display()))?
        .join("grpc");
    std::fs::create_dir_all(&sockets)
        .with_context(|| format!("cannot create {}", sockets.display()))?;
    std::fs::set_permissions(&sockets, std::fs::Permissions::from_mode(0o700))?;
    let mut listeners = Vec::new();
    for service in Service::backends() {
        let path = sockets.join(format!("{}.sock", service.name()));
        let listener = Listener::bind_private_socket(&path)
            .with_context(|| format!("cannot listen on {}", path.display()))?;
        listeners.push((service, listener, unix_url(&path)));
    }
    // Services that call each other (listings reads territories and sites from identity) find
    // them where they really listen in this process.
    let config = {
        let mut config = (*config).clone();
        for (service, _, url) in &listeners {
            config.services.set_url(service.name(), url.clone());
        }
        if config.grpc.mutual_tls() {
            tracing::info!("gRPC certificates are for microservices mode: unused all-in-one");
        }
        config.grpc = synergies_platform::config::GrpcConfig::default();
        Arc::new(config)
    };
    let downstream = Downstream::from(&config.services);
    let transport = Transport::default();
    let verifier = identity_verifier(downstream.url("identity"), &transport)?;
    // The services listen on private sockets: the ready file names what is reachable.
    let mut bound = BTreeMap::new();
    let mut tasks = JoinSet::new();
    for (service, listener, _) in listeners {
        let env = ServiceEnv {
            storage: sqlite_target(data_dir, service),
            bus: Arc::clone(&bus),
            config: Arc::clone(&config),
            shutdown: shutdown.clone(),
            verifier: Arc::clone(&verifier),
            grpc: transport.clone(),
        };
        tasks.spawn(async move {
            service
                .run(env, listener)
                .await
                .with_context(|| format!("{} service", service.name()))
        });
    }
    if !config.telemetry.metrics_listen.is_empty() {
        // Metrics on their own listener, never on the public port.
        let metrics_address = config.telemetry.metrics_listen.clone();
        let metrics_listener = TcpListener::bind(&metrics_address)
            .await
            .with_context(|| format!("cannot listen on {metrics_address}"))?;
        bound.insert("metrics", metrics_listener.local_addr()?);
        let metrics_shutdown = shutdown.clone();
        tasks.spawn(async move { serve_metrics(metrics_listener, metrics_shutdown).await });
    }
    let gateway_config = Arc::clone(&config);
    let gateway_shutdown = shutdown.clone();
    let gateway_bus = Arc::clone(&bus);
    tasks.spawn(async move {
        synergies_gateway::run(
            &gateway_config,
            &downstream,
            Some(gateway_bus),
            listener,
            gateway_shutdown,
        )
        .await
        .context("gateway")
    });
    bound.insert("gateway", address);
    crate::ready::write(ready_file, &bound)?;
    println!("Synergies is running at http://{address}/");
    println!(
        "Operator token: in {}",
        data_dir.join("operator-token").display()
    );
    if demo {
        // Not one of the supervised tasks: a demo that cannot be populated is reported, and
        // the platform it was for keeps running.
        let populate = crate::demo::populate(
            format!("http://{address}"),
            demo_accounts,
            config.identity.operator_token.expose().to_owned(),
            data_dir.join(DEMO_ACCOUNTS),
        );
        tokio::spawn(async move {
            if let Err(error) = populate.await {
                tracing::error!(
                    error = format!("{error:#}"),
                    "the demo territory could not be populated"
                );
            }
        });
    }
    supervise(tasks, shutdown).await
}

/// Verifies access tokens with the keys identity publishes at `identity_url`.
fn identity_verifier(identity_url: &str, transport: &Transport) -> anyhow::Result<Arc<Verifier>> {
    let channel = transport.channel(identity_url)?;
    Ok(Arc::new(Verifier::new(Arc::new(IdentityKeys::new(
        channel,
    )))))
}

/// The operator token of the all-in-one mode, created on first start and kept in the data
/// directory (readable by its owner only).
/// Where `--demo` writes the demo accounts' generated passwords (readable by the owner only).
const DEMO_ACCOUNTS: &str = "demo-accounts.txt";

fn write_demo_accounts(
    data_dir: &Path,
    accounts: &[synergies_identity::demo::DemoAccount],
) -> anyhow::Result<()> {
    append_demo_accounts(&data_dir.join(DEMO_ACCOUNTS), accounts)
}

/// Appends `accounts` to the demo accounts file (created readable by its owner only).
pub(crate) fn append_demo_accounts(
    path: &Path,
    accounts: &[synergies_identity::demo::DemoAccount],
) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if accounts.is_empty() {
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    for account in accounts {
        writeln!(
            file,
            "{}\t{}\t{}\t{}",
            account.tenant,
            account.role.as_str(),
            account.email,
            account.password
        )?;
    }
    Ok(())
}

fn operator_token(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("operator-token");
    if let Ok(token) = std::fs::read_to_string(&path) {
        return Ok(Secret::new(token.trim()));
    }
    let token = hex::encode(rand::random::<[u8; 24]>());
    std::fs::write(&path, &token).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(Secret::new(token))
}

/// Waits for shutdown, or for the first task to stop on its own (an error), then stops all.
async fn supervise(
    mut tasks: JoinSet<anyhow::Result<()>>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut failure = None;
    while let Some(joined) = tasks.join_next().await {
        let result = joined.map_err(anyhow::Error::from).and_then(|r| r);
        if !shutdown.is_cancelled() {
            tracing::error!("a service stopped unexpectedly, shutting everything down");
            shutdown.cancel();
        }
        if let Err(error) = result {
            tracing::error!(error = format!("{error:#}"), "service failed");
            failure.get_or_insert(error);
        }
    }
    if let Some(error) = failure {
        return Err(error);
    }
    tracing::info!("stopped");
    Ok(())
}

/// One service, on PostgreSQL and NATS JetStream.
async fn serve(
    config: Arc<PlatformConfig>,
    service: Service,
    ready_file: Option<&Path>,
) -> anyhow::Result<()> {
    let _telemetry = synergies_platform::telemetry::init(
        &format!("synergies-{}", service.name()),
        &config.telemetry,
    );
    let shutdown = synergies_platform::shutdown::on_signal();
    let address = service.listen_address(&config).to_owned();
    // Read now, so that a missing certificate stops the start with its path.
    let transport = Transport::from_config(&config.grpc)?;
    let listener = TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let mut bound = BTreeMap::from([(service.name(), listener.local_addr()?)]);
    let mut tasks = JoinSet::new();
    if !config.telemetry.metrics_listen.is_empty() {
        let metrics_address = config.telemetry.metrics_listen.clone();
        let metrics_listener = TcpListener::bind(&metrics_address)
            .await
            .with_context(|| format!("cannot listen on {metrics_address}"))?;
        bound.insert("metrics", metrics_listener.local_addr()?);
        let metrics_shutdown = shutdown.clone();
        tasks.spawn(async move { serve_metrics(metrics_listener, metrics_shutdown).await });
    }
    crate::ready::write(ready_file, &bound)?;
    println!("{} listening on {}", service.name(), bound[service.name()]);
    if service == Service::Gateway {
        let downstream = Downstream::from(&config.services);
        let gateway_shutdown = shutdown.clone();
        // New inbox items reach each gateway replica over NATS (core subjects, not stored).
        let live: Arc<dyn EventBus> = Arc::new(nats_bus(&config).await?);
        tasks.spawn(async move {
            synergies_gateway::run(&config, &downstream, Some(live), listener, gateway_shutdown)
                .await
        });
    } else {
        let bus: Arc<dyn EventBus> = Arc::new(nats_bus(&config).await?);
        let env = ServiceEnv {
            storage: postgres_target(&config, service, Purpose::Rows)?,
            bus,
            verifier: identity_verifier(config.services.url("identity"), &transport)?,
            config,
            shutdown: shutdown.clone(),
            grpc: transport,
        };
        tasks.spawn(async move { service.run(env, listener.into()).await });
    }
    supervise(tasks, shutdown).await
}

/// `synergies health <service>`: whether the service listening here serves, asked the way its
/// callers ask (their transport, the name they know it by).
async fn health(
    config: &PlatformConfig,
    service: Service,
    server_only: bool,
) -> anyhow::Result<()> {
    let Service::Backend(backend) = service else {
        anyhow::bail!("the gateway's health is its /healthz and /readyz");
    };
    let listen = config.services.listen(backend.name);
    let mut address: SocketAddr = listen
        .parse()
        .with_context(|| format!("{} listens on {listen:?}", backend.name))?;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let transport = Transport::from_config(&config.grpc)?;
    let channel = if transport.is_mutual_tls() {
        let url: tonic::transport::Uri = config.services.url(backend.name).parse()?;
        let name = url.host().unwrap_or("localhost");
        transport
            .channel_for_name(&format!("https://{address}"), name)?
            .into()
    } else {
        transport.channel(&format!("http://{address}"))?
    };
    let target = if server_only {
        ""
    } else {
        backend.grpc_service
    };
    if synergies_platform::grpc::is_serving(channel, target).await {
        Ok(())
    } else {
        anyhow::bail!("{} at {address} is not serving", backend.name)
    }
}

/// `/metrics` and `/healthz` on the metrics listener (`telemetry.metrics_listen`) — of a service
/// run alone, of the gateway, or of the all-in-one process.
async fn serve_metrics(listener: TcpListener, shutdown: CancellationToken) -> anyhow::Result<()> {
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(|| async {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    synergies_platform::metrics::render(),
                )
            }),
        )
        .route("/healthz", get(|| async { "ok" }));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

async fn migrate(
    config: &PlatformConfig,
    only: Option<Service>,
    embedded: Option<&Path>,
) -> anyhow::Result<()> {
    let _telemetry = synergies_platform::telemetry::init("synergies-migrate", &config.telemetry);
    for service in Service::backends().filter(|s| only.is_none_or(|only| only == *s)) {
        let storage = match embedded {
            Some(data_dir) => sqlite_target(data_dir, service),
            None => postgres_target(config, service, Purpose::Migrate)?,
        };
        service
            .migrate(&storage)
            .await
            .with_context(|| format!("migrating {}", service.name()))?;
        println!("{}: migrations applied", service.name());
    }
    Ok(())
}

async fn dead_letters(
    config: &PlatformConfig,
    command: DeadLetterCommand,
    embedded: Option<&Path>,
) -> anyhow::Result<()> {
    let bus: Arc<dyn EventBus> = match embedded {
        Some(data_dir) => local_bus(config, data_dir).await?,
        None => Arc::new(nats_bus(config).await?),
    };
    match command {
        DeadLetterCommand::List { consumer } => {
            let letters = bus.dead_letters(consumer.as_deref()).await?;
            if letters.is_empty() {
                match &consumer {
                    Some(consumer) => println!("no dead letters for {consumer}"),
                    None => println!("no dead letters"),
                }
            }
            for letter in letters {
                println!(
                    "{}\t{}\t{}\t{}\tattempts={}\t{}",
                    letter.consumer,
                    letter.id,
                    letter.failed_at.to_rfc3339(),
                    letter.message.subject,
                    letter.attempts,
                    letter.reason
                );
            }
        }
        DeadLetterCommand::Replay { consumer, id } => {
            bus.replay_dead_letter(&consumer, id).await?;
            println!("dead letter {id} of {consumer} delivered again");
        }
    }
    Ok(())
}
