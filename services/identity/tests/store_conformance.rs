//! The identity store suite, run against PostgreSQL and SQLite.

use std::sync::Arc;

use synergies_identity::domain::{
    Organisation, OrganisationKind, OrganisationStatus, Site, Tenant, TenantSettings,
    TerritoryCommune, TerritoryMap, User,
};
use synergies_identity::error::IdentityError;
use synergies_identity::logo::TenantLogo;
use synergies_identity::store::{
    self, Contact, Decision, IdentityStore, RefreshToken, Rotation, SignUp, TokenPurpose, UserToken,
};
use synergies_platform::auth::{Role, SigningKey};
use synergies_platform::outbox::{OutboxEvent, unpublished_count};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use synergies_proto::events::v1::UserVerificationRequested;
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

async fn tenant(store: &dyn IdentityStore, slug: &str) -> Tenant {
    let tenant = Tenant {
        slug: slug.into(),
        display_name: format!("{slug} métropole"),
        created_at: synergies_platform::time::now(),
        settings: TenantSettings::default(),
        map: TerritoryMap {
            centre: Some((47.3216, 5.0415)),
            bounds: Some([47.2, 4.9, 47.45, 5.2]),
        },
        communes: vec![TerritoryCommune {
            insee_code: "21231".into(),
            name: "Dijon".into(),
            postal_codes: vec!["21000".into()],
        }],
    };
    store.create_tenant(&tenant).await.unwrap();
    let stored = store.tenant(slug).await.unwrap().unwrap();
    assert_eq!(stored.map, tenant.map, "the map survives the round trip");
    tenant
}

fn new_organisation(tenant: &str, siret: Option<&str>, status: OrganisationStatus) -> Organisation {
    Organisation {
        id: Uuid::now_v7(),
        tenant: tenant.into(),
        name: "Cartonnerie de Bourgogne".into(),
        kind: OrganisationKind::Company,
        created_at: synergies_platform::time::now(),
        siret: siret.map(str::to_owned),
        rna: None,
        naf: Some("17.21A".into()),
        status,
        status_reason: String::new(),
        sites: vec![Site {
            id: Uuid::now_v7(),
            address: "12 rue des Ateliers".into(),
            insee_code: "21231".into(),
            latitude: Some(47.32),
            longitude: Some(5.04),
        }],
    }
}

async fn organisation(store: &dyn IdentityStore, tenant: &str) -> Organisation {
    let organisation = new_organisation(tenant, None, OrganisationStatus::Approved);
    store.create_organisation(&organisation).await.unwrap();
    organisation
}

fn user(tenant: &str, organisation: Uuid, email: &str) -> User {
    User {
        id: Uuid::now_v7(),
        tenant: tenant.into(),
        organisation_id: organisation,
        email: email.into(),
        display_name: "Marie Curie".into(),
        created_at: synergies_platform::time::now(),
    }
}

async fn tenants_are_unique_by_slug(f: Fixture) {
    let created = tenant(f.store.as_ref(), "dijon").await;
    let again = f.store.create_tenant(&created).await.unwrap_err();
    assert!(matches!(again, IdentityError::TenantExists(slug) if slug == "dijon"));
    let read = f.store.tenant("dijon").await.unwrap().unwrap();
    assert_eq!(read.display_name, "dijon métropole");
    assert!(f.store.tenant("beaune").await.unwrap().is_none());
}

