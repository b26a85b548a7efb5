//! `Idempotency-Key` on creating requests: a client that did not get its answer (a broken
//! connection after the commit) sends the request again with the same key and gets the first
//! answer, and nothing is created twice. The same key with another body is refused (422); a key
//! still being handled answers 409 (retry shortly). Keys are kept 24 hours.
//!
//! The gateway scopes the HTTP header to the request ([`scope`]); [`crate::context::request`]
//! forwards it as gRPC metadata; the owning service checks it around the write
//! ([`IdempotentCall::begin`] / [`IdempotentCall::finish`]) in its own database, so every
//! replica of the service sees the same keys.

use std::future::Future;

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::Status;
use tonic::metadata::{MetadataMap, MetadataValue};

use crate::context::CallerContext;
use crate::db::Database;
use crate::error::{ErrorCode, status};
use crate::i18n::Text;

/// The HTTP header, and the gRPC metadata key that carries it.
pub const HEADER: &str = "idempotency-key";
/// How long a key answers with its first response.
pub const RETENTION_MS: i64 = 24 * 60 * 60 * 1000;
const KEY_MAX: usize = 255;

/// Runs the same statements on either backend (the SQL here is written in the dialect both
/// accept).
macro_rules! with_pool {
    ($database:expr, |$pool:ident| $body:expr) => {
        match $database {
            Database::Postgres($pool) => $body,
            Database::Sqlite($pool) => $body,
        }
    };
}

tokio::task_local! {
    static KEY: Option<String>;
}

/// Runs `future` (one HTTP request) with its `Idempotency-Key`, which outgoing calls forward.
pub async fn scope<F: Future>(key: Option<String>, future: F) -> F::Output {
    KEY.scope(key, future).await
}

/// Adds the current request's key, if any, to outgoing call metadata.
pub(crate) fn forward(metadata: &mut MetadataMap) {
    if let Ok(Some(key)) = KEY.try_with(Clone::clone)
        && let Ok(value) = MetadataValue::try_from(key.as_str())
    {
        metadata.insert(HEADER, value);
    }
}

/// A creating call that carries a key.
#[derive(Debug, Clone)]
pub struct IdempotentCall {
    tenant: String,
    caller: String,
    method: &'static str,
    key: String,
    request_hash: String,
}

/// What to do with a call.
#[derive(Debug)]
pub enum Begin<R> {
    /// First time: handle it, then [`IdempotentCall::finish`] (or `abandon` on failure).
    New(IdempotentCall),
    /// Already handled: answer this.
    Replay(R),
}

