//! Where photo files live: behind [`PhotoStorage`], so that an object store can replace the
//! directory later without touching the service.
//!
//! [`Directory`] keeps them in one directory — the data directory in all-in-one mode, a volume in
//! microservices mode (shared by every listings replica: ReadWriteMany). File names are made from
//! the photo's id only, never from anything a client sent, so no upload can choose where it
//! lands. Writes go to a temporary file that is renamed into place: a reader sees the whole
//! photo or none, even if the process dies mid-write.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use uuid::Uuid;

use super::Variant;

#[async_trait]
pub trait PhotoStorage: Send + Sync {
    /// Stores both renditions of a photo (replacing any with the same id).
    async fn put(&self, id: Uuid, full: &[u8], thumbnail: &[u8]) -> std::io::Result<()>;
    /// One rendition, or `None` if there is no such photo.
    async fn get(&self, id: Uuid, variant: Variant) -> std::io::Result<Option<Vec<u8>>>;
    /// Removes both renditions; removing a photo that is not there is not an error.
    async fn delete(&self, id: Uuid) -> std::io::Result<()>;
    /// The id of every stored photo (for the orphan sweep), after removing what interrupted
    /// writes left behind more than `stale_after` ago.
    async fn ids(&self, stale_after: std::time::Duration) -> std::io::Result<Vec<Uuid>>;
}

/// Photo files in a directory of the local file system (or a mounted volume).
#[derive(Debug, Clone)]
pub struct Directory {
    root: PathBuf,
}

impl Directory {
    /// Uses `root`, creating it if needed.
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// `<root>/<last two hex digits of the id>/<id>.<variant>.jpg`. UUIDv7 ids begin with the
    /// time, so they end with the random part: spreading on the end keeps directories small.
    fn path(&self, id: Uuid, variant: Variant) -> PathBuf {
        let hex = id.simple().to_string();
        let suffix = match variant {
            Variant::Full => "full",
            Variant::Thumbnail => "thumbnail",
        };
        self.root
            .join(&hex[hex.len() - 2..])
            .join(format!("{hex}.{suffix}.jpg"))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, which
/// is atomic on one file system; the data is on disk before the name points to it.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = path.parent().expect("photo paths have a directory");
    std::fs::create_dir_all(directory)?;
    let temporary = directory.join(format!(".{}.tmp", Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[async_trait]
impl PhotoStorage for Directory {
    async fn put(&self, id: Uuid, full: &[u8], thumbnail: &[u8]) -> std::io::Result<()> {
        let (full_path, thumbnail_path) = (
            self.path(id, Variant::Full),
            self.path(id, Variant::Thumbnail),
        );
        let (full, thumbnail) = (full.to_vec(), thumbnail.to_vec());
        // File system calls block: keep them off the async workers.
        tokio::task::spawn_blocking(move || {
            write_atomically(&full_path, &full)?;
            write_atomically(&thumbnail_path, &thumbnail)
        })
        .await?
    }

    async fn get(&self, id: Uuid, variant: Variant) -> std::io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(id, variant)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn delete(&self, id: Uuid) -> std::io::Result<()> {
        let paths = [
            self.path(id, Variant::Full),
            self.path(id, Variant::Thumbnail),
        ];
        tokio::task::spawn_blocking(move || paths.iter().try_for_each(|p| remove_if_present(p)))
            .await?
    }

    async fn ids(&self, stale_after: std::time::Duration) -> std::io::Result<Vec<Uuid>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || stored_ids(&root, stale_after)).await?
    }
}

/// The ids named by `<root>/<shard>/<id>.<variant>.jpg`; temporary files of writes that did not
/// finish (a crash between write and rename) are removed once older than `stale_after`.
fn stored_ids(root: &Path, stale_after: std::time::Duration) -> std::io::Result<Vec<Uuid>> {
    let mut ids = std::collections::BTreeSet::new();
    for shard in std::fs::read_dir(root)? {
        let shard = shard?;
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path())? {
            let file = file?;
            let name = file.file_name();
            let Some(name) = name.to_str() else { continue };
            // Temporary names are ours: `.<hex>.tmp` (see `write_atomically`).
            if name.starts_with('.') && Path::new(name).extension() == Some("tmp".as_ref()) {
                let age = file.metadata()?.modified()?.elapsed().unwrap_or_default();
                if age >= stale_after {
                    remove_if_present(&file.path())?;
                }
                continue;
            }
            if let Some(id) = name
                .split('.')
                .next()
                .and_then(|id| Uuid::try_parse(id).ok())
            {
                ids.insert(id);
            }
        }
    }
    Ok(ids.into_iter().collect())
}
