//! Turns events into what members are told: inbox items (one [`InboxHandler`] per event type,
//! each with its own item builder) and e-mails ([`MailHandler`]), effects that
//! [`crate::consumers`] applies to the events of each aggregate.
//!
//! Inbox items are written in French and in English; the reader's page picks the language.

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError, uuid};
use synergies_platform::events;
use synergies_platform::i18n::Text;
use synergies_proto::events::v1::{
    ConversationMessagePosted, EventEnvelope, ExchangeCompleted, ListingChange, ListingHidden,
    ListingReservationCancelled, ListingReserved, MatchFound, SynergyGroupProposed,
};
use uuid::Uuid;

use crate::store::{InboxItem, InboxStore, Subject};

/// The names known of a tenant's organisations, to name the other side in what is written.
pub type Names = std::collections::HashMap<Uuid, String>;

/// A storage failure as the consumer sees it: an outage of the database is waited out, never
/// counted against the event.
fn handler_error(error: crate::error::NotificationsError) -> HandlerError {
    match error {
        crate::error::NotificationsError::Storage(error) => HandlerError::from(error),
        other => HandlerError::Permanent(other.to_string()),
    }
}

/// Turns an event into the inbox items it causes (none, one, or one per person told).
pub type InboxItems = fn(&EventEnvelope, &Names) -> Result<Vec<InboxItem>, HandlerError>;

/// Stores the inbox items of each event of one type, once per event, and writes the e-mails
/// of the members who want them at once.
pub struct InboxHandler {
    store: Arc<dyn InboxStore>,
    consumer: &'static str,
    items: InboxItems,
    mail: ImmediateMail,
    /// Where new items are pushed live to the gateways (none in unit tests).
    live: Option<Arc<dyn synergies_platform::bus::EventBus>>,
}

/// What writing immediate e-mails needs.
#[derive(Clone)]
pub struct ImmediateMail {
    pub mail: Arc<dyn crate::store::MailStore>,
    pub preferences: Arc<dyn crate::store::PreferencesStore>,
    /// `<public url>`, to which `/<tenant>/…` is added.
    pub public_url: String,
    pub sender: crate::sender::SenderWaker,
    pub signer: crate::unsubscribe::LinkSigner,
    pub brands: crate::branding::TerritoryBrands,
}

impl InboxHandler {
    pub fn new(
        store: Arc<dyn InboxStore>,
        consumer: &'static str,
        items: InboxItems,
        mail: ImmediateMail,
    ) -> Self {
        Self {
            store,
            consumer,
            items,
            mail,
            live: None,
        }
    }

    /// Pushes the items it stores to the gateways' live streams through `bus`.
    #[must_use]
    pub fn with_live(mut self, bus: Arc<dyn synergies_platform::bus::EventBus>) -> Self {
        self.live = Some(bus);
        self
    }

    /// At most once and best effort: a member who misses a push sees the item on their next
    /// page, or when their stream resumes (`Last-Event-ID`) from the database.
    async fn push_live(&self, items: &[InboxItem]) {
        use prost::Message;
        let Some(bus) = &self.live else { return };
        for item in items {
            let message = synergies_proto::notifications::v1::LiveInboxItem {
                tenant: item.tenant.clone(),
                recipient_id: item.user_id.to_string(),
                for_organisation: item.for_organisation,
                item: Some(crate::grpc::item_message(item.clone())),
            };
            let subject = format!("{}.inbox", item.tenant);
            if let Err(error) = bus
                .publish_live(&subject, message.encode_to_vec().into())
                .await
            {
                tracing::warn!(%error, item_id = %item.id, "live push failed");
            }
        }
    }

