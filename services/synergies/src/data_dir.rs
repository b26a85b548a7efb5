//! The all-in-one mode's data directory holds identity's signing keys and password hashes, the
//! operator token and every member's data: it is its owner's only. The process creates what it
//! writes with umask 077 (directories 0700, files 0600), and says at start when something in
//! the directory is open to other users (a directory made by hand, an older version's files).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;

/// From now on, what this process creates is readable by its owner only.
pub fn create_private_files() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Creates `data_dir` (0700) if needed, and warns about anything in it other users may read.
pub fn prepare(data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    for path in std::iter::once(data_dir.to_path_buf()).chain(
        std::fs::read_dir(data_dir)?
            .filter_map(Result::ok)
            .map(|entry| entry.path()),
    ) {
        let Ok(metadata) = std::fs::metadata(&path) else {
            continue;
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let wanted = if metadata.is_dir() { "700" } else { "600" };
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "readable by other users of this machine: chmod {wanted} it (it may hold signing keys, password hashes or members' data)"
            );
        }
    }
    Ok(())
}
