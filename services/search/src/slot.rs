//! Where a replica keeps an index on local disk.
//!
//! Layout: `<base>/<slot>/` holds `slot.lock` (held while a process uses the slot, so that
//! several replicas started in one working directory each take their own), `source` (the
//! database the index was built from, without credentials), `schema-version`, `replica-id`
//! (names this replica's event consumer) and `index/` (tantivy's files). An index whose schema
//! version, settings or source differs, or whose files do not open or fail their checksums, is
//! wiped and built again from the database.
//!
//! Each commit carries the newest change time indexed as its payload ([`commit`]): a restarted
//! replica reads only what changed since.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tantivy::directory::{DirectoryLock, Lock, MmapDirectory};
use tantivy::index::IndexSettings;
use tantivy::schema::Schema;
use tantivy::{Directory, Index, IndexWriter, TantivyDocument};
use uuid::Uuid;

use crate::IndexError;

/// More replicas than this in one directory is a configuration mistake.
const MAX_SLOTS: usize = 16;

/// What was found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDisk {
    /// No usable index (none, another schema version, damaged files): build it from scratch.
    Empty,
    /// An index of this schema, current up to this change time (none: nothing indexed yet).
    Current(Option<DateTime<Utc>>),
}

impl OnDisk {
    /// The newest change time the index holds, if any.
    pub fn watermark(self) -> Option<DateTime<Utc>> {
        match self {
            OnDisk::Current(watermark) => watermark,
            OnDisk::Empty => None,
        }
    }
}

/// The index a service wants: its schema and settings, the version written with it, and how
/// the logs name it.
pub struct Wanted<'a> {
    pub schema: &'a Schema,
    pub settings: IndexSettings,
    /// See [`crate::analysis::index_version`].
    pub version: &'a str,
    /// "search index", "flow search index".
    pub what: &'static str,
}

/// A slot taken by this process, with its index opened or created.
pub struct Slot {
    pub directory: PathBuf,
    pub replica_id: String,
    pub index: Index,
    pub on_disk: OnDisk,
    pub lock: DirectoryLock,
}

/// Takes a free slot under `base` — preferably one that already holds an index of `source` —
/// and opens its index if it is the one wanted and sound, else creates an empty one.
pub fn take(base: &Path, source: &str, wanted: &Wanted<'_>) -> Result<Slot, IndexError> {
    let holds_source =
        |slot: &Path| std::fs::read_to_string(slot.join("source")).is_ok_and(|s| s == source);
    for own_first in [true, false] {
        for slot in 0..MAX_SLOTS {
            let directory = base.join(slot.to_string());
            if own_first && !holds_source(&directory) {
                continue;
            }
            std::fs::create_dir_all(&directory)?;
            let lock = MmapDirectory::open(&directory)
                .map_err(|e| IndexError::Damaged(e.to_string()))?
                .acquire_lock(&Lock {
                    filepath: PathBuf::from("slot.lock"),
                    is_blocking: false,
                });
            match lock {
                Ok(lock) => return open(directory, source, wanted, lock),
                Err(tantivy::directory::error::LockError::LockBusy) => {}
                Err(error) => return Err(IndexError::Damaged(error.to_string())),
            }
        }
    }
    Err(IndexError::Damaged(format!(
        "every one of the {MAX_SLOTS} {} slots under {} is in use",
        wanted.what,
        base.display()
    )))
}

fn open(
    directory: PathBuf,
    source: &str,
    wanted: &Wanted<'_>,
    lock: DirectoryLock,
) -> Result<Slot, IndexError> {
    let what = wanted.what;
    let index_directory = directory.join("index");
    let version_file = directory.join("schema-version");
    let source_file = directory.join("source");
    let found_version = std::fs::read_to_string(&version_file).unwrap_or_default();
    let same_source = std::fs::read_to_string(&source_file).is_ok_and(|s| s == source);
    let existing = if !same_source {
        None
    } else if found_version.trim() == wanted.version {
        // Garbage files can make tantivy panic rather than fail: both mean damaged.
        let reused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            reuse(&index_directory, wanted)
        }))
        .unwrap_or_else(|_| Err("the index files could not be read".into()));
        match reused {
            Ok(found) => Some(found),
            Err(reason) => {
                tracing::warn!(%reason, directory = %index_directory.display(), "{what} damaged: rebuilding it");
                None
            }
        }
    } else {
        if !found_version.is_empty() {
            tracing::info!(
                found = found_version.trim(),
                wanted = wanted.version,
                "{what} of another schema version: rebuilding it"
            );
        }
        None
    };
    let (index, on_disk) = if let Some((index, watermark)) = existing {
        (index, OnDisk::Current(watermark))
    } else {
        if index_directory.exists() {
            std::fs::remove_dir_all(&index_directory)?;
        }
        std::fs::create_dir_all(&index_directory)?;
        let index = Index::builder()
            .schema(wanted.schema.clone())
            .settings(wanted.settings.clone())
            .create_in_dir(&index_directory)?;
        std::fs::write(&version_file, wanted.version)?;
        std::fs::write(&source_file, source)?;
        (index, OnDisk::Empty)
    };
    let replica_file = directory.join("replica-id");
    let replica_id = match std::fs::read_to_string(&replica_file) {
        Ok(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => {
            let id = Uuid::now_v7().simple().to_string();
            std::fs::write(&replica_file, &id)?;
            id
        }
    };
    Ok(Slot {
        directory,
        replica_id,
        index,
        on_disk,
        lock,
    })
}

/// The index in `directory` if it opens, has the expected schema and sort and passes its
/// checksums, with the change time its last commit carries.
fn reuse(directory: &Path, wanted: &Wanted<'_>) -> Result<(Index, Option<DateTime<Utc>>), String> {
    let index = Index::open_in_dir(directory).map_err(|e| e.to_string())?;
    if index.schema() != *wanted.schema {
        return Err("the schema differs".into());
    }
    if index.settings().sort_by_field != wanted.settings.sort_by_field {
        return Err("the index sort differs".into());
    }
    let damaged = index.validate_checksum().map_err(|e| e.to_string())?;
    if !damaged.is_empty() {
        return Err(format!("damaged files: {damaged:?}"));
    }
    let metas = index.load_metas().map_err(|e| e.to_string())?;
    // Every segment must open (a missing file shows here).
    index
        .reader()
        .map_err(|e| e.to_string())?
        .searcher()
        .num_docs();
    let watermark = metas
        .payload
        .as_deref()
        .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok((index, watermark))
}

/// Commits what `writer` holds, carrying `watermark` (the newest change time indexed) as the
/// commit's payload, which [`take`] reads back after a restart.
pub fn commit(
    writer: &mut IndexWriter<TantivyDocument>,
    watermark: Option<DateTime<Utc>>,
) -> Result<(), IndexError> {
    let mut prepared = writer.prepare_commit()?;
    if let Some(watermark) = watermark {
        prepared.set_payload(&watermark.to_rfc3339());
    }
    prepared.commit()?;
    Ok(())
}

/// Bytes the files under `path` take.
pub fn size_on_disk(path: &Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => size_on_disk(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}
