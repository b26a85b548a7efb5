//! The identity store suite, run against PostgreSQL and SQLite.

use std::sync::Arc;

use synergies_identity::domain::{Organisation, OrganisationKind, Tenant, User};
use synergies_identity::error::IdentityError;
use synergies_identity::store::{self, IdentityStore};
use synergies_platform::testing::{Backend, TestDatabase, fresh_database};
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn IdentityStore>,
    _database: TestDatabase,
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
        _database: database,
    })
}

async fn tenant(store: &dyn IdentityStore, slug: &str) -> Tenant {
    let tenant = Tenant {
        slug: slug.into(),
        display_name: format!("{slug} métropole"),
        created_at: synergies_platform::time::now(),
    };
    store.create_tenant(&tenant).await.unwrap();
    tenant
}

async fn organisation(store: &dyn IdentityStore, tenant: &str) -> Organisation {
    let organisation = Organisation {
        id: Uuid::now_v7(),
        tenant: tenant.into(),
        name: "Cartonnerie de Bourgogne".into(),
        kind: OrganisationKind::Company,
        created_at: synergies_platform::time::now(),
    };
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
        .create_user(&user("dijon", in_dijon.id, "marie@example.fr"), "hash-1")
        .await
        .unwrap();
    let duplicate = f
        .store
        .create_user(&user("dijon", in_dijon.id, "marie@example.fr"), "hash-2")
        .await;
    assert!(matches!(duplicate, Err(IdentityError::EmailTaken)));
    f.store
        .create_user(&user("beaune", in_beaune.id, "marie@example.fr"), "hash-3")
        .await
        .unwrap();
}

async fn users_are_found_by_token_and_only_in_their_tenant(f: Fixture) {
    tenant(f.store.as_ref(), "dijon").await;
    let organisation = organisation(f.store.as_ref(), "dijon").await;
    let created = user("dijon", organisation.id, "paul@example.fr");
    f.store.create_user(&created, "token-hash").await.unwrap();
    let by_token = f.store.user_by_token("token-hash").await.unwrap().unwrap();
    assert_eq!(by_token.id, created.id);
    assert_eq!(by_token.email, "paul@example.fr");
    assert!(f.store.user_by_token("other").await.unwrap().is_none());
    assert!(f.store.user("dijon", created.id).await.unwrap().is_some());
    assert!(f.store.user("beaune", created.id).await.unwrap().is_none());
}

synergies_platform::store_conformance!(open;
    tenants_are_unique_by_slug,
    organisations_are_invisible_from_another_tenant,
    an_email_is_unique_within_a_tenant_only,
    users_are_found_by_token_and_only_in_their_tenant,
);
