//! Pending e-mail address changes, run against PostgreSQL and SQLite: the old address stays
//! the user's until the change's single-use token is spent; spending it moves the address and
//! stores the `user.email_changed` event in one transaction; an expired or replaced token does
//! nothing; an address another account took meanwhile is refused.

use std::sync::Arc;

use synergies_identity::domain::{
    Organisation, OrganisationKind, OrganisationStatus, Tenant, TenantSettings, TerritoryMap, User,
};
use synergies_identity::email_change::{ConfirmedEmailChange, PendingEmailChange};
use synergies_identity::error::IdentityError;
use synergies_identity::store::{self, IdentityStore};
use synergies_platform::auth::Role;
use synergies_platform::outbox::{OutboxEvent, unpublished_count};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use synergies_proto::events::v1::UserEmailChanged;
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn IdentityStore>,
    database: TestDatabase,
}

async fn open(backend: Backend) -> Option<Fixture> {
    let database = fresh_database(
        backend,
        "identity",
        &synergies_identity::POSTGRES_MIGRATIONS,
        &synergies_identity::SQLITE_MIGRATIONS,
    )
    .await?;
    Some(Fixture {
        store: store::for_database(&database.database),
        database,
    })
}

/// Dijon, an organisation of it, and two of its users: Marie and Paul.
async fn two_users(store: &dyn IdentityStore) -> (User, User) {
    store
        .create_tenant(&Tenant {
            slug: "dijon".into(),
            display_name: "Dijon Métropole".into(),
            created_at: synergies_platform::time::now(),
            settings: TenantSettings::default(),
            map: TerritoryMap::default(),
            communes: Vec::new(),
        })
        .await
        .unwrap();
    let organisation = Organisation {
        id: Uuid::now_v7(),
        tenant: "dijon".into(),
        name: "Brasserie du Lac".into(),
        kind: OrganisationKind::Company,
        created_at: synergies_platform::time::now(),
        siret: None,
        rna: None,
        naf: None,
        status: OrganisationStatus::Approved,
        status_reason: String::new(),
        sites: Vec::new(),
    };
    store.create_organisation(&organisation).await.unwrap();
    let user = |email: &str| User {
        id: Uuid::now_v7(),
        tenant: "dijon".into(),
        organisation_id: organisation.id,
        email: email.into(),
        display_name: "Marie Curie".into(),
        created_at: synergies_platform::time::now(),
    };
    let (marie, paul) = (user("marie@brasserie.fr"), user("paul@brasserie.fr"));
    for someone in [&marie, &paul] {
        store
            .create_user(someone, "hash", &[Role::Member])
            .await
            .unwrap();
    }
    (marie, paul)
}

fn change(user: &User, new_email: &str, token_hash: &str) -> PendingEmailChange {
    PendingEmailChange {
        token_hash: token_hash.into(),
        user_id: user.id,
        new_email: new_email.into(),
        expires_at: synergies_platform::time::now() + chrono::TimeDelta::hours(24),
    }
}

fn event(tenant: &str) -> OutboxEvent {
    OutboxEvent::new(&synergies_platform::events::envelope(
        tenant,
        "identity",
        &UserEmailChanged::default(),
    ))
}

fn changed_event(changed: &ConfirmedEmailChange) -> OutboxEvent {
    OutboxEvent::new(&synergies_platform::events::envelope(
        &changed.tenant,
        "identity",
        &UserEmailChanged {
            user_id: changed.user_id.to_string(),
            old_email: changed.old_email.clone(),
            new_email: changed.new_email.clone(),
            ..UserEmailChanged::default()
        },
    ))
}

async fn the_old_address_stays_until_the_token_is_spent_once(f: Fixture) {
    let (marie, _) = two_users(f.store.as_ref()).await;
    let outbox_before = unpublished_count(&f.database.database).await.unwrap();
    f.store
        .request_email_change(
            &change(&marie, "achats@brasserie.fr", "first"),
            &event("dijon"),
        )
        .await
        .unwrap();
    // A second request replaces the first: its link no longer works.
    f.store
        .request_email_change(
            &change(&marie, "achats@brasserie.fr", "second"),
            &event("dijon"),
        )
        .await
        .unwrap();
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        outbox_before + 2,
        "each request's event waits in the outbox"
    );
    let now = synergies_platform::time::now();
    assert_eq!(
        f.store
            .pending_email_change(marie.id, now)
            .await
            .unwrap()
            .map(|(a, _)| a),
        Some("achats@brasserie.fr".to_owned())
    );
    assert!(
        f.store
            .credentials("dijon", "marie@brasserie.fr")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.store
            .credentials("dijon", "achats@brasserie.fr")
            .await
            .unwrap()
            .is_none()
    );

    assert_eq!(
        f.store
            .confirm_email_change("first", now, &changed_event)
            .await
            .unwrap(),
        None,
        "replaced"
    );
    assert_eq!(
        f.store
            .confirm_email_change("second", now + chrono::TimeDelta::hours(25), &changed_event)
            .await
            .unwrap(),
        None,
        "expired"
    );
    let changed = f
        .store
        .confirm_email_change("second", now, &changed_event)
        .await
        .unwrap()
        .expect("a valid token");
    assert_eq!(
        (
            changed.old_email.as_str(),
            changed.new_email.as_str(),
            changed.tenant_display_name.as_str(),
            changed.language.as_str()
        ),
        (
            "marie@brasserie.fr",
            "achats@brasserie.fr",
            "Dijon Métropole",
            "fr"
        )
    );
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        outbox_before + 3,
        "the change's event with it"
    );
    assert_eq!(
        f.store
            .confirm_email_change("second", now, &changed_event)
            .await
            .unwrap(),
        None,
        "single use"
    );
    let moved = f
        .store
        .credentials("dijon", "achats@brasserie.fr")
        .await
        .unwrap()
        .expect("the new address signs in");
    assert_eq!(moved.user.id, marie.id);
    assert!(moved.email_verified);
    assert!(
        f.store
            .credentials("dijon", "marie@brasserie.fr")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        f.store.pending_email_change(marie.id, now).await.unwrap(),
        None
    );
}

async fn an_address_taken_meanwhile_is_refused_and_nothing_changes(f: Fixture) {
    let (marie, paul) = two_users(f.store.as_ref()).await;
    f.store
        .request_email_change(
            &change(&marie, "achats@brasserie.fr", "marie"),
            &event("dijon"),
        )
        .await
        .unwrap();
    f.store
        .request_email_change(
            &change(&paul, "achats@brasserie.fr", "paul"),
            &event("dijon"),
        )
        .await
        .unwrap();
    let now = synergies_platform::time::now();
    assert!(
        f.store
            .confirm_email_change("paul", now, &changed_event)
            .await
            .unwrap()
            .is_some()
    );
    let outbox = unpublished_count(&f.database.database).await.unwrap();
    let refused = f
        .store
        .confirm_email_change("marie", now, &changed_event)
        .await;
    assert!(
        matches!(refused, Err(IdentityError::EmailTaken)),
        "{refused:?}"
    );
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        outbox
    );
    let marie_now = f.store.credentials_by_id(marie.id).await.unwrap().unwrap();
    assert_eq!(marie_now.user.email, "marie@brasserie.fr");
}

synergies_platform::store_conformance!(open;
    the_old_address_stays_until_the_token_is_spent_once,
    an_address_taken_meanwhile_is_refused_and_nothing_changes,
);
