//! `ExchangesService`: conversations, reservations and confirmations. Authentication, then
//! authorization through the policy module, then the domain, then one store call that commits
//! the change with its event.

use std::sync::Arc;

use synergies_platform::auth::Verifier;
use synergies_platform::context::{CallerContext, Member, authenticate};
use synergies_platform::db::Database;
use synergies_platform::error::FieldError;
use synergies_platform::events::{envelope, timestamp};
use synergies_platform::idempotency::{IdempotentCall, answer_lost};
use synergies_platform::outbox::{OutboxEvent, RelayWaker};
use synergies_platform::policy::{Action, Resource, authorize};
use synergies_platform::validate;
use synergies_proto::events::v1 as events;
use synergies_proto::listings::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::error::ExchangesError;
use super::store::{Completion, Confirmed, ExchangeStore};
use super::{
    Agreement, Confirmation, Conversation, Exchange, MESSAGE_MAX, Message, Reservation, Side,
};
use crate::convert::{listing_message, named};
use crate::domain::{Listing, ListingStatus, Quantity, Unit, not_reserved};
use crate::error::ListingsError;
use crate::store::ListingStore;
use crate::territory::Territory;

pub struct ExchangesApi {
    territory: Territory,
    listings: Arc<dyn ListingStore>,
    store: Arc<dyn ExchangeStore>,
    relay: RelayWaker,
    verifier: Arc<Verifier>,
    /// Where `Idempotency-Key`s of creating calls are kept.
    database: Database,
}

fn invalid(error: FieldError) -> Status {
    ExchangesError::from(error).into()
}

fn failed(error: impl Into<ExchangesError>) -> Status {
    error.into().into()
}

impl ExchangesApi {
    pub fn new(
        listings: Arc<dyn ListingStore>,
        store: Arc<dyn ExchangeStore>,
        relay: RelayWaker,
        verifier: Arc<Verifier>,
        territory: Territory,
        database: Database,
    ) -> Self {
        Self {
            territory,
            listings,
            store,
            relay,
            verifier,
            database,
        }
    }

    /// An approved member acting for their own organisation.
    async fn member<T>(&self, request: &Request<T>) -> Result<(CallerContext, Member), Status> {
        let caller = authenticate(&self.verifier, request).await?;
        let member = caller.require_user()?;
        authorize(
            &caller,
            Action::TakePartInExchanges,
            &Resource::organisation(&caller.tenant, member.organisation_id),
        )?;
        Ok((caller, member))
    }

    /// A listing of the caller's tenant that the caller may see: another tenant's, or another
    /// organisation's listing that is not public, does not exist for them.
    async fn listing(&self, caller: &CallerContext, id: &str) -> Result<Listing, Status> {
        let id = validate::uuid("listing_id", id).map_err(invalid)?;
        self.listings
            .get(&caller.tenant, id)
            .await
            .map_err(failed)?
            .filter(|l| {
                l.is_public()
                    || l.status == ListingStatus::Completed
                    || caller.organisation_id == Some(l.organisation_id)
            })
            .ok_or_else(|| failed(ListingsError::NotFound))
    }

    /// The conversation, if the caller's organisation is one of its two sides: 404 in another
    /// tenant, 403 for a third organisation.
    async fn conversation(
        &self,
        caller: &CallerContext,
        field: &'static str,
        id: &str,
    ) -> Result<Conversation, Status> {
        let id = validate::uuid(field, id).map_err(invalid)?;
        let conversation = self
            .store
            .conversation(&caller.tenant, id)
            .await?
            .ok_or(ExchangesError::ConversationNotFound)?;
        Self::take_part(caller, &conversation)?;
        Ok(conversation)
    }

    /// Whether the caller's organisation is a side of `conversation` (policy decides).
    fn take_part(caller: &CallerContext, conversation: &Conversation) -> Result<(), Status> {
        let side = |organisation| {
            authorize(
                caller,
                Action::TakePartInExchanges,
                &Resource::organisation(&caller.tenant, organisation),
            )
        };
        side(conversation.asking_organisation_id)
            .or_else(|_| side(conversation.listing_organisation_id))
    }

