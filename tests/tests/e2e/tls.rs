//! TLS everywhere, and services that know who calls them.
//!
//! The split layout runs once with every connection encrypted: PostgreSQL and NATS of the
//! test's own that accept TLS only (`sslmode=verify-full` against the test's CA; NATS with a
//! user and password), and mutual TLS between the gateway and the services and between
//! services, with certificates this test makes (`rcgen`). A member's journey works through it;
//! a caller without a certificate is refused; a client address stated by a service other than
//! the gateway is ignored. The all-in-one layout offers its services to no other process.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use synergies_platform::config::GrpcConfig;
use synergies_platform::grpc::Transport;
use synergies_proto::identity::v1 as pb;
use synergies_tests::Platform;
use synergies_tests::servers::{NATS_PASSWORD, NATS_USER, OwnServers, ServerTls};
use tonic::Code;

/// A certificate authority of the test's own and the certificates it signs, as PEM files.
struct Authority {
    dir: tempfile::TempDir,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its key, on disk.
struct Certified {
    cert_file: PathBuf,
    key_file: PathBuf,
}

impl Authority {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Synergies test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let certificate = params.self_signed(&key).expect("CA certificate");
        std::fs::write(dir.path().join("ca.crt"), certificate.pem()).expect("write the CA");
        Self {
            dir,
            issuer: Issuer::new(params, key),
        }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// A certificate for `names` (DNS names or IP addresses, as subjectAltNames).
    fn certify(&self, file_name: &str, names: &[&str]) -> Certified {
        let key = KeyPair::generate().expect("key");
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .expect("parameters");
        params.distinguished_name.push(DnType::CommonName, names[0]);
        let certificate = params.signed_by(&key, &self.issuer).expect("certificate");
        let certified = Certified {
            cert_file: self.dir.path().join(format!("{file_name}.crt")),
            key_file: self.dir.path().join(format!("{file_name}.key")),
        };
        std::fs::write(&certified.cert_file, certificate.pem()).expect("write the certificate");
        std::fs::write(&certified.key_file, key.serialize_pem()).expect("write the key");
        certified
    }

