//! Notifications service: keeps each member's in-app inbox (matches, messages, reservations,
//! completed exchanges, hidden listings) and writes and sends the platform's e-mails.
//! Each reader has their own read state; items name the other organisation and say what they
//! open (a conversation, a listing, a flow, a synergy).

pub mod alert_index;
pub mod bounces;
pub mod branding;
pub mod digest;
pub mod digest_store;
pub mod error;
pub mod grpc;
pub mod handler;
pub mod item_mail;
pub mod mail;
pub mod names;
pub mod preferences;
pub mod reminder_store;
pub mod reminders;
pub mod saved_search;
pub mod schedule;
pub mod sender;
pub mod store;
pub mod unsubscribe;

use std::sync::Arc;

use synergies_platform::grpc::Listener;
use synergies_platform::service::ServiceEnv;
use synergies_proto::events::v1 as events;
use synergies_proto::notifications::v1::notifications_service_server::NotificationsServiceServer;

pub const SERVICE_NAME: &str = "synergies.notifications.v1.NotificationsService";
/// Durable consumer of match events.
pub const MATCHES_CONSUMER: &str = "notifications-matches";
/// Durable consumer of messages posted in conversations about listings.
pub const MESSAGES_CONSUMER: &str = "notifications-messages";
/// Durable consumer of e-mail verification requests.
pub const VERIFICATIONS_CONSUMER: &str = "notifications-verifications";
/// Durable consumer of account erasures.
pub const ERASURES_CONSUMER: &str = "notifications-erasures";
/// Durable consumer of invitations.
pub const INVITATIONS_CONSUMER: &str = "notifications-invitations";
/// Durable consumer of decisions on organisations.
pub const DECISIONS_CONSUMER: &str = "notifications-decisions";
/// Durable consumer of password reset requests.
pub const PASSWORD_RESETS_CONSUMER: &str = "notifications-password-resets";
/// Durable consumer telling owners that a facilitator hid their listing.
pub const HIDDEN_LISTINGS_CONSUMER: &str = "notifications-hidden-listings";
/// Durable consumers telling the asking member that a listing is reserved for them, or no more.
pub const RESERVATIONS_CONSUMER: &str = "notifications-reservations";
pub const RESERVATION_CANCELLATIONS_CONSUMER: &str = "notifications-reservation-cancellations";
/// Durable consumer telling the members of a mutualisation group.
pub const GROUPS_CONSUMER: &str = "notifications-synergy-groups";
/// Durable consumer telling both sides that their exchange is on record.
pub const EXCHANGES_CONSUMER: &str = "notifications-exchanges";
/// Durable consumer keeping the names of decided organisations (a new consumer beside the
/// decisions' mail one, so that neither replays the other's history).
pub const ORGANISATION_NAMES_CONSUMER: &str = "notifications-organisation-names";

/// Durable consumers keeping what reminders watch, one per aggregate (in order per aggregate).
pub const REMINDER_LISTINGS_CONSUMER: &str = "notifications-reminder-listings";
pub const REMINDER_CONVERSATIONS_CONSUMER: &str = "notifications-reminder-conversations";
pub const REMINDER_EXCHANGES_CONSUMER: &str = "notifications-reminder-exchanges";

/// Durable consumer checking publications against saved searches.
pub const SAVED_SEARCHES_CONSUMER: &str = "notifications-saved-searches";

/// The key the e-mails' links are signed with.
const UNSUBSCRIBE_KEY: &str = "e-mail-links";

synergies_platform::service_database!();