    /// The listing's organisation only (policy decides).
    fn manage(caller: &CallerContext, listing: &Listing) -> Result<(), Status> {
        authorize(
            caller,
            Action::ManageListing,
            &Resource::organisation(&caller.tenant, listing.organisation_id),
        )
    }

    fn answer(
        listing: Listing,
        reservation: Option<Reservation>,
        exchange: Option<Exchange>,
    ) -> pb::ReservationResponse {
        let (notice_en, notice_fr) = match reservation.as_ref().map(Reservation::agreement) {
            Some(Agreement::Differ) => {
                let (owner, counterpart) = reservation
                    .as_ref()
                    .and_then(|r| r.owner.as_ref().zip(r.counterpart.as_ref()))
                    .map(|(o, c)| {
                        (
                            format!("{} {}", o.amount(), o.unit.as_str()),
                            format!("{} {}", c.amount(), c.unit.as_str()),
                        )
                    })
                    .unwrap_or_default();
                (
                    format!(
                        "The two organisations confirmed different quantities ({owner} for the listing's organisation, {counterpart} for the other): the exchange stays unconfirmed until both confirm the same quantity."
                    ),
                    format!(
                        "Les deux organisations ont confirmé des quantités différentes ({owner} pour l'organisation de l'annonce, {counterpart} pour l'autre) : l'échange reste non confirmé tant que les deux ne confirment pas la même quantité."
                    ),
                )
            }
            _ => (String::new(), String::new()),
        };
        pb::ReservationResponse {
            listing: Some(listing_message(listing)),
            reservation: reservation.map(reservation_message),
            exchange: exchange.map(exchange_message),
            notice_en,
            notice_fr,
        }
    }
}

fn message_message(message: Message) -> pb::Message {
    pb::Message {
        id: message.id.to_string(),
        conversation_id: message.conversation_id.to_string(),
        author_user_id: message.author_user_id.to_string(),
        author_organisation_id: message.author_organisation_id.to_string(),
        text: message.text,
        created_at: Some(timestamp(message.created_at)),
        erased: message.erased,
    }
}

/// A page of `limit` messages, read with one more to know whether another page follows.
fn message_page(messages: Vec<Message>, limit: u32) -> pb::ListMessagesResponse {
    let (messages, next_page_token) = validate::into_page(messages, limit, |m| m.id);
    pb::ListMessagesResponse {
        messages: messages.into_iter().map(message_message).collect(),
        next_page_token,
    }
}

fn conversation_message(conversation: Conversation, last: Option<Message>) -> pb::Conversation {
    let last_activity = last
        .as_ref()
        .map_or(conversation.created_at, |m| m.created_at);
    pb::Conversation {
        id: conversation.id.to_string(),
        listing_id: conversation.listing_id.to_string(),
        listing_title: conversation.listing_title,
        listing_organisation_id: conversation.listing_organisation_id.to_string(),
        asking_organisation_id: conversation.asking_organisation_id.to_string(),
        created_at: Some(timestamp(conversation.created_at)),
        last_activity_at: Some(timestamp(last_activity)),
        last_message: last.map(message_message),
    }
}

fn confirmation_message(confirmation: Confirmation) -> pb::Confirmation {
    pb::Confirmation {
        quantity: confirmation.amount(),
        unit: confirmation.unit.as_str().to_owned(),
        by_user_id: confirmation.by_user_id.to_string(),
        at: Some(timestamp(confirmation.at)),
        kg_per_unit: confirmation
            .kg_per_unit_grams
            .map(|grams| {
                Quantity {
                    thousandths: grams,
                    unit: Unit::Kg,
                    recurrence: crate::domain::Recurrence::OneOff,
                }
                .amount()
            })
            .unwrap_or_default(),
    }
}

