//! The service's durable consumers: one per aggregate it follows (`<prefix>.*.<aggregate>.*`),
//! so that it sees one aggregate's events in the order they were published, each dispatching
//! on the event type to the effects that want it (an inbox item, an e-mail, what reminders
//! watch, saved-search alerts, names).
//!
//! Each effect records the events it applied under its own key, in the transaction of what it
//! does, and skips an event already recorded: one event may have several effects (a
//! `listing.reserved` tells the member who asked and starts watching the reservation), and a
//! failure of one retries the event without repeating the others. The key of an effect is
//! the name of the durable consumer that once applied it alone, one event type each; those
//! consumers are retired in favour of their aggregate's (see [`Aggregate::retired`] and the
//! service README), and events they had already handled are skipped by the same keys.

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_platform::events::Event;
use synergies_proto::events::v1::{
    ConversationMessagePosted, EventEnvelope, ExchangeCompleted, ListingHidden, ListingPublished,
    ListingReservationCancelled, ListingReserved, MatchFound, OrganisationDecided,
    PasswordResetRequested, SynergyGroupProposed, UserEmailChangeRequested, UserEmailChanged,
    UserErased, UserInvited, UserVerificationRequested,
};

/// Idempotency keys of the effects (the names of the consumers that once applied them).
pub mod keys {
    pub const MATCHES: &str = "notifications-matches";
    pub const MESSAGES: &str = "notifications-messages";
    pub const VERIFICATIONS: &str = "notifications-verifications";
    pub const ERASURES: &str = "notifications-erasures";
    pub const INVITATIONS: &str = "notifications-invitations";
    pub const DECISIONS: &str = "notifications-decisions";
    pub const PASSWORD_RESETS: &str = "notifications-password-resets";
    pub const HIDDEN_LISTINGS: &str = "notifications-hidden-listings";
    pub const RESERVATIONS: &str = "notifications-reservations";
    pub const RESERVATION_CANCELLATIONS: &str = "notifications-reservation-cancellations";
    pub const GROUPS: &str = "notifications-synergy-groups";
    pub const EXCHANGES: &str = "notifications-exchanges";
    /// Names of decided organisations (set again on every delivery: no key recorded).
    pub const ORGANISATION_NAMES: &str = "notifications-organisation-names";
    pub const REMINDER_LISTINGS: &str = "notifications-reminder-listings";
    pub const REMINDER_CONVERSATIONS: &str = "notifications-reminder-conversations";
    pub const REMINDER_EXCHANGES: &str = "notifications-reminder-exchanges";
    pub const SAVED_SEARCHES: &str = "notifications-saved-searches";
    /// Added after the consumers per event type were retired: no such consumer ever ran.
    pub const EMAIL_CHANGE_LINKS: &str = "notifications-email-change-links";
    pub const EMAIL_CHANGES: &str = "notifications-email-changes";
}

/// The durable consumers, one per aggregate.
pub const MATCH_CONSUMER: &str = "notifications-match";
pub const SYNERGY_CONSUMER: &str = "notifications-synergy";
pub const CONVERSATION_CONSUMER: &str = "notifications-conversation";
pub const LISTING_CONSUMER: &str = "notifications-listing";
pub const EXCHANGE_CONSUMER: &str = "notifications-exchange";
pub const USER_CONSUMER: &str = "notifications-user";
pub const ORGANISATION_CONSUMER: &str = "notifications-organisation";

/// Every event type of the aggregate.
const ANY: &str = "*";

/// One effect: the event type it wants (or [`ANY`]), its key, and what it does.
struct Effect {
    event_type: &'static str,
    key: &'static str,
    handler: Arc<dyn EventHandler>,
}

/// The consumer of one aggregate and its effects.
pub struct Aggregate {
    pub aggregate: &'static str,
    pub consumer: &'static str,
    effects: Vec<Effect>,
}

