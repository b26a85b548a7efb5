//! Saved searches and the alerts they cause. A member keeps a search (words, a kind, a category);
//! each publication is checked against the territory's saved searches when its
//! `listing.published` event comes — never by re-running searches on a timer — and every member
//! whose search it fits gets an alert item (category "alert": by e-mail at their rhythm).
//!
//! Each replica keeps the territory's searches indexed in memory ([`crate::alert_index`]),
//! rebuilt when the territory's revision of saved searches moves, so that a publication costs
//! one small read and a look at the few searches it could fit.
//!
//! Words compare as the platform's search compares them (`synergies_codes::french`: lowercase,
//! without accents, plurals and feminines folded): "palette" finds "Palettes Europe".

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_platform::db::Database;
use synergies_platform::events;
use synergies_platform::i18n::Text;
use synergies_proto::events::v1 as ev;
use uuid::Uuid;

use crate::alert_index::{AlertIndex, in_category};
use crate::error::NotificationsError;
use crate::handler::InboxHandler;
use crate::store::{InboxItem, PostgresStore, SqliteStore, Subject};

/// Most saved searches one member keeps.
pub const MAX_PER_MEMBER: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SavedSearch {
    pub id: Uuid,
    pub tenant: String,
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub text: String,
    /// `offer`, `request` or empty.
    pub kind: String,
    /// A category code or family, or empty.
    pub category: String,
    pub created_at: DateTime<Utc>,
    /// `give`, `exchange`, `lend`, `rent`, `sell` or empty.
    pub exchange_mode: String,
    /// The listing's commune (INSEE code), or empty.
    pub insee_code: String,
    /// Given or lent listings only (the search page's "free only").
    pub free_only: bool,
    /// How the search page orders its results when the search is opened again:
    /// `relevance`, `newest`, `nearest`, or empty (the page's default). Alerts ignore it.
    pub sort: String,
}

/// The exchange modes that cost nothing, as the listings search counts them for "free only".
pub const FREE_MODES: [&str; 2] = ["give", "lend"];

/// The sorts the listings search accepts (empty: its default, relevance).
pub const SORTS: [&str; 4] = ["", "relevance", "newest", "nearest"];

/// What a publication is compared on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub kind: &'static str,
    pub category: String,
    /// The stems of the title and description.
    pub stems: HashSet<String>,
    pub organisation_id: Option<Uuid>,
    pub exchange_mode: String,
    pub insee_code: String,
}

pub(crate) fn stems(text: &str) -> Vec<String> {
    synergies_codes::french::words(text)
        .iter()
        .map(|word| synergies_codes::french::stem(word))
        .collect()
}

impl Published {
    pub fn of(event: &ev::ListingPublished) -> Self {
        let kind = match ev::ListingKind::try_from(event.kind) {
            Ok(ev::ListingKind::Request) => "request",
            _ => "offer",
        };
        Self {
            kind,
            category: event.category.clone(),
            stems: stems(&format!("{} {}", event.title, event.description))
                .into_iter()
                .collect(),
            organisation_id: Uuid::parse_str(&event.organisation_id).ok(),
            exchange_mode: event.exchange_mode.clone(),
            insee_code: event.insee_code.clone(),
        }
    }
}

impl SavedSearch {
    /// Whether the publication fits: every word, the kind, the category (a code, or a
    /// family and all its codes), the exchange mode and the commune. A member's own
    /// organisation's listings never alert them.
    pub fn fits(&self, listing: &Published) -> bool {
        self.filters_fit(listing)
            && stems(&self.text)
                .iter()
                .all(|stem| listing.stems.contains(stem))
    }
}

impl SavedSearch {
    /// Everything but the words.
    pub(crate) fn filters_fit(&self, listing: &Published) -> bool {
        let open_or = |filter: &str, value: &str| filter.is_empty() || filter == value;
        listing.organisation_id != Some(self.organisation_id)
            && open_or(&self.kind, listing.kind)
            && (self.category.is_empty() || in_category(&listing.category, &self.category))
            && open_or(&self.exchange_mode, &listing.exchange_mode)
            && open_or(&self.insee_code, &listing.insee_code)
            && (!self.free_only || FREE_MODES.contains(&listing.exchange_mode.as_str()))
    }
}

