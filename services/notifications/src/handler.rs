//! Turns events into what members are told: inbox items (one [`InboxHandler`] per event type,
//! each with its own item builder) and e-mails ([`MailHandler`]).
//!
//! Inbox items are written in French and in English; the reader's page picks the language.

use std::sync::Arc;

use async_trait::async_trait;
use synergies_platform::consumer::{EventHandler, HandlerError};
use synergies_platform::events;
use synergies_platform::i18n::Text;
use synergies_proto::events::v1::{
    ConversationMessagePosted, EventEnvelope, ExchangeCompleted, ListingChange, ListingHidden,
    ListingReservationCancelled, ListingReserved, MatchFound,
};
use uuid::Uuid;

use crate::store::{InboxItem, InboxStore};

fn uuid(field: &str, value: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value)
        .map_err(|_| HandlerError::Permanent(format!("{field} {value:?} is not a UUID")))
}

/// Turns an event into the inbox items it causes (none, one, or one per person told).
pub type InboxItems = fn(&EventEnvelope) -> Result<Vec<InboxItem>, HandlerError>;

/// Stores the inbox items of each event of one type, once per event.
pub struct InboxHandler {
    store: Arc<dyn InboxStore>,
    consumer: &'static str,
    items: InboxItems,
}

impl InboxHandler {
    pub fn new(store: Arc<dyn InboxStore>, consumer: &'static str, items: InboxItems) -> Self {
        Self {
            store,
            consumer,
            items,
        }
    }
}

#[async_trait]
impl EventHandler for InboxHandler {
    async fn handle(&self, envelope: &EventEnvelope) -> Result<(), HandlerError> {
        let items = (self.items)(envelope)?;
        let event_id = events::event_id(envelope)?;
        let delivered = self
            .store
            .deliver(self.consumer, event_id, &items)
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if delivered {
            tracing::info!(event_type = %envelope.event_type, items = items.len(), "inbox items stored");
        } else {
            tracing::info!(event_type = %envelope.event_type, "event already handled, skipped");
        }
        Ok(())
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
    })
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
pub fn match_items(envelope: &EventEnvelope) -> Result<Vec<InboxItem>, HandlerError> {
    let event: MatchFound = events::payload(envelope)?;
    let (offer, request) = (&event.offer_title, &event.request_title);
    let why = match_explanation(&event);
    let offerer = organisation_or_another(&event.offer_organisation_name);
    let requester = organisation_or_another(&event.request_organisation_name);
    let offer_listing = listing_side(&event.offer_item_kind, &event.offer_listing_id)?;
    let request_listing = listing_side(&event.request_item_kind, &event.request_listing_id)?;
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
        told.for_organisation = for_organisation;
        items.push(told);
    }
    Ok(items)
}

/// `listing.hidden` → the owner: a facilitator hid their listing, and why.
pub fn hidden_listing_items(envelope: &EventEnvelope) -> Result<Vec<InboxItem>, HandlerError> {
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

/// `conversation.message_posted` → the other side; the message itself stays in the
/// conversation.
pub fn message_items(envelope: &EventEnvelope) -> Result<Vec<InboxItem>, HandlerError> {
    let event: ConversationMessagePosted = events::payload(envelope)?;
    let title = &event.listing_title;
    Ok(vec![item(
        envelope,
        uuid("recipient_user_id", &event.recipient_user_id)?,
        uuid("listing_id", &event.listing_id)?,
        Text::new(
            format!("New message about “{title}”"),
            format!("Nouveau message à propos de « {title} »"),
        ),
        Text::new(
            "An organisation wrote to you in the conversation about this listing.",
            "Une organisation vous a écrit dans la conversation sur cette annonce.",
        ),
    )?])
}

/// `listing.reserved` → the member who asked: the listing is kept for their organisation.
pub fn reserved_items(envelope: &EventEnvelope) -> Result<Vec<InboxItem>, HandlerError> {
    let event: ListingReserved = events::payload(envelope)?;
    let change = change_of(envelope, event.change.as_ref())?;
    let title = &change.title;
    Ok(vec![item(
        envelope,
        uuid("counterpart_user_id", &event.counterpart_user_id)?,
        uuid("listing_id", &change.listing_id)?,
        Text::new(
            format!("The listing “{title}” is reserved for you"),
            format!("L'annonce « {title} » est réservée pour vous"),
        ),
        Text::new(
            "The organisation that published it reserves it for your organisation. Once the \
             exchange is done, confirm the quantity received in the conversation.",
            "L'organisation qui l'a publiée la réserve pour votre organisation. Une fois \
             l'échange fait, confirmez la quantité reçue dans la conversation.",
        ),
    )?])
}

/// `listing.reservation_cancelled` → the member who asked: the reservation is over, because
/// the listing's organisation cancelled it (the listing is open to all again), withdrew the
/// listing, or a facilitator hid it. Events from before the counterpart was named in them tell
/// nobody.
pub fn reservation_cancelled_items(
    envelope: &EventEnvelope,
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
    Ok(vec![item(
        envelope,
        uuid("counterpart_user_id", &event.counterpart_user_id)?,
        uuid("listing_id", &change.listing_id)?,
        Text::new(
            format!("The reservation of “{title}” is cancelled"),
            format!("La réservation de « {title} » est annulée"),
        ),
        why,
    )?])
}

/// `exchange.completed` → the member of each side who confirmed: the exchange is on record
/// and counts in their impact.
pub fn exchange_completed_items(envelope: &EventEnvelope) -> Result<Vec<InboxItem>, HandlerError> {
    let event: ExchangeCompleted = events::payload(envelope)?;
    let listing_id = uuid("listing_id", &event.listing_id)?;
    let (title, quantity) = (&event.listing_title, &event.quantity);
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
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
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
                crate::ERASURES_CONSUMER,
                events::event_id(envelope)?,
                user_id,
                &event.email,
            )
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
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
        let items = match_items(&found(&owner.to_string(), "Ébénisterie Martin")).unwrap();
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
        let items = match_items(&events::envelope("dijon", "matching", &event)).unwrap();
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
    fn a_side_without_a_member_is_told_nobody_and_unnamed_organisations_read_well() {
        let items = match_items(&found("", "")).unwrap();
        assert_eq!(items.len(), 1);
        assert!(
            items[0].body.fr.contains("d'une autre organisation"),
            "{:?}",
            items[0].body
        );
    }
}