/// Runs the service on `listener` until the environment's shutdown token is cancelled.
pub async fn run(env: ServiceEnv, listener: Listener) -> anyhow::Result<()> {
    let database = database(&env.storage).await?;
    let store = store::for_database(&database);
    let (_relay, relay_task) = env.spawn_relay(&database);
    let mail = store::mail_store(&database);
    let sender_waker = sender::SenderWaker::default();
    let signer = unsubscribe::LinkSigner::new(store.signing_key(UNSUBSCRIBE_KEY).await?);
    let brands = branding::TerritoryBrands::new(
        env.channel("identity")?,
        &env.config.notifications.public_url,
    );
    let immediate = handler::ImmediateMail {
        signer: signer.clone(),
        mail: Arc::clone(&mail),
        preferences: store::preferences_store(&database),
        public_url: env.config.notifications.public_url.clone(),
        sender: sender_waker.clone(),
        brands: brands.clone(),
    };
    let inbox_consumer = |consumer: &'static str, event_type: &str, items: handler::InboxItems| {
        let handler =
            handler::InboxHandler::new(Arc::clone(&store), consumer, items, immediate.clone())
                .with_live(Arc::clone(&env.bus));
        env.spawn_consumer(consumer, event_type, Arc::new(handler))
    };
    let inbox_tasks = [
        inbox_consumer(
            MATCHES_CONSUMER,
            <events::MatchFound as synergies_platform::events::Event>::TYPE,
            handler::match_items,
        ),
        inbox_consumer(
            MESSAGES_CONSUMER,
            <events::ConversationMessagePosted as synergies_platform::events::Event>::TYPE,
            handler::message_items,
        ),
        inbox_consumer(
            HIDDEN_LISTINGS_CONSUMER,
            <events::ListingHidden as synergies_platform::events::Event>::TYPE,
            handler::hidden_listing_items,
        ),
        inbox_consumer(
            RESERVATIONS_CONSUMER,
            <events::ListingReserved as synergies_platform::events::Event>::TYPE,
            handler::reserved_items,
        ),
        inbox_consumer(
            RESERVATION_CANCELLATIONS_CONSUMER,
            <events::ListingReservationCancelled as synergies_platform::events::Event>::TYPE,
            handler::reservation_cancelled_items,
        ),
        inbox_consumer(
            GROUPS_CONSUMER,
            <events::SynergyGroupProposed as synergies_platform::events::Event>::TYPE,
            handler::group_items,
        ),
        inbox_consumer(
            EXCHANGES_CONSUMER,
            <events::ExchangeCompleted as synergies_platform::events::Event>::TYPE,
            handler::exchange_completed_items,
        ),
    ];
    let mail_consumer = |consumer: &'static str, event_type: &str, compose: handler::Compose| {
        let public_url = env.config.notifications.public_url.clone();
        let handler = handler::MailHandler::new(
            Arc::clone(&mail),
            public_url,
            sender_waker.clone(),
            consumer,
            compose,
        );
        env.spawn_consumer(consumer, event_type, Arc::new(handler))
    };
    let verifications_task = mail_consumer(
        VERIFICATIONS_CONSUMER,
        <events::UserVerificationRequested as synergies_platform::events::Event>::TYPE,
        handler::verification_mail,
    );
    let decisions_task = mail_consumer(
        DECISIONS_CONSUMER,
        <events::OrganisationDecided as synergies_platform::events::Event>::TYPE,
        handler::decision_mails,
    );
    let erasures_task = env.spawn_consumer(
        ERASURES_CONSUMER,
        <events::UserErased as synergies_platform::events::Event>::TYPE,
        Arc::new(handler::UserErasedHandler::new(Arc::clone(&store))),
    );
    let invitations_task = mail_consumer(
        INVITATIONS_CONSUMER,
        <events::UserInvited as synergies_platform::events::Event>::TYPE,
        handler::invitation_mail,
    );
    let resets_task = mail_consumer(
        PASSWORD_RESETS_CONSUMER,
        <events::PasswordResetRequested as synergies_platform::events::Event>::TYPE,
        handler::password_reset_mail,
    );
    let digests = digest::Digests {
        store: digest_store::digest_store(&database),
        preferences: store::preferences_store(&database),
        signer: signer.clone(),
        public_url: env.config.notifications.public_url.clone(),
        zones: schedule::TimeZones::parse(
            &env.config.notifications.time_zone,
            &env.config.notifications.tenant_time_zones,
        )?,
        clock: schedule::Clock::from_config(&env.config.notifications.clock_start)?,
        sender: sender_waker.clone(),
        brands,
        crash_after: digest::crash_after_digests(),
    };
    let saved_searches = saved_search::saved_search_store(&database);
    let alerts_task = env.spawn_consumer(
        SAVED_SEARCHES_CONSUMER,
        <events::ListingPublished as synergies_platform::events::Event>::TYPE,
        Arc::new(saved_search::SavedSearchAlerts::new(
            Arc::clone(&saved_searches),
            handler::InboxHandler::new(
                Arc::clone(&store),
                SAVED_SEARCHES_CONSUMER,
                |_, _| Ok(Vec::new()),
                immediate.clone(),
            )
            .with_live(Arc::clone(&env.bus)),
        )),
    );
    let reminder_store = reminder_store::reminder_store(&database);
    let reminders = reminders::Reminders {
        store: Arc::clone(&reminder_store),
        inbox: handler::InboxHandler::new(
            Arc::clone(&store),
            reminders::REMINDERS,
            |_, _| Ok(Vec::new()),
            immediate.clone(),
        )
        .with_live(Arc::clone(&env.bus)),
    };
    let watcher_tasks = [
        (REMINDER_LISTINGS_CONSUMER, "listing"),
        (REMINDER_CONVERSATIONS_CONSUMER, "conversation"),
        (REMINDER_EXCHANGES_CONSUMER, "exchange"),
    ]
    .map(|(consumer, aggregate)| {
        env.spawn_aggregate_consumer(
            consumer,
            aggregate,
            Arc::new(reminders::ReminderWatcher::new(
                Arc::clone(&reminder_store),
                consumer,
            )),
        )
    });
    let digests_task = tokio::spawn(digests.run(
        reminders,
        std::time::Duration::from_secs(env.config.notifications.scheduler_interval_secs.max(1)),
        env.shutdown.clone(),
    ));
    let smtp_url = env.config.notifications.smtp_url.expose().to_owned();
    let sender_task = if smtp_url.is_empty() {
        tracing::info!("no SMTP server configured: e-mails are kept for the operator");
        None
    } else {
        let smtp = mail::SmtpSender::new(&smtp_url, &env.config.notifications.from)?;
        Some(tokio::spawn(sender::run(
            Arc::clone(&mail),
            bounces::bounce_store(&database),
            smtp,
            sender_waker,
            env.shutdown.clone(),
        )))
    };
    let names_task = env.spawn_consumer(
        ORGANISATION_NAMES_CONSUMER,
        <events::OrganisationDecided as synergies_platform::events::Event>::TYPE,
        Arc::new(names::DecidedNamesHandler::new(Arc::clone(&store))),
    );
    let names = names::OrganisationNames::new(env.channel("identity")?, Arc::clone(&store));
    let routes = tonic::service::Routes::new(NotificationsServiceServer::new(
        grpc::NotificationsApi::new(
            store,
            mail,
            env.verifier.clone(),
            names,
            store::preferences_store(&database),
            signer,
            saved_searches,
            bounces::bounce_store(&database),
        ),
    ));
    tracing::info!(address = %listener.local_addr()?, "notifications service listening");
    env.serve_grpc(SERVICE_NAME, listener, routes, &database)
        .await?;
    for task in inbox_tasks {
        task.await?;
    }
    verifications_task.await?;
    resets_task.await?;
    decisions_task.await?;
    invitations_task.await?;
    erasures_task.await?;
    names_task.await?;
    digests_task.await?;
    alerts_task.await?;
    for task in watcher_tasks {
        task.await?;
    }
    if let Some(sender_task) = sender_task {
        sender_task.await?;
    }
    relay_task.await?;
    Ok(())
}
