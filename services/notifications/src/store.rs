//! Inbox storage: one trait, PostgreSQL and SQLite implementations generated from one body.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::db::Database;
use synergies_platform::i18n::Text;
use synergies_platform::outbox::Transactional;
use uuid::Uuid;

use crate::error::NotificationsError;
use crate::mail::Mail;
use crate::preferences::{Category, Frequency};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub id: Uuid,
    pub tenant: String,
    pub user_id: Uuid,
    /// Event type that caused it, e.g. `match.found`.
    pub kind: String,
    /// In French and in English (empty for items stored before English was written).
    pub title: Text,
    pub body: Text,
    pub listing_id: Option<Uuid>,
    /// For every member of the organisation whose id `user_id` then holds.
    pub for_organisation: bool,
    pub event_id: Uuid,
    /// Read by the reader it was listed for.
    pub read: bool,
    pub created_at: DateTime<Utc>,
    /// What opening the item shows.
    pub subject: Subject,
    /// The other organisation the item is about, and its name (filled in from the names
    /// learned since when the event did not carry it).
    pub other_organisation: Option<Uuid>,
    pub other_organisation_name: String,
}

/// What an item is about, to open it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Subject {
    #[default]
    Nothing,
    Conversation(Uuid),
    Listing(Uuid),
    Flow(Uuid),
    Synergy(Uuid),
}

impl Subject {
    /// The stored kind and id: `("conversation", id)`, `("", "")` for nothing.
    pub fn parts(&self) -> (&'static str, String) {
        match self {
            Self::Nothing => ("", String::new()),
            Self::Conversation(id) => ("conversation", id.to_string()),
            Self::Listing(id) => ("listing", id.to_string()),
            Self::Flow(id) => ("flow", id.to_string()),
            Self::Synergy(id) => ("synergy", id.to_string()),
        }
    }

    /// Back from the stored kind and id; anything unreadable is about nothing.
    pub fn from_parts(kind: &str, id: &str) -> Self {
        let Ok(id) = Uuid::parse_str(id) else {
            return Self::Nothing;
        };
        match kind {
            "conversation" => Self::Conversation(id),
            "listing" => Self::Listing(id),
            "flow" => Self::Flow(id),
            "synergy" => Self::Synergy(id),
            _ => Self::Nothing,
        }
    }
}

/// Whose inbox is read: a user's own items and their organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader<'a> {
    pub tenant: &'a str,
    pub user_id: Uuid,
    pub organisation_id: Option<Uuid>,
}

/// Which page of an inbox to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxPage {
    /// Items older than this one, when given.
    pub after: Option<Uuid>,
    pub limit: u32,
    pub unread_only: bool,
}

