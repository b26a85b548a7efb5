//! Signed access tokens: JWT with EdDSA (Ed25519) signatures and a `kid` header. Identity signs
//! them with the keys it keeps; every other process verifies them locally against the public
//! keys (JWKS) it fetches from identity and caches, fetching again when a token names a key it
//! does not know yet — which is how a key rotation reaches everyone without logging anyone out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use tokio::sync::{Mutex, RwLock};

use crate::error::{ErrorCode, status};
use crate::i18n::Text;

mod ring_crypto;

/// `iss` of every token.
pub const ISSUER: &str = "synergies-identity";
/// Access tokens are short-lived; refresh tokens renew them.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_mins(15);
/// A verifier asks identity for keys at most this often when it meets unknown `kid`s.
const REFRESH_INTERVAL: Duration = Duration::from_secs(5);

/// What a member (or the operator) may do is decided from these, never from request fields.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    OrganisationAdmin,
    Facilitator,
    TenantAdmin,
    PlatformOperator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::OrganisationAdmin => "organisation_admin",
            Self::Facilitator => "facilitator",
            Self::TenantAdmin => "tenant_admin",
            Self::PlatformOperator => "platform_operator",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Member,
            Self::OrganisationAdmin,
            Self::Facilitator,
            Self::TenantAdmin,
            Self::PlatformOperator,
        ]
        .into_iter()
        .find(|role| role.as_str() == value)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    /// User id, or `operator` for the platform operator.
    pub sub: String,
    /// Tenant slug; empty for the platform operator, who acts on the tenant a call names.
    pub tenant: String,
    /// Organisation the user acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default)]
    pub roles: Vec<Role>,
    pub iat: i64,
    pub exp: i64,
    /// Token id, for audit logs.
    pub jti: String,
}

impl Claims {
    /// Claims valid from now for [`ACCESS_TOKEN_TTL`].
    pub fn new(sub: String, tenant: String, org: Option<String>, roles: Vec<Role>) -> Self {
        let now = chrono::Utc::now().timestamp();
        Self {
            iss: ISSUER.to_owned(),
            sub,
            tenant,
            org,
            roles,
            iat: now,
            exp: now + ACCESS_TOKEN_TTL.as_secs() as i64,
            jti: uuid::Uuid::now_v7().to_string(),
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the access token is malformed")]
    Malformed,
    #[error("the access token is invalid")]
    Invalid,
    #[error("the access token has expired")]
    Expired,
    #[error("the access token was signed with an unknown key")]
    UnknownKey,
    #[error("signing keys are unavailable: {0}")]
    Unavailable(String),
}

impl AuthError {
    pub fn status(&self) -> tonic::Status {
        match self {
            Self::Unavailable(_) => status(
                ErrorCode::Unavailable,
                &Text::new(
                    "authentication is temporarily unavailable",
                    "l'authentification est momentanément indisponible",
                ),
            ),
            Self::Expired => status(
                ErrorCode::Unauthenticated,
                &Text::new(
                    self.to_string(),
                    "votre session a expiré : reconnectez-vous",
                ),
            ),
            other => status(
                ErrorCode::Unauthenticated,
                &Text::new(
                    other.to_string(),
                    "votre session n'est pas valide : reconnectez-vous",
                ),
            ),
        }
    }
}

/// One public key in JWKS form (RFC 8037: `OKP`, `Ed25519`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub usage: String,
    pub kid: String,
    /// Base64url public key.
    pub x: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// An Ed25519 key pair that signs access tokens.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pkcs8: Vec<u8>,
    public_key: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn generate() -> Self {
        let random = ring::rand::SystemRandom::new();
        let pkcs8 =
            Ed25519KeyPair::generate_pkcs8(&random).expect("the system random source works");
        Self::from_pkcs8(pkcs8.as_ref()).expect("a freshly generated key parses")
    }

    /// A key stored earlier (PKCS#8 document).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, AuthError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| AuthError::Malformed)?;
        let public_key = pair.public_key().as_ref().to_vec();
        // The key id is derived from the public key, so it never collides across rotations.
        let kid = hex::encode(&sha2::Sha256::digest(&public_key)[..8]);
        Ok(Self {
            kid,
            pkcs8: pkcs8.to_vec(),
            public_key,
        })
    }

    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn sign(&self, claims: &Claims) -> String {
        ring_crypto::install();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8))
            .expect("Ed25519 signing of serialisable claims cannot fail")
    }

    pub fn jwk(&self) -> Jwk {
        use base64::Engine as _;
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            alg: "EdDSA".into(),
            usage: "sig".into(),
            kid: self.kid.clone(),
            x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.public_key),
        }
    }
}

/// Where a verifier gets the current public keys.
#[async_trait]
pub trait KeySource: Send + Sync {
    async fn jwks(&self) -> Result<Jwks, AuthError>;
}

