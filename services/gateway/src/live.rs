//! New inbox items as they are stored, for the open `/api/v1/inbox/stream` connections of this
//! gateway replica. Each replica listens once to the live messages of the bus (core NATS in
//! the split layout, an in-process broadcast all-in-one) and fans them out to its own
//! connections; nothing polls the database.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use prost::Message;
use synergies_platform::CancellationToken;
use synergies_platform::bus::EventBus;
use synergies_proto::notifications::v1::LiveInboxItem;
use tokio::sync::broadcast;

/// Hands every live item this replica hears of to its connections.
#[derive(Clone)]
pub struct LiveInbox {
    items: broadcast::Sender<Arc<LiveInboxItem>>,
}

impl Default for LiveInbox {
    fn default() -> Self {
        Self {
            items: broadcast::channel(256).0,
        }
    }
}

impl LiveInbox {
    /// Items heard from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveInboxItem>> {
        self.items.subscribe()
    }

    /// Listens to the bus until `shutdown`, subscribing again (with backoff) when the
    /// subscription ends or cannot be made.
    pub fn listen(&self, bus: Arc<dyn EventBus>, shutdown: CancellationToken) {
        let items = self.items.clone();
        tokio::spawn(async move {
            let mut failures = 0;
            while !shutdown.is_cancelled() {
                match bus.listen_live("*.inbox").await {
                    Ok(mut messages) => {
                        failures = 0;
                        tracing::info!("listening to live inbox items");
                        loop {
                            tokio::select! {
                                () = shutdown.cancelled() => return,
                                message = messages.next() => {
                                    let Some((_, payload)) = message else { break };
                                    match LiveInboxItem::decode(payload) {
                                        // No connection open is no error.
                                        Ok(item) => { let _ = items.send(Arc::new(item)); }
                                        Err(error) => tracing::warn!(%error, "unreadable live inbox item"),
                                    }
                                }
                            }
                        }
                    }
                    Err(error) => {
                        failures += 1;
                        tracing::warn!(%error, "cannot listen to live inbox items, will retry");
                    }
                }
                let pause = synergies_platform::retry::backoff(failures, Duration::from_secs(30));
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        });
    }
}
