//! Who is calling. Members present the API token identity issued them
//! (`Authorization: Bearer syn_…`); the platform operator presents the configured operator
//! token. Signed JWTs and browser sessions replace API tokens with the identity issue.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use synergies_platform::context::{CallerContext, anonymous_request};
use synergies_platform::error::ErrorCode;
use synergies_proto::identity::v1 as identity;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::GatewayState;

/// A signed-in member of a tenant.
pub struct Member {
    pub caller: CallerContext,
    pub user: identity::User,
}

/// The platform operator.
pub struct Operator;

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "sign in first: send Authorization: Bearer <token>",
            )
        })
}

impl FromRequestParts<GatewayState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &GatewayState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?.to_owned();
        let request = anonymous_request(identity::AuthenticateRequest { api_token: token });
        let user = state
            .identity
            .clone()
            .authenticate(request)
            .await?
            .into_inner()
            .user
            .ok_or_else(ApiError::incomplete_answer)?;
        let (Ok(user_id), Ok(organisation_id)) = (
            Uuid::parse_str(&user.id),
            Uuid::parse_str(&user.organisation_id),
        ) else {
            return Err(ApiError::new(ErrorCode::Internal, "internal error"));
        };
        let caller = CallerContext::member(user.tenant.clone(), user_id, organisation_id);
        tracing::Span::current().record("user_id", tracing::field::display(user_id));
        Ok(Self { caller, user })
    }
}

impl FromRequestParts<GatewayState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &GatewayState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let expected = state.operator_token.expose();
        if expected.is_empty() {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "the operator API is disabled on this platform",
            ));
        }
        if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            Ok(Self)
        } else {
            Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "only the platform operator may do this",
            ))
        }
    }
}

/// Compares secrets without leaking, through timing, how many leading bytes matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
