//! The listings service as the gateway calls it: offers and requests, their lifecycle, search
//! and the category tree; their photos ([`photos`]) and the conversations, reservations and
//! exchanges about them ([`exchanges`]) — three gRPC services of the same process. Reads are
//! retried; writes are sent once.

pub mod exchanges;
pub mod photos;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use synergies_platform::context::CallerContext;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::listings::v1 as pb;
use synergies_proto::listings::v1::listings_service_client::ListingsServiceClient;
use tonic::Status;

use super::{outgoing, retried};

type Client = ListingsServiceClient<ServiceChannel>;

/// How long the category tree is kept. It is the taxonomy the listings service ships with, so
/// it changes only when a new version of that service is deployed; a page that shows it (every
/// search page) need not ask for it each time.
const CATEGORIES_KEPT: Duration = Duration::from_mins(1);

/// The category tree and when it was asked for.
type KeptCategories = (Instant, Vec<pb::Category>);

#[derive(Clone)]
pub struct ListingsClient {
    client: Client,
    categories: Arc<Mutex<Option<KeptCategories>>>,
}

impl ListingsClient {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: ListingsServiceClient::new(channel),
            categories: Arc::default(),
        }
    }

    /// Creates a listing. Sent once; a client's idempotency key in scope (see
    /// `synergies_platform::idempotency`) travels with it.
    pub async fn create(
        &self,
        caller: &CallerContext,
        message: pb::CreateListingRequest,
    ) -> Result<pb::Listing, Status> {
        let answer = self
            .client
            .clone()
            .create_listing(outgoing(message, Some(caller)))
            .await?;
        listing(answer.into_inner().listing)
    }

    /// One listing of the caller's territory (their drafts too).
    pub async fn get(
        &self,
        caller: &CallerContext,
        listing_id: &str,
    ) -> Result<pb::Listing, Status> {
        let message = pb::GetListingRequest {
            listing_id: listing_id.to_owned(),
        };
        let answer = retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.get_listing(call).await },
        )
        .await?;
        listing(answer.listing)
    }

    /// One published listing of a territory, for anyone.
    pub async fn get_public(&self, tenant: &str, listing_id: &str) -> Result<pb::Listing, Status> {
        let message = pb::GetPublicListingRequest {
            tenant: tenant.to_owned(),
            listing_id: listing_id.to_owned(),
        };
        let answer = retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.get_public_listing(call).await },
        )
        .await?;
        listing(answer.listing)
    }

    /// The caller's listings (`mine`) or those of a status, page by page.
    pub async fn list(
        &self,
        caller: &CallerContext,
        message: pb::ListListingsRequest,
    ) -> Result<pb::ListListingsResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_listings(call).await },
        )
        .await
    }

    /// Searches the published listings of the caller's territory.
    pub async fn search(
        &self,
        caller: &CallerContext,
        filters: pb::SearchFilters,
    ) -> Result<pb::SearchListingsResponse, Status> {
        let message = pb::SearchListingsRequest {
            filters: Some(filters),
        };
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.search_listings(call).await },
        )
        .await
    }

    /// Searches a territory's published listings without an account.
    pub async fn search_public(
        &self,
        tenant: &str,
        filters: pb::SearchFilters,
    ) -> Result<pb::SearchListingsResponse, Status> {
        let message = pb::SearchPublicListingsRequest {
            tenant: tenant.to_owned(),
            filters: Some(filters),
        };
        retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.search_public_listings(call).await },
        )
        .await
    }

    /// The category tree (public); kept [`CATEGORIES_KEPT`] after it was asked for.
    pub async fn categories(&self) -> Result<Vec<pb::Category>, Status> {
        if let Some((asked, categories)) = &*self.categories.lock().expect("categories lock")
            && asked.elapsed() < CATEGORIES_KEPT
        {
            return Ok(categories.clone());
        }
        let message = pb::ListCategoriesRequest {};
        let answer = retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.list_categories(call).await },
        )
        .await?;
        *self.categories.lock().expect("categories lock") =
            Some((Instant::now(), answer.categories.clone()));
        Ok(answer.categories)
    }

    pub async fn update(
        &self,
        caller: &CallerContext,
        listing_id: &str,
        fields: pb::ListingFields,
    ) -> Result<pb::Listing, Status> {
        let message = pb::UpdateListingRequest {
            listing_id: listing_id.to_owned(),
            fields: Some(fields),
        };
        let answer = self
            .client
            .clone()
            .update_listing(outgoing(message, Some(caller)))
            .await?;
        listing(answer.into_inner().listing)
    }

    pub async fn submit(
        &self,
        caller: &CallerContext,
        listing_id: &str,
    ) -> Result<pb::Listing, Status> {
        let message = pb::SubmitListingRequest {
            listing_id: listing_id.to_owned(),
        };
        let answer = self
            .client
            .clone()
            .submit_listing(outgoing(message, Some(caller)))
            .await?;
        listing(answer.into_inner().listing)
    }

    pub async fn approve(
        &self,
        caller: &CallerContext,
        listing_id: &str,
    ) -> Result<pb::Listing, Status> {
        let message = pb::ApproveListingRequest {
            listing_id: listing_id.to_owned(),
        };
        let answer = self
            .client
            .clone()
            .approve_listing(outgoing(message, Some(caller)))
            .await?;
        listing(answer.into_inner().listing)
    }

    pub async fn withdraw(
        &self,
        caller: &CallerContext,
        listing_id: &str,
    ) -> Result<pb::Listing, Status> {
        let message = pb::WithdrawListingRequest {
            listing_id: listing_id.to_owned(),
        };
        let answer = self
            .client
            .clone()
            .withdraw_listing(outgoing(message, Some(caller)))
            .await?;
        listing(answer.into_inner().listing)
    }

    /// A facilitator hides a listing; `reason` is told to the owner.
    pub async fn hide(
        &self,
        caller: &CallerContext,
        listing_id: &str,
        reason: String,
    ) -> Result<pb::Listing, Status> {
        let message = pb::HideListingRequest {
            listing_id: listing_id.to_owned(),
            reason,
        };
        let answer = self
            .client
            .clone()
            .hide_listing(outgoing(message, Some(caller)))
            .await?;
        listing(answer.into_inner().listing)
    }
}

fn listing(listing: Option<pb::Listing>) -> Result<pb::Listing, Status> {
    listing.ok_or_else(|| Status::internal("the listings service answered without the listing"))
}

/// A listing's status as the API and the pages name it.
pub fn status_name(status: i32) -> &'static str {
    match pb::ListingStatus::try_from(status) {
        Ok(pb::ListingStatus::Draft) => "draft",
        Ok(pb::ListingStatus::PendingApproval) => "pending_approval",
        Ok(pb::ListingStatus::Reserved) => "reserved",
        Ok(pb::ListingStatus::Completed) => "completed",
        Ok(pb::ListingStatus::Withdrawn) => "withdrawn",
        Ok(pb::ListingStatus::Expired) => "expired",
        Ok(pb::ListingStatus::Hidden) => "hidden",
        _ => "published",
    }
}
