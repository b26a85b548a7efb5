//! The photo metadata store suite, run against PostgreSQL and SQLite, and the file storage.

use std::sync::Arc;

use synergies_listings::photos::error::PhotosError;
use synergies_listings::photos::orphans;
use synergies_listings::photos::storage::{Directory, PhotoStorage};
use synergies_listings::photos::store::{self, PhotoStore};
use synergies_listings::photos::{MAX_PHOTOS_PER_LISTING, Photo, Variant};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn PhotoStore>,
    _database: TestDatabase,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "listings",
        &synergies_listings::POSTGRES_MIGRATIONS,
        &synergies_listings::SQLITE_MIGRATIONS,
    )
    .await?;
    Some(Fixture {
        store: store::for_database(&database.database),
        _database: database,
    })
}

fn photo(tenant: &str, listing_id: Uuid) -> Photo {
    Photo {
        id: Uuid::now_v7(),
        tenant: tenant.into(),
        listing_id,
        position: 0,
        content_type: "image/jpeg".into(),
        width: 2000,
        height: 1500,
        size_bytes: 412_345,
        thumbnail_width: 400,
        thumbnail_height: 300,
        thumbnail_size_bytes: 23_456,
        // Stored with microsecond precision by both backends.
        created_at: chrono::DateTime::from_timestamp_micros(
            synergies_platform::time::now().timestamp_micros(),
        )
        .unwrap(),
    }
}

async fn photos_are_kept_in_gallery_order(f: Fixture) {
    let listing = Uuid::now_v7();
    let first = f.store.add(photo("dijon", listing), 8).await.unwrap();
    let second = f.store.add(photo("dijon", listing), 8).await.unwrap();
    assert_eq!((first.position, second.position), (0, 1));
    let listed = f.store.list("dijon", listing).await.unwrap();
    assert_eq!(listed, vec![first.clone(), second]);
    assert_eq!(f.store.get("dijon", first.id).await.unwrap(), Some(first));
    assert!(
        f.store
            .list("dijon", Uuid::now_v7())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_listing_holds_at_most_its_maximum(f: Fixture) {
    let listing = Uuid::now_v7();
    for _ in 0..MAX_PHOTOS_PER_LISTING {
        f.store
            .add(photo("dijon", listing), MAX_PHOTOS_PER_LISTING)
            .await
            .unwrap();
    }
    let refused = f
        .store
        .add(photo("dijon", listing), MAX_PHOTOS_PER_LISTING)
        .await
        .unwrap_err();
    assert!(matches!(refused, PhotosError::GalleryFull), "{refused:?}");
    assert_eq!(
        f.store.list("dijon", listing).await.unwrap().len(),
        MAX_PHOTOS_PER_LISTING as usize
    );
    // Another listing is not affected.
    f.store
        .add(photo("dijon", Uuid::now_v7()), MAX_PHOTOS_PER_LISTING)
        .await
        .unwrap();
}

async fn concurrent_uploads_never_pass_the_maximum(f: Fixture) {
    let listing = Uuid::now_v7();
    let store = Arc::clone(&f.store);
    let uploads = (0..12).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.add(photo("dijon", listing), 3).await })
    });
    let mut added = 0;
    for upload in uploads {
        match upload.await.unwrap() {
            Ok(_) => added += 1,
            Err(PhotosError::GalleryFull) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(added, 3);
    let positions: Vec<u32> = f
        .store
        .list("dijon", listing)
        .await
        .unwrap()
        .iter()
        .map(|p| p.position)
        .collect();
    assert_eq!(positions, vec![0, 1, 2]);
}

async fn deleting_frees_a_place_and_closes_the_gap(f: Fixture) {
    let listing = Uuid::now_v7();
    let mut added = Vec::new();
    for _ in 0..3 {
        added.push(f.store.add(photo("dijon", listing), 3).await.unwrap());
    }
    assert!(f.store.delete("dijon", listing, added[0].id).await.unwrap());
    assert!(!f.store.delete("dijon", listing, added[0].id).await.unwrap());
    let fourth = f.store.add(photo("dijon", listing), 3).await.unwrap();
    let listed: Vec<(Uuid, u32)> = f
        .store
        .list("dijon", listing)
        .await
        .unwrap()
        .iter()
        .map(|p| (p.id, p.position))
        .collect();
    assert_eq!(
        listed,
        vec![(added[1].id, 0), (added[2].id, 1), (fourth.id, 2)]
    );
    assert!(f.store.get("dijon", added[0].id).await.unwrap().is_none());
}

async fn photos_of_another_tenant_are_invisible(f: Fixture) {
    let listing = Uuid::now_v7();
    let added = f.store.add(photo("dijon", listing), 8).await.unwrap();
    assert!(f.store.get("beaune", added.id).await.unwrap().is_none());
    assert!(f.store.list("beaune", listing).await.unwrap().is_empty());
    assert!(!f.store.delete("beaune", listing, added.id).await.unwrap());
    assert!(f.store.get("dijon", added.id).await.unwrap().is_some());
}

async fn a_photo_is_deleted_only_from_its_own_listing(f: Fixture) {
    let listing = Uuid::now_v7();
    let added = f.store.add(photo("dijon", listing), 8).await.unwrap();
    assert!(
        !f.store
            .delete("dijon", Uuid::now_v7(), added.id)
            .await
            .unwrap()
    );
    assert!(f.store.get("dijon", added.id).await.unwrap().is_some());
}

async fn a_gallery_is_reordered_only_as_a_whole(f: Fixture) {
    let listing = Uuid::now_v7();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(f.store.add(photo("dijon", listing), 8).await.unwrap().id);
    }
    let order = vec![ids[2], ids[0], ids[1]];
    let reordered = f.store.reorder("dijon", listing, &order).await.unwrap();
    let seen: Vec<(Uuid, u32)> = reordered.iter().map(|p| (p.id, p.position)).collect();
    assert_eq!(seen, vec![(ids[2], 0), (ids[0], 1), (ids[1], 2)]);
    for wrong in [
        vec![ids[2], ids[0]],
        vec![ids[2], ids[0], ids[0]],
        vec![ids[2], ids[0], ids[1], Uuid::now_v7()],
    ] {
        let refused = f.store.reorder("dijon", listing, &wrong).await.unwrap_err();
        assert!(
            matches!(refused, PhotosError::Invalid(ref e) if e.field == "photo_ids"),
            "{refused:?}"
        );
    }
    // Another tenant cannot reorder it (it has no photos there).
    assert!(f.store.reorder("beaune", listing, &order).await.is_err());
    let listed: Vec<Uuid> = f
        .store
        .list("dijon", listing)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, order);
}

