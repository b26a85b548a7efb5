//! A service's gRPC health follows its dependencies: NOT_SERVING while its database is
//! unreachable, SERVING again once it answers, so an orchestrator stops sending it work.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use synergies_platform::grpc::{Readiness, is_serving, serve_with_readiness};
use synergies_platform::testing;
use tokio_util::sync::CancellationToken;

const SERVICE: &str = "synergies.test.v1.Probe";

/// A database whose reachability the test switches: a pool on the real SQLite engine while
/// "up", a pool on a port nothing listens on while "down".
struct SwitchedDatabase {
    up: AtomicBool,
    sqlite: synergies_platform::db::Database,
    unreachable: synergies_platform::db::Database,
}

#[async_trait::async_trait]
impl Readiness for SwitchedDatabase {
    async fn ready(&self) -> bool {
        if self.up.load(Ordering::SeqCst) {
            self.sqlite.ping().await
        } else {
            self.unreachable.ping().await
        }
    }
}

async fn health_is(channel: &tonic::transport::Channel, serving: bool) {
    let what = if serving { "SERVING" } else { "NOT_SERVING" };
    testing::eventually(what, Duration::from_secs(15), || async {
        (is_serving(channel.clone(), SERVICE).await == serving).then_some(())
    })
    .await;
}

#[tokio::test]
async fn health_reports_not_serving_while_the_database_is_down() {
    let directory = tempfile::tempdir().unwrap();
    let sqlite = synergies_platform::db::Database::Sqlite(
        synergies_platform::db::sqlite_pool(&directory.path().join("probe.db"))
            .await
            .unwrap(),
    );
    let unreachable = synergies_platform::db::Database::Postgres(
        sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(Duration::from_millis(300))
            .connect_lazy("postgres://postgres@127.0.0.1:1/none")
            .unwrap(),
    );
    let database = Arc::new(SwitchedDatabase {
        up: AtomicBool::new(true),
        sqlite,
        unreachable,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve_with_readiness(
        SERVICE,
        listener,
        tonic::service::Routes::default(),
        shutdown.clone(),
        Some(Arc::clone(&database) as Arc<dyn Readiness>),
    ));
    let channel = synergies_platform::grpc::channel(&format!("http://{address}")).unwrap();

    health_is(&channel, true).await;
    database.up.store(false, Ordering::SeqCst);
    health_is(&channel, false).await;
    database.up.store(true, Ordering::SeqCst);
    health_is(&channel, true).await;

    shutdown.cancel();
    server.await.unwrap().unwrap();
}
