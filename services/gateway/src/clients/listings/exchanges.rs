//! Conversations, reservations and exchanges (the listings service's `ExchangesService`).
//! Reads are retried, and so is opening a conversation (the service answers the one the
//! organisation already has); messages, reservations and confirmations are sent once.

use synergies_platform::context::CallerContext;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::listings::v1 as pb;
use synergies_proto::listings::v1::exchanges_service_client::ExchangesServiceClient;
use tonic::Status;

use crate::clients::{outgoing, retried};

type Client = ExchangesServiceClient<ServiceChannel>;

#[derive(Clone)]
pub struct ExchangesClient {
    client: Client,
}

impl ExchangesClient {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: ExchangesServiceClient::new(channel),
        }
    }

    /// Opens the caller's conversation about a listing, or finds the one they have.
    pub async fn open_conversation(
        &self,
        caller: &CallerContext,
        listing_id: &str,
    ) -> Result<pb::OpenConversationResponse, Status> {
        let message = pb::OpenConversationRequest {
            listing_id: listing_id.to_owned(),
        };
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.open_conversation(call).await },
        )
        .await
    }

    pub async fn conversations(
        &self,
        caller: &CallerContext,
        message: pb::ListConversationsRequest,
    ) -> Result<pb::ListConversationsResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_conversations(call).await },
        )
        .await
    }

    pub async fn conversation(
        &self,
        caller: &CallerContext,
        conversation_id: &str,
    ) -> Result<pb::Conversation, Status> {
        let message = pb::GetConversationRequest {
            conversation_id: conversation_id.to_owned(),
        };
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.get_conversation(call).await },
        )
        .await?
        .conversation
        .ok_or_else(|| Status::internal("the listings service answered without the conversation"))
    }

    /// A conversation's messages, newest first.
    pub async fn messages(
        &self,
        caller: &CallerContext,
        message: pb::ListMessagesRequest,
    ) -> Result<pb::ListMessagesResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_messages(call).await },
        )
        .await
    }

    /// The messages the caller wrote, in every conversation.
    pub async fn my_messages(
        &self,
        caller: &CallerContext,
        message: pb::ListMyMessagesRequest,
    ) -> Result<pb::ListMessagesResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_my_messages(call).await },
        )
        .await
    }

    pub async fn post_message(
        &self,
        caller: &CallerContext,
        conversation_id: &str,
        text: String,
    ) -> Result<pb::Message, Status> {
        let message = pb::PostMessageRequest {
            conversation_id: conversation_id.to_owned(),
            text,
        };
        self.client
            .clone()
            .post_message(outgoing(message, Some(caller)))
            .await?
            .into_inner()
            .message
            .ok_or_else(|| Status::internal("the listings service answered without the message"))
    }

    /// The listing's reservation and exchange, as its two organisations see them.
    pub async fn reservation(
        &self,
        caller: &CallerContext,
        listing_id: &str,
    ) -> Result<pb::ReservationResponse, Status> {
        let message = pb::GetReservationRequest {
            listing_id: listing_id.to_owned(),
        };
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.get_reservation(call).await },
        )
        .await
    }

    pub async fn reserve(
        &self,
        caller: &CallerContext,
        listing_id: &str,
        conversation_id: String,
    ) -> Result<pb::ReservationResponse, Status> {
        let message = pb::ReserveListingRequest {
            listing_id: listing_id.to_owned(),
            conversation_id,
        };
        Ok(self
            .client
            .clone()
            .reserve_listing(outgoing(message, Some(caller)))
            .await?
            .into_inner())
    }

    pub async fn cancel_reservation(
        &self,
        caller: &CallerContext,
        listing_id: &str,
    ) -> Result<pb::ReservationResponse, Status> {
        let message = pb::CancelReservationRequest {
            listing_id: listing_id.to_owned(),
        };
        Ok(self
            .client
            .clone()
            .cancel_reservation(outgoing(message, Some(caller)))
            .await?
            .into_inner())
    }

    /// One side confirms the quantity transferred.
    pub async fn confirm(
        &self,
        caller: &CallerContext,
        message: pb::ConfirmExchangeRequest,
    ) -> Result<pb::ReservationResponse, Status> {
        Ok(self
            .client
            .clone()
            .confirm_exchange(outgoing(message, Some(caller)))
            .await?
            .into_inner())
    }

    /// Exchanges the caller's organisation gave or received, newest first.
    pub async fn exchanges(
        &self,
        caller: &CallerContext,
        message: pb::ListExchangesRequest,
    ) -> Result<pb::ListExchangesResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_exchanges(call).await },
        )
        .await
    }

    /// Exchanges' impact per month: `organisation` (the caller's) or `tenant` scope.
    pub async fn impact(
        &self,
        caller: &CallerContext,
        scope: String,
    ) -> Result<Vec<pb::MonthImpact>, Status> {
        let message = pb::GetImpactRequest { scope };
        let answer = retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.get_impact(call).await },
        )
        .await?;
        Ok(answer.months)
    }

    /// A territory's public exchange figures (no account).
    pub async fn territory_summary(&self, tenant: &str) -> Result<pb::TerritorySummary, Status> {
        let message = pb::GetTerritorySummaryRequest {
            tenant: tenant.to_owned(),
        };
        retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.get_territory_summary(call).await },
        )
        .await
    }
}
