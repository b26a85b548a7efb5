//! `ListingPhotosService`: a separate gRPC service of the listings process, next to
//! `ListingsService`, so photos (large messages, CPU-heavy uploads) have their own limits.

use std::sync::Arc;

use synergies_platform::auth::Verifier;
use synergies_platform::context::{CallerContext, authenticate, bearer};
use synergies_platform::error::{ErrorCode, status};
use synergies_platform::events::timestamp;
use synergies_platform::i18n::Text;
use synergies_platform::media::{MAX_PHOTO_BYTES, MAX_PHOTOS_PER_LISTING};
use synergies_platform::policy::{self, Action, Resource, authorize, authorize_request};
use synergies_platform::validate;
use synergies_proto::listings::v1 as pb;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::error::PhotosError;
use super::processing::{self, Processed, STORED_CONTENT_TYPE};
use super::storage::PhotoStorage;
use super::store::PhotoStore;
use super::{Photo, Variant};
use crate::domain::{Listing, ListingStatus};
use crate::error::ListingsError;
use crate::store::ListingStore;

/// Largest AddPhoto request: the photo plus room for the rest of the message. Larger ones are
/// refused by tonic before they are read whole.
pub const MAX_REQUEST_BYTES: usize = MAX_PHOTO_BYTES + 64 * 1024;
/// Photos processed at once. Each decoded photo can take up to a few hundred MB and a core for a
/// second or so: more at once would only queue on the cores and add up in memory.
const CONCURRENT_PROCESSING: usize = 2;

pub struct ListingPhotosApi {
    listings: Arc<dyn ListingStore>,
    photos: Arc<dyn PhotoStore>,
    files: Arc<dyn PhotoStorage>,
    verifier: Arc<Verifier>,
    processing: Arc<Semaphore>,
}

impl ListingPhotosApi {
    pub fn new(
        listings: Arc<dyn ListingStore>,
        photos: Arc<dyn PhotoStore>,
        files: Arc<dyn PhotoStorage>,
        verifier: Arc<Verifier>,
    ) -> Self {
        Self {
            listings,
            photos,
            files,
            verifier,
            processing: Arc::new(Semaphore::new(CONCURRENT_PROCESSING)),
        }
    }

    /// The listing as a reader of `tenant` acting for `organisation` (none: a visitor) may see
    /// it: another tenant's listing, or another organisation's draft, does not exist for them.
    async fn visible_listing(
        &self,
        tenant: &str,
        organisation: Option<Uuid>,
        id: Uuid,
    ) -> Result<Listing, PhotosError> {
        let listing = self
            .listings
            .get(tenant, id)
            .await?
            .ok_or(ListingsError::NotFound)?;
        let visible = listing.status == ListingStatus::Published
            || organisation == Some(listing.organisation_id);
        if visible {
            Ok(listing)
        } else {
            Err(ListingsError::NotFound.into())
        }
    }

    /// The caller's listing, which they may change: another organisation's answers 403,
    /// another tenant's 404.
    async fn own_listing(&self, caller: &CallerContext, id: Uuid) -> Result<Listing, Status> {
        let listing = self
            .visible_listing(&caller.tenant, caller.organisation_id, id)
            .await?;
        authorize(
            caller,
            Action::ManageListing,
            &Resource::organisation(&listing.tenant, listing.organisation_id),
        )?;
        Ok(listing)
    }

    /// Re-encodes an upload off the async workers, a bounded number at a time.
    async fn process(&self, upload: Vec<u8>) -> Result<Processed, PhotosError> {
        let _permit = self
            .processing
            .acquire()
            .await
            .expect("the semaphore is never closed");
        Ok(tokio::task::spawn_blocking(move || processing::process(&upload)).await??)
    }

