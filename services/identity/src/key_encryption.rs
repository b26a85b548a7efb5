//! Token signing keys are sealed at rest with a key-encryption key (KEK) that lives outside the
//! database — in the environment or a file the operator mounts — so a copy of the database (a
//! backup, another service's credentials) does not give away the keys that sign every access
//! token.
//!
//! The KEKs are a list `id:base64`, comma-separated, 32 random bytes each (`head -c 32
//! /dev/urandom | base64`). The first seals; the others only open, which is how a KEK is
//! rotated: put the new one first, keep the old one after it, start identity (every key is
//! sealed again with the new KEK at start), then drop the old one. Without any KEK the keys
//! stay as they were, and identity warns at start.
//!
//! A sealed key is `SKEK1`, the KEK id's length and id, a 96-bit nonce, then the PKCS#8
//! document encrypted with ChaCha20-Poly1305; the key's own id is the associated data, so a
//! sealed key cannot be passed off as another.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

const MAGIC: &[u8] = b"SKEK1";

#[derive(Debug, thiserror::Error)]
pub enum KeyEncryptionError {
    #[error(
        "key-encryption keys: {0} (expected id:base64 of 32 random bytes, comma-separated, e.g. \
         2026-11:$(head -c 32 /dev/urandom | base64))"
    )]
    Malformed(String),
    #[error("key-encryption keys: cannot read {path}: {error}")]
    Unreadable { path: String, error: std::io::Error },
    #[error(
        "signing key {kid} is sealed with the key-encryption key {kek:?}, which is not configured \
         (identity.key_encryption_keys): add it after the current one"
    )]
    UnknownKek { kid: String, kek: String },
    #[error(
        "signing key {kid} does not open with the key-encryption key {kek:?}: wrong key or damaged data"
    )]
    Damaged { kid: String, kek: String },
}

/// The configured KEKs, the first one sealing.
pub struct KeyEncryption {
    keys: Vec<(String, LessSafeKey)>,
}

/// A stored signing key, opened.
pub struct Opened {
    pub pkcs8: Vec<u8>,
    /// Stored in the clear while a KEK is configured, or sealed with a KEK other than the first.
    pub needs_resealing: bool,
}

impl KeyEncryption {
    /// No KEK: keys are stored as they are.
    pub fn none() -> Self {
        Self { keys: Vec::new() }
    }