fn reservation_message(reservation: Reservation) -> pb::Reservation {
    pb::Reservation {
        listing_id: reservation.listing_id.to_string(),
        conversation_id: reservation.conversation_id.to_string(),
        counterpart_organisation_id: reservation.counterpart_organisation_id.to_string(),
        reserved_at: Some(timestamp(reservation.reserved_at)),
        owner_confirmation: reservation.owner.map(confirmation_message),
        counterpart_confirmation: reservation.counterpart.map(confirmation_message),
    }
}

pub fn exchange_message(exchange: Exchange) -> pb::Exchange {
    pb::Exchange {
        id: exchange.id.to_string(),
        listing_id: exchange.listing_id.to_string(),
        conversation_id: exchange.conversation_id.to_string(),
        giver_organisation_id: exchange.giver_organisation_id.to_string(),
        receiver_organisation_id: exchange.receiver_organisation_id.to_string(),
        exchange_mode: exchange.exchange_mode.as_str().to_owned(),
        category: exchange.category.clone(),
        quantity: exchange.amount(),
        unit: exchange.unit.as_str().to_owned(),
        completed_at: Some(timestamp(exchange.completed_at)),
        kg_diverted: exchange.impact.kg_diverted_grams.map(kilos),
        co2e_kg: exchange.impact.co2e_grams.map(kilos),
        value_cents: exchange.impact.value_cents,
        value_estimated: exchange.impact.value_estimated,
    }
}

#[allow(clippy::cast_precision_loss)] // Grams of a territory's exchanges stay far below 2^52.
fn kilos(grams: i64) -> f64 {
    grams as f64 / 1000.0
}

fn completed_event(
    exchange: &Exchange,
    listing: &Listing,
    reservation: &Reservation,
) -> OutboxEvent {
    let event = events::ExchangeCompleted {
        exchange_id: exchange.id.to_string(),
        listing_id: exchange.listing_id.to_string(),
        conversation_id: exchange.conversation_id.to_string(),
        giver_organisation_id: exchange.giver_organisation_id.to_string(),
        receiver_organisation_id: exchange.receiver_organisation_id.to_string(),
        exchange_mode: exchange.exchange_mode.as_str().to_owned(),
        category: exchange.category.clone(),
        quantity: exchange.amount(),
        unit: exchange.unit.as_str().to_owned(),
        completed_at: Some(timestamp(exchange.completed_at)),
        listing_title: listing.title.clone(),
        confirmed_by_user_ids: [&reservation.owner, &reservation.counterpart]
            .into_iter()
            .flatten()
            .map(|confirmation| confirmation.by_user_id.to_string())
            .collect(),
        listing_stays_open: listing.status_after_exchange() == ListingStatus::Published,
    };
    OutboxEvent::new(&envelope(&exchange.tenant, crate::PRODUCER, &event))
}