    /// The e-mails of the items whose member wants this category at once and whose address
    /// is known. An organisation's items (flows) go to its inbox only.
    async fn immediate_mails(
        &self,
        items: &[InboxItem],
    ) -> Result<Vec<(crate::mail::Mail, (Uuid, Uuid))>, crate::error::NotificationsError> {
        use crate::preferences::{Category, Frequency, Preferences};
        let mut mails = Vec::new();
        for item in items.iter().filter(|item| !item.for_organisation) {
            let Some(category) = Category::of_kind(&item.kind) else {
                continue;
            };
            let set = self
                .mail
                .preferences
                .set_preferences(&item.tenant, item.user_id)
                .await?;
            if Preferences::from_set(&set).frequency(category) != Frequency::Immediate {
                continue;
            }
            let Some((address, language)) = self.store.recipient(item.user_id).await? else {
                tracing::info!(user_id = %item.user_id, "no address known yet: inbox only");
                continue;
            };
            let tenant_url = format!(
                "{}/{}",
                self.mail.public_url.trim_end_matches('/'),
                item.tenant
            );
            let token = |scope| self.mail.signer.token(&item.tenant, item.user_id, scope);
            let links = crate::item_mail::MailLinks {
                settings: format!(
                    "{tenant_url}/e-mails?token={}",
                    token(crate::unsubscribe::Scope::Settings)
                ),
                unsubscribe: format!(
                    "{tenant_url}/e-mails/desabonnement?token={}",
                    token(crate::unsubscribe::Scope::Unsubscribe(category))
                ),
                branding: self.mail.brands.of(&item.tenant).await,
            };
            mails.push((
                crate::item_mail::item_mail(item, &address, &language, &tenant_url, &links),
                (item.user_id, item.id),
            ));
        }
        Ok(mails)
    }
}

#[async_trait]
impl EventHandler for InboxHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        // Written first without names: most events carry the names they need, and only the
        // organisations left unnamed are looked up.
        let mut items = (self.items)(envelope, &Names::new())?;
        let unnamed: Vec<Uuid> = items
            .iter()
            .filter(|item| item.other_organisation_name.is_empty())
            .filter_map(|item| item.other_organisation)
            .collect();
        if !unnamed.is_empty() {
            let names = self
                .store
                .organisation_names(&envelope.tenant, &unnamed)
                .await
                .map_err(handler_error)?;
            if !names.is_empty() {
                items = (self.items)(envelope, &names)?;
            }
        }
        let event_id = events::event_id(envelope)?;
        self.store_and_tell(&envelope.tenant, &envelope.event_type, event_id, &items)
            .await
            .map(|_| ())
            .map_err(handler_error)
    }
}

impl InboxHandler {
    /// Stores `items`, caused by `event_id`, unless this handler's consumer already did; then
    /// pushes them live and queues the e-mails of the members who want them at once.
    /// `true`: stored now.
    pub async fn store_and_tell(
        &self,
        tenant: &str,
        event_type: &str,
        event_id: Uuid,
        items: &[InboxItem],
    ) -> Result<bool, crate::error::NotificationsError> {
        let delivery = self.store.deliver(self.consumer, event_id, items).await?;
        if delivery.is_stored() {
            tracing::info!(event_type, items = items.len(), "inbox items stored");
        } else {
            tracing::info!(event_type, "event already handled, skipped");
        }
        if items.is_empty() {
            return Ok(delivery.is_stored());
        }
        // Stored now: the items in hand are the stored ones, pushed live before anything else
        // is read. Delivered again (a crash after the items were stored): their e-mails are
        // written once per recipient and event, from the items read back, so that links open
        // the item the member sees.
        let stored = match &delivery {
            crate::store::Delivery::Stored(stored) => {
                self.push_live(stored).await;
                stored.clone()
            }
            crate::store::Delivery::AlreadyHandled => {
                self.store.items_of_event(tenant, event_id).await?
            }
        };
        let (mails, told): (Vec<_>, Vec<_>) =
            self.immediate_mails(&stored).await?.into_iter().unzip();
        if !mails.is_empty() {
            self.mail
                .mail
                .queue_item_mails(event_id, tenant, &mails, &told)
                .await?;
            self.mail.sender.0.notify_one();
            tracing::info!(event_type, mails = mails.len(), "immediate e-mails queued");
        }
        Ok(delivery.is_stored())
    }
}