impl Aggregate {
    pub fn new(aggregate: &'static str, consumer: &'static str) -> Self {
        Self {
            aggregate,
            consumer,
            effects: Vec::new(),
        }
    }

    /// Applies `handler`, under `key`, to the events of type `E`.
    #[must_use]
    pub fn on<E: Event>(self, key: &'static str, handler: Arc<dyn EventHandler>) -> Self {
        self.effect(E::TYPE, key, handler)
    }

    /// Applies `handler`, under `key`, to every event of the aggregate (it ignores the types
    /// it has nothing to do with).
    #[must_use]
    pub fn on_every(self, key: &'static str, handler: Arc<dyn EventHandler>) -> Self {
        self.effect(ANY, key, handler)
    }

    fn effect(
        mut self,
        event_type: &'static str,
        key: &'static str,
        handler: Arc<dyn EventHandler>,
    ) -> Self {
        self.effects.push(Effect {
            event_type,
            key,
            handler,
        });
        self
    }

    /// The consumers this one replaces: one per effect, named as its key.
    pub fn retired(&self) -> Vec<&'static str> {
        let mut retired: Vec<_> = self.effects.iter().map(|effect| effect.key).collect();
        retired.sort_unstable();
        retired.dedup();
        retired
    }

    /// Whether some effect wants the events of `event_type`.
    pub fn handles(&self, event_type: &str) -> bool {
        self.effects
            .iter()
            .any(|effect| effect.event_type == ANY || effect.event_type == event_type)
    }
}

/// How much a failure weighs: an outage holds the event (nothing spent), a transient failure
/// retries it, a permanent one dead-letters it.
fn weight(error: &HandlerError) -> u8 {
    match error {
        HandlerError::Unavailable(_) => 2,
        HandlerError::Transient(_) => 1,
        HandlerError::Permanent(_) => 0,
    }
}

#[async_trait]
impl EventHandler for Aggregate {
    /// Every effect that wants the event is applied, even when another failed (as when each
    /// had its own consumer): they are independent (each its own tables and transaction), so
    /// they run together, and the next event waits for all. The heaviest failure decides what
    /// becomes of the event; the effects already applied skip it when it comes again.
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let wanted = self
            .effects
            .iter()
            .filter(|effect| effect.event_type == ANY || effect.event_type == envelope.event_type);
        let outcomes = futures::future::join_all(
            wanted.map(|effect| async move { (effect.key, effect.handler.handle(envelope).await) }),
        )
        .await;
        let mut failure: Option<HandlerError> = None;
        for (key, outcome) in outcomes {
            if let Err(error) = outcome {
                tracing::warn!(effect = key, %error, "effect failed");
                let error = match error {
                    HandlerError::Permanent(reason) => {
                        HandlerError::Permanent(format!("{key}: {reason}"))
                    }
                    HandlerError::Transient(reason) => {
                        HandlerError::Transient(format!("{key}: {reason}"))
                    }
                    HandlerError::Unavailable(reason) => {
                        HandlerError::Unavailable(format!("{key}: {reason}"))
                    }
                };
                if failure
                    .as_ref()
                    .is_none_or(|kept| weight(&error) > weight(kept))
                {
                    failure = Some(error);
                }
            }
        }
        failure.map_or(Ok(()), Err)
    }
}