#[async_trait]
pub trait SavedSearchStore: Send + Sync {
    async fn save(&self, search: &SavedSearch) -> Result<(), NotificationsError>;
    /// A member's saved searches, oldest first.
    async fn of_user(
        &self,
        tenant: &str,
        user_id: Uuid,
    ) -> Result<Vec<SavedSearch>, NotificationsError>;
    /// `false`: no such search of this member.
    async fn delete(
        &self,
        tenant: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<bool, NotificationsError>;
    /// Every saved search of a territory.
    async fn of_tenant(&self, tenant: &str) -> Result<Vec<SavedSearch>, NotificationsError>;
    /// Moves with every search of the territory saved or deleted.
    async fn revision(&self, tenant: &str) -> Result<i64, NotificationsError>;
}

/// Bumps a territory's revision of saved searches, in the transaction that changes them.
pub(crate) const BUMP_REVISION: &str =
    "INSERT INTO saved_search_revisions (tenant, revision) VALUES ($1, 1)
     ON CONFLICT (tenant) DO UPDATE SET revision = saved_search_revisions.revision + 1";

pub fn saved_search_store(database: &Database) -> Arc<dyn SavedSearchStore> {
    match database {
        Database::Postgres(pool) => Arc::new(PostgresStore { pool: pool.clone() }),
        Database::Sqlite(pool) => Arc::new(SqliteStore { pool: pool.clone() }),
    }
}

pub(crate) const SEARCH_COLUMNS: &str = "id, tenant, user_id, organisation_id, text, kind, category, created_at, exchange_mode, insee_code, free_only, sort";

/// The alert items a publication causes: one per member whose searches it fits.
pub fn alerts(
    envelope: &ev::EventEnvelope,
    event: &ev::ListingPublished,
    searches: &AlertIndex,
) -> Result<Vec<InboxItem>, HandlerError> {
    let listing_id = Uuid::parse_str(&event.listing_id)
        .map_err(|_| HandlerError::Permanent(format!("listing_id {:?}", event.listing_id)))?;
    let published = Published::of(event);
    let event_id = events::event_id(envelope)?;
    let mut told = HashSet::new();
    let title = &event.title;
    Ok(searches
        .matching(&published)
        .into_iter()
        .filter(|search| told.insert(search.user_id))
        .map(|search| {
            let what = if search.text.is_empty() {
                search.category.clone()
            } else {
                search.text.clone()
            };
            InboxItem {
                id: Uuid::now_v7(),
                tenant: envelope.tenant.clone(),
                user_id: search.user_id,
                kind: "alert.saved_search".to_owned(),
                title: Text::new(
                    format!("New listing for your search “{what}”: “{title}”"),
                    format!("Nouvelle annonce pour votre recherche « {what} » : « {title} »"),
                ),
                body: Text::new(
                    "A listing just published fits a search you saved.",
                    "Une annonce qui vient d'être publiée répond à une recherche que vous avez enregistrée.",
                ),
                listing_id: Some(listing_id),
                for_organisation: false,
                event_id,
                read: false,
                created_at: synergies_platform::time::now(),
                subject: Subject::Listing(listing_id),
                other_organisation: published.organisation_id,
                other_organisation_name: String::new(),
            }
        })
        .collect())
}

/// Checks each publication against the territory's saved searches.
pub struct SavedSearchAlerts {
    searches: Arc<dyn SavedSearchStore>,
    /// Stores and tells the alerts under this consumer's name (once per event).
    inbox: InboxHandler,
    /// Per territory: the revision an index was built at, and the index.
    indexes: Mutex<HashMap<String, (i64, Arc<AlertIndex>)>>,
}

impl SavedSearchAlerts {
    pub fn new(searches: Arc<dyn SavedSearchStore>, inbox: InboxHandler) -> Self {
        Self {
            searches,
            inbox,
            indexes: Mutex::default(),
        }
    }