#[async_trait]
pub trait InboxStore: Send + Sync {
    /// Stores the items caused by one event, unless `consumer` already handled it.
    /// `false`: already handled, nothing stored.
    async fn deliver(
        &self,
        consumer: &str,
        event_id: Uuid,
        items: &[InboxItem],
    ) -> Result<bool, NotificationsError>;
    /// RGPD erasure: deletes the user's inbox and every e-mail written to their address, unless
    /// `consumer` already handled `event_id`.
    async fn forget_user(
        &self,
        consumer: &str,
        event_id: Uuid,
        user_id: Uuid,
        email: &str,
    ) -> Result<bool, NotificationsError>;
    /// A reader's items and their organisation's, newest first, read as this reader.
    async fn inbox(
        &self,
        reader: Reader<'_>,
        page: InboxPage,
    ) -> Result<Vec<InboxItem>, NotificationsError>;
    /// Marks one of the reader's items read (again: no change); `None` when it is not theirs.
    async fn mark_read(
        &self,
        reader: Reader<'_>,
        item_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<InboxItem>, NotificationsError>;
    /// Marks every item of the reader read; how many were unread.
    async fn mark_all_read(
        &self,
        reader: Reader<'_>,
        at: DateTime<Utc>,
    ) -> Result<u64, NotificationsError>;
    async fn unread_count(&self, reader: Reader<'_>) -> Result<u64, NotificationsError>;
    /// Keeps an organisation's name, to name it in items written later.
    async fn remember_organisation(
        &self,
        tenant: &str,
        organisation_id: Uuid,
        name: &str,
    ) -> Result<(), NotificationsError>;
    /// The items an event caused, as stored (with their stored ids).
    async fn items_of_event(
        &self,
        tenant: &str,
        event_id: Uuid,
    ) -> Result<Vec<InboxItem>, NotificationsError>;
    /// Keeps a member's address, and their language when given.
    async fn remember_recipient(
        &self,
        tenant: &str,
        user_id: Uuid,
        email: &str,
        language: Option<&str>,
    ) -> Result<(), NotificationsError>;
    /// A member's address and language (`fr` or `en`), when known.
    async fn recipient(
        &self,
        user_id: Uuid,
    ) -> Result<Option<(String, String)>, NotificationsError>;
    /// The secret named `name`, made (32 random bytes) by the first caller.
    async fn signing_key(&self, name: &str) -> Result<Vec<u8>, NotificationsError>;
    /// The names known of the tenant's organisations.
    async fn organisation_names(
        &self,
        tenant: &str,
    ) -> Result<HashMap<Uuid, String>, NotificationsError>;
}

/// An e-mail waiting for, or past, delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: Uuid,
    pub tenant: String,
    pub mail: Mail,
    pub event_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub last_error: String,
    /// Kept from sending: its address is undeliverable ([`crate::bounces`]).
    pub held: bool,
}

/// Outgoing e-mail: written by event handlers, delivered by the sender.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// Stores `mail`, caused by `event_id`, unless `consumer` already handled that event.
    async fn queue_mail(
        &self,
        consumer: &str,
        event_id: Uuid,
        tenant: &str,
        mails: &[Mail],
    ) -> Result<bool, NotificationsError>;
    /// Stores e-mails about an event's inbox items: once per recipient, however often called
    /// (the inbox items are stored first; a crash in between writes them on redelivery).
    /// `told` (reader, item) are the items these mails tell of: no digest repeats them.
    async fn queue_item_mails(
        &self,
        event_id: Uuid,
        tenant: &str,
        mails: &[Mail],
        told: &[(Uuid, Uuid)],
    ) -> Result<(), NotificationsError>;
    /// Unsent mails whose next attempt is due, oldest first.
    async fn due_mail(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, NotificationsError>;
    async fn mark_sent(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), NotificationsError>;
    async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), NotificationsError>;
    /// A tenant's e-mails, newest first.
    async fn outgoing(
        &self,
        tenant: &str,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, NotificationsError>;
}

/// Members' delivery preferences.
#[async_trait]
pub trait PreferencesStore: Send + Sync {
    /// What the member set (categories they never set are absent).
    async fn set_preferences(
        &self,
        tenant: &str,
        user_id: Uuid,
    ) -> Result<Vec<(Category, Frequency)>, NotificationsError>;
    /// Sets the given categories (others keep what they were).
    async fn choose(
        &self,
        tenant: &str,
        user_id: Uuid,
        choices: &[(Category, Frequency)],
        at: DateTime<Utc>,
    ) -> Result<(), NotificationsError>;
}

pub fn preferences_store(database: &Database) -> Arc<dyn PreferencesStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

pub fn mail_store(database: &Database) -> Arc<dyn MailStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

const MAIL_COLUMNS: &str = "id, tenant, recipient, subject, body, event_id, created_at, sent_at, attempts, last_error, html, list_unsubscribe, held";

pub fn for_database(database: &Database) -> Arc<dyn InboxStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

const COLUMNS: &str = "id, tenant, user_id, kind, title, body, listing_id, event_id, read, created_at, title_en, body_en, for_organisation, subject_kind, subject_id, other_organisation_id, other_organisation_name";

/// The items a reader sees (`$1` tenant, `$2` user, `$3` organisation), aliased `i`.
const VISIBLE: &str = "i.tenant = $1 AND ((i.user_id = $2 AND NOT i.for_organisation) OR (i.user_id = $3 AND i.for_organisation))";

/// Whether reader `$2` read item `i` (items stored read, or marked read by this reader).
pub(crate) const IS_READ: &str =
    "(i.read OR EXISTS (SELECT 1 FROM inbox_reads r WHERE r.reader_id = $2 AND r.item_id = i.id))";

/// An item as reader `$2` sees it, with the other organisation's name learned since.
pub(crate) fn select_items() -> String {
    format!(
        "SELECT i.id, i.tenant, i.user_id, i.kind, i.title, i.body, i.listing_id, i.event_id, i.created_at,
                i.title_en, i.body_en, i.for_organisation, i.subject_kind, i.subject_id, i.other_organisation_id,
                {IS_READ} AS seen,
                COALESCE(NULLIF(i.other_organisation_name, ''), n.name, '') AS other_name
           FROM inbox_items i LEFT JOIN organisation_names n ON n.organisation_id = i.other_organisation_id"
    )
}

macro_rules! inbox_store {
    ($store:ident, $database:ty) => {
        pub struct $store {
            pub(crate) pool: sqlx::Pool<$database>,
        }

        impl $store {
            /// Keeps (or renames) an organisation's name.
            async fn remember<'c>(
                executor: impl sqlx::Executor<'c, Database = $database>,
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

            pub(crate) fn item_from(row: &<$database as sqlx::Database>::Row) -> Result<InboxItem, sqlx::Error> {
                Ok(InboxItem {
                    id: row.try_get("id")?,
                    tenant: row.try_get("tenant")?,
                    user_id: row.try_get("user_id")?,
                    kind: row.try_get("kind")?,
                    title: Text::new(row.try_get::<String, _>("title_en")?, row.try_get::<String, _>("title")?),
                    body: Text::new(row.try_get::<String, _>("body_en")?, row.try_get::<String, _>("body")?),
                    listing_id: row.try_get("listing_id")?,
                    for_organisation: row.try_get("for_organisation")?,
                    event_id: row.try_get("event_id")?,
                    read: row.try_get("seen")?,
                    created_at: row.try_get("created_at")?,
                    subject: Subject::from_parts(&row.try_get::<String, _>("subject_kind")?, &row.try_get::<String, _>("subject_id")?),
                    other_organisation: row.try_get("other_organisation_id")?,
                    other_organisation_name: row.try_get("other_name")?,
                })
            }
        }

        #[async_trait]
        impl InboxStore for $store {
            async fn deliver(&self, consumer: &str, event_id: Uuid, items: &[InboxItem]) -> Result<bool, NotificationsError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(false);
                }
                for item in items {
                    sqlx::query(&format!(
                        "INSERT INTO inbox_items ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                         ON CONFLICT (user_id, event_id) DO NOTHING"
                    ))
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
                    .bind(&item.other_organisation_name)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(organisation) = item.other_organisation
                        && !item.other_organisation_name.is_empty()
                    {
                        Self::remember(&mut *tx, &item.tenant, organisation, &item.other_organisation_name).await?;
                    }
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn forget_user(&self, consumer: &str, event_id: Uuid, user_id: Uuid, email: &str) -> Result<bool, NotificationsError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM inbox_items WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM inbox_reads WHERE reader_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM delivery_preferences WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM recipients WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM saved_searches WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM outgoing_mail WHERE recipient = $1").bind(email).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn inbox(&self, reader: Reader<'_>, page: InboxPage) -> Result<Vec<InboxItem>, NotificationsError> {
                let unread = if page.unread_only { format!("AND NOT {IS_READ}") } else { String::new() };
                let rows = sqlx::query(&format!(
                    "{} WHERE {VISIBLE} AND ($4 IS NULL OR i.id < $4) {unread} ORDER BY i.id DESC LIMIT $5",
                    select_items()
                ))
                .bind(reader.tenant)
                .bind(reader.user_id)
                .bind(reader.organisation_id)
                .bind(page.after)
                .bind(i64::from(page.limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::item_from).collect::<Result<_, _>>()?)
            }

            async fn mark_read(&self, reader: Reader<'_>, item_id: Uuid, at: DateTime<Utc>) -> Result<Option<InboxItem>, NotificationsError> {
                let mut tx = self.pool.begin().await?;
                let visible = sqlx::query(&format!("SELECT i.id FROM inbox_items i WHERE {VISIBLE} AND i.id = $4"))
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
                let row = sqlx::query(&format!("{} WHERE {VISIBLE} AND i.id = $4", select_items()))
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

            async fn mark_all_read(&self, reader: Reader<'_>, at: DateTime<Utc>) -> Result<u64, NotificationsError> {
                let marked = sqlx::query(&format!(
                    "INSERT INTO inbox_reads (item_id, reader_id, read_at)
                     SELECT i.id, $2, $4 FROM inbox_items i WHERE {VISIBLE} AND NOT {IS_READ}
                     ON CONFLICT (reader_id, item_id) DO NOTHING"
                ))
                .bind(reader.tenant)
                .bind(reader.user_id)
                .bind(reader.organisation_id)
                .bind(at)
                .execute(&self.pool)
                .await?;
                Ok(marked.rows_affected())
            }

            async fn unread_count(&self, reader: Reader<'_>) -> Result<u64, NotificationsError> {
                let count: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM inbox_items i WHERE {VISIBLE} AND NOT {IS_READ}"
                ))
                .bind(reader.tenant)
                .bind(reader.user_id)
                .bind(reader.organisation_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(u64::try_from(count).unwrap_or(0))
            }

            async fn remember_organisation(&self, tenant: &str, organisation_id: Uuid, name: &str) -> Result<(), NotificationsError> {
                Self::remember(&self.pool, tenant, organisation_id, name).await?;
                Ok(())
            }

            async fn items_of_event(&self, tenant: &str, event_id: Uuid) -> Result<Vec<InboxItem>, NotificationsError> {
                // Read as nobody in particular: the read state does not matter here.
                let rows = sqlx::query(&format!(
                    "{} WHERE i.tenant = $1 AND i.event_id = $3 ORDER BY i.id",
                    select_items()
                ))
                .bind(tenant)
                .bind(Option::<Uuid>::None)
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::item_from).collect::<Result<_, _>>()?)
            }

