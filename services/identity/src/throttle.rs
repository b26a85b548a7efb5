//! Sign-in throttling: growing delays after repeated failures, never a hard lock.
//!
//! Failures are counted per key — an (account, client) pair, a client across accounts, the
//! operator's sign-in from a client — and after a key's free failures each new one makes that
//! key wait longer (1 minute, 2, 4, 8, then 15 minutes at most). Because the account key
//! includes the client, a stranger's guesses slow the stranger down, while the owner signing in
//! from their own client is not affected: nobody can lock somebody else's account.
//!
//! Counters live in identity's database (`sign_in_failures`), so every identity replica counts
//! the same failures. Keys are stored as SHA-256 hashes: the table holds no e-mail or address.

use std::time::Duration;

use sha2::{Digest, Sha256};
use synergies_platform::db::Database;

use crate::error::IdentityError;

/// How a kind of key is slowed down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures that cost nothing: people mistype.
    pub free: u32,
    /// The wait after the first failure beyond the free ones; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

/// One account from one client: a person who mistypes a few times, or a guesser.
pub const ACCOUNT_FROM_CLIENT: Policy = Policy {
    free: 4,
    first_delay: Duration::from_mins(1),
    max_delay: Duration::from_mins(15),
};

/// One client across every account: a guesser trying many accounts (an office behind one
/// address makes many honest mistakes too, hence the larger allowance).
pub const CLIENT: Policy = Policy {
    free: 30,
    first_delay: Duration::from_mins(1),
    max_delay: Duration::from_mins(15),
};

/// The operator's secret from one client.
pub const OPERATOR_FROM_CLIENT: Policy = Policy {
    free: 10,
    first_delay: Duration::from_mins(1),
    max_delay: Duration::from_mins(15),
};

/// A key's failures are forgotten this long after its last one.
const FORGET_AFTER: Duration = Duration::from_hours(24);

impl Policy {
    /// How long a key waits after its `failures`-th failure (`None`: it does not wait).
    pub fn delay(&self, failures: u32) -> Option<Duration> {
        let beyond = failures.checked_sub(self.free)?.checked_sub(1)?;
        let factor = 2u32.checked_pow(beyond).unwrap_or(u32::MAX);
        Some(
            self.first_delay
                .checked_mul(factor)
                .map_or(self.max_delay, |delay| delay.min(self.max_delay)),
        )
    }
}

/// The key of one account (tenant and normalised e-mail) signing in from one client.
pub fn account_from_client(tenant: &str, email: &str, client: &str) -> String {
    format!("account:{tenant}:{email}|client:{client}")
}

/// The key of one client, whatever the account.
pub fn client(client: &str) -> String {
    format!("client:{client}")
}

/// The key of the operator's sign-in from one client.
pub fn operator_from_client(client: &str) -> String {
    format!("operator|client:{client}")
}

/// Failed sign-in counters, in identity's database.
#[derive(Clone)]
pub struct Throttle {
    database: Database,
}

/// Runs the same statement on whichever pool the database has: the SQL is written in the
/// dialect both PostgreSQL and SQLite accept.
macro_rules! on_pool {
    ($database:expr, |$pool:ident| $body:expr) => {
        match $database {
            Database::Postgres($pool) => $body,
            Database::Sqlite($pool) => $body,
        }
    };
}

impl Throttle {
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    /// `Err(wait)` while `key` must wait.
    pub async fn check(&self, key: &str) -> Result<Result<(), Duration>, IdentityError> {
        let hash = hash(key);
        let blocked_until: Option<i64> = on_pool!(&self.database, |pool| {
            sqlx::query_scalar("SELECT blocked_until_ms FROM sign_in_failures WHERE key_hash = $1")
                .bind(&hash)
                .fetch_optional(pool)
                .await?
        });
        let now = now_ms();
        Ok(match blocked_until {
            Some(until) if until > now => Err(Duration::from_millis((until - now).unsigned_abs())),
            _ => Ok(()),
        })
    }

