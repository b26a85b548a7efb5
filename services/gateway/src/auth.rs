//! Who is calling: the bearer access token (JWT) is verified here, locally, against identity's
//! published keys — and again by every service the call reaches.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use synergies_platform::auth::Role;
use synergies_platform::context::CallerContext;
use synergies_platform::error::ErrorCode;
use synergies_platform::i18n::Text;

use crate::error::ApiError;
use crate::state::GatewayState;

/// A signed-in member of a tenant.
pub struct Member {
    pub caller: CallerContext,
}

/// The platform operator.
pub struct Operator {
    pub caller: CallerContext,
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The caller's access token: the bearer header of API clients, or the session cookie of a
/// browser — whose state-changing requests must then prove they come from our pages (CSRF).
fn access_token<'p>(parts: &'p Parts, state: &GatewayState) -> Result<&'p str, ApiError> {
    if let Some(token) = bearer(parts) {
        return Ok(token);
    }
    if let Some(token) = state.cookies.access_token(&parts.headers) {
        state
            .cookies
            .check_csrf(&parts.method, &parts.headers, None)?;
        return Ok(token);
    }
    Err(ApiError::new(
        ErrorCode::Unauthenticated,
        Text::new(
            "sign in first: send Authorization: Bearer <access token>, or sign in at /api/v1/auth/session",
            "connectez-vous d'abord",
        ),
    ))
}

async fn verified(parts: &Parts, state: &GatewayState) -> Result<CallerContext, ApiError> {
    let token = access_token(parts, state)?;
    let claims = state
        .verifier
        .verify(token)
        .await
        .map_err(|error| ApiError::from(error.status()))?;
    Ok(CallerContext::from_claims(&claims, token.to_owned(), None))
}

impl FromRequestParts<GatewayState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &GatewayState,
    ) -> Result<Self, Self::Rejection> {
        let caller = verified(parts, state).await?;
        if caller.is_operator() || caller.user_id.is_none() {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                Text::new(
                    "only a member of an organisation may do this",
                    "seul un membre d'une organisation peut faire cela",
                ),
            ));
        }
        if let Some(user_id) = caller.user_id {
            tracing::Span::current().record("user_id", tracing::field::display(user_id));
        }
        Ok(Self { caller })
    }
}

impl FromRequestParts<GatewayState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &GatewayState,
    ) -> Result<Self, Self::Rejection> {
        let caller = verified(parts, state).await?;
        if !caller.roles.contains(&Role::PlatformOperator) {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                Text::new(
                    "only the platform operator may do this",
                    "seul l'opérateur de la plateforme peut faire cela",
                ),
            ));
        }
        Ok(Self { caller })
    }
}
