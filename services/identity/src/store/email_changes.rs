//! Pending e-mail address changes ([`crate::email_change::EmailChangeStore`]), written once
//! for the database that the module including it names as `Db` (`postgres.rs`, `sqlite.rs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::outbox::{OutboxEvent, Transactional};
use uuid::Uuid;

use super::backend::SqlStore;
use crate::email_change::{
    ConfirmedEmailChange, EmailChangeStore, EmailChangedEvent, PendingEmailChange,
};
use crate::error::IdentityError;
use crate::store::is_unique_violation;

#[async_trait]
impl EmailChangeStore for SqlStore {
    async fn request_email_change(
        &self,
        change: &PendingEmailChange,
        event: &OutboxEvent,
    ) -> Result<(), IdentityError> {
        let mut tx = self.pool.begin().await?;
        // A write first (see `erase_user`): the earlier link stops working.
        sqlx::query("DELETE FROM email_changes WHERE user_id = $1")
            .bind(change.user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO email_changes (token_hash, user_id, new_email, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&change.token_hash)
        .bind(change.user_id)
        .bind(&change.new_email)
        .bind(change.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.enqueue(event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn confirm_email_change(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        event_for: &EmailChangedEvent<'_>,
    ) -> Result<Option<ConfirmedEmailChange>, IdentityError> {
        let mut tx = self.pool.begin().await?;
        let spent = sqlx::query(
            "UPDATE email_changes SET used_at = $2
              WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
              RETURNING user_id, new_email",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(spent) = spent else {
            return Ok(None);
        };
        let user_id: Uuid = spent.try_get("user_id")?;
        let new_email: String = spent.try_get("new_email")?;
        let user = sqlx::query(
            "SELECT u.email, u.tenant, u.display_name, u.language, t.display_name AS tenant_display_name
               FROM users u JOIN tenants t ON t.slug = u.tenant WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(IdentityError::UserNotFound)?;
        let changed = ConfirmedEmailChange {
            user_id,
            tenant: user.try_get("tenant")?,
            tenant_display_name: user.try_get("tenant_display_name")?,
            display_name: user.try_get("display_name")?,
            language: user.try_get("language")?,
            old_email: user.try_get("email")?,
            new_email,
        };
        let updated = sqlx::query(
            "UPDATE users SET email = $2, email_verified_at = COALESCE(email_verified_at, $3) WHERE id = $1",
        )
        .bind(user_id)
        .bind(&changed.new_email)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match updated {
            Err(error) if is_unique_violation(&error) => return Err(IdentityError::EmailTaken),
            other => other?,
        };
        sqlx::query("DELETE FROM email_changes WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.enqueue(&event_for(&changed)).await?;
        tx.commit().await?;
        Ok(Some(changed))
    }

    async fn pending_email_change(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>)>, IdentityError> {
        Ok(sqlx::query_as(
            "SELECT new_email, expires_at FROM email_changes
              WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }
}