    /// Who reads: a signed-in caller (tenant from the token), or a visitor naming the tenant.
    async fn reader<T>(&self, request: &Request<T>, public_tenant: &str) -> Result<Reader, Status> {
        if bearer(request.metadata()).is_some() {
            let caller = authorize_request(&self.verifier, request, Action::ReadListings).await?;
            return Ok(Reader::Member(caller));
        }
        if policy::allowed_anonymously(Action::ReadListings) && !public_tenant.is_empty() {
            return Ok(Reader::Visitor {
                tenant: public_tenant.to_owned(),
            });
        }
        Err(status(
            ErrorCode::Unauthenticated,
            &Text::new(
                "an access token is required",
                "connectez-vous pour continuer",
            ),
        ))
    }
}

/// Who reads photos. A visitor has no token: the tenant is the one the public address names,
/// and only published listings exist for them.
enum Reader {
    Member(CallerContext),
    Visitor { tenant: String },
}

impl Reader {
    fn tenant(&self) -> &str {
        match self {
            Self::Member(caller) => &caller.tenant,
            Self::Visitor { tenant } => tenant,
        }
    }

    fn organisation(&self) -> Option<Uuid> {
        match self {
            Self::Member(caller) => caller.organisation_id,
            Self::Visitor { .. } => None,
        }
    }
}

fn photo_message(photo: Photo) -> pb::Photo {
    pb::Photo {
        id: photo.id.to_string(),
        listing_id: photo.listing_id.to_string(),
        position: photo.position,
        content_type: photo.content_type,
        width: photo.width,
        height: photo.height,
        size_bytes: photo.size_bytes,
        thumbnail_width: photo.thumbnail_width,
        thumbnail_height: photo.thumbnail_height,
        thumbnail_size_bytes: photo.thumbnail_size_bytes,
        created_at: Some(timestamp(photo.created_at)),
    }
}

fn variant_from_message(variant: i32) -> Variant {
    match pb::PhotoVariant::try_from(variant) {
        Ok(pb::PhotoVariant::Thumbnail) => Variant::Thumbnail,
        _ => Variant::Full,
    }
}