    /// Counts a failure of `key`; from the policy's free failures on, `key` waits.
    pub async fn record_failure(&self, key: &str, policy: &Policy) -> Result<(), IdentityError> {
        let hash = hash(key);
        let now = now_ms();
        let forgotten_before = now - millis(FORGET_AFTER);
        // One statement counts, so concurrent failures on several replicas all count.
        let failures: i32 = on_pool!(&self.database, |pool| {
            sqlx::query_scalar(
                "INSERT INTO sign_in_failures (key_hash, failures, last_failure_ms, blocked_until_ms)
                 VALUES ($1, 1, $2, 0)
                 ON CONFLICT (key_hash) DO UPDATE SET
                   failures = CASE WHEN sign_in_failures.last_failure_ms < $3 THEN 1
                                   ELSE sign_in_failures.failures + 1 END,
                   last_failure_ms = $2
                 RETURNING failures",
            )
            .bind(&hash)
            .bind(now)
            .bind(forgotten_before)
            .fetch_one(pool)
            .await?
        });
        if let Some(delay) = policy.delay(failures.unsigned_abs()) {
            let until = now + millis(delay);
            on_pool!(&self.database, |pool| {
                sqlx::query(
                    "UPDATE sign_in_failures SET blocked_until_ms = $2
                      WHERE key_hash = $1 AND blocked_until_ms < $2",
                )
                .bind(&hash)
                .bind(until)
                .execute(pool)
                .await?;
            });
        }
        // Keys nobody has failed with for a day are forgotten (an indexed range, small).
        on_pool!(&self.database, |pool| {
            sqlx::query(
                "DELETE FROM sign_in_failures WHERE last_failure_ms < $1 AND blocked_until_ms < $2",
            )
            .bind(forgotten_before)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A success forgets the key's failures.
    pub async fn reset(&self, key: &str) -> Result<(), IdentityError> {
        let hash = hash(key);
        on_pool!(&self.database, |pool| {
            sqlx::query("DELETE FROM sign_in_failures WHERE key_hash = $1")
                .bind(&hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn now_ms() -> i64 {
    synergies_platform::time::now().timestamp_millis()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A wait as a person reads it, rounded up to whole minutes (or seconds under a minute).
pub fn wait_text(wait: Duration) -> synergies_platform::i18n::Text {
    let seconds = wait.as_secs().max(1);
    if seconds < 60 {
        let plural = if seconds == 1 { "" } else { "s" };
        return synergies_platform::i18n::Text::new(
            format!("{seconds} second{plural}"),
            format!("{seconds} seconde{plural}"),
        );
    }
    let minutes = seconds.div_ceil(60);
    let plural = if minutes == 1 { "" } else { "s" };
    synergies_platform::i18n::Text::new(
        format!("{minutes} minute{plural}"),
        format!("{minutes} minute{plural}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_up_to_a_ceiling() {
        let delays: Vec<_> = (1..=10)
            .map(|n| ACCOUNT_FROM_CLIENT.delay(n).map(|d| d.as_secs() / 60))
            .collect();
        assert_eq!(
            delays,
            [
                None,
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(15),
                Some(15)
            ]
        );
        assert_eq!(
            ACCOUNT_FROM_CLIENT.delay(u32::MAX),
            Some(Duration::from_mins(15))
        );
    }

    #[test]
    fn waits_are_told_in_minutes_or_seconds() {
        assert_eq!(wait_text(Duration::from_secs(61)).en, "2 minutes");
        assert_eq!(wait_text(Duration::from_mins(1)).fr, "1 minute");
        assert_eq!(wait_text(Duration::from_millis(1500)).en, "1 second");
        assert_eq!(wait_text(Duration::from_secs(42)).fr, "42 secondes");
    }

    #[test]
    fn keys_do_not_collide_across_kinds() {
        let keys = [
            account_from_client("dijon", "a@b.fr", "192.0.2.1"),
            client("192.0.2.1"),
            operator_from_client("192.0.2.1"),
        ];
        assert_eq!(
            keys.iter().collect::<std::collections::BTreeSet<_>>().len(),
            3
        );
    }
}
