//! The inbox store suite, run against PostgreSQL and SQLite.

use std::sync::Arc;

use synergies_notifications::bounces::{BounceStore, HARD_FAILURES_BEFORE_UNDELIVERABLE};
use synergies_notifications::mail::Mail;
use synergies_notifications::saved_search::{SavedSearch, SavedSearchStore};
use synergies_notifications::store::{
    self, Delivery, InboxItem, InboxPage, InboxStore, MailStore, PreferencesStore, Reader, Subject,
};
use synergies_platform::i18n::Text;
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn InboxStore>,
    bounces: Arc<dyn BounceStore>,
    searches: Arc<dyn SavedSearchStore>,
    preferences: Arc<dyn PreferencesStore>,
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
        store: store::for_database(&database.database),
        bounces: synergies_notifications::bounces::bounce_store(&database.database),
        searches: synergies_notifications::saved_search::saved_search_store(&database.database),
        preferences: store::preferences_store(&database.database),
        mail: store::mail_store(&database.database),
        _database: database,
    })
}

fn item(tenant: &str, user_id: Uuid, event_id: Uuid) -> InboxItem {
    InboxItem {
        id: Uuid::now_v7(),
        tenant: tenant.into(),
        user_id,
        kind: "match.found".into(),
        title: Text::new(
            "An offer may meet your request",
            "Une offre peut répondre à votre demande",
        ),
        body: Text::new("…", "…"),
        listing_id: Some(Uuid::now_v7()),
        for_organisation: false,
        event_id,
        read: false,
        created_at: synergies_platform::time::now(),
        subject: Subject::Nothing,
        other_organisation: None,
        other_organisation_name: String::new(),
    }
}

fn reader(tenant: &str, user_id: Uuid, organisation_id: Option<Uuid>) -> Reader<'_> {
    Reader {
        tenant,
        user_id,
        organisation_id,
    }
}

fn page(after: Option<Uuid>, limit: u32) -> InboxPage {
    InboxPage {
        after,
        limit,
        unread_only: false,
    }
}

async fn an_event_is_delivered_once(f: Fixture) {
    let user = Uuid::now_v7();
    let event = Uuid::now_v7();
    let told = item("dijon", user, event);
    // The same member told twice by one event keeps the first item; the answer says which
    // items were written, as given.
    let again = item("dijon", user, event);
    assert_eq!(
        f.store
            .deliver("n", event, &[told.clone(), again])
            .await
            .unwrap(),
        Delivery::Stored(vec![told.clone()])
    );
    assert_eq!(
        f.store
            .deliver("n", event, &[item("dijon", user, event)])
            .await
            .unwrap(),
        Delivery::AlreadyHandled
    );
    assert_eq!(
        f.store.items_of_event("dijon", event).await.unwrap(),
        [told]
    );
    let inbox = f
        .store
        .inbox(reader("dijon", user, None), page(None, 10))
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].event_id, event);
    // Both languages come back.
    assert_eq!(
        (inbox[0].title.en.as_str(), inbox[0].title.fr.as_str()),
        (
            "An offer may meet your request",
            "Une offre peut répondre à votre demande"
        )
    );
}

