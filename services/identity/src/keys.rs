//! The keys identity signs access tokens with. The newest unretired key signs; every unretired
//! key stays in the JWKS, so tokens signed before a rotation stay valid until they expire.
//! Keys live in the database, so every identity replica signs with the same ones.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use synergies_platform::auth::{AuthError, Jwks, KeySource, SigningKey};
use tokio::sync::RwLock;

use crate::error::IdentityError;
use crate::store::IdentityStore;

/// How long a replica trusts its copy before reading the keys again (a rotation by another
/// replica or by `synergies rotate-signing-key` reaches it within this).
const RELOAD_AFTER: Duration = Duration::from_mins(1);

pub struct KeyRing {
    store: Arc<dyn IdentityStore>,
    keys: RwLock<(Vec<SigningKey>, Instant)>,
}

impl KeyRing {
    /// Loads the keys, creating the first one on a new database.
    pub async fn load(store: Arc<dyn IdentityStore>) -> Result<Self, IdentityError> {
        let mut keys = read(store.as_ref()).await?;
        if keys.is_empty() {
            let key = SigningKey::generate();
            store.add_signing_key(&key).await?;
            tracing::info!(kid = %key.kid, "created the first token signing key");
            keys = read(store.as_ref()).await?;
        }
        Ok(Self {
            store,
            keys: RwLock::new((keys, Instant::now())),
        })
    }

    /// Adds a new signing key; it signs from now on, older ones keep verifying.
    pub async fn rotate(store: &dyn IdentityStore) -> Result<SigningKey, IdentityError> {
        let key = SigningKey::generate();
        store.add_signing_key(&key).await?;
        Ok(key)
    }

    async fn current(&self) -> Result<Vec<SigningKey>, IdentityError> {
        {
            let guard = self.keys.read().await;
            if guard.1.elapsed() < RELOAD_AFTER && !guard.0.is_empty() {
                return Ok(guard.0.clone());
            }
        }
        let keys = read(self.store.as_ref()).await?;
        *self.keys.write().await = (keys.clone(), Instant::now());
        Ok(keys)
    }

    pub async fn signer(&self) -> Result<SigningKey, IdentityError> {
        self.current()
            .await?
            .into_iter()
            .next()
            .ok_or(IdentityError::NoSigningKey)
    }

    pub async fn jwks(&self) -> Result<Jwks, IdentityError> {
        Ok(Jwks {
            keys: self.current().await?.iter().map(SigningKey::jwk).collect(),
        })
    }
}

async fn read(store: &dyn IdentityStore) -> Result<Vec<SigningKey>, IdentityError> {
    let stored = store.signing_keys().await?;
    Ok(stored
        .iter()
        .filter_map(|pkcs8| SigningKey::from_pkcs8(pkcs8).ok())
        .collect())
}

/// Identity verifies its own callers' tokens against its own keys, without a network hop.
#[async_trait]
impl KeySource for KeyRing {
    async fn jwks(&self) -> Result<Jwks, AuthError> {
        KeyRing::jwks(self)
            .await
            .map_err(|e| AuthError::Unavailable(e.to_string()))
    }
}
