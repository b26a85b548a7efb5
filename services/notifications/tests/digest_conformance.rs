//! The digests' and reminders' storage, run against PostgreSQL and SQLite: items are claimed
//! once (by an immediate e-mail or one digest), a digest is recorded once per member, rhythm
//! and period, and what reminders watch follows the events once each.

use std::sync::Arc;

use chrono::TimeDelta;
use synergies_notifications::digest_store::{self, DigestKey, DigestStore};
use synergies_notifications::mail::Mail;
use synergies_notifications::reminder_store::{self, Reminded, ReminderStore, Watched};
use synergies_notifications::store::{self, InboxItem, InboxStore, MailStore, Reader, Subject};
use synergies_platform::i18n::Text;
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use uuid::Uuid;

struct Fixture {
    inbox: Arc<dyn InboxStore>,
    mail: Arc<dyn MailStore>,
    digests: Arc<dyn DigestStore>,
    reminders: Arc<dyn ReminderStore>,
    _database: TestDatabase,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "notifications",
        &synergies_notifications::POSTGRES_MIGRATIONS,
        &synergies_notifications::SQLITE_MIGRATIONS,
    )
    .await?;
    Some(Fixture {
        inbox: store::for_database(&database.database),
        mail: store::mail_store(&database.database),
        digests: digest_store::digest_store(&database.database),
        reminders: reminder_store::reminder_store(&database.database),
        _database: database,
    })
}

fn item(user_id: Uuid) -> InboxItem {
    InboxItem {
        id: Uuid::now_v7(),
        tenant: "dijon".into(),
        user_id,
        kind: "match.found".into(),
        title: Text::new("An offer", "Une offre"),
        body: Text::new("…", "…"),
        listing_id: None,
        for_organisation: false,
        event_id: Uuid::now_v7(),
        read: false,
        created_at: synergies_platform::time::now(),
        subject: Subject::Nothing,
        other_organisation: None,
        other_organisation_name: String::new(),
    }
}

fn key(user_id: Uuid, period_end: chrono::DateTime<chrono::Utc>) -> DigestKey {
    DigestKey {
        id: Uuid::now_v7(),
        tenant: "dijon".into(),
        user_id,
        frequency: "daily",
        period_end,
    }
}

fn compose(items: &[InboxItem]) -> Mail {
    Mail {
        recipient: "anne@example.fr".into(),
        subject: format!("{} items", items.len()),
        ..Mail::default()
    }
}

async fn items_are_told_once_and_digests_written_once(f: Fixture) {
    let user = Uuid::now_v7();
    f.inbox
        .remember_recipient("dijon", user, "anne@example.fr", Some("en"))
        .await
        .unwrap();
    let (unread, mailed, read) = (item(user), item(user), item(user));
    for told in [&unread, &mailed, &read] {
        assert!(
            f.inbox
                .deliver("test", told.event_id, std::slice::from_ref(told))
                .await
                .unwrap()
                .is_stored()
        );
    }
    let reader = Reader {
        tenant: "dijon",
        user_id: user,
        organisation_id: None,
    };
    f.inbox
        .mark_read(reader, read.id, synergies_platform::time::now())
        .await
        .unwrap()
        .expect("the member's");
    // One was told at once.
    f.mail
        .queue_item_mails(
            mailed.event_id,
            "dijon",
            &[compose(&[])],
            &[(user, mailed.id)],
        )
        .await
        .unwrap();
    let now = synergies_platform::time::now();
    let untold = f
        .digests
        .untold_items("dijon", user, now, 10)
        .await
        .unwrap();
    assert_eq!(untold.iter().map(|i| i.id).collect::<Vec<_>>(), [unread.id]);
    assert_eq!(
        f.digests
            .untold_items("dijon", user, unread.created_at - TimeDelta::seconds(1), 10)
            .await
            .unwrap(),
        [],
        "only items stored by the end of the period"
    );

    // Handed a stale list (with the one mailed), the digest claims only the unread one.
    let first = key(user, now);
    assert!(
        f.digests
            .write_digest(&first, &[unread.clone(), mailed.clone()], &compose)
            .await
            .unwrap()
    );
    let queued = f.mail.outgoing("dijon", None, 10).await.unwrap();
    assert!(
        queued
            .iter()
            .any(|q| q.mail.subject == "1 items" && q.event_id == first.id)
    );
    // The same member, rhythm and period again (a restart): nothing.
    let fresh = item(user);
    f.inbox
        .deliver("test", fresh.event_id, std::slice::from_ref(&fresh))
        .await
        .unwrap();
    assert!(
        !f.digests
            .write_digest(&key(user, now), std::slice::from_ref(&fresh), &compose)
            .await
            .unwrap()
    );
    // Two digests racing for one item (two replicas): one claims it.
    let later = now + TimeDelta::days(1);
    let weekly = DigestKey {
        frequency: "weekly",
        ..key(user, later)
    };
    let daily = key(user, later);
    let (one, two) = tokio::join!(
        f.digests
            .write_digest(&daily, std::slice::from_ref(&fresh), &compose),
        f.digests
            .write_digest(&weekly, std::slice::from_ref(&fresh), &compose),
    );
    assert_eq!(u8::from(one.unwrap()) + u8::from(two.unwrap()), 1);
    assert_eq!(
        f.digests
            .untold_items("dijon", user, later, 10)
            .await
            .unwrap(),
        []
    );

    assert_eq!(f.digests.digest_tenants().await.unwrap(), ["dijon"]);
    assert_eq!(
        f.digests.digest_recipients("dijon").await.unwrap()[0].language,
        "en"
    );
    assert!(!f.digests.run_finished("dijon", "daily", now).await.unwrap());
    f.digests
        .finish_run("dijon", "daily", now, now)
        .await
        .unwrap();
    f.digests
        .finish_run("dijon", "daily", now, now)
        .await
        .unwrap();
    assert!(f.digests.run_finished("dijon", "daily", now).await.unwrap());
    assert!(
        !f.digests
            .run_finished("dijon", "weekly", now)
            .await
            .unwrap()
    );
}

