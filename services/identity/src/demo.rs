//! Demo territories for the all-in-one mode's `--demo`: Dijon métropole and a small second
//! tenant, with their real communes, so a first start shows a territory people recognise —
//! and, for each, a facilitator organisation with one facilitator and one tenant admin, so the
//! approval journey can be tried at once.

use std::sync::Arc;

use base64::Engine;
use rand::Rng;
use synergies_platform::auth::Role;
use uuid::Uuid;

use crate::domain::{
    Tenant, TenantSettings, TerritoryCommune, TerritoryMap, User, facilitator_organisation,
};
use crate::error::IdentityError;
use crate::store::IdentityStore;
use crate::territory::{DIJON_METROPOLE, GEVREY_NUITS_DEMO, TerritorySeed};

/// A demo account and its generated password, for the person trying the platform.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub tenant: String,
    pub email: String,
    pub role: Role,
    pub password: String,
}

/// Creates each demo tenant that does not exist yet, with its facilitator organisation and
/// accounts; returns the accounts created (their passwords exist nowhere else).
pub async fn seed(store: &Arc<dyn IdentityStore>) -> Result<Vec<DemoAccount>, IdentityError> {
    let mut created = Vec::new();
    for seed in [&DIJON_METROPOLE, &GEVREY_NUITS_DEMO] {
        if store.tenant(seed.slug).await?.is_none() {
            store.create_tenant(&tenant(seed)).await?;
            created.extend(facilitators(store, seed).await?);
        }
    }
    Ok(created)
}

async fn facilitators(
    store: &Arc<dyn IdentityStore>,
    seed: &TerritorySeed,
) -> Result<Vec<DemoAccount>, IdentityError> {
    let now = synergies_platform::time::now();
    let organisation = facilitator_organisation(seed.slug, "Animation du territoire (démo)")?;
    store.create_organisation(&organisation).await?;
    let mut accounts = Vec::new();
    for (local, name, role) in [
        ("animation", "Animatrice (démo)", Role::Facilitator),
        ("administration", "Administrateur (démo)", Role::TenantAdmin),
    ] {
        let password = generated_password();
        let user = User {
            id: Uuid::now_v7(),
            tenant: seed.slug.to_owned(),
            organisation_id: organisation.id,
            email: format!("{local}@{}.demo.synergies.fr", seed.slug),
            display_name: name.to_owned(),
            created_at: now,
        };
        store
            .create_user(&user, &crate::passwords::hash(&password), &[role])
            .await?;
        accounts.push(DemoAccount {
            tenant: seed.slug.to_owned(),
            email: user.email,
            role,
            password,
        });
    }
    Ok(accounts)
}

/// A password of 16 URL-safe characters (96 random bits).
pub fn generated_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn tenant(seed: &TerritorySeed) -> Tenant {
    Tenant {
        slug: seed.slug.to_owned(),
        display_name: seed.display_name.to_owned(),
        created_at: synergies_platform::time::now(),
        communes: seed
            .communes()
            .into_iter()
            .map(TerritoryCommune::from)
            .collect(),
        settings: TenantSettings::default(),
        // The seed's centre; bounds are left to the operator.
        map: TerritoryMap {
            centre: Some(seed.centre),
            bounds: None,
        },
    }
}
