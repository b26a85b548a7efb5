//! Sessions: signing in, refreshing and ending sessions, the operator's sign-in, and the keys
//! that verify access tokens.

use synergies_platform::auth::{ACCESS_TOKEN_TTL, Claims, Role};
use synergies_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::IdentityApi;
use crate::domain::{self, User};
use crate::error::IdentityError;
use crate::store::{RefreshToken, Rotation};
use crate::throttle;

/// How long a session lasts without being used.
const REFRESH_TOKEN_TTL: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// The client a sign-in comes from, for throttling. Only the gateway may state it (the
/// connection's peer, or behind trusted proxies the client `X-Forwarded-For` names): from any
/// other caller the statement is ignored and the caller's own address counts, so that a caller
/// cannot spread its guesses over made-up addresses.
fn client_address<T>(
    api: &IdentityApi,
    request: &Request<T>,
    stated: impl FnOnce(&T) -> &str,
) -> String {
    if api.transport.caller_is_gateway(request) {
        return stated(request.get_ref()).to_owned();
    }
    let peer = request
        .remote_addr()
        .map_or_else(|| "unknown".to_owned(), |address| address.ip().to_string());
    if !stated(request.get_ref()).is_empty() {
        tracing::warn!(
            caller = %peer,
            "a caller that is not the gateway stated a client address: ignored"
        );
    }
    peer
}

pub(super) async fn login(
    api: &IdentityApi,
    request: Request<pb::LoginRequest>,
) -> Result<Response<pb::LoginResponse>, Status> {
    let client = client_address(api, &request, |r| r.client_address.as_str());
    let client = client.as_str();
    let request = request.into_inner();
    let email = request.email.trim().to_lowercase();
    let account = throttle::account_from_client(&request.tenant, &email, client);
    let address = throttle::client(client);
    // The same answer for a throttled account whether or not it exists: no enumeration.
    for key in [&account, &address] {
        if let Err(wait) = api.throttle.check(key).await? {
            tracing::warn!(client_address = %client, "sign-in throttled");
            return Err(IdentityError::Throttled { wait }.into());
        }
    }
    let credentials = api.store.credentials(&request.tenant, &email).await?;
    let verified = if let Some(credentials) = &credentials {
        credentials
            .password_hash
            .as_deref()
            .is_some_and(|stored| crate::passwords::verify(&request.password, stored))
    } else {
        crate::passwords::verify_against_nothing(&request.password);
        false
    };
    let Some(credentials) = credentials.filter(|_| verified) else {
        api.throttle
            .record_failure(&account, &throttle::ACCOUNT_FROM_CLIENT)
            .await?;
        api.throttle
            .record_failure(&address, &throttle::CLIENT)
            .await?;
        tracing::info!(client_address = %client, "sign-in refused");
        return Err(IdentityError::BadCredentials.into());
    };
    // Only this pair's failures: a guesser who owns one account does not clear their
    // address's count by signing in to it.
    api.throttle.reset(&account).await?;
    if !credentials.email_verified {
        return Err(IdentityError::EmailNotVerified.into());
    }
    let tokens = api
        .open_session(&credentials.user, credentials.effective_roles())
        .await?;
    tracing::info!(user_id = %credentials.user.id, tenant = %credentials.user.tenant, "signed in");
    Ok(Response::new(pb::LoginResponse {
        tokens: Some(tokens),
    }))
}

pub(super) async fn refresh_tokens(
    api: &IdentityApi,
    request: Request<pb::RefreshTokensRequest>,
) -> Result<Response<pb::RefreshTokensResponse>, Status> {
    let presented = domain::token_hash(&request.get_ref().refresh_token);
    let (refresh_token, next_hash) = domain::new_refresh_token();
    let now = synergies_platform::time::now();
    let rotation = api
        .store
        .rotate_refresh_token(&presented, &next_hash, now, now + REFRESH_TOKEN_TTL)
        .await?;
    let user_id = match rotation {
        Rotation::Rotated { user_id } => user_id,
        Rotation::Reused => {
            tracing::warn!("refresh token reused: its session is revoked");
            return Err(IdentityError::SessionEnded.into());
        }
        Rotation::Expired | Rotation::Unknown => return Err(IdentityError::SessionEnded.into()),
    };
    let credentials = api
        .store
        .credentials_by_id(user_id)
        .await?
        .ok_or(IdentityError::SessionEnded)?;
    let access_token = api
        .access_token(&credentials.user, credentials.effective_roles())
        .await?;
    let tokens = pb::TokenPair {
        access_token,
        refresh_token,
        expires_in_seconds: ttl_seconds(),
    };
    Ok(Response::new(pb::RefreshTokensResponse {
        tokens: Some(tokens),
    }))
}

