//! Calls spread over a service's replicas, decided by the caller. A Kubernetes Service balances
//! TCP connections, not calls, and a gRPC client keeps one HTTP/2 connection for hours: every
//! call of a gateway pod would land on the one replica it first reached. So the caller resolves
//! the service's name itself (a headless Service answers every ready pod's address), keeps a
//! connection to each address, sends each call to the less loaded of two (tower's
//! power-of-two-choices), and resolves again every few seconds to follow scaling and restarts.
//! A comma-separated list of addresses is balanced the same way, for hosts without such DNS.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint};

/// How the addresses of a service are written in its URL.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Replicas<'a> {
    /// One address that names one server: an IP address, a Unix socket, or balancing turned
    /// off. Reached over a single connection.
    One(&'a str),
    /// Several URLs, comma-separated: each one replica.
    List(Vec<&'a str>),
    /// A DNS name, resolved again and again: every address it answers is a replica.
    Name {
        scheme: &'a str,
        host: &'a str,
        port: u16,
    },
}

impl<'a> Replicas<'a> {
    pub(super) fn of(url: &'a str) -> Self {
        if url.contains(',') {
            return Self::List(
                url.split(',')
                    .map(str::trim)
                    .filter(|one| !one.is_empty())
                    .collect(),
            );
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Self::One(url);
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let Some((host, port)) = authority.rsplit_once(':') else {
            return Self::One(url);
        };
        let Ok(port) = port.parse() else {
            return Self::One(url);
        };
        let bracketless = host.trim_start_matches('[').trim_end_matches(']');
        if bracketless.parse::<IpAddr>().is_ok() || host.is_empty() {
            return Self::One(url);
        }
        Self::Name { scheme, host, port }
    }
}

/// Where a name's replicas are now. The platform asks the system's resolver; tests answer
/// themselves.
#[async_trait::async_trait]
pub trait Resolve: Send + Sync + 'static {
    async fn addresses(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
}

/// The system's resolver (`/etc/hosts`, then DNS), as every other connection of the process.
pub struct SystemResolver;

#[async_trait::async_trait]
impl Resolve for SystemResolver {
    async fn addresses(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// A replica in the balanced set: an address the name resolved to, or the name itself while it
/// has resolved to nothing yet (so that calls fail as they would without balancing, naming the
/// service, instead of waiting for a replica forever).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Replica {
    Unresolved,
    Address(SocketAddr),
}

/// A channel over every replica `host` resolves to. `endpoint` makes the connection settings
/// (timeouts, TLS checked against `host`) for a URL; the first is `unresolved_url`, the name
/// itself. The channel follows the name every `every` until it is dropped.
pub(super) fn follow_name(
    host: String,
    port: u16,
    scheme: String,
    unresolved: Endpoint,
    endpoint: impl Fn(&str) -> Option<Endpoint> + Send + Sync + 'static,
    resolver: std::sync::Arc<dyn Resolve>,
    every: Duration,
) -> Channel {
    let (channel, changes) = Channel::balance_channel::<Replica>(16);
    // Capacity 16 and nothing sent yet: this first change always fits.
    let _ = changes.try_send(Change::Insert(Replica::Unresolved, unresolved));
    tokio::spawn(async move {
        let mut current = BTreeSet::new();
        let mut unresolved = true;
        loop {
            match resolver.addresses(&host, port).await {
                Ok(found) if !found.is_empty() => {
                    let found: BTreeSet<SocketAddr> = found.into_iter().collect();
                    if !apply(&changes, &current, &found, &scheme, &endpoint).await {
                        return;
                    }
                    if unresolved {
                        unresolved = false;
                        if changes
                            .send(Change::Remove(Replica::Unresolved))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    if found != current {
                        tracing::info!(service = %host, replicas = found.len(), "replicas changed");
                    }
                    current = found;
                }
                // A failed or empty answer (DNS briefly down, no pod ready yet) keeps the
                // replicas known: dropping them would fail every call until the next answer.
                Ok(_) => tracing::debug!(service = %host, "the name has no address right now"),
                Err(error) => tracing::warn!(service = %host, %error, "cannot resolve replicas"),
            }
            tokio::select! {
                () = changes.closed() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    });
    channel
}

/// Sends the changes from `current` to `found`; false once the channel is gone.
async fn apply(
    changes: &Sender<Change<Replica, Endpoint>>,
    current: &BTreeSet<SocketAddr>,
    found: &BTreeSet<SocketAddr>,
    scheme: &str,
    endpoint: &impl Fn(&str) -> Option<Endpoint>,
) -> bool {
    for gone in current.difference(found) {
        if changes
            .send(Change::Remove(Replica::Address(*gone)))
            .await
            .is_err()
        {
            return false;
        }
    }
    for new in found.difference(current) {
        let Some(endpoint) = endpoint(&format!("{scheme}://{new}")) else {
            continue;
        };
        if changes
            .send(Change::Insert(Replica::Address(*new), endpoint))
            .await
            .is_err()
        {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_sockets_are_one_server_names_and_lists_are_balanced() {
        assert_eq!(
            Replicas::of("http://127.0.0.1:50051"),
            Replicas::One("http://127.0.0.1:50051")
        );
        assert_eq!(
            Replicas::of("https://[::1]:50051"),
            Replicas::One("https://[::1]:50051")
        );
        assert_eq!(
            Replicas::of("unix:/run/synergies/grpc/listings.sock"),
            Replicas::One("unix:/run/synergies/grpc/listings.sock")
        );
        assert_eq!(
            Replicas::of("https://listings-pods:50052"),
            Replicas::Name {
                scheme: "https",
                host: "listings-pods",
                port: 50052
            }
        );
        assert_eq!(
            Replicas::of("http://10.0.0.1:1, http://10.0.0.2:1"),
            Replicas::List(vec!["http://10.0.0.1:1", "http://10.0.0.2:1"])
        );
    }
}