async fn organisations_are_invisible_from_another_tenant(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    tenant(f.store.as_ref(), "beaune").await;
    let organisation = organisation(f.store.as_ref(), "dijon").await;
    let read = f
        .store
        .organisation("dijon", organisation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.name, organisation.name);
    assert_eq!(read.kind, OrganisationKind::Company);
    assert!(
        f.store
            .organisation("beaune", organisation.id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_email_is_unique_within_a_tenant_only(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    tenant(f.store.as_ref(), "beaune").await;
    let in_dijon = organisation(f.store.as_ref(), "dijon").await;
    let in_beaune = organisation(f.store.as_ref(), "beaune").await;
    f.store
        .create_user(
            &user("dijon", in_dijon.id, "marie@example.fr"),
            "hash-1",
            &[Role::Member],
        )
        .await
        .unwrap();
    let duplicate = f
        .store
        .create_user(
            &user("dijon", in_dijon.id, "marie@example.fr"),
            "hash-2",
            &[Role::Member],
        )
        .await;
    assert!(matches!(duplicate, Err(IdentityError::EmailTaken)));
    f.store
        .create_user(
            &user("beaune", in_beaune.id, "marie@example.fr"),
            "hash-3",
            &[Role::Member],
        )
        .await
        .unwrap();
}

async fn credentials_are_found_by_email_and_only_in_their_tenant(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    let organisation = organisation(f.store.as_ref(), "dijon").await;
    let created = user("dijon", organisation.id, "paul@example.fr");
    let roles = [Role::Member, Role::OrganisationAdmin];
    f.store
        .create_user(&created, "argon2-hash", &roles)
        .await
        .unwrap();
    let found = f
        .store
        .credentials("dijon", "paul@example.fr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.id, created.id);
    assert_eq!(found.password_hash.as_deref(), Some("argon2-hash"));
    assert_eq!(found.roles, roles);
    assert!(
        f.store
            .credentials("beaune", "paul@example.fr")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .credentials_by_id(created.id)
            .await
            .unwrap()
            .is_some()
    );
    assert!(f.store.user("dijon", created.id).await.unwrap().is_some());
    assert!(f.store.user("beaune", created.id).await.unwrap().is_none());
}

async fn refresh_tokens_rotate_once_and_reuse_revokes_the_session(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    let organisation = organisation(f.store.as_ref(), "dijon").await;
    let created = user("dijon", organisation.id, "lea@example.fr");
    f.store
        .create_user(&created, "h", &[Role::Member])
        .await
        .unwrap();
    let now = synergies_platform::time::now();
    let later = now + chrono::TimeDelta::days(30);
    let first = RefreshToken {
        token_hash: "t1".into(),
        family: Uuid::now_v7(),
        user_id: created.id,
        created_at: now,
        expires_at: later,
    };
    f.store.add_refresh_token(&first).await.unwrap();

    let rotated = f
        .store
        .rotate_refresh_token("t1", "t2", now, later)
        .await
        .unwrap();
    assert_eq!(
        rotated,
        Rotation::Rotated {
            user_id: created.id
        }
    );
    // t1 again: a replay. The whole family, t2 included, is revoked.
    assert_eq!(
        f.store
            .rotate_refresh_token("t1", "t3", now, later)
            .await
            .unwrap(),
        Rotation::Reused
    );
    assert_eq!(
        f.store
            .rotate_refresh_token("t2", "t4", now, later)
            .await
            .unwrap(),
        Rotation::Reused
    );
    assert_eq!(
        f.store
            .rotate_refresh_token("nope", "t5", now, later)
            .await
            .unwrap(),
        Rotation::Unknown
    );

    let expired = RefreshToken {
        token_hash: "old".into(),
        family: Uuid::now_v7(),
        user_id: created.id,
        created_at: now,
        expires_at: now,
    };
    f.store.add_refresh_token(&expired).await.unwrap();
    assert_eq!(
        f.store
            .rotate_refresh_token("old", "t6", now, later)
            .await
            .unwrap(),
        Rotation::Expired
    );

    let session = RefreshToken {
        token_hash: "s1".into(),
        family: Uuid::now_v7(),
        user_id: created.id,
        created_at: now,
        expires_at: later,
    };
    f.store.add_refresh_token(&session).await.unwrap();
    f.store.revoke_refresh_family("s1").await.unwrap();
    assert_eq!(
        f.store
            .rotate_refresh_token("s1", "t7", now, later)
            .await
            .unwrap(),
        Rotation::Reused
    );
}

async fn signing_keys_are_kept_newest_first(f: Fixture) {
    assert!(f.store.signing_keys().await.unwrap().is_empty());
    let first = SigningKey::generate();
    f.store
        .add_signing_key(&first.kid, first.pkcs8())
        .await
        .unwrap();
    let second = SigningKey::generate();
    f.store
        .add_signing_key(&second.kid, second.pkcs8())
        .await
        .unwrap();
    let stored = f.store.signing_keys().await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].0, second.kid);
    assert_eq!(
        SigningKey::from_pkcs8(&stored[0].1).unwrap().kid,
        second.kid
    );
    f.store
        .reseal_signing_key(&first.kid, b"sealed again")
        .await
        .unwrap();
    let stored = f.store.signing_keys().await.unwrap();
    assert_eq!(stored[1], (first.kid.clone(), b"sealed again".to_vec()));
}

async fn tenant_settings_are_kept(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    assert_eq!(
        f.store.tenant("dijon").await.unwrap().unwrap().settings,
        TenantSettings::default()
    );
    let branded = TenantSettings {
        brand_name: "Synergies Dijon".into(),
        primary_colour: "#aa0000".into(),
        listings_need_approval: true,
        exchange_modes: vec!["give".into(), "lend".into()],
        mutualisation_radius_km: 25,
        ..TenantSettings::default()
    };
    assert!(
        f.store
            .update_tenant_settings("dijon", &branded)
            .await
            .unwrap()
    );
    assert_eq!(
        f.store.tenant("dijon").await.unwrap().unwrap().settings,
        branded
    );
    assert!(
        !f.store
            .update_tenant_settings("atlantis", &branded)
            .await
            .unwrap()
    );
}

async fn a_tenant_logo_is_kept_replaced_and_removed(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    assert_eq!(f.store.tenant_logo("dijon").await.unwrap(), None);
    let logo = |digest: &str, image: &[u8]| TenantLogo {
        digest: digest.into(),
        content_type: "image/png".into(),
        width: 120,
        height: 40,
        image: image.to_vec(),
        updated_at: chrono::DateTime::from_timestamp(1_760_000_000, 0).unwrap(),
    };
    let first = logo("0123456789abcdef", b"\x89PNG first");
    assert!(f.store.set_tenant_logo("dijon", &first).await.unwrap());
    assert_eq!(f.store.tenant_logo("dijon").await.unwrap(), Some(first));
    let second = logo("fedcba9876543210", b"\x89PNG second, \0 with a NUL");
    assert!(f.store.set_tenant_logo("dijon", &second).await.unwrap());
    assert_eq!(
        f.store.tenant_logo("dijon").await.unwrap(),
        Some(second.clone())
    );
    // The settings name the current logo, and saving them leaves it alone.
    let settings = f.store.tenant("dijon").await.unwrap().unwrap().settings;
    assert_eq!(settings.logo_digest, "fedcba9876543210");
    assert!(
        f.store
            .update_tenant_settings("dijon", &TenantSettings::default())
            .await
            .unwrap()
    );
    assert_eq!(
        f.store.tenant_logo("dijon").await.unwrap(),
        Some(second.clone())
    );
    assert!(!f.store.set_tenant_logo("atlantis", &second).await.unwrap());
    f.store.remove_tenant_logo("dijon").await.unwrap();
    f.store.remove_tenant_logo("dijon").await.unwrap();
    assert_eq!(f.store.tenant_logo("dijon").await.unwrap(), None);
    let settings = f.store.tenant("dijon").await.unwrap().unwrap().settings;
    assert_eq!(settings.logo_digest, "");
}

async fn tenants_keep_their_territory(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    let read = f.store.tenant("dijon").await.unwrap().unwrap();
    assert_eq!(read.communes.len(), 1);
    assert_eq!(read.communes[0].postal_codes, vec!["21000".to_owned()]);
}

/// Signs up with a verification and its event, as identity does; returns the event's token.
async fn sign_up(
    store: &dyn IdentityStore,
    organisation: &Organisation,
    user: &User,
    password_hash: &str,
    roles: &[Role],
) -> Result<(), IdentityError> {
    sign_up_joining(store, organisation, false, user, password_hash, roles).await
}

async fn sign_up_joining(
    store: &dyn IdentityStore,
    organisation: &Organisation,
    joins_diagnosed: bool,
    user: &User,
    password_hash: &str,
    roles: &[Role],
) -> Result<(), IdentityError> {
    let verification = UserToken {
        token_hash: format!("hash-of-token-for-{}", user.email),
        user_id: user.id,
        purpose: TokenPurpose::VerifyEmail,
        expires_at: synergies_platform::time::now() + chrono::TimeDelta::days(3),
    };
    let event = UserVerificationRequested {
        user_id: user.id.to_string(),
        ..Default::default()
    };
    let event = OutboxEvent::new(&synergies_platform::events::envelope(
        &user.tenant,
        "identity",
        &event,
    ));
    store
        .sign_up(&SignUp {
            organisation,
            joins_diagnosed,
            user,
            password_hash,
            roles,
            language: "fr",
            verification: &verification,
            event: &event,
        })
        .await
}

async fn a_diagnosed_organisation_is_joined_once_keeping_its_id_and_sites(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    tenant(f.store.as_ref(), "beaune").await;
    let siret = "73282932000074";
    let diagnosed = new_organisation("dijon", Some(siret), OrganisationStatus::Diagnosed);
    f.store.create_organisation(&diagnosed).await.unwrap();
    let found = f
        .store
        .organisation_by_siret("dijon", siret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, found.status, &found.sites),
        (
            diagnosed.id,
            OrganisationStatus::Diagnosed,
            &diagnosed.sites
        )
    );
    assert!(
        f.store
            .organisation_by_siret("beaune", siret)
            .await
            .unwrap()
            .is_none(),
        "another tenant's SIRET is not found"
    );

    let mut joining = found.clone();
    joining.status = OrganisationStatus::Pending;
    joining.sites.push(Site {
        id: Uuid::now_v7(),
        address: "3 avenue du Lac".into(),
        insee_code: "21231".into(),
        latitude: None,
        longitude: None,
    });
    let admin = user("dijon", joining.id, "marie@cartonnerie.fr");
    sign_up_joining(
        f.store.as_ref(),
        &joining,
        true,
        &admin,
        "hash",
        &[Role::OrganisationAdmin],
    )
    .await
    .unwrap();
    let joined = f
        .store
        .organisation("dijon", diagnosed.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(joined.status, OrganisationStatus::Pending);
    assert_eq!(joined.sites.len(), 2);
    assert!(joined.sites.contains(&diagnosed.sites[0]));
    let credentials = f
        .store
        .credentials("dijon", "marie@cartonnerie.fr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.user.organisation_id, diagnosed.id);

    // Someone else joining the same record afterwards is refused, and nothing of them is kept.
    let late = user("dijon", joining.id, "paul@cartonnerie.fr");
    let refused = sign_up_joining(f.store.as_ref(), &joining, true, &late, "hash", &[]).await;
    assert!(
        matches!(refused, Err(IdentityError::IdentifierTaken)),
        "{refused:?}"
    );
    assert!(
        f.store
            .credentials("dijon", "paul@cartonnerie.fr")
            .await
            .unwrap()
            .is_none()
    );
}

async fn e_mail_verification_is_single_use_and_expires(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    let pending = new_organisation("dijon", None, OrganisationStatus::Pending);
    let admin = user("dijon", pending.id, "new@cartonnerie.fr");
    sign_up(
        f.store.as_ref(),
        &pending,
        &admin,
        "hash",
        &[Role::OrganisationAdmin],
    )
    .await
    .unwrap();
    assert_eq!(
        unpublished_count(&f.database.database).await.unwrap(),
        2,
        "the verification event and the organisation's registration wait in the outbox"
    );
    let before = f
        .store
        .credentials("dijon", "new@cartonnerie.fr")
        .await
        .unwrap()
        .unwrap();
    assert!(!before.email_verified);
    let now = synergies_platform::time::now();
    let token = "hash-of-token-for-new@cartonnerie.fr";
    assert!(
        !f.store
            .verify_email(token, now + chrono::TimeDelta::days(4))
            .await
            .unwrap(),
        "expired"
    );
    assert!(f.store.verify_email(token, now).await.unwrap());
    assert!(
        !f.store.verify_email(token, now).await.unwrap(),
        "single use"
    );
    assert!(!f.store.verify_email("unknown", now).await.unwrap());
    let after = f
        .store
        .credentials("dijon", "new@cartonnerie.fr")
        .await
        .unwrap()
        .unwrap();
    assert!(after.email_verified);
}

async fn a_signed_up_organisation_waits_then_is_decided_with_a_record(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    tenant(f.store.as_ref(), "beaune").await;
    let pending = new_organisation("dijon", Some("73282932000074"), OrganisationStatus::Pending);
    let admin = user("dijon", pending.id, "admin@cartonnerie.fr");
    sign_up(
        f.store.as_ref(),
        &pending,
        &admin,
        "hash",
        &[Role::OrganisationAdmin],
    )
    .await
    .unwrap();
    let credentials = f
        .store
        .credentials("dijon", "admin@cartonnerie.fr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        credentials.effective_roles(),
        vec![Role::OrganisationAdmin],
        "no membership before approval"
    );

    // The same SIRET again in the same tenant is refused, and nothing of it is stored.
    let twin = new_organisation("dijon", Some("73282932000074"), OrganisationStatus::Pending);
    let twin_user = user("dijon", twin.id, "other@cartonnerie.fr");
    let refused = sign_up(f.store.as_ref(), &twin, &twin_user, "hash", &[]).await;
    assert!(
        matches!(refused, Err(IdentityError::IdentifierTaken)),
        "{refused:?}"
    );
    assert!(
        f.store
            .credentials("dijon", "other@cartonnerie.fr")
            .await
            .unwrap()
            .is_none()
    );
    // ...but another tenant may have it.
    let elsewhere = new_organisation(
        "beaune",
        Some("73282932000074"),
        OrganisationStatus::Pending,
    );
    sign_up(
        f.store.as_ref(),
        &elsewhere,
        &user("beaune", elsewhere.id, "a@b.fr"),
        "hash",
        &[],
    )
    .await
    .unwrap();

    let queue = f
        .store
        .organisations("dijon", Some(OrganisationStatus::Pending), None, 10)
        .await
        .unwrap();
    assert_eq!(
        queue.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![pending.id]
    );
    assert_eq!(queue[0].sites.len(), 1);
    for (tenant, expected) in [("dijon", 1), ("beaune", 1), ("atlantis", 0)] {
        let pending = f
            .store
            .count_organisations(tenant, OrganisationStatus::Pending)
            .await
            .unwrap();
        assert_eq!(pending, expected, "{tenant}");
    }

    let no_event = |_: &Organisation, _: &[Contact]| -> OutboxEvent {
        unreachable!("no decision on another tenant's organisation")
    };
    let told = std::sync::Mutex::new(Vec::new());
    let announce = |_: &Organisation, contacts: &[Contact]| {
        told.lock()
            .unwrap()
            .extend(contacts.iter().map(|c| c.email.clone()));
        OutboxEvent::new(&synergies_platform::events::envelope(
            "dijon",
            "identity",
            &UserVerificationRequested::default(),
        ))
    };
    let decision = Decision {
        status: OrganisationStatus::Approved,
        reason: String::new(),
        decided_by: Uuid::now_v7().to_string(),
        decided_at: synergies_platform::time::now(),
    };
    assert!(
        f.store
            .decide("beaune", pending.id, &decision, &no_event)
            .await
            .unwrap()
            .is_none(),
        "another tenant's"
    );
    let approved = f
        .store
        .decide("dijon", pending.id, &decision, &announce)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approved.status, OrganisationStatus::Approved);
    assert_eq!(
        *told.lock().unwrap(),
        vec!["admin@cartonnerie.fr".to_owned()],
        "its users are told"
    );
    let credentials = f
        .store
        .credentials("dijon", "admin@cartonnerie.fr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        credentials.effective_roles(),
        vec![Role::Member, Role::OrganisationAdmin]
    );
    assert!(
        f.store
            .organisations("dijon", Some(OrganisationStatus::Pending), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_reset_token_sets_the_password_once_and_ends_every_session(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    let organisation = organisation(f.store.as_ref(), "dijon").await;
    let member = user("dijon", organisation.id, "reset@cartonnerie.fr");
    f.store.create_user(&member, "old-hash", &[]).await.unwrap();
    let now = synergies_platform::time::now();
    let session = RefreshToken {
        token_hash: "session".into(),
        family: Uuid::now_v7(),
        user_id: member.id,
        created_at: now,
        expires_at: now + chrono::TimeDelta::days(30),
    };
    f.store.add_refresh_token(&session).await.unwrap();
    let reset = UserToken {
        token_hash: "reset".into(),
        user_id: member.id,
        purpose: TokenPurpose::ResetPassword,
        expires_at: now + chrono::TimeDelta::hours(1),
    };
    let event = OutboxEvent::new(&synergies_platform::events::envelope(
        "dijon",
        "identity",
        &UserVerificationRequested::default(),
    ));
    f.store.add_user_token(&reset, &event).await.unwrap();

    assert!(
        !f.store.verify_email("reset", now).await.unwrap(),
        "a reset token does not verify an address"
    );
    assert!(
        f.store
            .reset_password("reset", "new-hash", now)
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .reset_password("reset", "other-hash", now)
            .await
            .unwrap(),
        "single use"
    );
    let credentials = f.store.credentials_by_id(member.id).await.unwrap().unwrap();
    assert_eq!(credentials.password_hash.as_deref(), Some("new-hash"));
    assert_eq!(
        f.store
            .rotate_refresh_token("session", "next", now, now)
            .await
            .unwrap(),
        Rotation::Reused
    );
}

synergies_platform::store_conformance!(open;
    a_diagnosed_organisation_is_joined_once_keeping_its_id_and_sites,
    tenant_settings_are_kept,
    a_tenant_logo_is_kept_replaced_and_removed,
    a_reset_token_sets_the_password_once_and_ends_every_session,
    tenants_keep_their_territory,
    a_signed_up_organisation_waits_then_is_decided_with_a_record,
    e_mail_verification_is_single_use_and_expires,
    tenants_are_unique_by_slug,
    organisations_are_invisible_from_another_tenant,
    an_email_is_unique_within_a_tenant_only,
    credentials_are_found_by_email_and_only_in_their_tenant,
    refresh_tokens_rotate_once_and_reuse_revokes_the_session,
    signing_keys_are_kept_newest_first,
);
