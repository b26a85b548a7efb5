//! Photos of a listing (issue 4): at most [`MAX_PHOTOS_PER_LISTING`] per listing, each at most
//! [`MAX_PHOTO_BYTES`]; JPEG, PNG or WebP recognised by content; re-encoded as JPEG without any
//! metadata, with a thumbnail.
//!
//! * [`processing`] — sniffing, bounded decoding, re-encoding (CPU-bound: run on `spawn_blocking`);
//! * [`storage`] — the files, behind [`storage::PhotoStorage`] (a directory: the data directory in
//!   all-in-one mode, a volume shared by the replicas in microservices mode);
//! * [`store`] — the photos' metadata, in the listings database (PostgreSQL or SQLite);
//! * [`grpc`] — `ListingPhotosService`;
//! * [`orphans`] — the sweep of files no row points to.
//!
//! The files are written before the metadata row and deleted after it: a crash in between leaves
//! at worst a file no row points to (never served; the orphan sweep removes it), never a row
//! without its file.

pub mod error;
pub mod grpc;
pub mod orphans;
pub mod processing;
pub mod storage;
pub mod store;

use chrono::{DateTime, Utc};
pub use synergies_platform::media::{MAX_PHOTO_BYTES, MAX_PHOTOS_PER_LISTING};
use uuid::Uuid;

/// Which rendition of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The re-encoded photo, at most [`processing::MAX_EDGE`] pixels on its longer side.
    Full,
    /// At most [`processing::THUMBNAIL_EDGE`] pixels on its longer side.
    Thumbnail,
}

/// A photo's metadata; its bytes are in [`storage::PhotoStorage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: Uuid,
    pub tenant: String,
    pub listing_id: Uuid,
    /// 0-based place in the listing's gallery, given by the store.
    pub position: u32,
    /// Content type of both renditions.
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size_bytes: u64,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
    pub thumbnail_size_bytes: u64,
    pub created_at: DateTime<Utc>,
}
