//! A channel to a service's DNS name spreads calls over every address the name resolves to,
//! and follows the name as replicas come and go (a headless Service in Kubernetes). The
//! resolver is the test's own, answering what the test decides.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use synergies_platform::grpc::balance::Resolve;
use synergies_platform::grpc::{Transport, is_serving, serve};
use synergies_platform::testing;
use tokio_util::sync::CancellationToken;

/// Each replica reports a health service of its own name: a health check for `A` answers
/// SERVING only when the call reached replica A.
const A: &str = "synergies.test.v1.ReplicaA";
const B: &str = "synergies.test.v1.ReplicaB";

struct Answers {
    answer: Mutex<std::io::Result<Vec<SocketAddr>>>,
    /// Questions asked so far.
    asked: AtomicUsize,
}

impl Answers {
    fn new(answer: std::io::Result<Vec<SocketAddr>>) -> Arc<Self> {
        Arc::new(Self {
            answer: Mutex::new(answer),
            asked: AtomicUsize::new(0),
        })
    }

    fn set(&self, answer: std::io::Result<Vec<SocketAddr>>) {
        *self.answer.lock().unwrap() = answer;
    }

    /// Waits until the channel has asked `more` questions more.
    async fn asked_again(&self, more: usize) {
        let target = self.asked.load(Ordering::SeqCst) + more;
        testing::eventually(
            "the name resolved again",
            Duration::from_secs(10),
            || async { (self.asked.load(Ordering::SeqCst) >= target).then_some(()) },
        )
        .await;
    }
}

#[async_trait::async_trait]
impl Resolve for Answers {
    async fn addresses(&self, host: &str, _port: u16) -> std::io::Result<Vec<SocketAddr>> {
        assert_eq!(host, "listings-pods");
        self.asked.fetch_add(1, Ordering::SeqCst);
        match &*self.answer.lock().unwrap() {
            Ok(addresses) => Ok(addresses.clone()),
            Err(error) => Err(std::io::Error::new(error.kind(), error.to_string())),
        }
    }
}

async fn replica(name: &'static str, shutdown: &CancellationToken) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(
        name,
        listener,
        tonic::service::Routes::default(),
        shutdown.clone(),
    ));
    address
}

/// How many of `calls` health checks reached replica A.
async fn reached_a(channel: &synergies_platform::grpc::ServiceChannel, calls: usize) -> usize {
    let mut reached = 0;
    for _ in 0..calls {
        if is_serving(channel.clone(), A).await {
            reached += 1;
        }
    }
    reached
}

#[tokio::test]
async fn calls_spread_over_every_address_of_the_name_and_follow_it() {
    let shutdown = CancellationToken::new();
    let (a, b) = (replica(A, &shutdown).await, replica(B, &shutdown).await);
    let answers = Answers::new(Ok(vec![a, b]));
    let transport = Transport::default().resolving_with(
        Arc::clone(&answers) as Arc<dyn Resolve>,
        Duration::from_millis(50),
    );
    let channel = transport.channel("http://listings-pods:50052").unwrap();

    // Both replicas take calls (40 calls, each replica equally likely: all on one side has
    // odds of 2 in a trillion).
    let on_a = reached_a(&channel, 40).await;
    assert!((1..40).contains(&on_a), "{on_a} of 40 calls reached A");

    // Replica B goes away (scaled down): the name no longer answers it, and calls stop
    // reaching it.
    answers.set(Ok(vec![a]));
    testing::eventually(
        "every call on replica A",
        Duration::from_secs(10),
        || async { (reached_a(&channel, 20).await == 20).then_some(()) },
    )
    .await;

    // The resolver fails (DNS briefly down): the replicas known are kept.
    answers.set(Err(std::io::ErrorKind::TimedOut.into()));
    answers.asked_again(2).await;
    assert_eq!(reached_a(&channel, 10).await, 10);
    shutdown.cancel();
}

#[tokio::test]
async fn a_name_that_resolves_to_nothing_yet_fails_calls_instead_of_holding_them() {
    let answers = Answers::new(Err(std::io::ErrorKind::NotFound.into()));
    let transport = Transport::default().resolving_with(
        Arc::clone(&answers) as Arc<dyn Resolve>,
        Duration::from_millis(50),
    );
    let channel = transport.channel("http://listings-pods:1").unwrap();
    // The name itself is tried (it does not resolve here either): the call fails at once
    // rather than waiting for a replica that may never come.
    let answered = tokio::time::timeout(Duration::from_secs(10), is_serving(channel, A)).await;
    assert_eq!(answered.ok(), Some(false));
}
