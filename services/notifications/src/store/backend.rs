//! The notifications store, written once for the database that the module including it names
//! as `Db` (`postgres.rs`, `sqlite.rs`): one body, compiled for each backend, with the SQL both
//! dialects accept. This file holds the store and the inbox; the other stores of the service's
//! database (`mail.rs`, `preferences.rs`, `saved_searches.rs`, `digests.rs`, `reminders.rs`,
//! `bounces.rs`) are implemented on the same type, each in its own file.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::i18n::Text;
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use crate::error::NotificationsError;
use crate::store::{
    COLUMNS, Delivery, IS_READ, InboxItem, InboxPage, InboxStore, Reader, Subject, VISIBLE,
    select_items,
};

/// Rows per multi-row INSERT: far below either database's limit on bound values (17 a row).
const ITEMS_PER_STATEMENT: usize = 100;

/// `($1, …, $width), ($width+1, …)`: the VALUES of `rows` rows of `width` bound values.
fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| {
            let values: Vec<String> = (1..=width)
                .map(|column| format!("${}", row * width + column))
                .collect();
            format!("({})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub struct SqlStore {
    pub(crate) pool: sqlx::Pool<super::Db>,
}

impl SqlStore {
    /// Keeps (or renames) an organisation's name.
    async fn remember<'c>(
        executor: impl sqlx::Executor<'c, Database = super::Db>,
        tenant: &str,
        organisation_id: Uuid,
        name: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO organisation_names (organisation_id, tenant, name) VALUES ($1, $2, $3)
             ON CONFLICT (organisation_id) DO UPDATE SET name = excluded.name",
        )
        .bind(organisation_id)
        .bind(tenant)
        .bind(name)
        .execute(executor)
        .await?;
        Ok(())
    }

    pub(crate) fn item_from(
        row: &<super::Db as sqlx::Database>::Row,
    ) -> Result<InboxItem, sqlx::Error> {
        Ok(InboxItem {
            id: row.try_get("id")?,
            tenant: row.try_get("tenant")?,
            user_id: row.try_get("user_id")?,
            kind: row.try_get("kind")?,
            title: Text::new(
                row.try_get::<String, _>("title_en")?,
                row.try_get::<String, _>("title")?,
            ),
            body: Text::new(
                row.try_get::<String, _>("body_en")?,
                row.try_get::<String, _>("body")?,
            ),
            listing_id: row.try_get("listing_id")?,
            for_organisation: row.try_get("for_organisation")?,
            event_id: row.try_get("event_id")?,
            read: row.try_get("seen")?,
            created_at: row.try_get("created_at")?,
            subject: Subject::from_parts(
                &row.try_get::<String, _>("subject_kind")?,
                &row.try_get::<String, _>("subject_id")?,
            ),
            other_organisation: row.try_get("other_organisation_id")?,
            other_organisation_name: row.try_get("other_name")?,
        })
    }
}

#[async_trait]
impl InboxStore for SqlStore {
    async fn deliver(
        &self,
        consumer: &str,
        event_id: Uuid,
        items: &[InboxItem],
    ) -> Result<Delivery, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        if !tx.first_delivery(consumer, event_id).await? {
            return Ok(Delivery::AlreadyHandled);
        }
        // One statement per chunk of items, not one per item: an event's items are written in
        // a round trip or two, and the ids it returns say which were new (a member told twice
        // by one event keeps the first).
        let mut inserted = std::collections::HashSet::new();
        for chunk in items.chunks(ITEMS_PER_STATEMENT) {
            let statement = format!(
                "INSERT INTO inbox_items ({COLUMNS}) VALUES {}
                 ON CONFLICT (user_id, event_id) DO NOTHING RETURNING id",
                placeholders(chunk.len(), 17)
            );
            let mut query = sqlx::query_scalar::<_, Uuid>(sqlx::AssertSqlSafe(statement));
            for item in chunk {
                query = query
                    .bind(item.id)
                    .bind(&item.tenant)
                    .bind(item.user_id)
                    .bind(&item.kind)
                    .bind(&item.title.fr)
                    .bind(&item.body.fr)
                    .bind(item.listing_id)
                    .bind(item.event_id)
                    .bind(item.read)
                    .bind(item.created_at)
                    .bind(&item.title.en)
                    .bind(&item.body.en)
                    .bind(item.for_organisation)
                    .bind(item.subject.parts().0)
                    .bind(item.subject.parts().1)
                    .bind(item.other_organisation)
                    .bind(&item.other_organisation_name);
            }
            inserted.extend(query.fetch_all(&mut *tx).await?);
        }
        // The names the items carry, once per organisation (an upsert may not touch a row
        // twice).
        let names: HashMap<Uuid, (&str, &str)> = items
            .iter()
            .filter(|item| !item.other_organisation_name.is_empty())
            .filter_map(|item| {
                let organisation = item.other_organisation?;
                Some((
                    organisation,
                    (item.tenant.as_str(), item.other_organisation_name.as_str()),
                ))
            })
            .collect();
        let names: Vec<_> = names.into_iter().collect();
        for chunk in names.chunks(ITEMS_PER_STATEMENT) {
            let statement = format!(
                "INSERT INTO organisation_names (organisation_id, tenant, name) VALUES {}
                 ON CONFLICT (organisation_id) DO UPDATE SET name = excluded.name",
                placeholders(chunk.len(), 3)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(statement));
            for (organisation, (tenant, name)) in chunk {
                query = query.bind(*organisation).bind(*tenant).bind(*name);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Delivery::Stored(
            items
                .iter()
                .filter(|item| inserted.contains(&item.id))
                .cloned()
                .collect(),
        ))
    }

