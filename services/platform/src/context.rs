//! Who is calling, for which tenant — taken from the signed access token only.
//!
//! Callers send `authorization: Bearer <access token>` in gRPC metadata; every service verifies
//! it locally ([`authenticate`]). The tenant, user, organisation and roles come from the token's
//! claims. The one exception is the platform operator, whose token names no tenant: an operator
//! call names the tenant it acts on in `x-synergies-tenant`, which is read for operators only.

use tonic::metadata::{MetadataMap, MetadataValue};
use uuid::Uuid;

use crate::auth::{Claims, Role, Verifier};
use crate::error::{ErrorCode, status};
use crate::i18n::Text;

const AUTHORIZATION: &str = "authorization";
const TARGET_TENANT: &str = "x-synergies-tenant";

#[derive(Clone, PartialEq, Eq)]
pub struct CallerContext {
    /// Tenant slug the call acts in (for the operator: the tenant the call names, maybe empty).
    pub tenant: String,
    pub user_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub roles: Vec<Role>,
    /// The verified access token, forwarded on calls made on the caller's behalf.
    token: String,
}

impl std::fmt::Debug for CallerContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallerContext")
            .field("tenant", &self.tenant)
            .field("user_id", &self.user_id)
            .field("organisation_id", &self.organisation_id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// A signed-in member: the user and the organisation they act for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub user_id: Uuid,
    pub organisation_id: Uuid,
}

impl CallerContext {
    /// The context a verified token describes. `target_tenant` is honoured for operators only.
    pub fn from_claims(claims: &Claims, token: String, target_tenant: Option<&str>) -> Self {
        let operator = claims.has_role(Role::PlatformOperator);
        let tenant = if operator {
            target_tenant.unwrap_or_default().to_owned()
        } else {
            claims.tenant.clone()
        };
        Self {
            tenant,
            user_id: Uuid::parse_str(&claims.sub).ok(),
            organisation_id: claims.org.as_deref().and_then(|o| Uuid::parse_str(o).ok()),
            roles: claims.roles.clone(),
            token,
        }
    }

    pub fn is_operator(&self) -> bool {
        self.roles.contains(&Role::PlatformOperator)
    }

    /// The same operator, acting on `tenant`.
    #[must_use]
    pub fn acting_on(&self, tenant: &str) -> Self {
        Self {
            tenant: tenant.to_owned(),
            ..self.clone()
        }
    }

    pub fn write_to(&self, metadata: &mut MetadataMap) {
        if let Ok(value) = MetadataValue::try_from(format!("Bearer {}", self.token)) {
            metadata.insert(AUTHORIZATION, value);
        }
        if self.is_operator()
            && let Ok(tenant) = MetadataValue::try_from(self.tenant.as_str())
        {
            metadata.insert(TARGET_TENANT, tenant);
        }
    }

    /// A signed-in user of an organisation, approved or not (reading their own things).
    pub fn require_user(&self) -> Result<Member, tonic::Status> {
        match (self.user_id, self.organisation_id) {
            (Some(user_id), Some(organisation_id)) if !self.tenant.is_empty() => Ok(Member {
                user_id,
                organisation_id,
            }),
            _ => Err(status(
                ErrorCode::PermissionDenied,
                &Text::new(
                    "only a member of an organisation may do this",
                    "seul un membre d'une organisation peut faire cela",
                ),
            )),
        }
    }
}

/// The bearer token of a request's metadata, if any.
pub fn bearer(metadata: &MetadataMap) -> Option<&str> {
    metadata
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Verifies the caller's access token and returns who they are.
pub async fn authenticate<T>(
    verifier: &Verifier,
    request: &tonic::Request<T>,
) -> Result<CallerContext, tonic::Status> {
    let metadata = request.metadata();
    let token = bearer(metadata).ok_or_else(|| {
        status(
            ErrorCode::Unauthenticated,
            &Text::new(
                "an access token is required",
                "connectez-vous pour continuer",
            ),
        )
    })?;
    let claims = verifier.verify(token).await.map_err(|e| e.status())?;
    let target = metadata.get(TARGET_TENANT).and_then(|v| v.to_str().ok());
    Ok(CallerContext::from_claims(
        &claims,
        token.to_owned(),
        target,
    ))
}

/// Builds an outgoing request carrying the caller's token and the current trace context.
pub fn request<T>(message: T, caller: &CallerContext) -> tonic::Request<T> {
    let mut request = anonymous_request(message);
    caller.write_to(request.metadata_mut());
    request
}

/// Builds an outgoing request that carries only the trace context (before anyone signed in).
pub fn anonymous_request<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    crate::telemetry::inject_into_metadata(request.metadata_mut());
    crate::idempotency::forward(request.metadata_mut());
    request
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::{Jwks, SigningKey, StaticKeys};

    fn verifier(key: &SigningKey) -> Verifier {
        Verifier::new(Arc::new(StaticKeys(Jwks {
            keys: vec![key.jwk()],
        })))
    }

    fn member_claims() -> Claims {
        Claims::new(
            Uuid::now_v7().to_string(),
            "dijon".into(),
            Some(Uuid::now_v7().to_string()),
            vec![Role::Member],
        )
    }

    #[tokio::test]
    async fn the_tenant_comes_from_the_token_not_from_metadata() {
        let key = SigningKey::generate();
        let claims = member_claims();
        let caller = CallerContext::from_claims(&claims, key.sign(&claims), None);
        let mut request = request((), &caller);
        request
            .metadata_mut()
            .insert(TARGET_TENANT, MetadataValue::from_static("beaune"));
        let seen = authenticate(&verifier(&key), &request).await.unwrap();
        assert_eq!(seen.tenant, "dijon");
        assert!(seen.require_user().is_ok());
        assert!(!seen.is_operator());
    }

    #[tokio::test]
    async fn an_operator_acts_on_the_tenant_the_call_names() {
        let key = SigningKey::generate();
        let claims = Claims::new(
            "operator".into(),
            String::new(),
            None,
            vec![Role::PlatformOperator],
        );
        let operator =
            CallerContext::from_claims(&claims, key.sign(&claims), None).acting_on("beaune");
        let seen = authenticate(&verifier(&key), &request((), &operator))
            .await
            .unwrap();
        assert_eq!(seen.tenant, "beaune");
        assert!(seen.is_operator());
        assert!(seen.require_user().is_err());
    }

    #[tokio::test]
    async fn calls_without_a_valid_token_are_unauthenticated() {
        let key = SigningKey::generate();
        let anonymous = authenticate(&verifier(&key), &tonic::Request::new(()))
            .await
            .unwrap_err();
        assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
        let mut forged = tonic::Request::new(());
        forged
            .metadata_mut()
            .insert(AUTHORIZATION, MetadataValue::from_static("Bearer a.b.c"));
        assert_eq!(
            authenticate(&verifier(&key), &forged)
                .await
                .unwrap_err()
                .code(),
            tonic::Code::Unauthenticated
        );
    }
}