/// The effects of each aggregate, given the handlers that apply them.
pub struct Effects {
    pub matches: Arc<dyn EventHandler>,
    pub groups: Arc<dyn EventHandler>,
    pub messages: Arc<dyn EventHandler>,
    pub hidden_listings: Arc<dyn EventHandler>,
    pub reservations: Arc<dyn EventHandler>,
    pub reservation_cancellations: Arc<dyn EventHandler>,
    pub exchanges: Arc<dyn EventHandler>,
    pub saved_searches: Arc<dyn EventHandler>,
    /// What reminders watch, by aggregate (`listing`, `conversation`, `exchange`).
    pub reminders: Box<dyn Fn(&'static str) -> Arc<dyn EventHandler>>,
    pub verifications: Arc<dyn EventHandler>,
    pub invitations: Arc<dyn EventHandler>,
    pub password_resets: Arc<dyn EventHandler>,
    pub email_change_links: Arc<dyn EventHandler>,
    pub email_changes: Arc<dyn EventHandler>,
    pub erasures: Arc<dyn EventHandler>,
    pub decisions: Arc<dyn EventHandler>,
    pub organisation_names: Arc<dyn EventHandler>,
}

/// The service's consumers, one per aggregate, with the effects of each event type.
pub fn aggregates(effects: Effects) -> Vec<Aggregate> {
    let reminders = effects.reminders;
    vec![
        Aggregate::new("match", MATCH_CONSUMER).on::<MatchFound>(keys::MATCHES, effects.matches),
        Aggregate::new("synergy", SYNERGY_CONSUMER)
            .on::<SynergyGroupProposed>(keys::GROUPS, effects.groups),
        Aggregate::new("conversation", CONVERSATION_CONSUMER)
            .on::<ConversationMessagePosted>(keys::MESSAGES, effects.messages)
            .on_every(
                keys::REMINDER_CONVERSATIONS,
                reminders(keys::REMINDER_CONVERSATIONS),
            ),
        Aggregate::new("listing", LISTING_CONSUMER)
            .on_every(keys::REMINDER_LISTINGS, reminders(keys::REMINDER_LISTINGS))
            .on::<ListingPublished>(keys::SAVED_SEARCHES, effects.saved_searches)
            .on::<ListingHidden>(keys::HIDDEN_LISTINGS, effects.hidden_listings)
            .on::<ListingReserved>(keys::RESERVATIONS, effects.reservations)
            .on::<ListingReservationCancelled>(
                keys::RESERVATION_CANCELLATIONS,
                effects.reservation_cancellations,
            ),
        Aggregate::new("exchange", EXCHANGE_CONSUMER)
            .on::<ExchangeCompleted>(keys::EXCHANGES, effects.exchanges)
            .on_every(
                keys::REMINDER_EXCHANGES,
                reminders(keys::REMINDER_EXCHANGES),
            ),
        Aggregate::new("user", USER_CONSUMER)
            .on::<UserVerificationRequested>(keys::VERIFICATIONS, effects.verifications)
            .on::<UserInvited>(keys::INVITATIONS, effects.invitations)
            .on::<PasswordResetRequested>(keys::PASSWORD_RESETS, effects.password_resets)
            .on::<UserEmailChangeRequested>(keys::EMAIL_CHANGE_LINKS, effects.email_change_links)
            .on::<UserEmailChanged>(keys::EMAIL_CHANGES, effects.email_changes)
            .on::<UserErased>(keys::ERASURES, effects.erasures),
        Aggregate::new("organisation", ORGANISATION_CONSUMER)
            .on::<OrganisationDecided>(keys::DECISIONS, effects.decisions)
            .on::<OrganisationDecided>(keys::ORGANISATION_NAMES, effects.organisation_names),
    ]
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use synergies_platform::events::envelope;

    use super::*;

    /// Records the events it is given and answers as told.
    struct Recording {
        seen: Mutex<Vec<String>>,
        answer: fn() -> Result<(), HandlerError>,
    }

    impl Recording {
        fn new(answer: fn() -> Result<(), HandlerError>) -> Arc<Self> {
            Arc::new(Self {
                seen: Mutex::default(),
                answer,
            })
        }

        fn seen(&self) -> Vec<String> {
            self.seen.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl EventHandler for Recording {
        async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
            self.seen.lock().unwrap().push(envelope.event_type.clone());
            (self.answer)()
        }
    }

    #[tokio::test]
    async fn each_event_goes_to_the_effects_of_its_type_and_one_failure_does_not_skip_the_others() {
        let watcher = Recording::new(|| Ok(()));
        let alerts = Recording::new(|| Err(HandlerError::Permanent("bad listing".into())));
        let hidden = Recording::new(|| Err(HandlerError::Transient("conflict".into())));
        let aggregate = Aggregate::new("listing", LISTING_CONSUMER)
            .on::<ListingPublished>(keys::SAVED_SEARCHES, alerts.clone())
            .on_every(keys::REMINDER_LISTINGS, watcher.clone())
            .on::<ListingHidden>(keys::HIDDEN_LISTINGS, hidden.clone());

        let published = envelope("dijon", "listings", &ListingPublished::default());
        let error = aggregate.handle(&published).await.unwrap_err();
        assert!(
            matches!(&error, HandlerError::Permanent(reason) if reason.starts_with(keys::SAVED_SEARCHES)),
            "{error:?}"
        );
        let hidden_event = envelope("dijon", "listings", &ListingHidden::default());
        // The transient failure weighs more than none: the event is retried.
        assert!(matches!(
            aggregate.handle(&hidden_event).await,
            Err(HandlerError::Transient(_))
        ));
        assert_eq!(watcher.seen(), ["listing.published", "listing.hidden"]);
        assert_eq!(alerts.seen(), ["listing.published"]);
        assert_eq!(hidden.seen(), ["listing.hidden"]);
    }

    #[test]
    fn the_aggregate_consumers_replace_every_consumer_of_one_event_type() {
        let handler = || -> Arc<dyn EventHandler> { Recording::new(|| Ok(())) };
        let aggregates = aggregates(Effects {
            matches: handler(),
            groups: handler(),
            messages: handler(),
            hidden_listings: handler(),
            reservations: handler(),
            reservation_cancellations: handler(),
            exchanges: handler(),
            saved_searches: handler(),
            reminders: Box::new(move |_| handler()),
            verifications: handler(),
            invitations: handler(),
            password_resets: handler(),
            email_change_links: handler(),
            email_changes: handler(),
            erasures: handler(),
            decisions: handler(),
            organisation_names: handler(),
        });
        // Effects added since have no consumer of their own to retire.
        let added_since = [keys::EMAIL_CHANGE_LINKS, keys::EMAIL_CHANGES];
        let mut retired: Vec<_> = aggregates
            .iter()
            .flat_map(Aggregate::retired)
            .filter(|key| !added_since.contains(key))
            .collect();
        retired.sort_unstable();
        // The durable consumers of the releases before aggregates: each must be retired.
        let mut before = vec![
            "notifications-matches",
            "notifications-messages",
            "notifications-verifications",
            "notifications-erasures",
            "notifications-invitations",
            "notifications-decisions",
            "notifications-password-resets",
            "notifications-hidden-listings",
            "notifications-reservations",
            "notifications-reservation-cancellations",
            "notifications-synergy-groups",
            "notifications-exchanges",
            "notifications-organisation-names",
            "notifications-reminder-listings",
            "notifications-reminder-conversations",
            "notifications-reminder-exchanges",
            "notifications-saved-searches",
        ];
        before.sort_unstable();
        assert_eq!(retired, before);
        for (aggregate, event_type) in [
            ("match", MatchFound::TYPE),
            ("synergy", SynergyGroupProposed::TYPE),
            ("conversation", ConversationMessagePosted::TYPE),
            ("listing", "listing.withdrawn"),
            ("listing", ListingReserved::TYPE),
            ("exchange", ExchangeCompleted::TYPE),
            ("user", UserErased::TYPE),
            ("user", PasswordResetRequested::TYPE),
            ("user", UserEmailChangeRequested::TYPE),
            ("user", UserEmailChanged::TYPE),
            ("organisation", OrganisationDecided::TYPE),
        ] {
            let consumer = aggregates
                .iter()
                .find(|a| a.aggregate == aggregate)
                .unwrap();
            assert!(consumer.handles(event_type), "{aggregate}: {event_type}");
            assert!(event_type.starts_with(&format!("{aggregate}.")));
        }
    }
}
