//! What matching knows of a listing, and what a match is.

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Offer,
    Request,
}

impl Side {
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
    #[must_use]
    pub fn opposite(self) -> Self {
        match self {
            Self::Offer => Self::Request,
            Self::Request => Self::Offer,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedListing {
    pub listing_id: Uuid,
    pub tenant: String,
    pub side: Side,
    pub category: String,
    pub organisation_id: Uuid,
    pub owner_user_id: Uuid,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub id: Uuid,
    pub tenant: String,
    pub offer: IndexedListing,
    pub request: IndexedListing,
    pub explanation: String,
    pub score: f64,
    pub created_at: DateTime<Utc>,
}

/// Placeholder rule (see the crate documentation): every counterpart of the same category
/// from another organisation fits equally well.
pub fn pair(listing: &IndexedListing, counterpart: &IndexedListing) -> Option<Match> {
    let fits = listing.tenant == counterpart.tenant
        && listing.category == counterpart.category
        && listing.side == counterpart.side.opposite()
        && listing.organisation_id != counterpart.organisation_id;
    if !fits {
        return None;
    }
    let (offer, request) = match listing.side {
        Side::Offer => (listing.clone(), counterpart.clone()),
        Side::Request => (counterpart.clone(), listing.clone()),
    };
    Some(Match {
        id: Uuid::now_v7(),
        tenant: listing.tenant.clone(),
        explanation: format!(
            "The offer \"{}\" and the request \"{}\" are in the same category ({}).",
            offer.title, request.title, offer.category
        ),
        offer,
        request,
        score: 1.0,
        created_at: synergies_platform::time::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(side: Side, category: &str, organisation: Uuid) -> IndexedListing {
        IndexedListing {
            listing_id: Uuid::now_v7(),
            tenant: "dijon".into(),
            side,
            category: category.into(),
            organisation_id: organisation,
            owner_user_id: Uuid::now_v7(),
            title: format!("{category} {}", side.as_str()),
        }
    }

    #[test]
    fn an_offer_fits_a_request_of_the_same_category_from_another_organisation() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let offer = listing(Side::Offer, "packaging/pallets", a);
        let request = listing(Side::Request, "packaging/pallets", b);
        let found = pair(&offer, &request).unwrap();
        assert_eq!(found.offer.listing_id, offer.listing_id);
        assert_eq!(found.request.listing_id, request.listing_id);
        assert!(found.explanation.contains("packaging/pallets"));
        assert_eq!(
            pair(&request, &offer).unwrap().offer.listing_id,
            offer.listing_id
        );
    }

    #[test]
    fn no_match_across_categories_sides_tenants_or_within_an_organisation() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let offer = listing(Side::Offer, "wood", a);
        assert!(pair(&offer, &listing(Side::Request, "metals", b)).is_none());
        assert!(pair(&offer, &listing(Side::Offer, "wood", b)).is_none());
        assert!(pair(&offer, &listing(Side::Request, "wood", a)).is_none());
        let elsewhere = IndexedListing {
            tenant: "beaune".into(),
            ..listing(Side::Request, "wood", b)
        };
        assert!(pair(&offer, &elsewhere).is_none());
    }
}
