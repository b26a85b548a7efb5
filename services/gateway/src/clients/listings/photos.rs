//! Photos of listings (the listings service's `ListingPhotosService`): reads retried, writes
//! sent once. Messages are larger than elsewhere: an upload carries one photo, a read one
//! rendition.

use synergies_platform::context::CallerContext;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::listings::v1 as pb;
use synergies_proto::listings::v1::listing_photos_service_client::ListingPhotosServiceClient;
use tonic::Status;

use crate::clients::{outgoing, retried};
use crate::upload::UPLOAD_BODY_LIMIT;

/// Largest photo answer accepted from listings: a stored photo is a re-encoded JPEG of at most
/// 2000×2000 pixels, far below this even for noise.
const MAX_PHOTO_ANSWER_BYTES: usize = 16 * 1024 * 1024;

type Client = ListingPhotosServiceClient<ServiceChannel>;

#[derive(Clone)]
pub struct PhotosClient {
    client: Client,
}

impl PhotosClient {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: ListingPhotosServiceClient::new(channel)
                .max_encoding_message_size(UPLOAD_BODY_LIMIT)
                .max_decoding_message_size(MAX_PHOTO_ANSWER_BYTES),
        }
    }

    pub async fn add(
        &self,
        caller: &CallerContext,
        listing_id: &str,
        content: Vec<u8>,
    ) -> Result<pb::Photo, Status> {
        let message = pb::AddPhotoRequest {
            listing_id: listing_id.to_owned(),
            content,
        };
        self.client
            .clone()
            .add_photo(outgoing(message, Some(caller)))
            .await?
            .into_inner()
            .photo
            .ok_or_else(|| Status::internal("the listings service answered without the photo"))
    }

    /// A listing's photos in gallery order: signed in (`caller`), or of a published listing
    /// for anyone (`message.public_tenant` names its territory).
    pub async fn list(
        &self,
        caller: Option<&CallerContext>,
        message: pb::ListPhotosRequest,
    ) -> Result<Vec<pb::Photo>, Status> {
        let answer = retried(
            &self.client,
            caller,
            message,
            |mut c: Client, call| async move { c.list_photos(call).await },
        )
        .await?;
        Ok(answer.photos)
    }

    /// One rendition of a photo, signed in or (with `public_tenant`) for anyone.
    pub async fn get(
        &self,
        caller: Option<&CallerContext>,
        message: pb::GetPhotoRequest,
    ) -> Result<pb::GetPhotoResponse, Status> {
        retried(
            &self.client,
            caller,
            message,
            |mut c: Client, call| async move { c.get_photo(call).await },
        )
        .await
    }

    pub async fn delete(
        &self,
        caller: &CallerContext,
        listing_id: &str,
        photo_id: &str,
    ) -> Result<(), Status> {
        let message = pb::DeletePhotoRequest {
            listing_id: listing_id.to_owned(),
            photo_id: photo_id.to_owned(),
        };
        self.client
            .clone()
            .delete_photo(outgoing(message, Some(caller)))
            .await?;
        Ok(())
    }

    /// Puts a listing's photos in the order of `photo_ids`; answers the gallery.
    pub async fn reorder(
        &self,
        caller: &CallerContext,
        listing_id: &str,
        photo_ids: Vec<String>,
    ) -> Result<Vec<pb::Photo>, Status> {
        let message = pb::ReorderPhotosRequest {
            listing_id: listing_id.to_owned(),
            photo_ids,
        };
        let answer = self
            .client
            .clone()
            .reorder_photos(outgoing(message, Some(caller)))
            .await?;
        Ok(answer.into_inner().photos)
    }
}
