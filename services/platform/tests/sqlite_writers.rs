//! Two writers of one SQLite file in the all-in-one process: the second waits for the first
//! to commit, then writes; it neither fails as "database is locked" nor loses its row.

use std::time::Duration;

use sqlx::Connection;

#[tokio::test]
async fn a_writer_waits_for_the_other_to_commit_then_writes() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let pool = synergies_platform::db::sqlite_pool(&directory.path().join("writers.db"))
        .await
        .expect("the pool opens");
    sqlx::query("CREATE TABLE rows (id INTEGER PRIMARY KEY, writer TEXT NOT NULL)")
        .execute(&pool)
        .await
        .expect("the table is created");

    let mut first = pool.acquire().await.expect("a connection");
    let mut holding = first.begin_with("BEGIN IMMEDIATE").await.expect("the lock");
    sqlx::query("INSERT INTO rows (writer) VALUES ('first')")
        .execute(&mut *holding)
        .await
        .expect("the first row");

    let mut second = tokio::spawn({
        let pool = pool.clone();
        async move {
            sqlx::query("INSERT INTO rows (writer) VALUES ('second')")
                .execute(&pool)
                .await
        }
    });
    // While the first writer keeps the lock (the situation under test), the second neither
    // writes nor fails: it is still waiting after a while.
    assert!(
        tokio::time::timeout(Duration::from_millis(50), &mut second)
            .await
            .is_err(),
        "the second writer waits for the lock"
    );

    holding.commit().await.expect("the first commits");
    second
        .await
        .expect("the task ends")
        .expect("the second writes once the lock is free");
    let writers: Vec<String> = sqlx::query_scalar("SELECT writer FROM rows ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("the rows");
    assert_eq!(writers, ["first", "second"]);
}