    /// From `identity.key_encryption_keys` (inline) or `identity.key_encryption_keys_file`.
    pub fn from_settings(inline: &str, file: &str) -> Result<Self, KeyEncryptionError> {
        let text = if file.trim().is_empty() {
            inline.to_owned()
        } else {
            std::fs::read_to_string(file.trim()).map_err(|error| {
                KeyEncryptionError::Unreadable {
                    path: file.trim().to_owned(),
                    error,
                }
            })?
        };
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, KeyEncryptionError> {
        let mut keys = Vec::new();
        for entry in text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or_else(|| KeyEncryptionError::Malformed("an entry has no id".to_owned()))?;
            let id = id.trim();
            if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(KeyEncryptionError::Malformed(format!("bad id {id:?}")));
            }
            let bytes = STANDARD.decode(encoded.trim()).map_err(|_| {
                KeyEncryptionError::Malformed(format!("the key of {id} is not base64"))
            })?;
            let unbound = UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| {
                KeyEncryptionError::Malformed(format!("the key of {id} is not 32 bytes"))
            })?;
            if keys.iter().any(|(known, _)| known == id) {
                return Err(KeyEncryptionError::Malformed(format!("{id} appears twice")));
            }
            keys.push((id.to_owned(), LessSafeKey::new(unbound)));
        }
        Ok(Self { keys })
    }

    pub fn is_enabled(&self) -> bool {
        !self.keys.is_empty()
    }

    /// What to store for the key `kid`: sealed with the first KEK, or as it is without one.
    pub fn seal(&self, kid: &str, pkcs8: &[u8]) -> Vec<u8> {
        let Some((id, key)) = self.keys.first() else {
            return pkcs8.to_vec();
        };
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system random source works");
        let mut sealed = pkcs8.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(kid.as_bytes()),
            &mut sealed,
        )
        .expect("a signing key fits ChaCha20-Poly1305's limits");
        let id_len = u8::try_from(id.len()).expect("ids are at most 64 bytes");
        [MAGIC, &[id_len], id.as_bytes(), &nonce, &sealed].concat()
    }

    /// Opens what is stored for the key `kid`.
    pub fn open(&self, kid: &str, stored: &[u8]) -> Result<Opened, KeyEncryptionError> {
        let Some(rest) = stored.strip_prefix(MAGIC) else {
            // Stored before encryption was configured (PKCS#8 starts with a DER sequence).
            return Ok(Opened {
                pkcs8: stored.to_vec(),
                needs_resealing: self.is_enabled(),
            });
        };
        let damaged = |kek: &str| KeyEncryptionError::Damaged {
            kid: kid.to_owned(),
            kek: kek.to_owned(),
        };
        let (&id_len, rest) = rest.split_first().ok_or_else(|| damaged(""))?;
        let (id, rest) = rest
            .split_at_checked(usize::from(id_len))
            .ok_or_else(|| damaged(""))?;
        let id = String::from_utf8_lossy(id).into_owned();
        let (nonce, sealed) = rest
            .split_at_checked(NONCE_LEN)
            .ok_or_else(|| damaged(&id))?;
        let position = self
            .keys
            .iter()
            .position(|(known, _)| *known == id)
            .ok_or_else(|| KeyEncryptionError::UnknownKek {
                kid: kid.to_owned(),
                kek: id.clone(),
            })?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| damaged(&id))?;
        let mut buffer = sealed.to_vec();
        let pkcs8 = self.keys[position]
            .1
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buffer)
            .map_err(|_| damaged(&id))?
            .to_vec();
        Ok(Opened {
            pkcs8,
            needs_resealing: position != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(id: &str, byte: u8) -> String {
        format!("{id}:{}", STANDARD.encode([byte; 32]))
    }

    #[test]
    fn a_sealed_key_opens_with_its_kek_only_and_under_its_own_id() {
        let current = KeyEncryption::parse(&kek("2026-11", 7)).unwrap();
        let sealed = current.seal("kid-1", b"0\x82pkcs8 document");
        assert!(sealed.starts_with(MAGIC));
        assert!(
            !sealed.windows(5).any(|w| w == b"pkcs8"),
            "not in the clear"
        );
        let opened = current.open("kid-1", &sealed).unwrap();
        assert_eq!(opened.pkcs8, b"0\x82pkcs8 document");
        assert!(!opened.needs_resealing);
        assert!(matches!(
            current.open("kid-2", &sealed),
            Err(KeyEncryptionError::Damaged { .. })
        ));
        let other = KeyEncryption::parse(&kek("2026-11", 8)).unwrap();
        assert!(matches!(
            other.open("kid-1", &sealed),
            Err(KeyEncryptionError::Damaged { .. })
        ));
        assert!(matches!(
            KeyEncryption::none().open("kid-1", &sealed),
            Err(KeyEncryptionError::UnknownKek { .. })
        ));
    }

    #[test]
    fn rotation_opens_with_the_old_kek_and_asks_to_seal_again() {
        let old = KeyEncryption::parse(&kek("old", 1)).unwrap();
        let sealed = old.seal("kid", b"0 secret");
        let rotated =
            KeyEncryption::parse(&format!("{},{}", kek("new", 2), kek("old", 1))).unwrap();
        let opened = rotated.open("kid", &sealed).unwrap();
        assert_eq!(opened.pkcs8, b"0 secret");
        assert!(opened.needs_resealing);
        let resealed = rotated.seal("kid", &opened.pkcs8);
        let new_only = KeyEncryption::parse(&kek("new", 2)).unwrap();
        assert_eq!(new_only.open("kid", &resealed).unwrap().pkcs8, b"0 secret");
    }

    #[test]
    fn keys_in_the_clear_are_sealed_once_a_kek_is_configured() {
        let clear = KeyEncryption::none().seal("kid", b"0 secret");
        assert_eq!(clear, b"0 secret");
        assert!(
            !KeyEncryption::none()
                .open("kid", &clear)
                .unwrap()
                .needs_resealing
        );
        let current = KeyEncryption::parse(&kek("k", 3)).unwrap();
        assert!(current.open("kid", &clear).unwrap().needs_resealing);
    }

    #[test]
    fn malformed_settings_say_what_is_wrong() {
        for bad in [
            "nocolon",
            "id:not base64!",
            "id:AAAA",
            &format!("{},{}", kek("a", 1), kek("a", 2)),
        ] {
            assert!(
                matches!(
                    KeyEncryption::parse(bad),
                    Err(KeyEncryptionError::Malformed(_))
                ),
                "{bad}"
            );
        }
        assert!(!KeyEncryption::parse("").unwrap().is_enabled());
    }
}