async fn reminders_watch_each_event_once_and_are_reminded_once(f: Fixture) {
    let now = synergies_platform::time::now();
    let (conversation, waiting) = (Uuid::now_v7(), Uuid::now_v7());
    let message = |id: Uuid, at| Watched::Message {
        tenant: "dijon".into(),
        conversation_id: conversation,
        listing_title: "Palettes".into(),
        waiting_user_id: waiting,
        other_organisation_id: None,
        message_id: id,
        at,
    };
    let (first_message, event) = (Uuid::now_v7(), Uuid::now_v7());
    let four_days_ago = now - TimeDelta::days(4);
    assert!(
        f.reminders
            .watch("c", event, &message(first_message, four_days_ago))
            .await
            .unwrap()
    );
    assert!(
        !f.reminders
            .watch("c", event, &message(first_message, four_days_ago))
            .await
            .unwrap()
    );
    let window = (now - TimeDelta::days(30), now - TimeDelta::days(3));
    let due = f.reminders.unanswered(window.0, window.1).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].waiting_user_id, due[0].last_message_id),
        (waiting, first_message)
    );
    f.reminders
        .mark_reminded(Reminded::Conversation(conversation, first_message))
        .await
        .unwrap();
    assert_eq!(
        f.reminders.unanswered(window.0, window.1).await.unwrap(),
        []
    );
    // An older message delivered late changes nothing; a newer one waits again.
    let older = message(Uuid::now_v7(), now - TimeDelta::days(5));
    f.reminders
        .watch("c", Uuid::now_v7(), &older)
        .await
        .unwrap();
    assert_eq!(
        f.reminders.unanswered(window.0, window.1).await.unwrap(),
        []
    );
    let newer = Uuid::now_v7();
    f.reminders
        .watch(
            "c",
            Uuid::now_v7(),
            &message(newer, now - TimeDelta::days(3) - TimeDelta::hours(1)),
        )
        .await
        .unwrap();
    assert_eq!(
        f.reminders.unanswered(window.0, window.1).await.unwrap()[0].last_message_id,
        newer
    );

    let (listing, owner) = (Uuid::now_v7(), Uuid::now_v7());
    let published = |until: &str| Watched::Listing {
        tenant: "dijon".into(),
        listing_id: listing,
        owner_user_id: owner,
        title: "Cartons".into(),
        available_until: Some(until.into()),
    };
    f.reminders
        .watch("l", Uuid::now_v7(), &published("2030-01-10"))
        .await
        .unwrap();
    assert_eq!(
        f.reminders
            .expiring("2030-01-07", "2030-01-14")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        f.reminders
            .expiring("2030-01-11", "2030-01-18")
            .await
            .unwrap(),
        []
    );
    f.reminders
        .mark_reminded(Reminded::Listing(listing, "2030-01-10".into()))
        .await
        .unwrap();
    assert_eq!(
        f.reminders
            .expiring("2030-01-07", "2030-01-14")
            .await
            .unwrap(),
        []
    );
    // Extended: reminded again before its new end.
    f.reminders
        .watch("l", Uuid::now_v7(), &published("2030-01-12"))
        .await
        .unwrap();
    assert_eq!(
        f.reminders
            .expiring("2030-01-07", "2030-01-14")
            .await
            .unwrap()
            .len(),
        1
    );
    let counterpart = Uuid::now_v7();
    let reserved = Watched::Reserved {
        tenant: "dijon".into(),
        listing_id: listing,
        conversation_id: Some(conversation),
        counterpart_user_id: counterpart,
        other_organisation_id: None,
        title: "Cartons".into(),
        at: now - TimeDelta::days(8),
    };
    f.reminders
        .watch("l", Uuid::now_v7(), &reserved)
        .await
        .unwrap();
    assert_eq!(
        f.reminders
            .expiring("2030-01-07", "2030-01-14")
            .await
            .unwrap(),
        [],
        "reserved: no longer ends"
    );
    let week = (now - TimeDelta::days(30), now - TimeDelta::days(7));
    assert_eq!(
        f.reminders.unconfirmed(week.0, week.1).await.unwrap()[0].counterpart_user_id,
        counterpart
    );
    f.reminders
        .watch(
            "e",
            Uuid::now_v7(),
            &Watched::ReservationOver {
                listing_id: listing,
            },
        )
        .await
        .unwrap();
    assert_eq!(f.reminders.unconfirmed(week.0, week.1).await.unwrap(), []);
}

synergies_platform::store_conformance!(open;
    items_are_told_once_and_digests_written_once,
    reminders_watch_each_event_once_and_are_reminded_once,
);