/// Creating calls, handled once per `Idempotency-Key` by the trait methods that wrap them.
impl ExchangesApi {
    async fn post_message_once(
        &self,
        request: Request<pb::PostMessageRequest>,
    ) -> Result<Response<pb::PostMessageResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let member = caller.require_user()?;
        let request = request.into_inner();
        let conversation = self
            .conversation(&caller, "conversation_id", &request.conversation_id)
            .await?;
        let text = validate::required_multiline_text("text", &request.text, MESSAGE_MAX)
            .map_err(invalid)?;
        let recipient_user_id = if member.organisation_id == conversation.listing_organisation_id {
            Some(conversation.started_by_user_id)
        } else {
            self.listings
                .get(&caller.tenant, conversation.listing_id)
                .await
                .map_err(failed)?
                .map(|listing| listing.owner_user_id)
        };
        let message = Message {
            id: Uuid::now_v7(),
            tenant: caller.tenant.clone(),
            conversation_id: conversation.id,
            author_user_id: member.user_id,
            author_organisation_id: member.organisation_id,
            text,
            created_at: synergies_platform::time::now(),
            erased: false,
        };
        let event = events::ConversationMessagePosted {
            listing_id: conversation.listing_id.to_string(),
            conversation_id: conversation.id.to_string(),
            message_id: message.id.to_string(),
            author_user_id: member.user_id.to_string(),
            author_organisation_id: member.organisation_id.to_string(),
            recipient_organisation_id: conversation.other_side(member.organisation_id).to_string(),
            listing_title: conversation.listing_title.clone(),
            at: Some(timestamp(message.created_at)),
            recipient_user_id: recipient_user_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        };
        self.store
            .post(
                &message,
                &OutboxEvent::new(&envelope(&caller.tenant, crate::PRODUCER, &event)),
            )
            .await?;
        self.relay.wake();
        Ok(Response::new(pb::PostMessageResponse {
            message: Some(message_message(message)),
        }))
    }

    async fn confirm_exchange_once(
        &self,
        request: Request<pb::ConfirmExchangeRequest>,
    ) -> Result<Response<pb::ReservationResponse>, Status> {
        let (caller, member) = self.member(&request).await?;
        let request = request.into_inner();
        let listing = self.listing(&caller, &request.listing_id).await?;
        let reservation = match listing.status {
            ListingStatus::Reserved => self.store.reservation(&caller.tenant, listing.id).await?,
            _ => None,
        };
        let Some(reservation) = reservation else {
            if member.organisation_id != listing.organisation_id {
                Self::manage(&caller, &listing)?;
            }
            return Err(failed(ListingsError::from(not_reserved(listing.status))));
        };
        let side = if member.organisation_id == listing.organisation_id {
            Side::Owner
        } else {
            authorize(
                &caller,
                Action::TakePartInExchanges,
                &Resource::organisation(&caller.tenant, reservation.counterpart_organisation_id),
            )?;
            Side::Counterpart
        };
        let thousandths = Quantity::parse_amount(&request.quantity).map_err(invalid)?;
        let unit = named("unit", &request.unit, Unit::parse, Unit::names)
            .map_err(invalid)?
            .or(listing.quantity.map(|q| q.unit))
            .ok_or_else(|| {
                invalid(FieldError::new(
                    "unit",
                    format!(
                        "is required: the listing states no quantity (one of {})",
                        Unit::names()
                    ),
                    format!(
                        "est obligatoire : l'annonce n'indique pas de quantité (l'une des valeurs {})",
                        Unit::names()
                    ),
                ))
            })?;
        let kg_per_unit_grams = if request.kg_per_unit.trim().is_empty() {
            None
        } else if matches!(unit, Unit::Kg | Unit::Tonne) {
            return Err(invalid(FieldError::new(
                "kg_per_unit",
                "applies only when the unit is not a mass",
                "ne s'applique que si l'unité n'est pas une masse",
            )));
        } else {
            // Thousandths of a kg are grams.
            Some(
                Quantity::parse_amount(&request.kg_per_unit)
                    .map_err(|error| invalid(error.for_field("kg_per_unit")))?,
            )
        };
        let confirmation = Confirmation {
            thousandths,
            unit,
            by_user_id: member.user_id,
            at: synergies_platform::time::now(),
            kg_per_unit_grams,
        };
        let decide = |stored: &Reservation| match stored.agreement() {
            Agreement::Agreed { thousandths, unit } => {
                let exchange = Exchange::of(&listing, stored, thousandths, unit);
                let events = vec![completed_event(&exchange, &listing, stored)];
                Some(Completion {
                    exchange,
                    events,
                    listing_status: listing.status_after_exchange(),
                })
            }
            Agreement::Waiting | Agreement::Differ => None,
        };
        let confirmed = self
            .store
            .confirm(&caller.tenant, listing.id, side, &confirmation, &decide)
            .await?
            .ok_or_else(|| failed(ListingsError::ChangedMeanwhile))?;
        match confirmed {
            Confirmed::Open(reservation) => {
                tracing::info!(listing_id = %listing.id, agreement = ?reservation.agreement(), "exchange confirmed by one side");
                Ok(Response::new(Self::answer(
                    listing,
                    Some(reservation),
                    None,
                )))
            }
            Confirmed::Completed(exchange) => {
                self.relay.wake();
                tracing::info!(listing_id = %listing.id, exchange_id = %exchange.id, "exchange completed");
                let mut listing = listing;
                listing
                    .complete()
                    .map_err(ListingsError::from)
                    .map_err(failed)?;
                Ok(Response::new(Self::answer(listing, None, Some(exchange))))
            }
        }
    }
}