#[tonic::async_trait]
impl pb::listing_photos_service_server::ListingPhotosService for ListingPhotosApi {
    async fn add_photo(
        &self,
        request: Request<pb::AddPhotoRequest>,
    ) -> Result<Response<pb::AddPhotoResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let request = request.into_inner();
        let listing_id =
            validate::uuid("listing_id", &request.listing_id).map_err(PhotosError::from)?;
        let listing = self.own_listing(&caller, listing_id).await?;
        // Cheap refusal before the expensive work; the store checks again atomically.
        let existing = self.photos.list(&listing.tenant, listing.id).await?;
        if existing.len() >= MAX_PHOTOS_PER_LISTING as usize {
            return Err(PhotosError::GalleryFull.into());
        }
        let processed = self.process(request.content).await?;
        let photo = Photo {
            id: Uuid::now_v7(),
            tenant: listing.tenant.clone(),
            listing_id: listing.id,
            position: 0,
            content_type: STORED_CONTENT_TYPE.to_owned(),
            width: processed.full.width,
            height: processed.full.height,
            size_bytes: processed.full.bytes.len() as u64,
            thumbnail_width: processed.thumbnail.width,
            thumbnail_height: processed.thumbnail.height,
            thumbnail_size_bytes: processed.thumbnail.bytes.len() as u64,
            created_at: synergies_platform::time::now(),
        };
        self.files
            .put(photo.id, &processed.full.bytes, &processed.thumbnail.bytes)
            .await
            .map_err(PhotosError::from)?;
        let photo = match self.photos.add(photo.clone(), MAX_PHOTOS_PER_LISTING).await {
            Ok(photo) => photo,
            Err(error) => {
                if let Err(cleanup) = self.files.delete(photo.id).await {
                    tracing::warn!(photo_id = %photo.id, error = %cleanup, "photo files left behind");
                }
                return Err(error.into());
            }
        };
        tracing::info!(
            photo_id = %photo.id, listing_id = %listing.id, uploaded_as = processed.uploaded_as.mime(),
            width = photo.width, height = photo.height, "photo added"
        );
        Ok(Response::new(pb::AddPhotoResponse {
            photo: Some(photo_message(photo)),
        }))
    }

    async fn list_photos(
        &self,
        request: Request<pb::ListPhotosRequest>,
    ) -> Result<Response<pb::ListPhotosResponse>, Status> {
        let reader = self
            .reader(&request, &request.get_ref().public_tenant)
            .await?;
        let listing_id = validate::uuid("listing_id", &request.get_ref().listing_id)
            .map_err(PhotosError::from)?;
        let listing = self
            .visible_listing(reader.tenant(), reader.organisation(), listing_id)
            .await?;
        let photos = self.photos.list(&listing.tenant, listing.id).await?;
        Ok(Response::new(pb::ListPhotosResponse {
            photos: photos.into_iter().map(photo_message).collect(),
        }))
    }

    async fn get_photo(
        &self,
        request: Request<pb::GetPhotoRequest>,
    ) -> Result<Response<pb::GetPhotoResponse>, Status> {
        let reader = self
            .reader(&request, &request.get_ref().public_tenant)
            .await?;
        let request = request.into_inner();
        let id = validate::uuid("photo_id", &request.photo_id).map_err(PhotosError::from)?;
        let photo = self
            .photos
            .get(reader.tenant(), id)
            .await?
            .ok_or(PhotosError::NotFound)?;
        // The photo is visible exactly when its listing is.
        let listing = self
            .visible_listing(reader.tenant(), reader.organisation(), photo.listing_id)
            .await
            .map_err(|_| PhotosError::NotFound)?;
        let content = self
            .files
            .get(photo.id, variant_from_message(request.variant))
            .await
            .map_err(PhotosError::from)?
            .ok_or_else(|| {
                PhotosError::Files(std::io::Error::other(format!(
                    "the file of photo {} is missing",
                    photo.id
                )))
            })?;
        Ok(Response::new(pb::GetPhotoResponse {
            content,
            content_type: photo.content_type,
            public: listing.status == ListingStatus::Published,
        }))
    }

    async fn delete_photo(
        &self,
        request: Request<pb::DeletePhotoRequest>,
    ) -> Result<Response<pb::DeletePhotoResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let request = request.into_inner();
        let listing_id =
            validate::uuid("listing_id", &request.listing_id).map_err(PhotosError::from)?;
        let photo_id = validate::uuid("photo_id", &request.photo_id).map_err(PhotosError::from)?;
        let listing = self.own_listing(&caller, listing_id).await?;
        if !self
            .photos
            .delete(&listing.tenant, listing.id, photo_id)
            .await?
        {
            return Err(PhotosError::NotFound.into());
        }
        // The row is gone, so the files are no longer served; a failure here leaves unreachable
        // files, not a broken photo.
        if let Err(error) = self.files.delete(photo_id).await {
            tracing::warn!(photo_id = %photo_id, error = %error, "photo files left behind");
        }
        tracing::info!(photo_id = %photo_id, listing_id = %listing.id, "photo deleted");
        Ok(Response::new(pb::DeletePhotoResponse {}))
    }

    async fn reorder_photos(
        &self,
        request: Request<pb::ReorderPhotosRequest>,
    ) -> Result<Response<pb::ReorderPhotosResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let request = request.into_inner();
        let listing_id =
            validate::uuid("listing_id", &request.listing_id).map_err(PhotosError::from)?;
        let order = request
            .photo_ids
            .iter()
            .map(|id| validate::uuid("photo_ids", id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(PhotosError::from)?;
        let listing = self.own_listing(&caller, listing_id).await?;
        let photos = self
            .photos
            .reorder(&listing.tenant, listing.id, &order)
            .await?;
        Ok(Response::new(pb::ReorderPhotosResponse {
            photos: photos.into_iter().map(photo_message).collect(),
        }))
    }
}
