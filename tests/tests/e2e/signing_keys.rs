//! Token signing keys at rest: sealed with the operator's key-encryption key, sealed again
//! when that key is rotated, and a platform started without it refuses to start, saying why.

use synergies_tests::Platform;

const KEKS: &str = "SYNERGIES_IDENTITY__KEY_ENCRYPTION_KEYS";
/// 32 bytes each, base64.
const FIRST: &str = "first:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const SECOND: &str = "second:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

/// The KEK ids the stored signing keys are sealed with ("" for a key stored unsealed).
async fn sealed_with(platform: &Platform) -> Vec<String> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(platform.dir.path().join("data").join("identity.db"))
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT pkcs8 FROM signing_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    stored
        .iter()
        .map(|bytes| match bytes.strip_prefix(b"SKEK1") {
            Some(rest) => {
                let length = usize::from(rest[0]);
                String::from_utf8_lossy(&rest[1..=length]).into_owned()
            }
            None => String::new(),
        })
        .collect()
}

async fn members_sign_in(platform: &Platform) {
    let member = platform
        .client
        .create_member("dijon", "Brasserie du Lac")
        .await;
    let (status, me) = platform.client.get("/api/v1/me", &member.token).await;
    assert_eq!(status, 200, "{me}");
}

#[tokio::test]
async fn signing_keys_are_sealed_at_rest_and_follow_a_rotation_of_the_key_encryption_key() {
    let mut platform = Platform::all_in_one(&[(KEKS, FIRST)]).await;
    platform.client.create_tenant("dijon").await;
    members_sign_in(&platform).await;
    assert_eq!(sealed_with(&platform).await, ["first"]);

    // Rotation: the new key first, the old one kept to open what it sealed.
    platform.kill("synergies");
    platform
        .restart("synergies", &[(KEKS, &format!("{SECOND},{FIRST}"))])
        .await;
    assert_eq!(
        sealed_with(&platform).await,
        ["second"],
        "sealed again at start"
    );
    members_sign_in(&platform).await;

    // The old key dropped: everything still opens.
    platform.kill("synergies");
    platform.restart("synergies", &[(KEKS, SECOND)]).await;
    members_sign_in(&platform).await;

    // Without it, identity cannot open its keys: the platform does not start, and says why.
    platform.kill("synergies");
    let status = platform.run_until_exit("synergies", &[(KEKS, "")]).await;
    assert!(!status.success());
    let logs = platform.logs("synergies");
    assert!(
        logs.contains("sealed with the key-encryption key \"second\", which is not configured"),
        "{logs}"
    );
}