/// A file written `hours_ago` (its UUIDv7 id says when).
fn id_made(hours_ago: u64) -> Uuid {
    let made = std::time::SystemTime::now() - std::time::Duration::from_secs(hours_ago * 3600);
    let since_epoch = made.duration_since(std::time::UNIX_EPOCH).unwrap();
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        since_epoch.as_secs(),
        since_epoch.subsec_nanos(),
    ))
}

async fn the_orphan_sweep_removes_old_files_without_a_row_only(f: Fixture) {
    let dir = tempfile::tempdir().unwrap();
    let files = Directory::open(dir.path()).unwrap();
    // A photo with its row; an old file whose row was never written (a crash mid-upload); a
    // recent one whose upload may still be writing its row.
    let mut kept = photo("dijon", Uuid::now_v7());
    kept.id = id_made(3);
    f.store
        .add(kept.clone(), MAX_PHOTOS_PER_LISTING)
        .await
        .unwrap();
    let (orphan, in_flight) = (id_made(2), id_made(0));
    for id in [kept.id, orphan, in_flight] {
        files.put(id, b"full", b"thumb").await.unwrap();
    }
    // What a write interrupted before its rename leaves.
    let leftover = dir.path().join("ab").join(".0123456789abcdef.tmp");
    std::fs::create_dir_all(leftover.parent().unwrap()).unwrap();
    std::fs::write(&leftover, b"half a photo").unwrap();

    let removed = orphans::sweep(&files, f.store.as_ref(), orphans::GRACE)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(files.get(orphan, Variant::Full).await.unwrap(), None);
    assert_eq!(files.get(orphan, Variant::Thumbnail).await.unwrap(), None);
    for id in [kept.id, in_flight] {
        assert!(files.get(id, Variant::Full).await.unwrap().is_some());
    }
    assert!(
        leftover.exists(),
        "a fresh temporary file may be a write in progress"
    );
    // With no grace, the temporary file and the recent file go too; the photo with a row stays.
    let removed = orphans::sweep(&files, f.store.as_ref(), std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert!(!leftover.exists());
    assert!(files.get(kept.id, Variant::Full).await.unwrap().is_some());
}

synergies_platform::store_conformance!(open;
    the_orphan_sweep_removes_old_files_without_a_row_only,
    a_gallery_is_reordered_only_as_a_whole,
    photos_are_kept_in_gallery_order,
    a_listing_holds_at_most_its_maximum,
    concurrent_uploads_never_pass_the_maximum,
    deleting_frees_a_place_and_closes_the_gap,
    photos_of_another_tenant_are_invisible,
    a_photo_is_deleted_only_from_its_own_listing,
);

mod files {
    use super::*;

    #[tokio::test]
    async fn both_renditions_are_stored_read_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let files = Directory::open(dir.path().join("photos")).unwrap();
        let id = Uuid::now_v7();
        assert_eq!(files.get(id, Variant::Full).await.unwrap(), None);
        files.put(id, b"full", b"thumb").await.unwrap();
        assert_eq!(
            files.get(id, Variant::Full).await.unwrap().unwrap(),
            b"full"
        );
        assert_eq!(
            files.get(id, Variant::Thumbnail).await.unwrap().unwrap(),
            b"thumb"
        );
        files.put(id, b"full again", b"thumb again").await.unwrap();
        assert_eq!(
            files.get(id, Variant::Full).await.unwrap().unwrap(),
            b"full again"
        );
        files.delete(id).await.unwrap();
        assert_eq!(files.get(id, Variant::Full).await.unwrap(), None);
        assert_eq!(files.get(id, Variant::Thumbnail).await.unwrap(), None);
        files.delete(id).await.unwrap();
    }

    #[tokio::test]
    async fn no_temporary_file_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let files = Directory::open(dir.path()).unwrap();
        for _ in 0..5 {
            files.put(Uuid::now_v7(), b"full", b"thumb").await.unwrap();
        }
        let mut names = Vec::new();
        for shard in std::fs::read_dir(dir.path()).unwrap() {
            for file in std::fs::read_dir(shard.unwrap().path()).unwrap() {
                names.push(file.unwrap().file_name().into_string().unwrap());
            }
        }
        assert_eq!(names.len(), 10, "{names:?}");
        assert!(
            names.iter().all(|n| !n.starts_with('.')
                && std::path::Path::new(n).extension() == Some("jpg".as_ref())),
            "{names:?}"
        );
    }
}
