//! `Idempotency-Key` on creating requests: a client that did not get its answer (a broken
//! connection after the commit) sends the request again with the same key and gets the first
//! answer, and nothing is created twice. The same key with another body is refused (422); a key
//! still being handled answers 409 (retry shortly). Keys are kept 24 hours.
//!
//! The gateway scopes the HTTP header to the request ([`scope`]); [`crate::context::request`]
//! forwards it as gRPC metadata; the owning service checks it around the write
//! ([`IdempotentCall::begin`] / [`IdempotentCall::finish`]) in its own database, so every
//! replica of the service sees the same keys.
//!
//! A process can die anywhere between claiming a key and keeping the answer. So a claim is a
//! lease ([`CLAIM_LEASE_MS`]): a retry after it takes the claim over. And the effect's own
//! transaction marks the claim (with its first outbox event, see
//! [`crate::outbox::Transactional::enqueue`]), under the claim's token: a claim whose effect
//! committed is never handled again (the retry gets the answer rebuilt from that event), and
//! a request whose claim was taken over cannot commit its effect any more.

use std::future::Future;

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::Status;
use tonic::metadata::{MetadataMap, MetadataValue};

use crate::context::CallerContext;
use crate::db::Database;
use crate::error::{ErrorCode, status};
use crate::i18n::Text;
use synergies_proto::events::v1::EventEnvelope;

/// The HTTP header, and the gRPC metadata key that carries it.
pub const HEADER: &str = "idempotency-key";
/// How long a key answers with its first response.
pub const RETENTION_MS: i64 = 24 * 60 * 60 * 1000;
const KEY_MAX: usize = 255;
/// How long a claim without an answer belongs to the request that made it: longer than any
/// request is handled (the gateway's deadlines are shorter), so only a dead request loses it.
pub const CLAIM_LEASE_MS: i64 = 30_000;

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
    /// The claim of the call being handled, which its effect's transaction marks.
    static CLAIM: IdempotentCall;
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
    /// Who holds the claim: set when the claim is made or taken over.
    token: String,
}