#[tonic::async_trait]
impl pb::exchanges_service_server::ExchangesService for ExchangesApi {
    async fn open_conversation(
        &self,
        request: Request<pb::OpenConversationRequest>,
    ) -> Result<Response<pb::OpenConversationResponse>, Status> {
        let (caller, member) = self.member(&request).await?;
        let listing = self.listing(&caller, &request.get_ref().listing_id).await?;
        if listing.organisation_id == member.organisation_id {
            return Err(failed(ExchangesError::OwnListing));
        }
        if !listing.is_public() {
            return Err(failed(ExchangesError::NotOnOffer));
        }
        let (conversation, created) = self
            .store
            .open_conversation(&Conversation::open(
                &listing,
                member.organisation_id,
                member.user_id,
            ))
            .await?;
        if created {
            tracing::info!(conversation_id = %conversation.id, listing_id = %listing.id, "conversation opened");
        }
        Ok(Response::new(pb::OpenConversationResponse {
            conversation: Some(conversation_message(conversation, None)),
            created,
        }))
    }

    async fn list_conversations(
        &self,
        request: Request<pb::ListConversationsRequest>,
    ) -> Result<Response<pb::ListConversationsResponse>, Status> {
        let (caller, member) = self.member(&request).await?;
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(invalid)?;
        let after = validate::page_token(&request.page_token).map_err(invalid)?;
        let found = self
            .store
            .conversations(&caller.tenant, member.organisation_id, after, limit + 1)
            .await?;
        let (found, next_page_token) =
            validate::into_page(found, limit, |(conversation, _)| conversation.activity_id);
        Ok(Response::new(pb::ListConversationsResponse {
            conversations: found
                .into_iter()
                .map(|(c, last)| conversation_message(c, last))
                .collect(),
            next_page_token,
        }))
    }