/// One inbox item caused by `envelope`, for `user_id`, about `listing_id`.
fn item(
    envelope: &EventEnvelope,
    user_id: Uuid,
    listing_id: Uuid,
    title: Text,
    body: Text,
) -> Result<InboxItem, HandlerError> {
    Ok(InboxItem {
        id: Uuid::now_v7(),
        tenant: envelope.tenant.clone(),
        user_id,
        kind: envelope.event_type.clone(),
        title,
        body,
        listing_id: Some(listing_id),
        for_organisation: false,
        event_id: events::event_id(envelope)?,
        read: false,
        created_at: synergies_platform::time::now(),
        subject: Subject::Listing(listing_id),
        other_organisation: None,
        other_organisation_name: String::new(),
    })
}

/// The other organisation of an item, by id, named when its name is known.
fn other_organisation(
    names: &Names,
    field: &str,
    id: &str,
) -> Result<(Option<Uuid>, String), HandlerError> {
    if id.is_empty() {
        return Ok((None, String::new()));
    }
    let id = uuid(field, id)?;
    Ok((Some(id), names.get(&id).cloned().unwrap_or_default()))
}

fn change_of<'a>(
    envelope: &EventEnvelope,
    change: Option<&'a ListingChange>,
) -> Result<&'a ListingChange, HandlerError> {
    change.ok_or_else(|| {
        HandlerError::Permanent(format!("{} without its change", envelope.event_type))
    })
}

/// The organisation named in a `match.found`, or a neutral phrase for events that predate
/// names (or organisations matching has not learned the name of).
fn organisation_or_another(name: &str) -> Text {
    if name.trim().is_empty() {
        Text::new("another organisation", "une autre organisation")
    } else {
        Text::new(name, name)
    }
}

