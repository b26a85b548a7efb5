//! The map of search results: Leaflet (served from `/static`, never from a CDN) over tiles from
//! a configurable address. The page always lists the results; the map is drawn from that list
//! by `synergies-map.js` when JavaScript runs, and shows nothing more than the list does.

use axum::http::HeaderValue;

/// Where the map's tiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapTiles {
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`
    pub url: String,
    pub attribution: String,
    /// `https://tile.openstreetmap.org`: what the Content-Security-Policy lets images come from.
    pub origin: String,
}

impl MapTiles {
    /// `None` when `url` is empty (no map), or not an `http(s)` address with a host.
    pub fn new(url: &str, attribution: &str) -> Option<Self> {
        let url = url.trim();
        let rest = url
            .strip_prefix("https://")
            .map(|rest| ("https", rest))
            .or_else(|| url.strip_prefix("http://").map(|rest| ("http", rest)));
        let (scheme, rest) = rest?;
        let host = rest.split('/').next().unwrap_or_default();
        // The origin lands in a header: nothing but a host name, an address and a port.
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if host.is_empty() || !host.chars().all(plain) {
            return None;
        }
        Some(Self {
            url: url.to_owned(),
            attribution: attribution.to_owned(),
            origin: format!("{scheme}://{host}"),
        })
    }
}

/// Scripts and styles come from our own files only; images from our own address, a tenant's
/// logo address (https) and the map tiles' origin; nothing may frame the pages.
pub fn content_security_policy(tiles: Option<&MapTiles>) -> HeaderValue {
    let tiles = tiles.map_or_else(String::new, |tiles| format!(" {}", tiles.origin));
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:{tiles}; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tiles_origin_is_the_only_image_source_added() {
        let tiles = MapTiles::new("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OSM")
            .expect("a tile address");
        assert_eq!(tiles.origin, "https://tile.openstreetmap.org");
        let local = MapTiles::new("http://127.0.0.1:7070/{z}/{x}/{y}.png", "").unwrap();
        let policy = content_security_policy(Some(&local));
        let policy = policy.to_str().unwrap();
        assert!(
            policy.contains("img-src 'self' https: data: http://127.0.0.1:7070;"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'self';"), "{policy}");
    }

    #[test]
    fn no_map_without_a_usable_address() {
        assert_eq!(MapTiles::new("", ""), None);
        assert_eq!(MapTiles::new("ftp://tiles.example/{z}", ""), None);
        assert_eq!(MapTiles::new("https://evil.example;script-src *", ""), None);
    }
}