/// Verifies access tokens locally; shared by every request of a process.
pub struct Verifier {
    source: Arc<dyn KeySource>,
    keys: RwLock<HashMap<String, DecodingKey>>,
    last_fetch: Mutex<Option<Instant>>,
}

impl Verifier {
    pub fn new(source: Arc<dyn KeySource>) -> Self {
        Self {
            source,
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Invalid);
        }
        let kid = header.kid.ok_or(AuthError::Invalid)?;
        let known = self.keys.read().await.get(&kid).cloned();
        let key = if let Some(key) = known {
            key
        } else {
            self.fetch_keys().await?;
            self.keys
                .read()
                .await
                .get(&kid)
                .cloned()
                .ok_or(AuthError::UnknownKey)?
        };
        ring_crypto::install();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 30;
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            })
    }

    /// Fetches the key set, at most once per [`REFRESH_INTERVAL`]: a flood of tokens with a
    /// made-up `kid` must not turn into a flood of calls to identity.
    async fn fetch_keys(&self) -> Result<(), AuthError> {
        let mut last_fetch = self.last_fetch.lock().await;
        if last_fetch.is_some_and(|at| at.elapsed() < REFRESH_INTERVAL) {
            return Ok(());
        }
        let jwks = self.source.jwks().await?;
        let mut keys = HashMap::new();
        for jwk in jwks
            .keys
            .iter()
            .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
        {
            if let Ok(key) = DecodingKey::from_ed_components(&jwk.x) {
                keys.insert(jwk.kid.clone(), key);
            }
        }
        *self.keys.write().await = keys;
        *last_fetch = Some(Instant::now());
        Ok(())
    }
}

/// The keys identity publishes, fetched over gRPC (every process but identity itself).
pub struct IdentityKeys {
    client: synergies_proto::identity::v1::identity_service_client::IdentityServiceClient<
        crate::grpc::ServiceChannel,
    >,
}

impl IdentityKeys {
    pub fn new(channel: crate::grpc::ServiceChannel) -> Self {
        Self {
            client:
                synergies_proto::identity::v1::identity_service_client::IdentityServiceClient::new(
                    channel,
                ),
        }
    }
}

#[async_trait]
impl KeySource for IdentityKeys {
    async fn jwks(&self) -> Result<Jwks, AuthError> {
        let request =
            crate::context::anonymous_request(synergies_proto::identity::v1::GetJwksRequest {});
        let response = self
            .client
            .clone()
            .get_jwks(request)
            .await
            .map_err(|s| AuthError::Unavailable(s.message().to_owned()))?;
        Ok(Jwks {
            keys: response
                .into_inner()
                .keys
                .into_iter()
                .map(Jwk::from)
                .collect(),
        })
    }
}

impl From<synergies_proto::identity::v1::Jwk> for Jwk {
    fn from(jwk: synergies_proto::identity::v1::Jwk) -> Self {
        Self {
            kty: jwk.kty,
            crv: jwk.crv,
            alg: jwk.alg,
            usage: jwk.r#use,
            kid: jwk.kid,
            x: jwk.x,
        }
    }
}

impl From<Jwk> for synergies_proto::identity::v1::Jwk {
    fn from(jwk: Jwk) -> Self {
        Self {
            kty: jwk.kty,
            crv: jwk.crv,
            alg: jwk.alg,
            r#use: jwk.usage,
            kid: jwk.kid,
            x: jwk.x,
        }
    }
}

/// A fixed key set (tests).
pub struct StaticKeys(pub Jwks);