    async fn forget_user(
        &self,
        consumer: &str,
        event_id: Uuid,
        user_id: Uuid,
        email: &str,
    ) -> Result<bool, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        if !tx.first_delivery(consumer, event_id).await? {
            return Ok(false);
        }
        sqlx::query("DELETE FROM inbox_items WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM inbox_reads WHERE reader_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM delivery_preferences WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM recipients WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM saved_searches WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM outgoing_mail WHERE recipient = $1")
            .bind(email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn inbox(
        &self,
        reader: Reader<'_>,
        page: InboxPage,
    ) -> Result<Vec<InboxItem>, NotificationsError> {
        let unread = if page.unread_only {
            format!("AND NOT {IS_READ}")
        } else {
            String::new()
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE {VISIBLE} AND ($4 IS NULL OR i.id < $4) {unread} ORDER BY i.id DESC LIMIT $5",
            select_items()
        )))
        .bind(reader.tenant)
        .bind(reader.user_id)
        .bind(reader.organisation_id)
        .bind(page.after)
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(Self::item_from).collect::<Result<_, _>>()?)
    }

    async fn mark_read(
        &self,
        reader: Reader<'_>,
        item_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<InboxItem>, NotificationsError> {
        let mut tx = self.pool.begin().await?;
        let visible = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT i.id FROM inbox_items i WHERE {VISIBLE} AND i.id = $4"
        )))
        .bind(reader.tenant)
        .bind(reader.user_id)
        .bind(reader.organisation_id)
        .bind(item_id)
        .fetch_optional(&mut *tx)
        .await?;
        if visible.is_none() {
            return Ok(None);
        }
        sqlx::query("INSERT INTO inbox_reads (item_id, reader_id, read_at) VALUES ($1, $2, $3) ON CONFLICT (reader_id, item_id) DO NOTHING")
            .bind(item_id)
            .bind(reader.user_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE {VISIBLE} AND i.id = $4",
            select_items()
        )))
        .bind(reader.tenant)
        .bind(reader.user_id)
        .bind(reader.organisation_id)
        .bind(item_id)
        .fetch_one(&mut *tx)
        .await?;
        let item = Self::item_from(&row)?;
        tx.commit().await?;
        Ok(Some(item))
    }

    async fn mark_all_read(
        &self,
        reader: Reader<'_>,
        at: DateTime<Utc>,
    ) -> Result<u64, NotificationsError> {
        let marked = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO inbox_reads (item_id, reader_id, read_at)
             SELECT i.id, $2, $4 FROM inbox_items i WHERE {VISIBLE} AND NOT {IS_READ}
             ON CONFLICT (reader_id, item_id) DO NOTHING"
        )))
        .bind(reader.tenant)
        .bind(reader.user_id)
        .bind(reader.organisation_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(marked.rows_affected())
    }

    async fn unread_count(&self, reader: Reader<'_>) -> Result<u64, NotificationsError> {
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM inbox_items i WHERE {VISIBLE} AND NOT {IS_READ}"
        )))
        .bind(reader.tenant)
        .bind(reader.user_id)
        .bind(reader.organisation_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn remember_organisation(
        &self,
        tenant: &str,
        organisation_id: Uuid,
        name: &str,
    ) -> Result<(), NotificationsError> {
        Self::remember(&self.pool, tenant, organisation_id, name).await?;
        Ok(())
    }

    async fn items_of_event(
        &self,
        tenant: &str,
        event_id: Uuid,
    ) -> Result<Vec<InboxItem>, NotificationsError> {
        // Read as nobody in particular: the read state does not matter here.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE i.tenant = $1 AND i.event_id = $3 ORDER BY i.id",
            select_items()
        )))
        .bind(tenant)
        .bind(Option::<Uuid>::None)
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(Self::item_from).collect::<Result<_, _>>()?)
    }

    async fn signing_key(&self, name: &str) -> Result<Vec<u8>, NotificationsError> {
        let fresh: [u8; 32] = rand::random();
        sqlx::query(
            "INSERT INTO signing_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh.as_slice())
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT secret FROM signing_keys WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn remember_recipient(
        &self,
        tenant: &str,
        user_id: Uuid,
        email: &str,
        language: Option<&str>,
    ) -> Result<(), NotificationsError> {
        sqlx::query(
            "INSERT INTO recipients (user_id, tenant, email, language) VALUES ($1, $2, $3, COALESCE($4, 'fr'))
             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email,
               language = CASE WHEN $4 IS NULL THEN recipients.language ELSE excluded.language END",
        )
        .bind(user_id)
        .bind(tenant)
        .bind(email)
        .bind(language)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn recipient(
        &self,
        user_id: Uuid,
    ) -> Result<Option<(String, String)>, NotificationsError> {
        Ok(
            sqlx::query_as("SELECT email, language FROM recipients WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn organisation_names(
        &self,
        tenant: &str,
        organisations: &[Uuid],
    ) -> Result<HashMap<Uuid, String>, NotificationsError> {
        if organisations.is_empty() {
            return Ok(HashMap::new());
        }
        // An event names one or two organisations: only those are read, whatever the
        // territory's size.
        let placeholders: Vec<String> = (2..organisations.len() + 2)
            .map(|n| format!("${n}"))
            .collect();
        let statement = format!(
            "SELECT organisation_id, name FROM organisation_names
              WHERE tenant = $1 AND organisation_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(statement)).bind(tenant);
        for organisation in organisations {
            query = query.bind(*organisation);
        }
        let rows: Vec<(Uuid, String)> = query.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().collect())
    }
}
