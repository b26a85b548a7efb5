//! How services reach each other, and who may call them: mutual TLS in microservices mode
//! (with certificates configured), plain HTTP/2 on a private network (without), or Unix sockets
//! that only the all-in-one process itself may connect to.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use tokio::net::{TcpListener, UnixListener, UnixStream};
use tonic::transport::{
    Certificate, CertificateDer, Channel, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig,
};

use super::balance::{self, Replicas, Resolve, SystemResolver};
use super::observe::ServiceChannel;
use crate::config::GrpcConfig;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{url}: with mutual TLS between services (SYNERGIES_GRPC__CERT_FILE…), services are \
         reached at https:// addresses"
    )]
    PlainUrl { url: String },
    #[error("cannot reach {url}: {source}")]
    Endpoint {
        url: String,
        source: tonic::transport::Error,
    },
}

/// The gRPC transport of this process: its certificate, key and certificate authority when
/// the services speak mutual TLS, and how calls are spread over a service's replicas. Cheap to
/// clone.
#[derive(Clone)]
pub struct Transport {
    tls: Option<Arc<MutualTls>>,
    /// How often a service's name is resolved again (see [`super::balance`]); zero: never,
    /// one connection to whatever the name first resolves to.
    resolve_every: Duration,
    resolver: Arc<dyn Resolve>,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            tls: None,
            resolve_every: Duration::from_millis(GrpcConfig::default().resolve_interval_ms),
            resolver: Arc::new(SystemResolver),
        }
    }
}

struct MutualTls {
    identity: Identity,
    ca: Certificate,
    gateway_name: String,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.tls.is_some() {
            "Transport(mutual TLS)"
        } else {
            "Transport(plain)"
        })
    }
}

impl Transport {
    /// Reads the configured files (mutual TLS), or a plain transport when none is configured.
    pub fn from_config(config: &GrpcConfig) -> Result<Self, TransportError> {
        let balanced = Self {
            resolve_every: Duration::from_millis(config.resolve_interval_ms),
            ..Self::default()
        };
        if !config.mutual_tls() {
            return Ok(balanced);
        }
        let read = |path: &str| {
            std::fs::read(path).map_err(|source| TransportError::Read {
                path: path.to_owned(),
                source,
            })
        };
        Ok(Self {
            tls: Some(Arc::new(MutualTls {
                identity: Identity::from_pem(read(&config.cert_file)?, read(&config.key_file)?),
                ca: Certificate::from_pem(read(&config.ca_file)?),
                gateway_name: config.gateway_name.clone(),
            })),
            ..balanced
        })
    }

    /// This transport, with replicas found by `resolver` every `every` (tests).
    #[must_use]
    pub fn resolving_with(self, resolver: Arc<dyn Resolve>, every: Duration) -> Self {
        Self {
            resolver,
            resolve_every: every,
            ..self
        }
    }

    pub fn is_mutual_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// A lazily connected channel to `url` (`http://`, `https://` with mutual TLS, or
    /// `unix:/path`), with connect and request timeouts. With mutual TLS this process presents
    /// its certificate and checks the server's against the CA, for the host name of `url`.
    ///
    /// Calls are spread over the service's replicas (see [`super::balance`]): every address a
    /// DNS name resolves to, followed as it changes, or each URL of a comma-separated list.
    /// An IP address or a Unix socket is one server.
    ///
    /// Each call is a client span and counts in the client duration histogram (see
    /// [`ServiceChannel`]).
    pub fn channel(&self, url: &str) -> Result<ServiceChannel, TransportError> {
        self.balanced_channel(url).map(ServiceChannel::from)
    }

