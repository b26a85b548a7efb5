//! jsonwebtoken's cryptography, on `ring`. Since version 10, jsonwebtoken signs and verifies
//! through a process-wide `CryptoProvider`; its built-in ones bring either aws-lc (a C and
//! cmake build) or some forty RustCrypto crates, `rsa` among them (RUSTSEC-2023-0071). Tokens
//! here are EdDSA (Ed25519) only, and `ring` is already built for rustls: this provider signs
//! and verifies Ed25519 with it, exactly as jsonwebtoken 9 did, and refuses every other
//! algorithm.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{Error as SignatureError, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

static RING_EDDSA: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(ErrorKind::InvalidAlgorithm.into()),
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::InvalidAlgorithm.into()),
        ec_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidAlgorithm.into()),
        ed_pub_components_from_private_key,
        compute_digest,
    },
};

/// Makes this provider the process's, before the first token is signed or verified. A provider
/// installed earlier by someone else stays (none is, in this workspace: jsonwebtoken is built
/// without its own).
pub(super) fn install() {
    if CryptoProvider::try_get_default().is_none() {
        // Losing a race against another thread installing the same provider is fine.
        let _ = RING_EDDSA.install_default();
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "the signature of jsonwebtoken's factory"
)]
fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if *algorithm != Algorithm::EdDSA {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    if key.family() != AlgorithmFamily::Ed {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    // As jsonwebtoken 9 read it: PKCS#8 v1 or v2.
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(key.as_bytes())
        .map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(Box::new(EdDsaSigner(pair)))
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "the signature of jsonwebtoken's factory"
)]
fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if *algorithm != Algorithm::EdDSA {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    if key.family() != AlgorithmFamily::Ed {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(Box::new(EdDsaVerifier(key.try_get_as_bytes()?.to_vec())))
}

struct EdDsaSigner(Ed25519KeyPair);

impl Signer<Vec<u8>> for EdDsaSigner {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, SignatureError> {
        Ok(self.0.sign(message).as_ref().to_vec())
    }
}

impl JwtSigner for EdDsaSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

/// The raw 32-byte public key (a JWK's `x`).
struct EdDsaVerifier(Vec<u8>);

impl Verifier<Vec<u8>> for EdDsaVerifier {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), SignatureError> {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, signature)
            .map_err(|_| SignatureError::new())
    }
}

impl JwtVerifier for EdDsaVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

fn ed_pub_components_from_private_key(pkcs8: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
        .map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(pair.public_key().as_ref().to_vec())
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(ring::digest::digest(algorithm, data).as_ref().to_vec())
}
