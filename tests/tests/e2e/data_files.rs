//! The all-in-one data directory holds signing keys, password hashes and members' data: the
//! directory and every file the platform writes in it are its owner's only.

use std::os::unix::fs::PermissionsExt;

use synergies_tests::Platform;

#[tokio::test]
async fn the_data_directory_and_its_files_are_readable_by_their_owner_only() {
    let platform = Platform::all_in_one(&[]).await;
    // A write, so that every service has touched its database.
    platform.client.create_tenant("dijon").await;
    let data = platform.dir.path().join("data");
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "{}", data.display());
    let mut files = 0;
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let wanted = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), wanted, "{}", path.display());
        files += 1;
    }
    // identity.db (keys and password hashes), bus.db, the other services' databases…
    assert!(data.join("identity.db").exists());
    assert!(files >= 6, "{files} files");
}
