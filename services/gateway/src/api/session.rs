//! Signing in and out, and the public keys that verify access tokens.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use serde::{Deserialize, Serialize};
use synergies_platform::error::ErrorCode;
use synergies_platform::i18n::Text;
use synergies_proto::identity::v1 as pb;
use utoipa::ToSchema;

use crate::client_address::ClientAddress;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::GatewayState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tenant": "dijon-metropole", "email": "marie.dupont@cartonnerie-bourgogne.fr", "password": "la brasserie du lac recycle"}))]
pub struct Login {
    /// Tenant (territory) slug.
    #[schema(example = "dijon")]
    pub tenant: String,
    #[schema(example = "marie.dupont@cartonnerie-bourgogne.fr")]
    pub email: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "rt_6782c3b02d715e94ebd4ad193a8e5f00c415983c023b7e7af1734f26e776c215"}))]
pub struct Refresh {
    pub refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"operator_token": "9f2c4e1a7b3d5f60818293a4b5c6d7e8f9a0b1c2d3e4f5a6"}))]
pub struct OperatorLogin {
    pub operator_token: String,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6IjNmOWEifQ.eyJzdWIiOiIuLi4ifQ.c2ln", "refresh_token": "rt_6782c3b02d715e94ebd4ad193a8e5f00c415983c023b7e7af1734f26e776c215", "token_type": "Bearer", "expires_in": 900}))]
pub struct Tokens {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Exchange at `/api/v1/auth/refresh` for a new pair; usable once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub token_type: &'static str,
    /// Seconds the access token stays valid.
    pub expires_in: u32,
}

fn tokens(pair: Option<pb::TokenPair>) -> Result<Json<Tokens>, ApiError> {
    let pair = pair.ok_or_else(ApiError::incomplete_answer)?;
    Ok(Json(Tokens {
        access_token: pair.access_token,
        refresh_token: Some(pair.refresh_token),
        token_type: "Bearer",
        expires_in: pair.expires_in_seconds,
    }))
}

/// What a browser's script may know of its session; the tokens themselves stay in
/// `HttpOnly` cookies.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"csrf_token": "mX1o0x4v0xS3nq3mJYl1bq2vJc3cJm6nX3W9Zl2kq5E", "expires_in": 900}))]
pub struct BrowserSession {
    /// Send back as `X-CSRF-Token` (or a form's `csrf_token` field) on every state-changing
    /// request; it is also in the readable `__Host-synergies-csrf` cookie.
    pub csrf_token: String,
    /// Seconds the access cookie stays valid; then `POST /api/v1/auth/session/refresh`.
    pub expires_in: u32,
}

async fn sign_in(
    state: &GatewayState,
    client: String,
    body: Login,
) -> Result<pb::TokenPair, ApiError> {
    let message = pb::LoginRequest {
        tenant: body.tenant,
        email: body.email,
        password: body.password,
        // Behind a trusted proxy, the client it names (see `client_address`).
        client_address: client,
    };
    state
        .identity
        .login(message)
        .await?
        .tokens
        .ok_or_else(ApiError::incomplete_answer)
}

/// Signs a user in with their e-mail and password.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = Login,
    responses((status = 200, body = Tokens), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<GatewayState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<Login>,
) -> Result<Json<Tokens>, ApiError> {
    tokens(Some(sign_in(&state, client, body).await?))
}

/// Signs a browser in: the tokens are set in `Secure`, `HttpOnly`, `SameSite=Lax` cookies,
/// and the answer carries the CSRF token that state-changing requests must send back.
#[utoipa::path(post, path = "/api/v1/auth/session", request_body = Login,
    responses((status = 200, body = BrowserSession, headers(("set-cookie" = String, description = "The session cookies"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn start_browser_session(
    State(state): State<GatewayState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<Login>,
) -> Result<(HeaderMap, Json<BrowserSession>), ApiError> {
    let pair = sign_in(&state, client, body).await?;
    let mut headers = HeaderMap::new();
    let csrf_token = state.cookies.start(
        &mut headers,
        &pair.access_token,
        &pair.refresh_token,
        pair.expires_in_seconds,
    );
    Ok((
        headers,
        Json(BrowserSession {
            csrf_token,
            expires_in: pair.expires_in_seconds,
        }),
    ))
}

/// Renews a browser session from its refresh cookie (needs the CSRF token).
#[utoipa::path(post, path = "/api/v1/auth/session/refresh",
    responses((status = 204, headers(("set-cookie" = String, description = "Renewed session cookies"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn refresh_browser_session(
    State(state): State<GatewayState>,
    method: Method,
    request_headers: HeaderMap,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    state.cookies.check_csrf(&method, &request_headers, None)?;
    let refresh_token = state
        .cookies
        .refresh_token(&request_headers)
        .ok_or_else(session_ended)?
        .to_owned();
    let message = pb::RefreshTokensRequest { refresh_token };
    let pair = state
        .identity
        .refresh_tokens(message)
        .await?
        .tokens
        .ok_or_else(ApiError::incomplete_answer)?;
    let mut headers = HeaderMap::new();
    state.cookies.renew(
        &mut headers,
        &pair.access_token,
        &pair.refresh_token,
        pair.expires_in_seconds,
    );
    Ok((StatusCode::NO_CONTENT, headers))
}

/// Signs a browser out: its refresh token is revoked and its cookies expired (needs the CSRF
/// token).
#[utoipa::path(delete, path = "/api/v1/auth/session",
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn end_browser_session(
    State(state): State<GatewayState>,
    method: Method,
    request_headers: HeaderMap,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    state.cookies.check_csrf(&method, &request_headers, None)?;
    if let Some(refresh_token) = state.cookies.refresh_token(&request_headers) {
        let message = pb::LogoutRequest {
            refresh_token: refresh_token.to_owned(),
        };
        state.identity.logout(message).await?;
    }
    let mut headers = HeaderMap::new();
    state.cookies.end(&mut headers);
    Ok((StatusCode::NO_CONTENT, headers))
}

fn session_ended() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        Text::new(
            "this session has ended; sign in again",
            "cette session est terminée ; reconnectez-vous",
        ),
    )
}

/// Exchanges a refresh token for a new pair. A refresh token presented twice ends the session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", request_body = Refresh,
    responses((status = 200, body = Tokens), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<Refresh>,
) -> Result<Json<Tokens>, ApiError> {
    let message = pb::RefreshTokensRequest {
        refresh_token: body.refresh_token,
    };
    tokens(state.identity.refresh_tokens(message).await?.tokens)
}

/// Ends the session of a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", request_body = Refresh, responses((status = 204)))]
pub async fn logout(
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<Refresh>,
) -> Result<StatusCode, ApiError> {
    let message = pb::LogoutRequest {
        refresh_token: body.refresh_token,
    };
    state.identity.logout(message).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Exchanges the platform operator's secret for an operator access token.
#[utoipa::path(post, path = "/api/v1/auth/operator", request_body = OperatorLogin,
    responses((status = 200, body = Tokens), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn operator(
    State(state): State<GatewayState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<OperatorLogin>,
) -> Result<Json<Tokens>, ApiError> {
    let message = pb::OperatorLoginRequest {
        operator_token: body.operator_token,
        client_address: client,
    };
    let answer = state.identity.operator_login(message).await?;
    Ok(Json(Tokens {
        access_token: answer.access_token,
        refresh_token: None,
        token_type: "Bearer",
        expires_in: answer.expires_in_seconds,
    }))
}

/// The public keys that verify access tokens (RFC 7517 JWKS).
#[utoipa::path(get, path = "/.well-known/jwks.json", responses((status = 200, description = "JWKS")))]
pub async fn jwks(State(state): State<GatewayState>) -> Result<Json<serde_json::Value>, ApiError> {
    let keys = state.identity.get_jwks(pb::GetJwksRequest {}).await?.keys;
    let keys: Vec<serde_json::Value> = keys
        .into_iter()
        .map(|k| serde_json::json!({"kty": k.kty, "crv": k.crv, "alg": k.alg, "use": k.r#use, "kid": k.kid, "x": k.x}))
        .collect();
    Ok(Json(serde_json::json!({ "keys": keys })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tenant": "dijon-metropole", "email": "marie.dupont@cartonnerie-bourgogne.fr"}))]
pub struct PasswordResetRequest {
    pub tenant: String,
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "rt_4b1f0c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b", "new_password": "une phrase facile à retenir"}))]
pub struct PasswordReset {
    /// The token of the link sent by e-mail.
    pub token: String,
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "la brasserie du lac recycle", "new_password": "une phrase facile à retenir"}))]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Sends a link to choose a new password, if the account exists. The answer is always 202.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", request_body = PasswordResetRequest, responses((status = 202)))]
pub async fn request_password_reset(
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    let message = pb::RequestPasswordResetRequest {
        tenant: body.tenant,
        email: body.email,
    };
    state.identity.request_password_reset(message).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sets a new password with the token of the e-mailed link; every session of the user ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", request_body = PasswordReset,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    let message = pb::ResetPasswordRequest {
        token: body.token,
        new_password: body.new_password,
    };
    state.identity.reset_password(message).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user changes their password.
#[utoipa::path(post, path = "/api/v1/me/password", request_body = PasswordChange, security(("member" = [])),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    member: crate::auth::Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let message = pb::ChangePasswordRequest {
        current_password: body.current_password,
        new_password: body.new_password,
    };
    state
        .identity
        .change_password(&member.caller, message)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