/// "de X" in French, elided before a vowel ("d'Eiffage"), "d'une autre organisation" unnamed.
fn of_organisation_fr(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return "d'une autre organisation".to_owned();
    }
    let vowel = name
        .chars()
        .next()
        .is_some_and(|c| "AEIOUYHÉÈÊÂÎÔaeiouyhéèêâîô".contains(c));
    if vowel {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

/// The first letter in capitals, to start a sentence.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The scorer's explanation, or the category rule of events that predate it.
fn match_explanation(event: &MatchFound) -> Text {
    if event.explanation_fr.is_empty() {
        let category = &event.category;
        Text::new(
            format!("Same category ({category})."),
            format!("Même catégorie ({category})."),
        )
    } else {
        Text::new(event.explanation_en.clone(), event.explanation_fr.clone())
    }
}

/// The id of a listing side of a match (flows are not listings: no listing to link to).
fn listing_side(kind: &str, id: &str) -> Result<Option<Uuid>, HandlerError> {
    if kind == "flow" {
        Ok(None)
    } else {
        uuid("listing_id", id).map(Some)
    }
}

/// `match.found` → both sides: the requester learns which organisation's offer may meet their
/// request, and the offer's owner learns who could use it. A side without an owning member
/// (a diagnosed flow) is told nobody here.
pub fn match_items(envelope: &EventEnvelope, _: &Names) -> Result<Vec<InboxItem>, HandlerError> {
    let event: MatchFound = events::payload(envelope)?;
    let (offer, request) = (&event.offer_title, &event.request_title);
    let why = match_explanation(&event);
    let offerer = organisation_or_another(&event.offer_organisation_name);
    let requester = organisation_or_another(&event.request_organisation_name);
    let offer_listing = listing_side(&event.offer_item_kind, &event.offer_listing_id)?;
    let request_listing = listing_side(&event.request_item_kind, &event.request_listing_id)?;
    // Opening an item shows the other side's listing, or the synergy when it is a flow.
    let synergy = Uuid::parse_str(&event.synergy_id).ok();
    let subject = |listing: Option<Uuid>| match (listing, synergy) {
        (Some(listing), _) => Subject::Listing(listing),
        (None, Some(synergy)) => Subject::Synergy(synergy),
        (None, None) => Subject::Nothing,
    };
    let organisation = |id: &str| Uuid::parse_str(id).ok();
    // Each side's recipient: its owning member, or its whole organisation (a flow).
    let recipient = |owner: &str, field: &str, organisation: &str, organisation_told: bool| {
        if !owner.is_empty() {
            uuid(field, owner).map(|id| Some((id, false)))
        } else if organisation_told {
            uuid("organisation_id", organisation).map(|id| Some((id, true)))
        } else {
            Ok(None)
        }
    };
    let requester_recipient = recipient(
        &event.request_owner_user_id,
        "request_owner_user_id",
        &event.request_organisation_id,
        event.request_organisation_told,
    )?;
    let offerer_recipient = recipient(
        &event.offer_owner_user_id,
        "offer_owner_user_id",
        &event.offer_organisation_id,
        event.offer_organisation_told,
    )?;
    let mut items = Vec::new();
    if let Some((recipient, for_organisation)) = requester_recipient {
        let mut told = item(
            envelope,
            recipient,
            Uuid::nil(),
            Text::new(
                format!("An offer may meet your request “{request}”"),
                format!("Une offre peut répondre à votre demande « {request} »"),
            ),
            Text::new(
                format!(
                    "The offer “{offer}” of {} may meet it. {}",
                    offerer.en, why.en
                ),
                format!(
                    "L'offre « {offer} » {} peut y répondre. {}",
                    of_organisation_fr(&event.offer_organisation_name),
                    why.fr
                ),
            ),
        )?;
        told.listing_id = offer_listing;
        told.subject = subject(offer_listing);
        told.other_organisation = organisation(&event.offer_organisation_id);
        event
            .offer_organisation_name
            .trim()
            .clone_into(&mut told.other_organisation_name);
        told.for_organisation = for_organisation;
        items.push(told);
    }
    if let Some((recipient, for_organisation)) = offerer_recipient {
        let mut told = item(
            envelope,
            recipient,
            Uuid::nil(),
            Text::new(
                format!("Your offer “{offer}” could be used by {}", requester.en),
                format!("Votre offre « {offer} » peut servir à {}", requester.fr),
            ),
            Text::new(
                format!(
                    "{} is looking for “{request}”. {}",
                    capitalised(&requester.en),
                    why.en
                ),
                format!(
                    "{} recherche « {request} ». {}",
                    capitalised(&requester.fr),
                    why.fr
                ),
            ),
        )?;
        told.listing_id = request_listing;
        told.subject = subject(request_listing);
        told.other_organisation = organisation(&event.request_organisation_id);
        event
            .request_organisation_name
            .trim()
            .clone_into(&mut told.other_organisation_name);
        told.for_organisation = for_organisation;
        items.push(told);
    }
    Ok(items)
}

/// `synergy.group_proposed` → each member told (a listing's owner, or a flow's whole
/// organisation): organisations nearby could pool a collection, a purchase or a service.
pub fn group_items(envelope: &EventEnvelope, _: &Names) -> Result<Vec<InboxItem>, HandlerError> {
    let event: SynergyGroupProposed = events::payload(envelope)?;
    let count = event.organisations;
    let (what_en, what_fr) = match event.pool.as_str() {
        "collection" => ("a shared collection", "une collecte commune"),
        "purchasing" => ("a grouped purchase", "un achat groupé"),
        _ => ("a shared service", "un service partagé"),
    };
    event
        .told
        .iter()
        .map(|member| {
            let label = &member.label;
            let (recipient, for_organisation) = if member.owner_user_id.is_empty() {
                (uuid("organisation_id", &member.organisation_id)?, true)
            } else {
                (uuid("owner_user_id", &member.owner_user_id)?, false)
            };
            let mut told = item(
                envelope,
                recipient,
                Uuid::nil(),
                Text::new(
                    format!("{count} organisations nearby could pool “{label}” with you"),
                    format!(
                        "{count} organisations proches pourraient mutualiser « {label} » avec vous"
                    ),
                ),
                Text::new(
                    format!("They could set up {what_en}. {}", event.explanation_en),
                    format!(
                        "Elles pourraient organiser {what_fr}. {}",
                        event.explanation_fr
                    ),
                ),
            )?;
            told.for_organisation = for_organisation;
            told.listing_id = if member.item_kind == "listing" {
                uuid("item_id", &member.item_id).ok()
            } else {
                None
            };
            told.subject = Uuid::parse_str(&event.synergy_id)
                .map(Subject::Synergy)
                .unwrap_or_default();
            Ok(told)
        })
        .collect()
}

/// `listing.hidden` → the owner: a facilitator hid their listing, and why.
pub fn hidden_listing_items(
    envelope: &EventEnvelope,
    _: &Names,
) -> Result<Vec<InboxItem>, HandlerError> {
    let event: ListingHidden = events::payload(envelope)?;
    let change = change_of(envelope, event.change.as_ref())?;
    let (title, reason) = (&change.title, &change.reason);
    Ok(vec![item(
        envelope,
        uuid("owner_user_id", &change.owner_user_id)?,
        uuid("listing_id", &change.listing_id)?,
        Text::new(
            format!("Your listing “{title}” was hidden"),
            format!("Votre annonce « {title} » a été masquée"),
        ),
        Text::new(
            format!("A facilitator of the territory hid it for this reason: {reason}"),
            format!("Un animateur du territoire l'a masquée pour ce motif : {reason}"),
        ),
    )?])
}

/// `conversation.message_posted` → the other side, naming the organisation that wrote; the
/// message itself stays in the conversation, which the item opens.
pub fn message_items(
    envelope: &EventEnvelope,
    names: &Names,
) -> Result<Vec<InboxItem>, HandlerError> {
    let event: ConversationMessagePosted = events::payload(envelope)?;
    let title = &event.listing_title;
    let (author, name) = other_organisation(
        names,
        "author_organisation_id",
        &event.author_organisation_id,
    )?;
    let author_named = organisation_or_another(&name);
    let mut told = item(
        envelope,
        uuid("recipient_user_id", &event.recipient_user_id)?,
        uuid("listing_id", &event.listing_id)?,
        Text::new(
            format!("New message from {} about “{title}”", author_named.en),
            format!(
                "Nouveau message {} à propos de « {title} »",
                of_organisation_fr(&name)
            ),
        ),
        Text::new(
            format!(
                "{} wrote to you in the conversation about this listing.",
                capitalised(&author_named.en)
            ),
            format!(
                "{} vous a écrit dans la conversation sur cette annonce.",
                capitalised(&author_named.fr)
            ),
        ),
    )?;
    told.subject = conversation_or_listing(&event.conversation_id, &told.subject);
    told.other_organisation = author;
    told.other_organisation_name = name;
    Ok(vec![told])
}

/// The conversation an item opens, or what it already opens when the event names none.
fn conversation_or_listing(conversation_id: &str, listing: &Subject) -> Subject {
    Uuid::parse_str(conversation_id).map_or_else(|_| listing.clone(), Subject::Conversation)
}

/// `listing.reserved` → the member who asked: the listing is kept for their organisation.
pub fn reserved_items(
    envelope: &EventEnvelope,
    names: &Names,
) -> Result<Vec<InboxItem>, HandlerError> {
    let event: ListingReserved = events::payload(envelope)?;
    let change = change_of(envelope, event.change.as_ref())?;
    let title = &change.title;
    let (owner, name) = other_organisation(names, "organisation_id", &change.organisation_id)?;
    let publisher = if name.is_empty() {
        Text::new(
            "The organisation that published it",
            "L'organisation qui l'a publiée",
        )
    } else {
        Text::new(name.clone(), name.clone())
    };
    let mut told = item(
        envelope,
        uuid("counterpart_user_id", &event.counterpart_user_id)?,
        uuid("listing_id", &change.listing_id)?,
        Text::new(
            format!("The listing “{title}” is reserved for you"),
            format!("L'annonce « {title} » est réservée pour vous"),
        ),
        Text::new(
            format!(
                "{} reserves it for your organisation. Once the exchange is done, confirm the \
                 quantity received in the conversation.",
                publisher.en
            ),
            format!(
                "{} la réserve pour votre organisation. Une fois l'échange fait, confirmez la \
                 quantité reçue dans la conversation.",
                publisher.fr
            ),
        ),
    )?;
    told.subject = conversation_or_listing(&event.conversation_id, &told.subject);
    told.other_organisation = owner;
    told.other_organisation_name = name;
    Ok(vec![told])
}

/// `listing.reservation_cancelled` → the member who asked: the reservation is over, because
/// the listing's organisation cancelled it (the listing is open to all again), withdrew the
/// listing, or a facilitator hid it. Events from before the counterpart was named in them tell
/// nobody.
pub fn reservation_cancelled_items(
    envelope: &EventEnvelope,
    names: &Names,
) -> Result<Vec<InboxItem>, HandlerError> {
    let event: ListingReservationCancelled = events::payload(envelope)?;
    let change = change_of(envelope, event.change.as_ref())?;
    if event.counterpart_user_id.is_empty() {
        return Ok(Vec::new());
    }
    let why = match change.status.as_str() {
        "withdrawn" => Text::new(
            "The organisation that published it withdrew the listing.",
            "L'organisation qui l'a publiée a retiré l'annonce.",
        ),
        "hidden" => Text::new(
            "A facilitator of the territory hid the listing.",
            "Un animateur du territoire a masqué l'annonce.",
        ),
        _ => Text::new(
            "The organisation that published the listing cancelled the reservation: the listing \
             is open to all again.",
            "L'organisation qui a publié l'annonce a annulé la réservation : l'annonce est de \
             nouveau ouverte à tous.",
        ),
    };
    let title = &change.title;
    let (owner, name) = other_organisation(names, "organisation_id", &change.organisation_id)?;
    let mut told = item(
        envelope,
        uuid("counterpart_user_id", &event.counterpart_user_id)?,
        uuid("listing_id", &change.listing_id)?,
        Text::new(
            format!("The reservation of “{title}” is cancelled"),
            format!("La réservation de « {title} » est annulée"),
        ),
        why,
    )?;
    told.subject = conversation_or_listing(&event.conversation_id, &told.subject);
    told.other_organisation = owner;
    told.other_organisation_name = name;
    Ok(vec![told])
}

/// `exchange.completed` → the member of each side who confirmed: the exchange is on record
/// and counts in their impact.
pub fn exchange_completed_items(
    envelope: &EventEnvelope,
    _: &Names,
) -> Result<Vec<InboxItem>, HandlerError> {
    let event: ExchangeCompleted = events::payload(envelope)?;
    let listing_id = uuid("listing_id", &event.listing_id)?;
    let (title, quantity) = (&event.listing_title, &event.quantity);
    let conversation =
        conversation_or_listing(&event.conversation_id, &Subject::Listing(listing_id));
    let mut told = Vec::new();
    for user in &event.confirmed_by_user_ids {
        let user_id = uuid("confirmed_by_user_ids", user)?;
        if told.iter().any(|item: &InboxItem| item.user_id == user_id) {
            continue;
        }
        told.push(item(
            envelope,
            user_id,
            listing_id,
            Text::new(
                format!("Exchange completed: “{title}”"),
                format!("Échange terminé : « {title} »"),
            ),
            Text::new(
                format!(
                    "Both organisations confirmed {quantity} {}. The exchange now counts in the \
                     impact of your organisation and of the territory.",
                    unit_in_english(&event.unit)
                ),
                format!(
                    "Les deux organisations ont confirmé {quantity} {}. L'échange compte \
                     désormais dans l'impact de votre organisation et du territoire.",
                    unit_in_french(&event.unit)
                ),
            ),
        )?);
        if let Some(last) = told.last_mut() {
            last.subject = conversation.clone();
        }
    }
    Ok(told)
}

/// Unit codes of listings as an English reader writes them.
fn unit_in_english(unit: &str) -> &str {
    match unit {
        "piece" => "piece(s)",
        "m2" => "m²",
        "m3" => "m³",
        "day" => "day(s)",
        other => other,
    }
}

/// Unit codes of listings as a French reader writes them.
fn unit_in_french(unit: &str) -> &str {
    match unit {
        "piece" => "pièce(s)",
        "m2" => "m²",
        "m3" => "m³",
        "day" => "jour(s)",
        other => other,
    }
}

/// Writes an e-mail for each event it is given and queues it for the sender.
pub struct MailHandler {
    store: Arc<dyn crate::store::MailStore>,
    public_url: String,
    sender: crate::sender::SenderWaker,
    consumer: &'static str,
    compose: Compose,
}

/// Turns an event into the e-mail it causes.
pub type Compose = fn(&EventEnvelope, &str) -> Result<Vec<crate::mail::Mail>, HandlerError>;

impl MailHandler {
    pub fn new(
        store: Arc<dyn crate::store::MailStore>,
        public_url: String,
        sender: crate::sender::SenderWaker,
        consumer: &'static str,
        compose: Compose,
    ) -> Self {
        Self {
            store,
            public_url,
            sender,
            consumer,
            compose,
        }
    }
}

/// `user.verification_requested` → the confirmation e-mail.
pub fn verification_mail(
    envelope: &EventEnvelope,
    public_url: &str,
) -> Result<Vec<crate::mail::Mail>, HandlerError> {
    let event: synergies_proto::events::v1::UserVerificationRequested = events::payload(envelope)?;
    Ok(vec![crate::mail::verification(&event, public_url)])
}

/// `user.password_reset_requested` → the reset e-mail.
pub fn password_reset_mail(
    envelope: &EventEnvelope,
    public_url: &str,
) -> Result<Vec<crate::mail::Mail>, HandlerError> {
    let event: synergies_proto::events::v1::PasswordResetRequested = events::payload(envelope)?;
    Ok(vec![crate::mail::password_reset(&event, public_url)])
}

/// `user.invited` → the invitation e-mail.
pub fn invitation_mail(
    envelope: &EventEnvelope,
    public_url: &str,
) -> Result<Vec<crate::mail::Mail>, HandlerError> {
    let event: synergies_proto::events::v1::UserInvited = events::payload(envelope)?;
    Ok(vec![crate::mail::invitation(&event, public_url)])
}

/// `organisation.decided` → one e-mail to each user of the organisation.
pub fn decision_mails(
    envelope: &EventEnvelope,
    public_url: &str,
) -> Result<Vec<crate::mail::Mail>, HandlerError> {
    let event: synergies_proto::events::v1::OrganisationDecided = events::payload(envelope)?;
    Ok(event
        .recipients
        .iter()
        .map(|recipient| crate::mail::decision(&event, recipient, public_url))
        .collect())
}

#[async_trait]
impl EventHandler for MailHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        // Links lead to the tenant's own pages: `<public url>/<tenant>/verify-email?token=…`.
        let tenant_url = format!(
            "{}/{}",
            self.public_url.trim_end_matches('/'),
            envelope.tenant
        );
        let mails = (self.compose)(envelope, &tenant_url)?;
        let event_id = events::event_id(envelope)?;
        let queued = self
            .store
            .queue_mail(self.consumer, event_id, &envelope.tenant, &mails)
            .await
            .map_err(handler_error)?;
        if queued {
            tracing::info!(event_type = %envelope.event_type, "e-mail queued");
            self.sender.0.notify_one();
        }
        Ok(())
    }
}