/// What to do with a call.
#[derive(Debug)]
pub enum Begin<R> {
    /// First time: handle it, then [`IdempotentCall::finish`] (or `abandon` on failure).
    New(IdempotentCall),
    /// Already handled: answer this.
    Replay(R),
    /// The effect committed but its answer was never kept (the process died in between): the
    /// answer is rebuilt from the effect's first event.
    Recover(EventEnvelope),
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
            token: String::new(),
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
        mut self,
        database: &Database,
    ) -> Result<Begin<R>, Status> {
        let now = crate::time::now().timestamp_millis();
        self.token = uuid::Uuid::new_v4().to_string();
        let existing: Option<Option<Claimed>> = with_pool!(database, |pool| {
            // A key older than the retention period is free again.
            sqlx::query("DELETE FROM idempotency_keys WHERE tenant = $1 AND caller = $2 AND method = $3 AND idempotency_key = $4 AND created_at_ms < $5")
                .bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key).bind(now - RETENTION_MS)
                .execute(pool).await.map_err(storage)?;
            let inserted = sqlx::query("INSERT INTO idempotency_keys (tenant, caller, method, idempotency_key, request_hash, created_at_ms, claim_token, claimed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $6) ON CONFLICT DO NOTHING")
                .bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key).bind(&self.request_hash).bind(now).bind(&self.token)
                .execute(pool).await.map_err(storage)?.rows_affected();
            if inserted == 1 {
                None
            } else {
                let row = sqlx::query_as("SELECT request_hash, response, claim_token, claimed_at_ms, effect_event_id FROM idempotency_keys WHERE tenant = $1 AND caller = $2 AND method = $3 AND idempotency_key = $4")
                    .bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key)
                    .fetch_optional(pool).await.map_err(storage)?;
                Some(row.map(
                    |(request_hash, response, token, claimed_at_ms, effect_event_id)| Claimed {
                        request_hash,
                        response,
                        token,
                        claimed_at_ms,
                        effect_event_id,
                    },
                ))
            }
        });
        let claimed = match existing {
            None => return Ok(Begin::New(self)),
            // Deleted in between (expired): the client retries.
            Some(None) => return Err(in_progress()),
            Some(Some(claimed)) => claimed,
        };
        if claimed.request_hash != self.request_hash {
            return Err(status(
                ErrorCode::FailedPrecondition,
                &Text::new(
                    "Idempotency-Key: this key was already used with another request; use a new key for a new request",
                    "Idempotency-Key : cette clé a déjà servi pour une autre requête ; utilisez une nouvelle clé pour une nouvelle requête",
                ),
            ));
        }
        if let Some(response) = claimed.response {
            return R::decode(response.as_slice())
                .map(Begin::Replay)
                .map_err(|error| {
                    tracing::error!(%error, "a kept idempotent response does not decode");
                    status(ErrorCode::Internal, &crate::error::internal_error_text())
                });
        }
        if now - claimed.claimed_at_ms < CLAIM_LEASE_MS {
            // Still being handled (or its answer about to be kept).
            return Err(in_progress());
        }
        if let Some(event_id) = claimed.effect_event_id {
            tracing::warn!(key = %self.key, method = self.method, "an idempotent call's effect committed but its answer was lost: answering from its event");
            return effect_event(database, &event_id).await.map(Begin::Recover);
        }
        // The request holding the claim died before its effect: take the claim over, unless
        // another retry just did.
        let taken = with_pool!(database, |pool| {
            sqlx::query("UPDATE idempotency_keys SET claim_token = $1, claimed_at_ms = $2 WHERE tenant = $3 AND caller = $4 AND method = $5 AND idempotency_key = $6 AND claim_token = $7 AND response IS NULL AND effect_event_id IS NULL")
                .bind(&self.token).bind(now).bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key).bind(&claimed.token)
                .execute(pool).await.map_err(storage)?.rows_affected()
        });
        if taken == 1 {
            tracing::warn!(key = %self.key, method = self.method, "took over an idempotency key whose request died before its effect");
            Ok(Begin::New(self))
        } else {
            Err(in_progress())
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
            sqlx::query("UPDATE idempotency_keys SET response = $1 WHERE tenant = $2 AND caller = $3 AND method = $4 AND idempotency_key = $5 AND claim_token = $6")
                .bind(bytes).bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key).bind(&self.token)
                .execute(pool).await.map_err(storage)?;
        });
        Ok(())
    }

    /// The call failed and created nothing: the same key may be tried again.
    pub async fn abandon(&self, database: &Database) {
        let result = with_pool!(database, |pool| {
            sqlx::query("DELETE FROM idempotency_keys WHERE tenant = $1 AND caller = $2 AND method = $3 AND idempotency_key = $4 AND claim_token = $5 AND response IS NULL AND effect_event_id IS NULL")
                .bind(&self.tenant).bind(&self.caller).bind(self.method).bind(&self.key).bind(&self.token)
                .execute(pool).await.map(|_| ())
        });
        if let Err(error) = result {
            // Left claimed: retries with this key answer 409 until the lease ends.
            tracing::warn!(%error, "could not release an idempotency key");
        }
    }

    /// Handles the call at most once per key: `handle` runs for a new key, its answer is kept;
    /// a repeated key gets the first answer. `recover` rebuilds that answer from the effect's
    /// first event when the process died between committing the effect and keeping the answer.
    pub async fn run<R, F, Fut, G, GFut>(
        call: Option<Self>,
        database: &Database,
        handle: F,
        recover: G,
    ) -> Result<R, Status>
    where
        R: Message + Default,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<R, Status>>,
        G: FnOnce(EventEnvelope) -> GFut,
        GFut: Future<Output = Result<R, Status>>,
    {
        let Some(call) = call else {
            return handle().await;
        };
        let call = match call.begin::<R>(database).await? {
            Begin::Replay(response) => return Ok(response),
            Begin::Recover(effect) => {
                let response = recover(effect).await?;
                return Ok(response);
            }
            Begin::New(call) => call,
        };
        match CLAIM.scope(call.clone(), handle()).await {
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

/// A claim as found by a retry.
struct Claimed {
    request_hash: String,
    response: Option<Vec<u8>>,
    token: String,
    claimed_at_ms: i64,
    effect_event_id: Option<String>,
}

/// Marks the claim of the call being handled as done by an event of its effect, inside the
/// effect's transaction (see [`crate::outbox::Transactional::enqueue`]). It matches no row when
/// the claim was taken over meanwhile: then the effect must roll back ([`ClaimLost`]), as the
/// request that took the claim makes it instead.
pub(crate) const MARK_EFFECT: &str = "UPDATE idempotency_keys SET effect_event_id = COALESCE(effect_event_id, $1) WHERE tenant = $2 AND caller = $3 AND method = $4 AND idempotency_key = $5 AND claim_token = $6";

/// The claim of the idempotent call this task is handling, if any, as the bind values of
/// [`MARK_EFFECT`] after the event id.
pub(crate) fn current_claim() -> Option<[String; 5]> {
    CLAIM
        .try_with(|claim| {
            [
                claim.tenant.clone(),
                claim.caller.clone(),
                claim.method.to_owned(),
                claim.key.clone(),
                claim.token.clone(),
            ]
        })
        .ok()
}

/// Why an effect's transaction failed when its claim had been taken over.
pub(crate) fn claim_lost() -> sqlx::Error {
    sqlx::Error::Protocol(
        "this request's Idempotency-Key was taken over by a retry: its effect is not committed"
            .into(),
    )
}

/// The first event of a committed idempotent effect, from the outbox it was stored in.
async fn effect_event(database: &Database, event_id: &str) -> Result<EventEnvelope, Status> {
    let event_id = uuid::Uuid::parse_str(event_id)
        .map_err(|_| status(ErrorCode::Internal, &crate::error::internal_error_text()))?;
    let envelope: Option<Vec<u8>> = with_pool!(database, |pool| {
        sqlx::query_scalar("SELECT envelope FROM outbox WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(pool)
            .await
            .map_err(storage)?
    });
    envelope
        .and_then(|bytes| EventEnvelope::decode(bytes.as_slice()).ok())
        .ok_or_else(|| {
            tracing::error!(%event_id, "the event of an idempotent effect is gone from the outbox");
            status(ErrorCode::Internal, &crate::error::internal_error_text())
        })
}

/// The answer to a call whose effect committed but whose answer was lost (its process died in
/// between), for calls that cannot rebuild it: the client learns it was done, once.
pub fn answer_lost() -> Status {
    status(
        ErrorCode::AlreadyExists,
        &Text::new(
            "this request was carried out, but its answer was lost: reload the page to see the result",
            "cette demande a bien été traitée, mais sa réponse s'est perdue : rechargez la page pour voir le résultat",
        ),
    )
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