    fn balanced_channel(&self, url: &str) -> Result<Channel, TransportError> {
        let in_runtime = tokio::runtime::Handle::try_current().is_ok();
        match Replicas::of(url) {
            Replicas::List(urls) if in_runtime => {
                let endpoints = urls
                    .into_iter()
                    .map(|one| self.endpoint(one, None))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Channel::balance_list(endpoints.into_iter()))
            }
            Replicas::Name { scheme, host, port }
                if in_runtime && !self.resolve_every.is_zero() =>
            {
                let unresolved = self.endpoint(url, None)?;
                let (transport, name) = (self.clone(), host.to_owned());
                // Each address is reached as `scheme://ip:port`, and its certificate must
                // still name the service.
                let endpoint = move |address_url: &str| {
                    transport
                        .endpoint(address_url, Some(&name))
                        .inspect_err(|error| tracing::warn!(%error, "replica skipped"))
                        .ok()
                };
                Ok(balance::follow_name(
                    host.to_owned(),
                    port,
                    scheme.to_owned(),
                    unresolved,
                    endpoint,
                    Arc::clone(&self.resolver),
                    self.resolve_every,
                ))
            }
            _ => self.channel_checking(url, None),
        }
    }

    /// [`Transport::channel`] to `url`, checking that the server's certificate names
    /// `server_name` rather than `url`'s host: a probe reaching its own pod's service over
    /// loopback checks the name the service's callers know it by.
    pub fn channel_for_name(
        &self,
        url: &str,
        server_name: &str,
    ) -> Result<Channel, TransportError> {
        self.channel_checking(url, Some(server_name))
    }

    fn channel_checking(
        &self,
        url: &str,
        server_name: Option<&str>,
    ) -> Result<Channel, TransportError> {
        Ok(self.endpoint(url, server_name)?.connect_lazy())
    }

    /// The connection settings to `url`: timeouts, and with mutual TLS this process's
    /// certificate and the server's checked for `server_name` (else `url`'s host).
    fn endpoint(&self, url: &str, server_name: Option<&str>) -> Result<Endpoint, TransportError> {
        let endpoint_error = |source| TransportError::Endpoint {
            url: url.to_owned(),
            source,
        };
        let mut endpoint = endpoint(url).map_err(endpoint_error)?;
        if let Some(tls) = &self.tls {
            if !url.starts_with("https://") {
                return Err(TransportError::PlainUrl {
                    url: url.to_owned(),
                });
            }
            let mut config = ClientTlsConfig::new()
                .ca_certificate(tls.ca.clone())
                .identity(tls.identity.clone());
            if let Some(name) = server_name {
                config = config.domain_name(name);
            }
            endpoint = endpoint.tls_config(config).map_err(endpoint_error)?;
        }
        Ok(endpoint)
    }

    /// What a TCP server of this process requires: its certificate, and a client certificate
    /// signed by the CA from every caller (the handshake fails without one).
    pub(crate) fn server_tls(&self) -> Option<ServerTlsConfig> {
        self.tls.as_ref().map(|tls| {
            ServerTlsConfig::new()
                .identity(tls.identity.clone())
                .client_ca_root(tls.ca.clone())
        })
    }

    /// Whether the caller of `request` is the gateway, the one caller whose statements about
    /// the end client (its address) are believed. With mutual TLS: its certificate carries
    /// the configured gateway name. Without: any caller, since only the platform's own
    /// processes can reach the services — this process over its private Unix sockets
    /// (all-in-one), or a private network (plain microservices mode, documented as such).
    pub fn caller_is_gateway<T>(&self, request: &tonic::Request<T>) -> bool {
        let Some(tls) = &self.tls else {
            return true;
        };
        request
            .peer_certs()
            .and_then(|certs| certs.first().map(|cert| names(cert, &tls.gateway_name)))
            .unwrap_or(false)
    }
}

/// Whether the certificate carries `name` as a DNS subjectAltName.
fn names(certificate: &CertificateDer<'_>, name: &str) -> bool {
    let Ok(certificate) = webpki::EndEntityCert::try_from(certificate) else {
        return false;
    };
    let Ok(name) = rustls_pki_types::ServerName::try_from(name) else {
        return false;
    };
    certificate.verify_is_valid_for_subject_name(&name).is_ok()
}

fn endpoint(url: &str) -> Result<Endpoint, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .tcp_nodelay(true)
        // A replica that vanished without closing its connections (node lost, network cut) is
        // found dead in 40 s instead of at the kernel's TCP timeout, and calls move on.
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10)))
}

/// Where a gRPC server accepts connections.
#[derive(Debug)]
pub enum Listener {
    Tcp(TcpListener),
    /// A Unix socket of the all-in-one mode, in its private data directory; see
    /// [`Listener::bind_private_socket`].
    Unix(UnixListener, PathBuf),
}

impl From<TcpListener> for Listener {
    fn from(listener: TcpListener) -> Self {
        Self::Tcp(listener)
    }
}

impl Listener {
    /// Binds a Unix socket at `path` (a socket left by an earlier run is replaced) that only
    /// this very process may use: the file is its owner's only, and every connection whose
    /// peer is another process — even one of the same user — is closed at once.
    pub fn bind_private_socket(path: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::PermissionsExt;
        // A socket something still listens on belongs to another process on the same data
        // directory: replacing it would cut that process off from its own services.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "another process serves this data directory",
            ));
        }
        match std::fs::remove_file(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Self::Unix(listener, path.to_owned()))
    }

    /// The address to log.
    pub fn local_addr(&self) -> std::io::Result<String> {
        match self {
            Self::Tcp(listener) => Ok(listener.local_addr()?.to_string()),
            Self::Unix(_, path) => Ok(unix_url(path)),
        }
    }
}

/// The address clients give to reach the Unix socket at `path`.
pub fn unix_url(path: &Path) -> String {
    format!("unix:{}", path.display())
}

/// The connections of `listener` whose peer is this process; others are closed and logged.
pub(crate) fn same_process_only(
    listener: UnixListener,
) -> impl Stream<Item = std::io::Result<UnixStream>> + Send + 'static {
    let own = i32::try_from(std::process::id()).ok();
    futures::stream::unfold(listener, move |listener| async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let peer = stream
                        .peer_cred()
                        .ok()
                        .and_then(|credentials| credentials.pid());
                    if peer.is_some() && peer == own {
                        return Some((Ok(stream), listener));
                    }
                    tracing::warn!(
                        peer_pid = ?peer,
                        "refused a gRPC connection from another process"
                    );
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "accepting a gRPC connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_private_socket_replaces_a_stale_one_but_never_a_live_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.sock");
        let live = Listener::bind_private_socket(&path).unwrap();
        let error = Listener::bind_private_socket(&path).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
        // Once its process is gone (here: its listener closed), the file left behind is
        // replaced.
        drop(live);
        assert!(path.exists());
        Listener::bind_private_socket(&path).unwrap();
    }
}