impl IdempotentCall {
    /// The call's key and request fingerprint, or `None` without a key. `method` names the
    /// operation (keys are per operation, caller and tenant); `caller` is who asks (a user id,
    /// or for an anonymous sign-up, an empty string).
    pub fn from_request<T: Message>(
        request: &tonic::Request<T>,
        tenant: &str,
        caller: &str,
        method: &'static str,
    ) -> Result<Option<Self>, Status> {
        let Some(value) = request.metadata().get(HEADER) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= KEY_MAX && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                status(
                    ErrorCode::InvalidArgument,
                    &Text::new(
                        "Idempotency-Key: must be 1 to 255 visible ASCII characters (a UUID, say)",
                        "Idempotency-Key : doit compter 1 à 255 caractères ASCII visibles (un UUID par exemple)",
                    ),
                )
            })?;
        Ok(Some(Self {
            tenant: tenant.to_owned(),
            caller: caller.to_owned(),
            method,
            key: key.to_owned(),
            request_hash: hex::encode(Sha256::digest(request.get_ref().encode_to_vec())),
        }))
    }

    /// For calls of a signed-in caller.
    pub fn for_caller<T: Message>(
        request: &tonic::Request<T>,
        caller: &CallerContext,
        method: &'static str,
    ) -> Result<Option<Self>, Status> {
        let who = caller.user_id.map(|id| id.to_string()).unwrap_or_default();
        Self::from_request(request, &caller.tenant, &who, method)
    }

    /// Claims the key, or finds the first answer.
    pub async fn begin<R: Message + Default>(
        self,
        database: &Database,
    ) -> Result<Begin<R>, Status> {
        let now = crate::time::now().timestamp_millis();
        let existing = with_pool!(database, |pool| {
            // A key older than the retention period is free again.
            sqlx::query("DELETE FROM idempotency_keys WHERE tenant = $1 AND caller = $2 AND method = $3 AND idempotency_key = $4 AND created_at_ms < $5")
                .bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key).bind(now - RETENTION_MS)
                .execute(pool).await.map_err(storage)?;
            let inserted = sqlx::query("INSERT INTO idempotency_keys (tenant, caller, method, idempotency_key, request_hash, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                .bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key).bind(&self.request_hash).bind(now)
                .execute(pool).await.map_err(storage)?.rows_affected();
            if inserted == 1 {
                None
            } else {
                let row: Option<(String, Option<Vec<u8>>)> = sqlx::query_as("SELECT request_hash, response FROM idempotency_keys WHERE tenant = $1 AND caller = $2 AND method = $3 AND idempotency_key = $4")
                    .bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key)
                    .fetch_optional(pool).await.map_err(storage)?;
                Some(row)
            }
        });
        match existing {
            None => Ok(Begin::New(self)),
            Some(Some((hash, _))) if hash != self.request_hash => Err(status(
                ErrorCode::FailedPrecondition,
                &Text::new(
                    "Idempotency-Key: this key was already used with another request; use a new key for a new request",
                    "Idempotency-Key : cette clé a déjà servi pour une autre requête ; utilisez une nouvelle clé pour une nouvelle requête",
                ),
            )),
            // Still being handled, or deleted in between (expired): the client retries.
            Some(None | Some((_, None))) => Err(in_progress()),
            Some(Some((_, Some(response)))) => R::decode(response.as_slice())
                .map(Begin::Replay)
                .map_err(|error| {
                    tracing::error!(%error, "a kept idempotent response does not decode");
                    status(ErrorCode::Internal, &crate::error::internal_error_text())
                }),
        }
    }

    /// Keeps the answer for the retries to come.
    pub async fn finish<R: Message>(
        &self,
        database: &Database,
        response: &R,
    ) -> Result<(), Status> {
        let bytes = response.encode_to_vec();
        with_pool!(database, |pool| {
            sqlx::query("UPDATE idempotency_keys SET response = $1 WHERE tenant = $2 AND caller = $3 AND method = $4 AND idempotency_key = $5")
                .bind(bytes).bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key)
                .execute(pool).await.map_err(storage)?;
        });
        Ok(())
    }

    /// The call failed and created nothing: the same key may be tried again.
    pub async fn abandon(&self, database: &Database) {
        let result = with_pool!(database, |pool| {
            sqlx::query("DELETE FROM idempotency_keys WHERE tenant = $1 AND caller = $2 AND method = $3 AND idempotency_key = $4 AND response IS NULL")
                .bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key)
                .execute(pool).await.map(|_| ())
        });
        if let Err(error) = result {
            // Left claimed: retries with this key answer 409 until it expires.
            tracing::warn!(%error, "could not release an idempotency key");
        }
    }

    /// Handles the call at most once per key: `handle` runs for a new key, its answer is kept;
    /// a repeated key gets the first answer.
    pub async fn run<R, F, Fut>(
        call: Option<Self>,
        database: &Database,
        handle: F,
    ) -> Result<R, Status>
    where
        R: Message + Default,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<R, Status>>,
    {
        let Some(call) = call else {
            return handle().await;
        };
        let call = match call.begin::<R>(database).await? {
            Begin::Replay(response) => return Ok(response),
            Begin::New(call) => call,
        };
        match handle().await {
            Ok(response) => {
                call.finish(database, &response).await?;
                Ok(response)
            }
            Err(error) => {
                call.abandon(database).await;
                Err(error)
            }
        }
    }
}

fn in_progress() -> Status {
    status(
        ErrorCode::AlreadyExists,
        &Text::new(
            "a request with this Idempotency-Key is still being handled; try again in a moment",
            "une requête avec cette Idempotency-Key est en cours de traitement ; réessayez dans un instant",
        ),
    )
}

fn storage(error: sqlx::Error) -> Status {
    let code = crate::error::storage_code(&error);
    tracing::error!(%error, "idempotency keys");
    if code == ErrorCode::Unavailable {
        status(code, &crate::error::unavailable_text())
    } else {
        status(code, &crate::error::internal_error_text())
    }
}