    async fn get_conversation(
        &self,
        request: Request<pb::GetConversationRequest>,
    ) -> Result<Response<pb::GetConversationResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let conversation = self
            .conversation(
                &caller,
                "conversation_id",
                &request.get_ref().conversation_id,
            )
            .await?;
        let last = self
            .store
            .messages(&caller.tenant, conversation.id, None, 1)
            .await?
            .pop();
        Ok(Response::new(pb::GetConversationResponse {
            conversation: Some(conversation_message(conversation, last)),
        }))
    }

    async fn post_message(
        &self,
        request: Request<pb::PostMessageRequest>,
    ) -> Result<Response<pb::PostMessageResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let call = IdempotentCall::for_caller(&request, &caller, "PostMessage")?;
        IdempotentCall::run(
            call,
            &self.database,
            || async { Ok(self.post_message_once(request).await?.into_inner()) },
            |_| async { Err(answer_lost()) },
        )
        .await
        .map(Response::new)
    }
    async fn list_messages(
        &self,
        request: Request<pb::ListMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let request = request.into_inner();
        let conversation = self
            .conversation(&caller, "conversation_id", &request.conversation_id)
            .await?;
        let limit = validate::page_size(request.page_size).map_err(invalid)?;
        let after = validate::page_token(&request.page_token).map_err(invalid)?;
        let messages = self
            .store
            .messages(&caller.tenant, conversation.id, after, limit + 1)
            .await?;
        Ok(Response::new(message_page(messages, limit)))
    }

    async fn list_my_messages(
        &self,
        request: Request<pb::ListMyMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        // Anyone signed in, members or not: people whose organisation closed keep their rights.
        let author = caller.user_id.ok_or_else(|| {
            synergies_platform::error::status(
                synergies_platform::error::ErrorCode::Unauthenticated,
                &synergies_platform::i18n::Text::new("sign in first", "connectez-vous d'abord"),
            )
        })?;
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(invalid)?;
        let after = validate::page_token(&request.page_token).map_err(invalid)?;
        let messages = self
            .store
            .messages_by_author(&caller.tenant, author, after, limit + 1)
            .await?;
        Ok(Response::new(message_page(messages, limit)))
    }

    async fn reserve_listing(
        &self,
        request: Request<pb::ReserveListingRequest>,
    ) -> Result<Response<pb::ReservationResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let member = caller.require_user()?;
        let request = request.into_inner();
        let mut listing = self.listing(&caller, &request.listing_id).await?;
        Self::manage(&caller, &listing)?;
        let conversation_id =
            validate::uuid("conversation_id", &request.conversation_id).map_err(invalid)?;
        let conversation = self
            .store
            .conversation(&caller.tenant, conversation_id)
            .await?
            .filter(|c| c.listing_id == listing.id)
            .ok_or_else(|| {
                invalid(FieldError::new(
                    "conversation_id",
                    "must be a conversation about this listing",
                    "doit être une conversation à propos de cette annonce",
                ))
            })?;
        listing
            .reserve()
            .map_err(ListingsError::from)
            .map_err(failed)?;
        let reservation = Reservation::for_conversation(&conversation);
        let event = events::ListingReserved {
            change: Some(crate::convert::listing_change(
                &listing,
                Some(member.user_id),
            )),
            conversation_id: conversation.id.to_string(),
            counterpart_organisation_id: conversation.asking_organisation_id.to_string(),
            counterpart_user_id: conversation.started_by_user_id.to_string(),
        };
        let events = [OutboxEvent::new(&envelope(
            &caller.tenant,
            crate::PRODUCER,
            &event,
        ))];
        if !self
            .store
            .reserve(&reservation, listing.updated_at, &events)
            .await?
        {
            return Err(failed(ListingsError::ChangedMeanwhile));
        }
        self.relay.wake();
        tracing::info!(listing_id = %listing.id, conversation_id = %conversation.id, "listing reserved");
        Ok(Response::new(Self::answer(
            listing,
            Some(reservation),
            None,
        )))
    }

    async fn cancel_reservation(
        &self,
        request: Request<pb::CancelReservationRequest>,
    ) -> Result<Response<pb::ReservationResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let member = caller.require_user()?;
        let mut listing = self.listing(&caller, &request.get_ref().listing_id).await?;
        Self::manage(&caller, &listing)?;
        listing
            .cancel_reservation()
            .map_err(ListingsError::from)
            .map_err(failed)?;
        let events = [super::reservation_cancelled_event(
            self.store.as_ref(),
            &listing,
            Some(member.user_id),
        )
        .await?];
        if !self
            .store
            .cancel(&caller.tenant, listing.id, listing.updated_at, &events)
            .await?
        {
            return Err(failed(ListingsError::ChangedMeanwhile));
        }
        self.relay.wake();
        tracing::info!(listing_id = %listing.id, "reservation cancelled");
        Ok(Response::new(Self::answer(listing, None, None)))
    }

    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> Result<Response<pb::ReservationResponse>, Status> {
        let (caller, member) = self.member(&request).await?;
        let listing = self.listing(&caller, &request.get_ref().listing_id).await?;
        let reservation = match listing.status {
            ListingStatus::Reserved => self.store.reservation(&caller.tenant, listing.id).await?,
            _ => None,
        };
        // A recurring listing's exchanges are listed with `ListExchanges` (`listing_id`).
        let exchange = match listing.status {
            ListingStatus::Completed if !listing.is_recurring() => {
                self.store
                    .exchange_of_listing(&caller.tenant, listing.id)
                    .await?
            }
            _ => None,
        };
        let counterpart = reservation
            .as_ref()
            .map(|r| r.counterpart_organisation_id)
            .or_else(|| {
                exchange.as_ref().map(|e| {
                    if e.giver_organisation_id == listing.organisation_id {
                        e.receiver_organisation_id
                    } else {
                        e.giver_organisation_id
                    }
                })
            });
        // The two sides only: others see the listing's status, not with whom.
        if member.organisation_id != listing.organisation_id
            && Some(member.organisation_id) != counterpart
        {
            Self::manage(&caller, &listing)?;
        }
        Ok(Response::new(Self::answer(listing, reservation, exchange)))
    }

    async fn confirm_exchange(
        &self,
        request: Request<pb::ConfirmExchangeRequest>,
    ) -> Result<Response<pb::ReservationResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let call = IdempotentCall::for_caller(&request, &caller, "ConfirmExchange")?;
        IdempotentCall::run(
            call,
            &self.database,
            || async { Ok(self.confirm_exchange_once(request).await?.into_inner()) },
            |_| async { Err(answer_lost()) },
        )
        .await
        .map(Response::new)
    }
    async fn get_impact(
        &self,
        request: Request<pb::GetImpactRequest>,
    ) -> Result<Response<pb::GetImpactResponse>, Status> {
        let (caller, member) = self.member(&request).await?;
        let organisation = match request.get_ref().scope.trim() {
            "" | "organisation" => Some(member.organisation_id),
            "tenant" => {
                authorize(
                    &caller,
                    Action::ModerateListings,
                    &Resource::tenant(&caller.tenant),
                )?;
                None
            }
            _ => {
                return Err(invalid(FieldError::new(
                    "scope",
                    "must be organisation or tenant",
                    "doit valoir organisation ou tenant",
                )));
            }
        };
        let months = self
            .store
            .impact_by_month(&caller.tenant, organisation)
            .await?;
        Ok(Response::new(pb::GetImpactResponse {
            months: months
                .into_iter()
                .map(|m| pb::MonthImpact {
                    month: m.month,
                    exchanges: m.exchanges,
                    kg_diverted: kilos(m.kg_diverted_grams),
                    co2e_kg: kilos(m.co2e_grams),
                    value_cents: m.value_cents,
                })
                .collect(),
        }))
    }

    async fn get_territory_summary(
        &self,
        request: Request<pb::GetTerritorySummaryRequest>,
    ) -> Result<Response<pb::TerritorySummary>, Status> {
        let tenant = request.into_inner().tenant;
        // An unknown territory answers 404, as its public listings do (identity is asked the
        // first time only: the home page shows these figures to every visitor).
        self.territory.exists(&tenant).await?;
        let summary = self.store.territory_summary(&tenant).await?;
        Ok(Response::new(pb::TerritorySummary {
            listings_online: summary.listings_online,
            exchanges_completed: summary.exchanges_completed,
            tonnes_diverted: kilos(summary.kg_diverted_grams) / 1000.0,
            co2e_tonnes: kilos(summary.co2e_grams) / 1000.0,
        }))
    }

    async fn list_exchanges(
        &self,
        request: Request<pb::ListExchangesRequest>,
    ) -> Result<Response<pb::ListExchangesResponse>, Status> {
        let (caller, member) = self.member(&request).await?;
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(invalid)?;
        let after = validate::page_token(&request.page_token).map_err(invalid)?;
        let found = if request.listing_id.trim().is_empty() {
            self.store
                .exchanges(&caller.tenant, member.organisation_id, after, limit + 1)
                .await?
        } else {
            let listing = self.listing(&caller, &request.listing_id).await?;
            // Another organisation sees the exchanges it took part in, facilitators all.
            let side = (member.organisation_id != listing.organisation_id
                && Self::manage(&caller, &listing).is_err())
            .then_some(member.organisation_id);
            self.store
                .exchanges_of_listing(&caller.tenant, listing.id, side, after, limit + 1)
                .await?
        };
        let (found, next_page_token) = validate::into_page(found, limit, |e| e.id);
        Ok(Response::new(pb::ListExchangesResponse {
            exchanges: found.into_iter().map(exchange_message).collect(),
            next_page_token,
        }))
    }
}
