//! The keys identity signs access tokens with. The newest unretired key signs; every unretired
//! key stays in the JWKS, so tokens signed before a rotation stay valid until they expire.
//! Keys live in the database, so every identity replica signs with the same ones, sealed with
//! a key-encryption key when one is configured ([`crate::key_encryption`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use synergies_platform::auth::{AuthError, Jwks, KeySource, SigningKey};
use tokio::sync::RwLock;

use crate::error::IdentityError;
use crate::key_encryption::KeyEncryption;
use crate::store::IdentityStore;

/// How long a replica trusts its copy before reading the keys again (a rotation by another
/// replica or by `synergies rotate-signing-key` reaches it within this).
const RELOAD_AFTER: Duration = Duration::from_mins(1);

pub struct KeyRing {
    store: Arc<dyn IdentityStore>,
    encryption: Arc<KeyEncryption>,
    keys: RwLock<(Vec<SigningKey>, Instant)>,
}

impl KeyRing {
    /// Loads the keys, creating the first one on a new database, and seals again every key
    /// stored unsealed or under a key-encryption key other than the current one.
    pub async fn load(
        store: Arc<dyn IdentityStore>,
        encryption: Arc<KeyEncryption>,
    ) -> Result<Self, IdentityError> {
        if !encryption.is_enabled() {
            tracing::warn!(
                "token signing keys are stored unsealed: set identity.key_encryption_keys (or \
                 _file) to seal them at rest"
            );
        }
        let mut keys = read(store.as_ref(), &encryption, true).await?;
        if keys.is_empty() {
            let key = Self::rotate(store.as_ref(), &encryption).await?;
            tracing::info!(kid = %key.kid, "created the first token signing key");
            keys = read(store.as_ref(), &encryption, false).await?;
        }
        Ok(Self {
            store,
            encryption,
            keys: RwLock::new((keys, Instant::now())),
        })
    }

    /// Adds a new signing key; it signs from now on, older ones keep verifying.
    pub async fn rotate(
        store: &dyn IdentityStore,
        encryption: &KeyEncryption,
    ) -> Result<SigningKey, IdentityError> {
        let key = SigningKey::generate();
        store
            .add_signing_key(&key.kid, &encryption.seal(&key.kid, key.pkcs8()))
            .await?;
        Ok(key)
    }

    async fn current(&self) -> Result<Vec<SigningKey>, IdentityError> {
        {
            let guard = self.keys.read().await;
            if guard.1.elapsed() < RELOAD_AFTER && !guard.0.is_empty() {
                return Ok(guard.0.clone());
            }
        }
        let keys = read(self.store.as_ref(), &self.encryption, false).await?;
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

/// The unretired keys, opened; with `reseal`, those stored unsealed or under an older
/// key-encryption key are stored again sealed with the current one.
async fn read(
    store: &dyn IdentityStore,
    encryption: &KeyEncryption,
    reseal: bool,
) -> Result<Vec<SigningKey>, IdentityError> {
    let mut keys = Vec::new();
    for (kid, stored) in store.signing_keys().await? {
        let opened = encryption.open(&kid, &stored)?;
        let Ok(key) = SigningKey::from_pkcs8(&opened.pkcs8) else {
            tracing::error!(%kid, "a stored signing key does not parse: it is skipped");
            continue;
        };
        if reseal && opened.needs_resealing {
            store
                .reseal_signing_key(&kid, &encryption.seal(&kid, &opened.pkcs8))
                .await?;
            tracing::info!(%kid, "sealed a signing key with the current key-encryption key");
        }
        keys.push(key);
    }
    Ok(keys)
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
