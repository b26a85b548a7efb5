//! Demo territories for the all-in-one mode's `--demo`: Dijon métropole and a small second
//! tenant, with their real communes, so a first start shows a territory people recognise.

use std::sync::Arc;

use crate::domain::{Tenant, TenantSettings, TerritoryCommune};
use crate::error::IdentityError;
use crate::store::IdentityStore;
use crate::territory::{DIJON_METROPOLE, GEVREY_NUITS_DEMO, TerritorySeed};

/// Creates each demo tenant that does not exist yet; returns the slugs created.
pub async fn seed(store: &Arc<dyn IdentityStore>) -> Result<Vec<String>, IdentityError> {
    let mut created = Vec::new();
    for seed in [&DIJON_METROPOLE, &GEVREY_NUITS_DEMO] {
        if store.tenant(seed.slug).await?.is_none() {
            store.create_tenant(&tenant(seed)).await?;
            created.push(seed.slug.to_owned());
        }
    }
    Ok(created)
}

fn tenant(seed: &TerritorySeed) -> Tenant {
    Tenant {
        slug: seed.slug.to_owned(),
        display_name: seed.display_name.to_owned(),
        created_at: synergies_platform::time::now(),
        communes: seed.communes.iter().map(TerritoryCommune::from).collect(),
        settings: TenantSettings::default(),
    }
}
