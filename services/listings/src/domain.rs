//! Listings and the rules their fields follow.

use chrono::{DateTime, Utc};
use synergies_platform::error::FieldError;
use synergies_platform::validate::{bounded_text, required_text};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingKind {
    Offer,
    Request,
}

impl ListingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Request => "request",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "offer" => Some(Self::Offer),
            "request" => Some(Self::Request),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingStatus {
    Draft,
    Published,
}

impl ListingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub id: Uuid,
    pub tenant: String,
    pub organisation_id: Uuid,
    pub owner_user_id: Uuid,
    pub kind: ListingKind,
    pub category: String,
    pub title: String,
    pub description: String,
    pub status: ListingStatus,
    pub created_at: DateTime<Utc>,
}

/// What a member submits; validated into a [`Listing`].
#[derive(Debug, Clone)]
pub struct ListingDraft {
    pub kind: Option<ListingKind>,
    pub category: String,
    pub title: String,
    pub description: String,
}

pub const TITLE_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 5000;

impl ListingDraft {
    /// Checks every field and returns the published listing.
    pub fn publish(
        self,
        tenant: &str,
        organisation_id: Uuid,
        owner_user_id: Uuid,
    ) -> Result<Listing, FieldError> {
        let kind = self.kind.ok_or_else(|| {
            FieldError::new(
                "kind",
                "must be offer or request",
                "doit valoir offer (offre) ou request (demande)",
            )
        })?;
        Ok(Listing {
            id: Uuid::now_v7(),
            tenant: tenant.to_owned(),
            organisation_id,
            owner_user_id,
            kind,
            category: validate_category(&self.category)?,
            title: required_text("title", &self.title, TITLE_MAX)?,
            description: bounded_text("description", &self.description, DESCRIPTION_MAX)?,
            status: ListingStatus::Published,
            created_at: synergies_platform::time::now(),
        })
    }
}

/// Category path such as `packaging/pallets`. (The taxonomy shipped with the listings issue
/// will check it against known categories.)
pub fn validate_category(category: &str) -> Result<String, FieldError> {
    let category = category.trim();
    let valid = (1..=64).contains(&category.len())
        && category.split('/').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    if valid {
        Ok(category.to_owned())
    } else {
        Err(FieldError::new(
            "category",
            "must be a category path such as packaging/pallets",
            "doit être un chemin de catégorie tel que packaging/pallets",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ListingDraft {
        ListingDraft {
            kind: Some(ListingKind::Offer),
            category: "packaging/pallets".into(),
            title: " 40 palettes Europe ".into(),
            description: "Bon état".into(),
        }
    }

    #[test]
    fn a_valid_draft_is_published_trimmed() {
        let listing = draft()
            .publish("dijon", Uuid::now_v7(), Uuid::now_v7())
            .unwrap();
        assert_eq!(listing.title, "40 palettes Europe");
        assert_eq!(listing.status, ListingStatus::Published);
    }

    type Spoil = fn(&mut ListingDraft);

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(Spoil, &str); 4] = [
            (|d| d.kind = None, "kind"),
            (|d| d.category = "Packaging Stuff".into(), "category"),
            (|d| d.title = "  ".into(), "title"),
            (
                |d| d.description = "x".repeat(DESCRIPTION_MAX + 1),
                "description",
            ),
        ];
        for (spoil, field) in cases {
            let mut bad = draft();
            spoil(&mut bad);
            assert_eq!(
                bad.publish("dijon", Uuid::now_v7(), Uuid::now_v7())
                    .unwrap_err()
                    .field,
                field
            );
        }
    }
}
