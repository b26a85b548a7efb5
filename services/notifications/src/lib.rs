//! Notifications service: keeps each member's in-app inbox (matches, messages, reservations,
//! completed exchanges, hidden listings) and writes and sends the platform's e-mails.
//! Each reader has their own read state; items name the other organisation and say what they
//! open (a conversation, a listing, a flow, a synergy).

pub mod alert_index;
pub mod bounces;
pub mod branding;
pub mod consumers;
pub mod digest;
pub mod digest_store;
pub mod dsn;
pub mod email_change;
pub mod error;
pub mod expiry;
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

use synergies_platform::bus::ConsumerSpec;
use synergies_platform::consumer::EventHandler;
use synergies_platform::grpc::Listener;
use synergies_platform::service::ServiceEnv;
use synergies_proto::notifications::v1::notifications_service_server::NotificationsServiceServer;

pub const SERVICE_NAME: &str = "synergies.notifications.v1.NotificationsService";

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
        std::time::Duration::from_secs(env.config.notifications.branding_cache_secs),
    );
    let immediate = handler::ImmediateMail {
        signer: signer.clone(),
        mail: Arc::clone(&mail),
        preferences: store::preferences_store(&database),
        public_url: env.config.notifications.public_url.clone(),
        sender: sender_waker.clone(),
        brands: brands.clone(),
    };
    let inbox = |key: &'static str, items: handler::InboxItems| -> Arc<dyn EventHandler> {
        Arc::new(
            handler::InboxHandler::new(Arc::clone(&store), key, items, immediate.clone())
                .with_live(Arc::clone(&env.bus)),
        )
    };
    let mail_effect = |key: &'static str, compose: handler::Compose| -> Arc<dyn EventHandler> {
        Arc::new(handler::MailHandler::new(
            Arc::clone(&mail),
            env.config.notifications.public_url.clone(),
            sender_waker.clone(),
            key,
            compose,
        ))
    };
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
    let aggregates = consumers::aggregates(consumers::Effects {
        matches: inbox(consumers::keys::MATCHES, handler::match_items),
        groups: inbox(consumers::keys::GROUPS, handler::group_items),
        messages: inbox(consumers::keys::MESSAGES, handler::message_items),
        hidden_listings: inbox(
            consumers::keys::HIDDEN_LISTINGS,
            handler::hidden_listing_items,
        ),
        reservations: inbox(consumers::keys::RESERVATIONS, handler::reserved_items),
        reservation_cancellations: inbox(
            consumers::keys::RESERVATION_CANCELLATIONS,
            handler::reservation_cancelled_items,
        ),
        exchanges: inbox(
            consumers::keys::EXCHANGES,
            handler::exchange_completed_items,
        ),
        saved_searches: Arc::new(saved_search::SavedSearchAlerts::new(
            Arc::clone(&saved_searches),
            handler::InboxHandler::new(
                Arc::clone(&store),
                consumers::keys::SAVED_SEARCHES,
                |_, _| Ok(Vec::new()),
                immediate.clone(),
            )
            .with_live(Arc::clone(&env.bus)),
        )),
        reminders: Box::new({
            let reminder_store = Arc::clone(&reminder_store);
            move |key| {
                Arc::new(reminders::ReminderWatcher::new(
                    Arc::clone(&reminder_store),
                    key,
                ))
            }
        }),
        verifications: mail_effect(consumers::keys::VERIFICATIONS, handler::verification_mail),
        invitations: mail_effect(consumers::keys::INVITATIONS, handler::invitation_mail),
        password_resets: mail_effect(
            consumers::keys::PASSWORD_RESETS,
            handler::password_reset_mail,
        ),
        email_change_links: mail_effect(
            consumers::keys::EMAIL_CHANGE_LINKS,
            email_change::confirmation_mails,
        ),
        email_changes: Arc::new(email_change::EmailChangedHandler::new(
            Arc::clone(&store),
            Arc::clone(&mail),
            bounces::bounce_store(&database),
            env.config.notifications.public_url.clone(),
            sender_waker.clone(),
        )),
        erasures: Arc::new(handler::UserErasedHandler::new(Arc::clone(&store))),
        decisions: mail_effect(consumers::keys::DECISIONS, handler::decision_mails),
        organisation_names: Arc::new(names::DecidedNamesHandler::new(Arc::clone(&store))),
    });
    let mut consumer_tasks = Vec::with_capacity(aggregates.len());
    for aggregate in aggregates {
        // Existing deployments had one consumer per event type: the aggregate's takes over
        // where they stopped (never from the stream's start) and they are deleted.
        let successor = ConsumerSpec {
            name: aggregate.consumer.to_owned(),
            filter_subject: synergies_platform::events::filter_aggregate(
                &env.config.bus.prefix,
                aggregate.aggregate,
            ),
        };
        let retired = aggregate.retired();
        synergies_platform::retry::until_ok("the event bus (retiring consumers)", || {
            env.bus.retire_consumers(&successor, &retired)
        })
        .await;
        let (consumer, name) = (aggregate.consumer, aggregate.aggregate);
        consumer_tasks.push(env.spawn_aggregate_consumer(consumer, name, Arc::new(aggregate)));
    }
    let digests_task = tokio::spawn(digests.run(
        reminders,
        std::time::Duration::from_secs(env.config.notifications.scheduler_interval_secs.max(1)),
        env.shutdown.clone(),
    ));
    let max_age_days = env.config.notifications.unsent_mail_max_age_days;
    let expiry_task = (max_age_days > 0).then(|| {
        tokio::spawn(expiry::run(
            Arc::clone(&mail),
            chrono::TimeDelta::days(i64::from(max_age_days)),
            env.shutdown.clone(),
        ))
    });
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
    for task in consumer_tasks {
        task.await?;
    }
    digests_task.await?;
    if let Some(expiry_task) = expiry_task {
        expiry_task.await?;
    }
    if let Some(sender_task) = sender_task {
        sender_task.await?;
    }
    relay_task.await?;
    Ok(())
}