    /// The gRPC transport of a caller holding `certified`.
    fn transport(&self, certified: &Certified) -> Transport {
        Transport::from_config(&GrpcConfig {
            cert_file: certified.cert_file.display().to_string(),
            key_file: certified.key_file.display().to_string(),
            ca_file: self.ca_file().display().to_string(),
            gateway_name: "gateway".into(),
            ..GrpcConfig::default()
        })
        .expect("the certificates read")
    }
}

fn path(file: &Path) -> String {
    file.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_with_tls_everywhere_serves_a_journey_and_trusts_only_certified_callers() {
    let authority = Authority::new();
    let server = authority.certify("server", &["localhost", "127.0.0.1"]);
    let tls = ServerTls {
        ca_file: authority.ca_file(),
        cert_file: server.cert_file.clone(),
        key_file: server.key_file.clone(),
    };
    let Some(servers) = tokio::task::spawn_blocking(move || OwnServers::start_with_tls(&tls))
        .await
        .expect("servers start")
    else {
        return;
    };
    let test_servers = servers.test_servers();
    assert!(
        test_servers.database_url.contains("sslmode=verify-full")
            && test_servers.nats_url.starts_with("tls://"),
        "{} {}",
        test_servers.database_url,
        test_servers.nats_url
    );
    // Each process its own certificate: a backend's names itself and its address, the
    // gateway's names it `gateway` (what identity believes client addresses from).
    let certificates: Vec<(String, Certified)> = synergies_platform::services::names()
        .map(|name| {
            (
                name.to_owned(),
                authority.certify(name, &[name, "127.0.0.1"]),
            )
        })
        .chain([(
            "gateway".to_owned(),
            authority.certify("gateway", &["gateway"]),
        )])
        .collect();
    let ca_file = path(&authority.ca_file());
    let platform = Platform::split_over_tls(&test_servers, |service| {
        let (_, certified) = certificates
            .iter()
            .find(|(name, _)| name == service)
            .expect("a certificate per process");
        vec![
            (
                "SYNERGIES_GRPC__CERT_FILE".into(),
                path(&certified.cert_file),
            ),
            ("SYNERGIES_GRPC__KEY_FILE".into(), path(&certified.key_file)),
            ("SYNERGIES_GRPC__CA_FILE".into(), ca_file.clone()),
            ("SYNERGIES_BUS__TLS_CA_FILE".into(), ca_file.clone()),
            ("SYNERGIES_BUS__USER".into(), NATS_USER.into()),
            ("SYNERGIES_BUS__PASSWORD".into(), NATS_PASSWORD.into()),
        ]
    })
    .await;

    // A member's journey, through every encrypted hop: members sign in, a request waits, an
    // offer is published, matching pairs them (over NATS), the requester's inbox has it.
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let requester = client.create_member("dijon", "Brasserie du Lac").await;
    let offerer = client
        .create_member("dijon", "Cartonnerie de Bourgogne")
        .await;
    client
        .publish(
            &requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes Europe",
        )
        .await;
    let (offer, _) = client
        .publish(&offerer, "offer", "packaging/pallets", "40 palettes Europe")
        .await;
    let items = client.wait_for_item_about(&requester, &offer).await;
    assert!(
        items
            .iter()
            .any(|item| item["listing_id"] == offer.as_str() && item["kind"] == "match.found"),
        "{items:?}"
    );

    let identity_url = platform.service_url("identity").expect("split layout");
    assert!(identity_url.starts_with("https://"), "{identity_url}");
    let of = |name: &str| {
        &certificates
            .iter()
            .find(|(service, _)| service == name)
            .expect("known process")
            .1
    };
    let gateway = authority.transport(of("gateway"));
    let listings = authority.transport(of("listings"));

    // A caller holding a certificate of the CA is served…
    let health = "synergies.identity.v1.IdentityService";
    assert!(
        synergies_platform::grpc::is_serving(listings.channel(&identity_url).unwrap(), health)
            .await
    );
    // …one without a certificate is refused in the handshake, and so is plain HTTP/2.
    let no_certificate = tonic::transport::Endpoint::from_shared(identity_url.clone())
        .unwrap()
        .tls_config(tonic::transport::ClientTlsConfig::new().ca_certificate(
            tonic::transport::Certificate::from_pem(std::fs::read(authority.ca_file()).unwrap()),
        ))
        .unwrap()
        .connect_lazy();
    assert!(
        !synergies_platform::grpc::is_serving(no_certificate, health).await,
        "a caller without a certificate was served"
    );
    assert!(
        !synergies_platform::grpc::is_serving(
            tonic::transport::Endpoint::from_shared(identity_url.replace("https://", "http://"))
                .unwrap()
                .connect_lazy(),
            health
        )
        .await
    );

    // Kubernetes' probes ask the way a caller does, over mutual TLS (`synergies health`).
    for service in synergies_platform::services::names() {
        platform.cli_in(service, &["health", service]);
        platform.cli_in(service, &["health", service, "--server"]);
    }

    // Only the gateway may state the client's address. Listings' certificate is the CA's too,
    // but not the gateway's: the addresses it states are ignored and its own counts, so five
    // wrong passwords "from five clients" throttle the account from that one caller…
    let email = "personne@example.fr";
    for attempt in 1..=5 {
        let code = login(
            listings.channel(&identity_url).unwrap(),
            email,
            &format!("198.51.100.{attempt}"),
        )
        .await;
        assert_eq!(code, Code::Unauthenticated, "attempt {attempt}");
    }
    let code = login(
        listings.channel(&identity_url).unwrap(),
        email,
        "198.51.100.6",
    )
    .await;
    assert_eq!(
        code,
        Code::ResourceExhausted,
        "a client address stated by listings was believed"
    );
    // …while the gateway's statement is believed: the same account from another client is
    // not throttled.
    let code = login(
        gateway.channel(&identity_url).unwrap(),
        email,
        "203.0.113.9",
    )
    .await;
    assert_eq!(code, Code::Unauthenticated);
}

/// Signs in to `dijon` with a wrong password, stating `client_address`: the answer's code.
async fn login(
    channel: synergies_platform::grpc::ServiceChannel,
    email: &str,
    client_address: &str,
) -> Code {
    let mut identity = pb::identity_service_client::IdentityServiceClient::new(channel);
    identity
        .login(pb::LoginRequest {
            tenant: "dijon".into(),
            email: email.into(),
            password: "not the password at all".into(),
            client_address: client_address.into(),
        })
        .await
        .map_or_else(|status| status.code(), |_| Code::Ok)
}

#[tokio::test]
async fn all_in_one_services_are_not_reachable_from_another_process() {
    let platform = Platform::all_in_one(&[]).await;
    let pid = platform.pid("synergies").expect("running");
    let gateway_port: u16 = platform
        .base_url
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("the gateway's port");
    // The process listens on TCP for the web interface alone: no gRPC port.
    assert_eq!(
        listening_tcp_ports(pid),
        BTreeSet::from([gateway_port]),
        "the all-in-one process listens on more TCP ports than the gateway's"
    );

    // Its services are on Unix sockets in the private data directory…
    let sockets = platform.dir.path().join("data").join("grpc");
    let mode = |path: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&sockets), 0o700);
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&sockets).unwrap() {
        let socket = entry.unwrap().path();
        assert_eq!(mode(&socket), 0o600, "{}", socket.display());
        // …which refuse this test's process, although it runs as the same user.
        let channel = tonic::transport::Endpoint::from_shared(format!("unix:{}", socket.display()))
            .unwrap()
            .connect_lazy();
        assert!(
            !synergies_platform::grpc::is_serving(channel, "").await,
            "{} answered another process",
            socket.display()
        );
        found.push(socket.file_stem().unwrap().to_string_lossy().into_owned());
    }
    found.sort();
    let mut expected: Vec<String> = synergies_platform::services::names()
        .map(str::to_owned)
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    // The platform's own process reaches them: the gateway says every service serves.
    let (status, body) = platform.client.get("/readyz?services=all", "").await;
    assert_eq!(status, 200, "{body}");
}

/// TCP ports process `pid` listens on (IPv4 and IPv6), from `/proc`.
fn listening_tcp_ports(pid: u32) -> BTreeSet<u16> {
    let inodes: BTreeSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the process's descriptors")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    let mut ports = BTreeSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(table) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in table.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is `ADDRESS:PORT` in hex; state 0A is LISTEN.
            if fields.len() > 9 && fields[3] == "0A" && inodes.contains(fields[9]) {
                let port = fields[1].rsplit(':').next().unwrap();
                ports.insert(u16::from_str_radix(port, 16).unwrap());
            }
        }
    }
    ports
}
