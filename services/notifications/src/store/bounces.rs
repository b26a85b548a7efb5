//! Bounces ([`crate::bounces::BounceStore`]), written once for the database that the module
//! including it names as `Db` (`postgres.rs`, `sqlite.rs`), like `backend.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::backend::SqlStore;
use crate::bounces::{
    AddressFailures, BounceStore, FAILURE_COLUMNS, HARD_FAILURES_BEFORE_UNDELIVERABLE, normalise,
};
use crate::error::NotificationsError;

impl SqlStore {
    /// Counts a hard failure of `address` in `tx`; at the threshold, marks it undeliverable and
    /// holds its unsent mails.
    async fn count_hard_failure(
        tx: &mut <super::Db as sqlx::Database>::Connection,
        tenant: &str,
        address: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<AddressFailures, NotificationsError> {
        let address = normalise(address);
        let state: AddressFailures = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO undeliverable_addresses ({FAILURE_COLUMNS}) VALUES ($1, $2, 1, $3, $4, NULL)
             ON CONFLICT (tenant, address) DO UPDATE SET hard_failures = undeliverable_addresses.hard_failures + 1,
               last_error = excluded.last_error, last_failed_at = excluded.last_failed_at
             RETURNING {FAILURE_COLUMNS}"
        )))
        .bind(tenant)
        .bind(&address)
        .bind(error)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        let state = if state.undeliverable_since.is_none()
            && state.hard_failures >= HARD_FAILURES_BEFORE_UNDELIVERABLE
        {
            sqlx::query("UPDATE outgoing_mail SET held = TRUE WHERE tenant = $1 AND lower(recipient) = $2 AND sent_at IS NULL")
                .bind(tenant)
                .bind(&address)
                .execute(&mut *tx)
                .await?;
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "UPDATE undeliverable_addresses SET undeliverable_since = $3 WHERE tenant = $1 AND address = $2
                 RETURNING {FAILURE_COLUMNS}"
            )))
            .bind(tenant)
            .bind(&address)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?
        } else {
            state
        };
        Ok(state)
    }
}

#[async_trait]
impl BounceStore for SqlStore {
    async fn record_hard_failure(
        &self,
        tenant: &str,
        address: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<AddressFailures, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        let state = Self::count_hard_failure(&mut tx, tenant, address, error, at).await?;
        tx.commit().await?;
        Ok(state)
    }

    async fn record_report(
        &self,
        tenant: &str,
        message_id: Option<&str>,
        failures: &[(String, String)],
        at: DateTime<Utc>,
    ) -> Result<Option<Vec<AddressFailures>>, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        if let Some(message_id) = message_id {
            let first = sqlx::query(
                "INSERT INTO delivery_reports (tenant, message_id, recorded_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(message_id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !first {
                return Ok(None);
            }
        }
        let mut states = Vec::with_capacity(failures.len());
        for (address, error) in failures {
            states.push(Self::count_hard_failure(&mut tx, tenant, address, error, at).await?);
        }
        tx.commit().await?;
        Ok(Some(states))
    }

    async fn has_mailed(&self, tenant: &str, address: &str) -> Result<bool, NotificationsError> {
        Ok(sqlx::query(
            "SELECT 1 FROM outgoing_mail WHERE tenant = $1 AND lower(recipient) = $2 LIMIT 1",
        )
        .bind(tenant)
        .bind(normalise(address))
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    async fn record_delivery(&self, tenant: &str, address: &str) -> Result<(), NotificationsError> {
        sqlx::query("DELETE FROM undeliverable_addresses WHERE tenant = $1 AND address = $2 AND undeliverable_since IS NULL")
            .bind(tenant)
            .bind(normalise(address))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn undeliverable(
        &self,
        tenant: &str,
        address: &str,
    ) -> Result<Option<AddressFailures>, NotificationsError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FAILURE_COLUMNS} FROM undeliverable_addresses
              WHERE tenant = $1 AND address = $2 AND undeliverable_since IS NOT NULL"
        )))
        .bind(tenant)
        .bind(normalise(address))
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn hold(&self, mail_id: uuid::Uuid) -> Result<(), NotificationsError> {
        sqlx::query("UPDATE outgoing_mail SET held = TRUE WHERE id = $1")
            .bind(mail_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn undeliverable_of_tenant(
        &self,
        tenant: &str,
    ) -> Result<Vec<AddressFailures>, NotificationsError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FAILURE_COLUMNS} FROM undeliverable_addresses
              WHERE tenant = $1 AND undeliverable_since IS NOT NULL ORDER BY undeliverable_since DESC"
        )))
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn clear(
        &self,
        tenant: &str,
        address: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, NotificationsError> {
        let address = normalise(address);
        let mut tx = self.pool.begin().await?;
        let cleared = sqlx::query("DELETE FROM undeliverable_addresses WHERE tenant = $1 AND address = $2 AND undeliverable_since IS NOT NULL")
            .bind(tenant)
            .bind(&address)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "UPDATE outgoing_mail SET held = FALSE, next_attempt_at = $3
              WHERE tenant = $1 AND lower(recipient) = $2 AND sent_at IS NULL AND held",
        )
        .bind(tenant)
        .bind(&address)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(cleared > 0)
    }

    async fn readdress_unsent(
        &self,
        tenant: &str,
        from: &str,
        to: &str,
        change: uuid::Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, NotificationsError> {
        // A mail of the same event already written to `to` stays alone (one per recipient and
        // event): the one to `from` is then left as it is.
        Ok(sqlx::query(
            "UPDATE outgoing_mail SET recipient = $3, held = FALSE, next_attempt_at = $4
              WHERE tenant = $1 AND lower(recipient) = $2 AND sent_at IS NULL AND event_id <> $5
                AND NOT EXISTS (SELECT 1 FROM outgoing_mail AS same
                                 WHERE same.event_id = outgoing_mail.event_id
                                   AND lower(same.recipient) = lower($3))",
        )
        .bind(tenant)
        .bind(normalise(from))
        .bind(to)
        .bind(at)
        .bind(change)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