async fn inboxes_page_newest_first_and_stay_in_their_tenant(f: Fixture) {
    let user = Uuid::now_v7();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let event = Uuid::now_v7();
        let item = item("dijon", user, event);
        ids.push(item.id);
        f.store.deliver("n", event, &[item]).await.unwrap();
    }
    let first = f
        .store
        .inbox(reader("dijon", user, None), page(None, 2))
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    let rest = f
        .store
        .inbox(reader("dijon", user, None), page(Some(ids[1]), 2))
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|i| i.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert!(
        f.store
            .inbox(reader("beaune", user, None), page(None, 10))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        f.store
            .inbox(reader("dijon", Uuid::now_v7(), None), page(None, 10))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn an_organisation_item_is_read_by_its_members_only(f: Fixture) {
    let (organisation, member) = (Uuid::now_v7(), Uuid::now_v7());
    let event = Uuid::now_v7();
    let mut told = item("dijon", organisation, event);
    told.for_organisation = true;
    f.store.deliver("n", event, &[told]).await.unwrap();
    let seen = f
        .store
        .inbox(reader("dijon", member, Some(organisation)), page(None, 10))
        .await
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].for_organisation);
    for (user, organisation) in [(member, Some(Uuid::now_v7())), (organisation, None)] {
        assert!(
            f.store
                .inbox(reader("dijon", user, organisation), page(None, 10))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

async fn mails_are_queued_once_then_sent_or_retried(f: Fixture) {
    let mail = Mail {
        recipient: "marie@cartonnerie.fr".into(),
        subject: "Confirmez".into(),
        body: "…".into(),
        html: String::new(),
        list_unsubscribe: String::new(),
    };
    let event = Uuid::now_v7();
    assert!(
        f.mail
            .queue_mail("m", event, "dijon", std::slice::from_ref(&mail))
            .await
            .unwrap()
    );
    assert!(
        !f.mail
            .queue_mail("m", event, "dijon", std::slice::from_ref(&mail))
            .await
            .unwrap(),
        "the same event again"
    );
    let now = synergies_platform::time::now();
    let due = f.mail.due_mail(now, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, mail);

    f.mail
        .mark_failed(
            due[0].id,
            "connection refused",
            now + chrono::TimeDelta::minutes(5),
        )
        .await
        .unwrap();
    assert!(
        f.mail.due_mail(now, 10).await.unwrap().is_empty(),
        "waits until its next attempt"
    );
    let later = now + chrono::TimeDelta::minutes(6);
    let retry = f.mail.due_mail(later, 10).await.unwrap();
    assert_eq!(
        (retry[0].attempts, retry[0].last_error.as_str()),
        (1, "connection refused")
    );

    f.mail.mark_sent(retry[0].id, later).await.unwrap();
    assert!(f.mail.due_mail(later, 10).await.unwrap().is_empty());
    let listed = f.mail.outgoing("dijon", None, 10).await.unwrap();
    assert_eq!(listed[0].sent_at, Some(later));
    assert!(
        f.mail
            .outgoing("beaune", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn each_reader_reads_and_counts_their_own_items(f: Fixture) {
    let (organisation, anne, paul) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let now = synergies_platform::time::now();
    let mut shared = item("dijon", organisation, Uuid::now_v7());
    shared.for_organisation = true;
    let own = item("dijon", anne, Uuid::now_v7());
    for told in [&shared, &own] {
        f.store
            .deliver("n", told.event_id, std::slice::from_ref(told))
            .await
            .unwrap();
    }
    let anne_reads = reader("dijon", anne, Some(organisation));
    let paul_reads = reader("dijon", paul, Some(organisation));
    assert_eq!(f.store.unread_count(anne_reads).await.unwrap(), 2);
    assert_eq!(f.store.unread_count(paul_reads).await.unwrap(), 1);

    // Anne opens the organisation's item: read for her, still unread for Paul.
    let opened = f.store.mark_read(anne_reads, shared.id, now).await.unwrap();
    assert!(opened.is_some_and(|item| item.read));
    assert_eq!(f.store.unread_count(anne_reads).await.unwrap(), 1);
    assert_eq!(f.store.unread_count(paul_reads).await.unwrap(), 1);
    let unread_only = InboxPage {
        after: None,
        limit: 10,
        unread_only: true,
    };
    let unread = f.store.inbox(anne_reads, unread_only).await.unwrap();
    assert_eq!(unread.iter().map(|i| i.id).collect::<Vec<_>>(), [own.id]);
    let all = f.store.inbox(anne_reads, page(None, 10)).await.unwrap();
    assert_eq!(
        all.iter().map(|i| (i.id, i.read)).collect::<Vec<_>>(),
        [(own.id, false), (shared.id, true)]
    );
    // Marking again changes nothing; another's item is not found, nor one of another tenant.
    assert!(
        f.store
            .mark_read(anne_reads, shared.id, now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.store
            .mark_read(paul_reads, own.id, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .mark_read(reader("beaune", anne, Some(organisation)), own.id, now)
            .await
            .unwrap()
            .is_none()
    );

    assert_eq!(f.store.mark_all_read(paul_reads, now).await.unwrap(), 1);
    assert_eq!(f.store.mark_all_read(paul_reads, now).await.unwrap(), 0);
    assert_eq!(f.store.unread_count(paul_reads).await.unwrap(), 0);
    assert_eq!(f.store.unread_count(anne_reads).await.unwrap(), 1);
}

async fn items_name_organisations_learned_later(f: Fixture) {
    let (user, other) = (Uuid::now_v7(), Uuid::now_v7());
    let conversation = Uuid::now_v7();
    let mut told = item("dijon", user, Uuid::now_v7());
    told.subject = Subject::Conversation(conversation);
    told.other_organisation = Some(other);
    f.store
        .deliver("n", told.event_id, std::slice::from_ref(&told))
        .await
        .unwrap();
    f.store
        .remember_organisation("dijon", other, "Brasserie du Lac")
        .await
        .unwrap();
    let inbox = f
        .store
        .inbox(reader("dijon", user, None), page(None, 10))
        .await
        .unwrap();
    assert_eq!(
        (
            &inbox[0].subject,
            inbox[0].other_organisation,
            inbox[0].other_organisation_name.as_str()
        ),
        (
            &Subject::Conversation(conversation),
            Some(other),
            "Brasserie du Lac"
        )
    );
    // An item carrying a name teaches it.
    let named = Uuid::now_v7();
    let mut told = item("dijon", user, Uuid::now_v7());
    told.other_organisation = Some(named);
    told.other_organisation_name = "Cartonnerie".into();
    f.store
        .deliver("n", told.event_id, std::slice::from_ref(&told))
        .await
        .unwrap();
    let names = f
        .store
        .organisation_names("dijon", &[named, Uuid::now_v7()])
        .await
        .unwrap();
    assert_eq!(names.len(), 1);
    assert_eq!(names.get(&named).map(String::as_str), Some("Cartonnerie"));
    assert!(
        f.store
            .organisation_names("beaune", &[named])
            .await
            .unwrap()
            .is_empty()
    );
}

async fn each_member_keeps_the_rhythms_they_set(f: Fixture) {
    use synergies_notifications::preferences::{Category, Frequency};
    let (anne, paul) = (Uuid::now_v7(), Uuid::now_v7());
    let now = synergies_platform::time::now();
    assert!(
        f.preferences
            .set_preferences("dijon", anne)
            .await
            .unwrap()
            .is_empty()
    );
    f.preferences
        .choose(
            "dijon",
            anne,
            &[
                (Category::Message, Frequency::Daily),
                (Category::Alert, Frequency::Never),
            ],
            now,
        )
        .await
        .unwrap();
    // Setting again replaces; other categories keep theirs.
    f.preferences
        .choose(
            "dijon",
            anne,
            &[(Category::Message, Frequency::Weekly)],
            now,
        )
        .await
        .unwrap();
    let mut set = f.preferences.set_preferences("dijon", anne).await.unwrap();
    set.sort_by_key(|(category, _)| *category);
    assert_eq!(
        set,
        [
            (Category::Message, Frequency::Weekly),
            (Category::Alert, Frequency::Never)
        ]
    );
    assert!(
        f.preferences
            .set_preferences("dijon", paul)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        f.preferences
            .set_preferences("beaune", anne)
            .await
            .unwrap()
            .is_empty()
    );
    // Erasing the user forgets them.
    f.store
        .forget_user("erasures", Uuid::now_v7(), anne, "anne@example.fr")
        .await
        .unwrap();
    assert!(
        f.preferences
            .set_preferences("dijon", anne)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn item_mails_are_written_once_per_recipient_and_event(f: Fixture) {
    let user = Uuid::now_v7();
    let event = Uuid::now_v7();
    let told = item("dijon", user, event);
    f.store
        .deliver("n", event, std::slice::from_ref(&told))
        .await
        .unwrap();
    let stored = f.store.items_of_event("dijon", event).await.unwrap();
    assert_eq!(stored.iter().map(|i| i.id).collect::<Vec<_>>(), [told.id]);
    assert!(
        f.store
            .items_of_event("beaune", event)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(f.store.recipient(user).await.unwrap(), None);
    f.store
        .remember_recipient("dijon", user, "anne@example.fr", Some("en"))
        .await
        .unwrap();
    // Learned again without a language: the language stays.
    f.store
        .remember_recipient("dijon", user, "anne@example.fr", None)
        .await
        .unwrap();
    assert_eq!(
        f.store.recipient(user).await.unwrap(),
        Some(("anne@example.fr".to_owned(), "en".to_owned()))
    );
    let mail = Mail {
        recipient: "anne@example.fr".into(),
        subject: "New message".into(),
        body: "text".into(),
        html: "<p>html</p>".into(),
        list_unsubscribe: "https://x.fr/dijon/e-mails/desabonnement?token=t".into(),
    };
    for _ in 0..2 {
        f.mail
            .queue_item_mails(event, "dijon", std::slice::from_ref(&mail), &[])
            .await
            .unwrap();
    }
    let due = f
        .mail
        .due_mail(synergies_platform::time::now(), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, mail);
    // The key links are signed with is made once and kept.
    let key = f.store.signing_key("links").await.unwrap();
    assert_eq!(key.len(), 32);
    assert_eq!(f.store.signing_key("links").await.unwrap(), key);
}

/// Three permanent refusals in a row make an address undeliverable (a delivery in between starts
/// the count again); its unsent mails are held, and clearing it makes them due again.
async fn an_address_refused_three_times_is_held_until_cleared(f: Fixture) {
    let mail = |recipient: &str| Mail {
        recipient: recipient.into(),
        subject: "Nouveau message".into(),
        body: "…".into(),
        ..Mail::default()
    };
    let now = synergies_platform::time::now();
    let queued = [mail("Anne@Example.fr"), mail("paul@example.fr")];
    f.mail
        .queue_mail("m", Uuid::now_v7(), "dijon", &queued)
        .await
        .unwrap();
    let failure = |at| {
        f.bounces
            .record_hard_failure("dijon", "anne@example.fr", "550 5.1.1 unknown", at)
    };
    failure(now).await.unwrap();
    failure(now).await.unwrap();
    f.bounces
        .record_delivery("dijon", "ANNE@example.fr")
        .await
        .unwrap();
    for _ in 1..HARD_FAILURES_BEFORE_UNDELIVERABLE {
        let state = failure(now).await.unwrap();
        assert_eq!(state.undeliverable_since, None, "{state:?}");
    }
    assert!(
        f.bounces
            .undeliverable("dijon", "anne@example.fr")
            .await
            .unwrap()
            .is_none()
    );
    let state = failure(now).await.unwrap();
    assert_eq!(state.hard_failures, HARD_FAILURES_BEFORE_UNDELIVERABLE);
    assert!(state.undeliverable_since.is_some());
    assert!(
        f.bounces
            .undeliverable("lyon", "anne@example.fr")
            .await
            .unwrap()
            .is_none(),
        "per territory"
    );
    let listed = f.bounces.undeliverable_of_tenant("dijon").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].address.as_str(), listed[0].last_error.as_str()),
        ("anne@example.fr", "550 5.1.1 unknown")
    );
    // Anne's mail is held, whatever the case of its address; Paul's is due.
    let due = f
        .mail
        .due_mail(now + chrono::TimeDelta::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail.recipient, "paul@example.fr");
    assert!(
        f.mail
            .outgoing("dijon", None, 10)
            .await
            .unwrap()
            .iter()
            .any(|m| m.held)
    );
    // A delivery does not clear an undeliverable address; the member's confirmation does.
    f.bounces
        .record_delivery("dijon", "anne@example.fr")
        .await
        .unwrap();
    assert!(
        f.bounces
            .undeliverable("dijon", "anne@example.fr")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.bounces
            .clear("dijon", "anne@example.fr", now)
            .await
            .unwrap()
    );
    assert!(
        !f.bounces
            .clear("dijon", "anne@example.fr", now)
            .await
            .unwrap()
    );
    assert!(
        f.bounces
            .undeliverable_of_tenant("dijon")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.mail
            .due_mail(now + chrono::TimeDelta::minutes(1), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

/// A territory's revision of saved searches moves with each search saved or deleted, and with
/// nothing else.
async fn saved_searches_move_their_territorys_revision(f: Fixture) {
    assert_eq!(f.searches.revision("dijon").await.unwrap(), 0);
    let user_id = Uuid::now_v7();
    let search = SavedSearch {
        id: Uuid::now_v7(),
        tenant: "dijon".into(),
        user_id,
        organisation_id: Uuid::now_v7(),
        text: "palette".into(),
        kind: String::new(),
        category: String::new(),
        created_at: synergies_platform::time::now(),
        exchange_mode: "give".into(),
        insee_code: "21231".into(),
        free_only: true,
        sort: "newest".into(),
    };
    f.searches.save(&search).await.unwrap();
    // One without them reads back without them.
    let plain = SavedSearch {
        id: Uuid::now_v7(),
        free_only: false,
        sort: String::new(),
        ..search.clone()
    };
    f.searches.save(&plain).await.unwrap();
    let saved = f.searches.revision("dijon").await.unwrap();
    assert!(saved > 0);
    assert_eq!(f.searches.revision("lyon").await.unwrap(), 0);
    let kept = f.searches.of_tenant("dijon").await.unwrap();
    assert_eq!(kept, [search.clone(), plain.clone()]);
    assert_eq!(
        (
            kept[0].id,
            kept[0].exchange_mode.as_str(),
            kept[0].insee_code.as_str(),
            kept[0].free_only,
            kept[0].sort.as_str()
        ),
        (search.id, "give", "21231", true, "newest")
    );
    assert_eq!(
        f.searches.of_user("dijon", user_id).await.unwrap(),
        kept,
        "a member's own, with their free-only and sort"
    );
    assert!(f.searches.delete("dijon", user_id, plain.id).await.unwrap());
    assert!(
        f.searches
            .delete("dijon", user_id, search.id)
            .await
            .unwrap()
    );
    assert!(f.searches.revision("dijon").await.unwrap() > saved);
    assert!(f.searches.of_tenant("dijon").await.unwrap().is_empty());
}

async fn a_delivery_report_counts_once(f: Fixture) {
    let mail = Mail {
        recipient: "Achats@Fonderie.example".into(),
        subject: "Nouvelle offre".into(),
        ..Mail::default()
    };
    f.mail
        .queue_mail("m", Uuid::now_v7(), "dijon", std::slice::from_ref(&mail))
        .await
        .unwrap();
    assert!(
        f.bounces
            .has_mailed("dijon", "achats@fonderie.example")
            .await
            .unwrap()
    );
    assert!(
        !f.bounces
            .has_mailed("beaune", "achats@fonderie.example")
            .await
            .unwrap()
    );
    let now = synergies_platform::time::now();
    let failures = [(
        "achats@fonderie.example".to_owned(),
        "delivery report: 5.1.1".to_owned(),
    )];
    let counted = f
        .bounces
        .record_report("dijon", Some("<r1@relay>"), &failures, now)
        .await
        .unwrap()
        .expect("a first report counts");
    assert_eq!(counted[0].hard_failures, 1);
    assert_eq!(
        f.bounces
            .record_report("dijon", Some("<r1@relay>"), &failures, now)
            .await
            .unwrap(),
        None,
        "the same report again"
    );
    // The same Message-ID in another territory is another report.
    assert!(
        f.bounces
            .record_report("beaune", Some("<r1@relay>"), &failures, now)
            .await
            .unwrap()
            .is_some()
    );
    for id in [None, Some("<r2@relay>")] {
        f.bounces
            .record_report("dijon", id, &failures, now)
            .await
            .unwrap();
    }
    let undeliverable = f
        .bounces
        .undeliverable("dijon", "achats@fonderie.example")
        .await
        .unwrap()
        .expect("three reports make it undeliverable");
    assert_eq!(
        undeliverable.hard_failures,
        HARD_FAILURES_BEFORE_UNDELIVERABLE
    );
    let outgoing = f.mail.outgoing("dijon", None, 10).await.unwrap();
    assert!(outgoing[0].held, "its unsent mail is held");
}

async fn unsent_mails_past_their_age_are_dropped(f: Fixture) {
    let to = |recipient: &str| Mail {
        recipient: recipient.into(),
        subject: "Votre récapitulatif".into(),
        ..Mail::default()
    };
    for (tenant, recipient) in [
        ("dijon", "waiting@example.org"),
        ("dijon", "held@example.org"),
        ("dijon", "sent@example.org"),
        ("beaune", "waiting@example.org"),
    ] {
        f.mail
            .queue_mail("m", Uuid::now_v7(), tenant, &[to(recipient)])
            .await
            .unwrap();
    }
    let now = synergies_platform::time::now();
    let queued = f.mail.outgoing("dijon", None, 10).await.unwrap();
    let id_of = |recipient: &str| {
        queued
            .iter()
            .find(|q| q.mail.recipient == recipient)
            .expect("queued")
            .id
    };
    f.bounces.hold(id_of("held@example.org")).await.unwrap();
    f.mail
        .mark_sent(id_of("sent@example.org"), now)
        .await
        .unwrap();

    assert!(
        f.mail
            .expire_unsent(now - chrono::TimeDelta::days(1))
            .await
            .unwrap()
            .is_empty(),
        "nothing is old enough yet"
    );
    let dropped = f
        .mail
        .expire_unsent(now + chrono::TimeDelta::seconds(1))
        .await
        .unwrap();
    assert_eq!(dropped, [("beaune".to_owned(), 1), ("dijon".to_owned(), 2)]);
    let kept = f.mail.outgoing("dijon", None, 10).await.unwrap();
    assert_eq!(kept.len(), 1, "the sent one stays: {kept:?}");
    assert_eq!(kept[0].mail.recipient, "sent@example.org");
    assert!(
        f.mail
            .outgoing("beaune", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

synergies_platform::store_conformance!(open;
    unsent_mails_past_their_age_are_dropped,
    a_delivery_report_counts_once,
    an_address_refused_three_times_is_held_until_cleared,
    saved_searches_move_their_territorys_revision,
    item_mails_are_written_once_per_recipient_and_event,
    each_member_keeps_the_rhythms_they_set,
    each_reader_reads_and_counts_their_own_items,
    items_name_organisations_learned_later,
    an_organisation_item_is_read_by_its_members_only,
    mails_are_queued_once_then_sent_or_retried,
    an_event_is_delivered_once,
    inboxes_page_newest_first_and_stay_in_their_tenant,
);
