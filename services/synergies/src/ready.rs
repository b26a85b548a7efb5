//! `--ready-file`: where the process says which addresses it listens on, once they are bound.
//! A listen address with port 0 takes any free port; the file (and the line printed) say which,
//! so that whoever started the process — a test harness, a script — never picks a port itself
//! and never races another process for it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;

/// Writes `{"<listener>": "<address>", …}` to `path` (`gateway`, a service's name, `metrics`).
/// Written to a temporary file renamed over `path`, so a reader never sees half of it.
pub fn write(path: Option<&Path>, listeners: &BTreeMap<&str, SocketAddr>) -> anyhow::Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    let addresses: BTreeMap<&str, String> = listeners
        .iter()
        .map(|(name, address)| (*name, address.to_string()))
        .collect();
    let partial = path.with_extension("partial");
    std::fs::write(&partial, serde_json::to_vec_pretty(&addresses)?)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_names_each_listener_and_its_address() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ready.json");
        let listeners = BTreeMap::from([
            ("gateway", "127.0.0.1:41234".parse().unwrap()),
            ("metrics", "127.0.0.1:41235".parse().unwrap()),
        ]);
        write(Some(&path), &listeners).unwrap();
        let read: BTreeMap<String, SocketAddr> =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(read["gateway"], listeners["gateway"]);
        assert_eq!(read["metrics"], listeners["metrics"]);
        assert!(!path.with_extension("partial").exists());
    }
}
