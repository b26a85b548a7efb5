//! The mail queue after a member changes their e-mail address, run against PostgreSQL and
//! SQLite (the store suite's file is full).

use std::sync::Arc;

use synergies_notifications::bounces::BounceStore;
use synergies_notifications::mail::Mail;
use synergies_notifications::store::{self, MailStore};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use uuid::Uuid;

struct Fixture {
    bounces: Arc<dyn BounceStore>,
    mail: Arc<dyn MailStore>,
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
        bounces: synergies_notifications::bounces::bounce_store(&database.database),
        mail: store::mail_store(&database.database),
        _database: database,
    })
}

/// After a change of address, what waited for the old one (held or not) goes to the new one,
/// due at once; sent mails, other territories' and the change's own notice stay as they are.
async fn unsent_mails_follow_a_changed_address(f: Fixture) {
    let to = |recipient: &str| Mail {
        recipient: recipient.into(),
        subject: "Nouveau message".into(),
        ..Mail::default()
    };
    let [sent_event, held_event, change] = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
    for (tenant, event) in [
        ("dijon", sent_event),
        ("dijon", held_event),
        ("dijon", change),
        ("beaune", Uuid::now_v7()),
    ] {
        f.mail
            .queue_mail("m", event, tenant, &[to("Ancien@Brasserie.fr")])
            .await
            .unwrap();
    }
    let now = synergies_platform::time::now();
    let queued = f.mail.outgoing("dijon", None, 10).await.unwrap();
    let of_event = |event: Uuid| queued.iter().find(|q| q.event_id == event).unwrap().id;
    let [sent, held, notice] = [of_event(sent_event), of_event(held_event), of_event(change)];
    f.mail.mark_sent(sent, now).await.unwrap();
    f.bounces.hold(held).await.unwrap();
    let moved = f
        .bounces
        .readdress_unsent(
            "dijon",
            "ancien@brasserie.fr",
            "achats@brasserie.fr",
            change,
            now,
        )
        .await
        .unwrap();
    assert_eq!(moved, 1, "the held one only");
    let after = f.mail.outgoing("dijon", None, 10).await.unwrap();
    let of = |id: Uuid| after.iter().find(|q| q.id == id).unwrap();
    assert_eq!(of(held).mail.recipient, "achats@brasserie.fr");
    assert!(!of(held).held, "due again");
    assert_eq!(of(sent).mail.recipient, "Ancien@Brasserie.fr");
    assert_eq!(of(notice).mail.recipient, "Ancien@Brasserie.fr");
    let elsewhere = f.mail.outgoing("beaune", None, 10).await.unwrap();
    assert_eq!(elsewhere[0].mail.recipient, "Ancien@Brasserie.fr");
}

synergies_platform::store_conformance!(open;
    unsent_mails_follow_a_changed_address,
);
