//! Inbox storage: one trait, PostgreSQL and SQLite implementations sharing one body
//! (`store/backend.rs` and its sibling files, compiled for each database).

mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::db::Database;
use synergies_platform::i18n::Text;
use uuid::Uuid;

use crate::error::NotificationsError;
use crate::mail::Mail;
use crate::preferences::{Category, Frequency};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

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

/// What storing an event's items did.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// The consumer had handled the event already: nothing stored.
    AlreadyHandled,
    /// Stored now: the items written, as given (an item for a member the event had told
    /// already is left out).
    Stored(Vec<InboxItem>),
}

impl Delivery {
    /// `true`: the event was handled now.
    #[must_use]
    pub fn is_stored(&self) -> bool {
        matches!(self, Self::Stored(_))
    }
}

#[async_trait]
pub trait InboxStore: Send + Sync {
    /// Stores the items caused by one event, unless `consumer` already handled it.
    async fn deliver(
        &self,
        consumer: &str,
        event_id: Uuid,
        items: &[InboxItem],
    ) -> Result<Delivery, NotificationsError>;
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
    /// The names known of `organisations` of the tenant (those not known are left out).
    async fn organisation_names(
        &self,
        tenant: &str,
        organisations: &[Uuid],
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
    /// Drops the e-mails written before `cutoff` and still unsent (held, waiting for a server,
    /// or given up): how many, per tenant.
    async fn expire_unsent(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(String, u64)>, NotificationsError>;
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