/// Reacts to `user.erased`: forgets the user's inbox and the e-mails written to them.
pub struct UserErasedHandler {
    store: Arc<dyn InboxStore>,
}

impl UserErasedHandler {
    pub fn new(store: Arc<dyn InboxStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl EventHandler for UserErasedHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let event: synergies_proto::events::v1::UserErased = events::payload(envelope)?;
        let user_id = uuid("user_id", &event.user_id)?;
        let forgotten = self
            .store
            .forget_user(
                crate::consumers::keys::ERASURES,
                events::event_id(envelope)?,
                user_id,
                &event.email,
            )
            .await
            .map_err(handler_error)?;
        if forgotten {
            tracing::info!(%user_id, "erased user's notifications forgotten");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(offer_owner: &str, offer_organisation: &str) -> EventEnvelope {
        let event = MatchFound {
            match_id: Uuid::now_v7().to_string(),
            offer_listing_id: Uuid::now_v7().to_string(),
            request_listing_id: Uuid::now_v7().to_string(),
            offer_title: "Chutes de chêne".into(),
            request_title: "Cherche du bois".into(),
            offer_owner_user_id: offer_owner.into(),
            request_owner_user_id: Uuid::now_v7().to_string(),
            offer_organisation_name: offer_organisation.into(),
            request_organisation_name: "Brasserie du Lac".into(),
            explanation_fr: "Même matière.".into(),
            explanation_en: "Same material.".into(),
            offer_item_kind: "listing".into(),
            request_item_kind: "listing".into(),
            ..MatchFound::default()
        };
        events::envelope("dijon", "matching", &event)
    }

    #[test]
    fn both_sides_of_a_match_are_told_naming_the_other() {
        let owner = Uuid::now_v7();
        let items = match_items(
            &found(&owner.to_string(), "Ébénisterie Martin"),
            &Names::new(),
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        let offerer = items.iter().find(|i| i.user_id == owner).unwrap();
        assert!(
            offerer.title.fr.contains("Brasserie du Lac"),
            "{:?}",
            offerer.title
        );
        assert!(
            offerer
                .body
                .en
                .starts_with("Brasserie du Lac is looking for")
        );
        let requester = items.iter().find(|i| i.user_id != owner).unwrap();
        assert!(
            requester.body.fr.contains("d'Ébénisterie Martin")
                && requester.body.fr.contains("Même matière."),
            "{:?}",
            requester.body
        );
    }

    #[test]
    fn a_flow_side_is_told_as_its_whole_organisation() {
        let mut event: MatchFound = events::payload(&found("", "Scierie du Morvan")).unwrap();
        let organisation = Uuid::now_v7();
        event.offer_organisation_id = organisation.to_string();
        event.offer_item_kind = "flow".into();
        event.offer_organisation_told = true;
        let items = match_items(
            &events::envelope("dijon", "matching", &event),
            &Names::new(),
        )
        .unwrap();
        let told = items.iter().find(|i| i.for_organisation).unwrap();
        assert_eq!(
            (told.user_id, told.listing_id),
            (organisation, event.request_listing_id.parse().ok())
        );
        let requester = items.iter().find(|i| !i.for_organisation).unwrap();
        assert_eq!(
            requester.listing_id, None,
            "a flow is not a listing to link to"
        );
    }

    #[test]
    fn each_member_told_of_a_group_hears_of_its_own_item() {
        use synergies_proto::events::v1::GroupMember;
        let (owner, organisation) = (Uuid::now_v7(), Uuid::now_v7());
        let member = |owner: &str, kind: &str, label: &str| GroupMember {
            organisation_id: organisation.to_string(),
            item_kind: kind.into(),
            item_id: Uuid::now_v7().to_string(),
            label: label.into(),
            owner_user_id: owner.into(),
            ..GroupMember::default()
        };
        let event = SynergyGroupProposed {
            pool: "purchasing".into(),
            organisations: 3,
            explanation_fr: "À moins de 15 km.".into(),
            explanation_en: "Within 15 km.".into(),
            told: vec![
                member(&owner.to_string(), "listing", "Gants nitrile"),
                member("", "flow", "Gants de protection"),
            ],
            ..SynergyGroupProposed::default()
        };
        let items = group_items(
            &events::envelope("dijon", "matching", &event),
            &Names::new(),
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            (items[0].user_id, items[0].for_organisation),
            (owner, false)
        );
        assert!(items[0].title.fr.contains("« Gants nitrile »"));
        assert!(items[0].body.fr.contains("un achat groupé"));
        assert_eq!(
            (items[1].user_id, items[1].for_organisation),
            (organisation, true)
        );
        assert_eq!(items[1].listing_id, None);
    }

    #[test]
    fn a_side_without_a_member_is_told_nobody_and_unnamed_organisations_read_well() {
        let items = match_items(&found("", ""), &Names::new()).unwrap();
        assert_eq!(items.len(), 1);
        assert!(
            items[0].body.fr.contains("d'une autre organisation"),
            "{:?}",
            items[0].body
        );
    }
}
