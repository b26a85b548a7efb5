//! The operator's stream settings (replicas, dead-letter age) reach JetStream, including on
//! streams an earlier release created without them.

use std::time::Duration;

use synergies_platform::bus::BusSettings;
use synergies_platform::bus::nats::{NatsBus, StreamSettings};
use synergies_platform::testing;

fn settings(prefix: &str) -> BusSettings {
    BusSettings {
        prefix: prefix.to_owned(),
        ack_wait: Duration::from_secs(1),
    }
}

async fn dead_letter_max_age(url: &str, prefix: &str) -> Duration {
    let client = async_nats::connect(url).await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    let mut stream = jetstream
        .get_stream(format!("{}_DLQ", prefix.to_uppercase()))
        .await
        .unwrap();
    stream.info().await.unwrap().config.max_age
}

#[tokio::test]
async fn the_dead_letter_age_is_applied_to_new_and_existing_streams() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let prefix = testing::unique_prefix();
    // As an earlier release created it: dead letters kept for ever.
    let bus = NatsBus::connect(&servers.nats_url, settings(&prefix))
        .await
        .unwrap();
    assert_eq!(
        dead_letter_max_age(&servers.nats_url, &prefix).await,
        Duration::ZERO
    );

    let thirty_days = Duration::from_hours(30 * 24);
    let configured = NatsBus::connect_with_streams(
        &servers.nats_url,
        settings(&prefix),
        StreamSettings {
            replicas: 1,
            dead_letter_max_age: thirty_days,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        dead_letter_max_age(&servers.nats_url, &prefix).await,
        thirty_days
    );
    configured.delete_streams().await.unwrap();
    drop(bus);
}
