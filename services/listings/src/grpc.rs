//! gRPC surface of the listings service.

use std::sync::Arc;

use synergies_platform::auth::Verifier;
use synergies_platform::context::authenticate;
use synergies_platform::events::{envelope, timestamp};
use synergies_platform::outbox::{OutboxEvent, RelayWaker};
use synergies_platform::policy::{Action, Resource, authorize, authorize_request};
use synergies_platform::validate;
use synergies_proto::events::v1 as events;
use synergies_proto::listings::v1 as pb;
use tonic::{Request, Response, Status};

use crate::domain::{Listing, ListingDraft, ListingKind, ListingStatus};
use crate::error::ListingsError;
use crate::store::{ListingQuery, ListingStore};

pub struct ListingsApi {
    store: Arc<dyn ListingStore>,
    relay: RelayWaker,
    verifier: Arc<Verifier>,
}

impl ListingsApi {
    pub fn new(store: Arc<dyn ListingStore>, relay: RelayWaker, verifier: Arc<Verifier>) -> Self {
        Self {
            store,
            relay,
            verifier,
        }
    }
}

fn kind_from_message(kind: i32) -> Option<ListingKind> {
    match pb::ListingKind::try_from(kind) {
        Ok(pb::ListingKind::Offer) => Some(ListingKind::Offer),
        Ok(pb::ListingKind::Request) => Some(ListingKind::Request),
        _ => None,
    }
}

fn listing_message(listing: Listing) -> pb::Listing {
    pb::Listing {
        id: listing.id.to_string(),
        tenant: listing.tenant,
        organisation_id: listing.organisation_id.to_string(),
        owner_user_id: listing.owner_user_id.to_string(),
        kind: match listing.kind {
            ListingKind::Offer => pb::ListingKind::Offer,
            ListingKind::Request => pb::ListingKind::Request,
        }
        .into(),
        category: listing.category,
        title: listing.title,
        description: listing.description,
        status: match listing.status {
            ListingStatus::Draft => pb::ListingStatus::Draft,
            ListingStatus::Published => pb::ListingStatus::Published,
        }
        .into(),
        created_at: Some(timestamp(listing.created_at)),
    }
}

fn published_event(listing: &Listing) -> OutboxEvent {
    let event = events::ListingPublished {
        listing_id: listing.id.to_string(),
        organisation_id: listing.organisation_id.to_string(),
        owner_user_id: listing.owner_user_id.to_string(),
        kind: match listing.kind {
            ListingKind::Offer => events::ListingKind::Offer,
            ListingKind::Request => events::ListingKind::Request,
        }
        .into(),
        category: listing.category.clone(),
        title: listing.title.clone(),
        description: listing.description.clone(),
        published_at: Some(timestamp(listing.created_at)),
    };
    OutboxEvent::new(&envelope(&listing.tenant, crate::PRODUCER, &event))
}

#[tonic::async_trait]
impl pb::listings_service_server::ListingsService for ListingsApi {
    async fn create_listing(
        &self,
        request: Request<pb::CreateListingRequest>,
    ) -> Result<Response<pb::CreateListingResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let member = caller.require_user()?;
        authorize(
            &caller,
            Action::PublishListing,
            &Resource::organisation(&caller.tenant, member.organisation_id),
        )?;
        let request = request.into_inner();
        let draft = ListingDraft {
            kind: kind_from_message(request.kind),
            category: request.category,
            title: request.title,
            description: request.description,
        };
        let listing = draft
            .publish(&caller.tenant, member.organisation_id, member.user_id)
            .map_err(ListingsError::from)?;
        self.store
            .publish(&listing, &published_event(&listing))
            .await?;
        self.relay.wake();
        tracing::info!(listing_id = %listing.id, tenant = %listing.tenant, kind = listing.kind.as_str(), "listing published");
        Ok(Response::new(pb::CreateListingResponse {
            listing: Some(listing_message(listing)),
        }))
    }

    async fn get_listing(
        &self,
        request: Request<pb::GetListingRequest>,
    ) -> Result<Response<pb::GetListingResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let id = validate::uuid("listing_id", &request.get_ref().listing_id)
            .map_err(ListingsError::from)?;
        let listing = self
            .store
            .get(&caller.tenant, id)
            .await?
            .ok_or(ListingsError::NotFound)?;
        // Drafts are visible to their organisation only.
        let visible = listing.status == ListingStatus::Published
            || caller.organisation_id == Some(listing.organisation_id);
        if !visible {
            return Err(ListingsError::NotFound.into());
        }
        Ok(Response::new(pb::GetListingResponse {
            listing: Some(listing_message(listing)),
        }))
    }

    async fn list_listings(
        &self,
        request: Request<pb::ListListingsRequest>,
    ) -> Result<Response<pb::ListListingsResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(ListingsError::from)?;
        let category = if request.category.is_empty() {
            None
        } else {
            Some(crate::domain::validate_category(&request.category).map_err(ListingsError::from)?)
        };
        let query = ListingQuery {
            kind: kind_from_message(request.kind),
            category,
            after: validate::page_token(&request.page_token).map_err(ListingsError::from)?,
            owner: if request.mine {
                Some(caller.require_user()?.user_id)
            } else {
                None
            },
            limit: limit + 1,
        };
        let listings = self.store.list(&caller.tenant, &query).await?;
        let (listings, next_page_token) =
            validate::into_page(listings, limit, |listing| listing.id);
        Ok(Response::new(pb::ListListingsResponse {
            listings: listings.into_iter().map(listing_message).collect(),
            next_page_token,
        }))
    }
}