    /// The territory's index, rebuilt when its saved searches changed since it was built. The
    /// revision is read before the searches: a change in between rebuilds again next time.
    async fn index(&self, tenant: &str) -> Result<Arc<AlertIndex>, NotificationsError> {
        let revision = self.searches.revision(tenant).await?;
        let kept = self
            .indexes
            .lock()
            .ok()
            .and_then(|indexes| indexes.get(tenant).cloned());
        if let Some((built_at, index)) = kept
            && built_at == revision
        {
            return Ok(index);
        }
        let index = Arc::new(AlertIndex::new(self.searches.of_tenant(tenant).await?));
        tracing::debug!(
            tenant,
            revision,
            searches = index.len(),
            "saved searches indexed"
        );
        if let Ok(mut indexes) = self.indexes.lock() {
            indexes.insert(tenant.to_owned(), (revision, Arc::clone(&index)));
        }
        Ok(index)
    }
}

#[async_trait]
impl EventHandler for SavedSearchAlerts {
    async fn handle(&self, envelope: &ev::EventEnvelope) -> Result<(), HandlerError> {
        let storage = |error: NotificationsError| match error {
            NotificationsError::Storage(error) => HandlerError::from(error),
            other => HandlerError::Permanent(other.to_string()),
        };
        let event: ev::ListingPublished = events::payload(envelope)?;
        let index = self.index(&envelope.tenant).await.map_err(storage)?;
        let items = alerts(envelope, &event, &index)?;
        self.inbox
            .store_and_tell(
                &envelope.tenant,
                &envelope.event_type,
                events::event_id(envelope)?,
                &items,
            )
            .await
            .map_err(storage)?;
        Ok(())
    }
}

/// A saved search of Dijon by someone, for the unit tests of its matching and its index.
#[cfg(test)]
pub(crate) fn saved_search(text: &str, kind: &str, category: &str) -> SavedSearch {
    SavedSearch {
        id: Uuid::now_v7(),
        tenant: "dijon".into(),
        user_id: Uuid::now_v7(),
        organisation_id: Uuid::now_v7(),
        text: text.into(),
        kind: kind.into(),
        category: category.into(),
        created_at: synergies_platform::time::now(),
        exchange_mode: String::new(),
        insee_code: String::new(),
        free_only: false,
        sort: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(text: &str, kind: &str, category: &str) -> SavedSearch {
        saved_search(text, kind, category)
    }

    fn published(title: &str, category: &str) -> ev::ListingPublished {
        ev::ListingPublished {
            listing_id: Uuid::now_v7().to_string(),
            organisation_id: Uuid::now_v7().to_string(),
            kind: ev::ListingKind::Offer.into(),
            category: category.into(),
            title: title.into(),
            ..Default::default()
        }
    }

    #[test]
    fn words_kind_and_category_must_all_fit() {
        let listing = Published::of(&published("Palettes Europe en bois", "packaging/pallets"));
        assert!(search("palette", "", "").fits(&listing));
        assert!(search("Palette bois", "offer", "packaging").fits(&listing));
        assert!(search("", "", "packaging/pallets").fits(&listing));
        assert!(!search("palette métal", "", "").fits(&listing));
        assert!(!search("palette", "request", "").fits(&listing));
        assert!(
            !search("", "", "pack").fits(&listing),
            "a family is a whole segment"
        );
        let mut own = search("palette", "", "");
        own.organisation_id = listing.organisation_id.unwrap();
        assert!(!own.fits(&listing), "one's own listing");
    }

    #[test]
    fn free_only_fits_given_and_lent_listings_alone() {
        let mut free = search("palette", "", "");
        free.free_only = true;
        for (mode, fits) in [
            ("give", true),
            ("lend", true),
            ("sell", false),
            ("rent", false),
            ("exchange", false),
            ("", false),
        ] {
            let mut event = published("Palettes Europe", "packaging/pallets");
            event.exchange_mode = mode.into();
            assert_eq!(free.fits(&Published::of(&event)), fits, "{mode}");
            assert!(search("palette", "", "").fits(&Published::of(&event)));
        }
    }

    #[test]
    fn a_member_with_two_fitting_searches_gets_one_alert() {
        let mut second = search("europe", "", "");
        let first = search("palette", "", "");
        second.user_id = first.user_id;
        let event = published("Palettes Europe", "packaging/pallets");
        let envelope = events::envelope("dijon", "listings", &event);
        let index = AlertIndex::new(vec![first, second, search("carton", "", "")]);
        let items = alerts(&envelope, &event, &index).unwrap();
        assert_eq!(items.len(), 1);
        assert!(items[0].title.fr.contains("« palette »"));
        assert_eq!(items[0].kind, "alert.saved_search");
    }
}