#[async_trait]
impl KeySource for StaticKeys {
    async fn jwks(&self) -> Result<Jwks, AuthError> {
        Ok(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(keys: &[&SigningKey]) -> Verifier {
        Verifier::new(Arc::new(StaticKeys(Jwks {
            keys: keys.iter().map(|k| k.jwk()).collect(),
        })))
    }

    fn claims() -> Claims {
        Claims::new(
            "user-1".into(),
            "dijon".into(),
            Some("org-1".into()),
            vec![Role::Member],
        )
    }

    #[tokio::test]
    async fn a_signed_token_verifies_and_carries_its_claims() {
        let key = SigningKey::generate();
        let token = key.sign(&claims());
        let verified = verifier(&[&key]).verify(&token).await.unwrap();
        assert_eq!(verified.tenant, "dijon");
        assert!(verified.has_role(Role::Member));
    }

    #[tokio::test]
    async fn tampered_foreign_expired_and_garbage_tokens_are_refused() {
        let key = SigningKey::generate();
        let other = SigningKey::generate();
        let verifier = verifier(&[&key]);
        let token = key.sign(&claims());
        let (head, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let forged_claims = Claims {
            tenant: "beaune".into(),
            ..claims()
        };
        let forged_payload = other.sign(&forged_claims);
        let forged_payload = forged_payload.split('.').nth(1).unwrap();
        let tampered = format!("{head}.{forged_payload}.{signature}");
        assert_eq!(verifier.verify(&tampered).await, Err(AuthError::Invalid));
        assert_eq!(
            verifier.verify(&other.sign(&claims())).await,
            Err(AuthError::UnknownKey)
        );
        let expired = Claims {
            exp: chrono::Utc::now().timestamp() - 3600,
            ..claims()
        };
        assert_eq!(
            verifier.verify(&key.sign(&expired)).await,
            Err(AuthError::Expired)
        );
        assert_eq!(
            verifier.verify("not.a.token").await,
            Err(AuthError::Malformed)
        );
    }

    /// Signed by jsonwebtoken 9 (on ring) with [`FIXED_KEY`]; expires in 2100.
    const TOKEN_SIGNED_BY_JSONWEBTOKEN_9: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSIsImtpZCI6IjUxMjI3MDBhZTRlZWFkMDkifQ.eyJpc3MiOiJzeW5lcmdpZXMtaWRlbnRpdHkiLCJzdWIiOiIwMTkwZjBjMi02ZjJhLTdjM2UtOWQ0MS0yYjhlNWE3YzFmMDAiLCJ0ZW5hbnQiOiJkaWpvbiIsIm9yZyI6IjAxOTBmMGMyLTdhMTEtN2I1Mi04ZTYzLTRjOWQwYjFlMmEzMyIsInJvbGVzIjpbIm1lbWJlciIsIm9yZ2FuaXNhdGlvbl9hZG1pbiJdLCJpYXQiOjE3ODAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwianRpIjoiMDE5MGYwYzItOGIyMi03YzYzLTlmNzQtNWQwZTFjMmYzYjQ0In0.mJg4gF45k-IPgJIWDeItTZi4NugwjkJEoISG1yu_BbMiPLXULttlzYjej_WCtbqklQObEuZffuGqVPQllU4jAw";
    /// The PKCS#8 document of the key that signed it (kid `5122700ae4eead09`).
    const FIXED_KEY: &str = "3051020101300506032b657004220420ee4873024c3bb1171c14edb3b6f7f2a4f1fe5998e1e4739cef4cd22d8401e791812100630c74c69b165efa41b7da7cdc037ad1b7f82fa11a55d4f56b689df78374a27e";

    fn fixed_claims() -> Claims {
        Claims {
            iss: ISSUER.to_owned(),
            sub: "0190f0c2-6f2a-7c3e-9d41-2b8e5a7c1f00".into(),
            tenant: "dijon".into(),
            org: Some("0190f0c2-7a11-7b52-8e63-4c9d0b1e2a33".into()),
            roles: vec![Role::Member, Role::OrganisationAdmin],
            iat: 1_780_000_000,
            exp: 4_102_444_800,
            jti: "0190f0c2-8b22-7c63-9f74-5d0e1c2f3b44".into(),
        }
    }

    #[tokio::test]
    async fn a_token_signed_before_the_jsonwebtoken_upgrade_still_verifies_and_a_tampered_one_does_not()
     {
        let key = SigningKey::from_pkcs8(&hex::decode(FIXED_KEY).unwrap()).unwrap();
        assert_eq!(key.kid, "5122700ae4eead09");
        let verifier = verifier(&[&key]);
        let verified = verifier.verify(TOKEN_SIGNED_BY_JSONWEBTOKEN_9).await;
        assert_eq!(verified, Ok(fixed_claims()));
        // Ed25519 is deterministic: today's signing gives the very same token.
        assert_eq!(key.sign(&fixed_claims()), TOKEN_SIGNED_BY_JSONWEBTOKEN_9);

        let (head, rest) = TOKEN_SIGNED_BY_JSONWEBTOKEN_9.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        use base64::Engine as _;
        let base64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let promoted = Claims {
            roles: vec![Role::PlatformOperator],
            ..fixed_claims()
        };
        let payload = base64.encode(serde_json::to_vec(&promoted).unwrap());
        let tampered_claims = format!("{head}.{payload}.{signature}");
        assert_eq!(
            verifier.verify(&tampered_claims).await,
            Err(AuthError::Invalid)
        );
        let mut flipped = base64.decode(signature).unwrap();
        flipped[0] ^= 1;
        let tampered_signature = format!(
            "{}.{}",
            TOKEN_SIGNED_BY_JSONWEBTOKEN_9.rsplit_once('.').unwrap().0,
            base64.encode(flipped)
        );
        assert_eq!(
            verifier.verify(&tampered_signature).await,
            Err(AuthError::Invalid)
        );
    }

    #[tokio::test]
    async fn keys_survive_storage_and_rotation_keeps_old_tokens_valid() {
        let old = SigningKey::generate();
        let restored = SigningKey::from_pkcs8(old.pkcs8()).unwrap();
        assert_eq!(restored.kid, old.kid);
        let new = SigningKey::generate();
        let verifier = verifier(&[&old, &new]);
        assert!(verifier.verify(&old.sign(&claims())).await.is_ok());
        assert!(verifier.verify(&new.sign(&claims())).await.is_ok());
    }
}