            async fn signing_key(&self, name: &str) -> Result<Vec<u8>, NotificationsError> {
                let fresh: [u8; 32] = rand::random();
                sqlx::query("INSERT INTO signing_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                    .bind(name)
                    .bind(fresh.as_slice())
                    .execute(&self.pool)
                    .await?;
                Ok(sqlx::query_scalar("SELECT secret FROM signing_keys WHERE name = $1")
                    .bind(name)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn remember_recipient(&self, tenant: &str, user_id: Uuid, email: &str, language: Option<&str>) -> Result<(), NotificationsError> {
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

            async fn recipient(&self, user_id: Uuid) -> Result<Option<(String, String)>, NotificationsError> {
                Ok(sqlx::query_as("SELECT email, language FROM recipients WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn organisation_names(&self, tenant: &str) -> Result<HashMap<Uuid, String>, NotificationsError> {
                let rows: Vec<(Uuid, String)> = sqlx::query_as("SELECT organisation_id, name FROM organisation_names WHERE tenant = $1")
                    .bind(tenant)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().collect())
            }
        }
    };
}

macro_rules! mail_store {
    ($store:ident, $database:ty) => {
        impl $store {
            /// One mail per recipient per event, however often it is written.
            pub(crate) async fn insert_mails(tx: &mut <$database as sqlx::Database>::Connection, event_id: Uuid, tenant: &str, mails: &[Mail]) -> Result<(), sqlx::Error> {
                let now = synergies_platform::time::now();
                for mail in mails {
                    sqlx::query(
                        "INSERT INTO outgoing_mail (id, tenant, recipient, subject, body, event_id, created_at, next_attempt_at, html, list_unsubscribe)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) ON CONFLICT (event_id, recipient) DO NOTHING",
                    )
                    .bind(Uuid::now_v7())
                    .bind(tenant)
                    .bind(&mail.recipient)
                    .bind(&mail.subject)
                    .bind(&mail.body)
                    .bind(event_id)
                    .bind(now)
                    .bind(&mail.html)
                    .bind(&mail.list_unsubscribe)
                    .execute(&mut *tx)
                    .await?;
                }
                Ok(())
            }

            fn queued_from(row: &<$database as sqlx::Database>::Row) -> Result<QueuedMail, sqlx::Error> {
                Ok(QueuedMail {
                    id: row.try_get("id")?,
                    tenant: row.try_get("tenant")?,
                    mail: Mail { recipient: row.try_get("recipient")?, subject: row.try_get("subject")?, body: row.try_get("body")?, html: row.try_get("html")?, list_unsubscribe: row.try_get("list_unsubscribe")? },
                    event_id: row.try_get("event_id")?,
                    created_at: row.try_get("created_at")?,
                    sent_at: row.try_get("sent_at")?,
                    attempts: row.try_get::<i32, _>("attempts").map(i64::from)?,
                    last_error: row.try_get("last_error")?,
                    held: row.try_get("held")?,
                })
            }
        }

        #[async_trait]
        impl MailStore for $store {
            async fn queue_mail(&self, consumer: &str, event_id: Uuid, tenant: &str, mails: &[Mail]) -> Result<bool, NotificationsError> {
                let mut tx = self.pool.begin().await?;
                if !tx.first_delivery(consumer, event_id).await? {
                    return Ok(false);
                }
                Self::insert_mails(&mut *tx, event_id, tenant, mails).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn queue_item_mails(&self, event_id: Uuid, tenant: &str, mails: &[Mail], told: &[(Uuid, Uuid)]) -> Result<(), NotificationsError> {
                let mut tx = self.pool.begin().await?;
                Self::insert_mails(&mut *tx, event_id, tenant, mails).await?;
                for (reader, item) in told {
                    sqlx::query("INSERT INTO mailed_items (reader_id, item_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(reader)
                        .bind(item)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn due_mail(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<QueuedMail>, NotificationsError> {
                let rows = sqlx::query(&format!(
                    "SELECT {MAIL_COLUMNS} FROM outgoing_mail WHERE sent_at IS NULL AND NOT held AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $2"
                ))
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::queued_from).collect::<Result<_, _>>()?)
            }

            async fn mark_sent(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), NotificationsError> {
                sqlx::query("UPDATE outgoing_mail SET sent_at = $2, attempts = attempts + 1, last_error = '' WHERE id = $1")
                    .bind(id)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_failed(&self, id: Uuid, error: &str, next_attempt_at: DateTime<Utc>) -> Result<(), NotificationsError> {
                sqlx::query("UPDATE outgoing_mail SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(error)
                    .bind(next_attempt_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn outgoing(&self, tenant: &str, after: Option<Uuid>, limit: u32) -> Result<Vec<QueuedMail>, NotificationsError> {
                let rows = sqlx::query(&format!(
                    "SELECT {MAIL_COLUMNS} FROM outgoing_mail WHERE tenant = $1 AND ($2 IS NULL OR id < $2)
                      ORDER BY id DESC LIMIT $3"
                ))
                .bind(tenant)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::queued_from).collect::<Result<_, _>>()?)
            }
        }
    };
}

macro_rules! preferences_store {
    ($store:ident) => {
        #[async_trait]
        impl PreferencesStore for $store {
            async fn set_preferences(&self, tenant: &str, user_id: Uuid) -> Result<Vec<(Category, Frequency)>, NotificationsError> {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT category, frequency FROM delivery_preferences WHERE tenant = $1 AND user_id = $2",
                )
                .bind(tenant)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
                // Values this version does not know (written by a newer one) are skipped.
                Ok(rows
                    .iter()
                    .filter_map(|(c, f)| Some((Category::parse(c)?, Frequency::parse(f)?)))
                    .collect())
            }

            async fn choose(&self, tenant: &str, user_id: Uuid, choices: &[(Category, Frequency)], at: DateTime<Utc>) -> Result<(), NotificationsError> {
                let mut tx = self.pool.begin().await?;
                for (category, frequency) in choices {
                    sqlx::query(
                        "INSERT INTO delivery_preferences (user_id, tenant, category, frequency, updated_at)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (user_id, category) DO UPDATE SET frequency = excluded.frequency, updated_at = excluded.updated_at",
                    )
                    .bind(user_id)
                    .bind(tenant)
                    .bind(category.as_str())
                    .bind(frequency.as_str())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

preferences_store!(PostgresStore);
preferences_store!(SqliteStore);
inbox_store!(PostgresStore, sqlx::Postgres);
mail_store!(PostgresStore, sqlx::Postgres);
mail_store!(SqliteStore, sqlx::Sqlite);
inbox_store!(SqliteStore, sqlx::Sqlite);
