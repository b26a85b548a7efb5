//! Upgrading from a release with one durable consumer per event type: at start, notifications
//! hands those consumers over to its consumers of one aggregate each and deletes them
//! (`services/notifications/README.md`).

use std::time::Duration;

use synergies_platform::bus::nats::NatsBus;
use synergies_platform::bus::{BusSettings, ConsumerSpec, EventBus};
use synergies_platform::testing;
use synergies_tests::Platform;

#[tokio::test]
async fn split_notifications_retires_the_consumers_of_an_earlier_release_at_start() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let mut platform = Platform::split(&servers, |_| Vec::new()).await;
    let prefix = platform.schema_prefix.trim_end_matches('_').to_owned();
    let bus = NatsBus::connect(
        &servers.nats_url,
        BusSettings {
            prefix: prefix.clone(),
            ack_wait: Duration::from_secs(30),
        },
    )
    .await
    .expect("NATS");
    assert!(bus.consumer_backlog("notifications-match").await.is_ok());
    // As the earlier release created them: one event type each.
    for (old, event_type) in [
        ("notifications-matches", "match.found"),
        ("notifications-reminder-listings", "listing.*"),
    ] {
        let spec = ConsumerSpec {
            name: old.to_owned(),
            filter_subject: format!("{prefix}.*.{event_type}"),
        };
        drop(bus.subscribe(&spec).await.expect("an old consumer"));
        assert!(bus.consumer_backlog(old).await.is_ok());
    }

    platform.terminate("notifications");
    platform.restart("notifications", &[]).await;

    for old in ["notifications-matches", "notifications-reminder-listings"] {
        assert!(
            bus.consumer_backlog(old).await.is_err(),
            "{old} is still there"
        );
    }
    for new in ["notifications-match", "notifications-listing"] {
        assert!(bus.consumer_backlog(new).await.is_ok(), "{new} is gone");
    }
}
