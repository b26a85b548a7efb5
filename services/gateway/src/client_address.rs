//! Who the client is, for sign-in throttling: the peer of the connection — or, when that peer is
//! one of the configured trusted proxies (`gateway.trusted_proxies`), the address that proxy
//! states in `X-Forwarded-For`. A header from anyone else is ignored: otherwise every guess
//! could claim a fresh address and escape the throttle.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::GatewayState;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// Addresses and CIDR blocks of the reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list: `10.0.0.0/8, 192.0.2.7, ::1`.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let (address, prefix) = entry.split_once('/').unwrap_or((entry, ""));
                let address: IpAddr = address.parse().map_err(|_| {
                    format!("gateway.trusted_proxies: {entry:?} is not an address or a CIDR block")
                })?;
                let address = address.to_canonical();
                let bits = if address.is_ipv4() { 32 } else { 128 };
                let prefix = if prefix.is_empty() {
                    bits
                } else {
                    prefix
                        .parse::<u8>()
                        .ok()
                        .filter(|p| *p <= bits)
                        .ok_or_else(|| {
                            format!(
                                "gateway.trusted_proxies: {entry:?} has an invalid prefix length"
                            )
                        })?
                };
                Ok((address, prefix))
            })
            .collect::<Result<Vec<_>, String>>()
            .map(Self)
    }

    fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0
            .iter()
            .any(|(network, prefix)| match (network, address) {
                (IpAddr::V4(network), IpAddr::V4(address)) => {
                    same_prefix(&network.octets(), &address.octets(), *prefix)
                }
                (IpAddr::V6(network), IpAddr::V6(address)) => {
                    same_prefix(&network.octets(), &address.octets(), *prefix)
                }
                _ => false,
            })
    }

    /// The client of a request that came from `peer`: walking `X-Forwarded-For` from the right
    /// (the hop nearest to us), the first address that is not a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            // Something that is not an address: nothing to its left can be believed.
            let Ok(address) = hop.parse::<IpAddr>() else {
                break;
            };
            client = address.to_canonical();
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

fn same_prefix(network: &[u8], address: &[u8], prefix: u8) -> bool {
    let whole = usize::from(prefix / 8);
    let rest = prefix % 8;
    if network[..whole] != address[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        network[whole] & mask == address[whole] & mask
    }
}

/// The client's address, as identity's throttle should count it.
pub struct ClientAddress(pub String);

impl FromRequestParts<GatewayState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &GatewayState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .ok_or_else(|| {
                tracing::error!("the gateway is served without the peer's address");
                ApiError::new(
                    synergies_platform::error::ErrorCode::Internal,
                    synergies_platform::error::internal_error_text(),
                )
            })?;
        Ok(Self(
            state
                .trusted_proxies
                .client(peer, &parts.headers)
                .to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(FORWARDED_FOR, value.parse().unwrap());
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").unwrap();
        let headers = forwarded("198.51.100.1, 203.0.113.9, 10.1.2.3");
        assert_eq!(proxies.client(ip("192.0.2.7"), &headers), ip("203.0.113.9"));
        assert_eq!(
            proxies.client(ip("192.0.2.8"), &headers),
            ip("192.0.2.8"),
            "anyone else's header is ignored"
        );
        assert_eq!(
            TrustedProxies::default().client(ip("192.0.2.7"), &headers),
            ip("192.0.2.7"),
            "no proxy is trusted unless configured"
        );
        assert_eq!(
            proxies.client(ip("10.9.9.9"), &HeaderMap::new()),
            ip("10.9.9.9")
        );
        assert_eq!(
            proxies.client(ip("10.9.9.9"), &forwarded("junk, 10.0.0.2")),
            ip("10.0.0.2"),
            "nothing left of garbage is believed"
        );
        assert_eq!(
            proxies.client(ip("::ffff:192.0.2.7"), &forwarded("2001:db8::1")),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn lists_are_parsed_or_refused() {
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
        assert!(TrustedProxies::parse("fd00::/8, 127.0.0.1").is_ok());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        let narrow = TrustedProxies::parse("10.1.0.0/20").unwrap();
        assert!(narrow.contains(ip("10.1.15.255")));
        assert!(!narrow.contains(ip("10.1.16.0")));
    }
}