pub(super) async fn logout(
    api: &IdentityApi,
    request: Request<pb::LogoutRequest>,
) -> Result<Response<pb::LogoutResponse>, Status> {
    let presented = domain::token_hash(&request.get_ref().refresh_token);
    api.store.revoke_refresh_family(&presented).await?;
    Ok(Response::new(pb::LogoutResponse {}))
}

pub(super) async fn operator_login(
    api: &IdentityApi,
    request: Request<pb::OperatorLoginRequest>,
) -> Result<Response<pb::OperatorLoginResponse>, Status> {
    let expected = api.operator_token.expose();
    if expected.is_empty() {
        return Err(IdentityError::OperatorDisabled.into());
    }
    // Guessing the secret is throttled per client, as members' passwords are.
    let client = client_address(api, &request, |r| r.client_address.as_str());
    let address = throttle::operator_from_client(&client);
    if let Err(wait) = api.throttle.check(&address).await? {
        tracing::warn!(client_address = %client, "operator sign-in throttled");
        return Err(IdentityError::Throttled { wait }.into());
    }
    if !constant_time_eq(
        request.get_ref().operator_token.as_bytes(),
        expected.as_bytes(),
    ) {
        api.throttle
            .record_failure(&address, &throttle::OPERATOR_FROM_CLIENT)
            .await?;
        tracing::warn!(client_address = %client, "operator sign-in refused");
        return Err(IdentityError::BadOperatorSecret.into());
    }
    api.throttle.reset(&address).await?;
    let claims = Claims::new(
        "operator".into(),
        String::new(),
        None,
        vec![Role::PlatformOperator],
    );
    let access_token = api.keys.signer().await?.sign(&claims);
    tracing::info!("operator signed in");
    Ok(Response::new(pb::OperatorLoginResponse {
        access_token,
        expires_in_seconds: ttl_seconds(),
    }))
}

pub(super) async fn get_jwks(
    api: &IdentityApi,
    _request: Request<pb::GetJwksRequest>,
) -> Result<Response<pb::GetJwksResponse>, Status> {
    let jwks = api.keys.jwks().await?;
    Ok(Response::new(pb::GetJwksResponse {
        keys: jwks.keys.into_iter().map(Into::into).collect(),
    }))
}

impl IdentityApi {
    /// A new access token for `user`, and a refresh token starting a new session.
    async fn open_session(
        &self,
        user: &User,
        roles: Vec<Role>,
    ) -> Result<pb::TokenPair, IdentityError> {
        let (refresh_token, token_hash) = domain::new_refresh_token();
        let now = synergies_platform::time::now();
        self.store
            .add_refresh_token(&RefreshToken {
                token_hash,
                family: Uuid::now_v7(),
                user_id: user.id,
                created_at: now,
                expires_at: now + REFRESH_TOKEN_TTL,
            })
            .await?;
        let access_token = self.access_token(user, roles).await?;
        Ok(pb::TokenPair {
            access_token,
            refresh_token,
            expires_in_seconds: ttl_seconds(),
        })
    }

    async fn access_token(&self, user: &User, roles: Vec<Role>) -> Result<String, IdentityError> {
        let organisation = Some(user.organisation_id.to_string());
        let claims = Claims::new(
            user.id.to_string(),
            user.tenant.clone(),
            organisation,
            roles,
        );
        Ok(self.keys.signer().await?.sign(&claims))
    }
}

fn ttl_seconds() -> u32 {
    u32::try_from(ACCESS_TOKEN_TTL.as_secs()).unwrap_or(u32::MAX)
}

/// Compares secrets without leaking, through timing, how many leading bytes matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
