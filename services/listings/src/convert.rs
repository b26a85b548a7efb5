//! Between protobuf messages (API and events) and the domain. Enumerated fields travel as their
//! lowercase names; unknown names are refused naming the field.

use chrono::NaiveDate;
use synergies_platform::error::FieldError;
use synergies_platform::events::{envelope, timestamp};
use synergies_platform::outbox::OutboxEvent;
use synergies_proto::events::v1 as events;
use synergies_proto::listings::v1 as pb;

use crate::domain::{
    Condition, ExchangeMode, Listing, ListingFields, ListingKind, ListingStatus, PriceBasis,
    Recurrence, ResourceType, Unit,
};

pub fn kind_from_message(kind: i32) -> Option<ListingKind> {
    match pb::ListingKind::try_from(kind) {
        Ok(pb::ListingKind::Offer) => Some(ListingKind::Offer),
        Ok(pb::ListingKind::Request) => Some(ListingKind::Request),
        _ => None,
    }
}

/// An optional enumerated field: empty is "not stated", an unknown name is an error.
pub fn named<T>(
    field: &'static str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> String,
) -> Result<Option<T>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    parse(value).map(Some).ok_or_else(|| {
        let names = names();
        FieldError::new(
            field,
            format!("must be one of {names}"),
            format!("doit valoir l'une des valeurs {names}"),
        )
    })
}

pub fn date(field: &'static str, value: &str) -> Result<Option<NaiveDate>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            FieldError::new(
                field,
                "must be a date written YYYY-MM-DD",
                "doit être une date écrite AAAA-MM-JJ",
            )
        })
}

pub fn fields_from_message(fields: pb::ListingFields) -> Result<ListingFields, FieldError> {
    Ok(ListingFields {
        kind: kind_from_message(fields.kind),
        resource_type: named(
            "resource_type",
            &fields.resource_type,
            ResourceType::parse,
            ResourceType::names,
        )?,
        category: fields.category,
        title: fields.title,
        description: fields.description,
        ewc_code: fields.ewc_code,
        exchange_mode: named(
            "exchange_mode",
            &fields.exchange_mode,
            ExchangeMode::parse,
            ExchangeMode::names,
        )?,
        price_cents: fields.price_cents,
        price_basis: named(
            "price_per",
            &fields.price_per,
            PriceBasis::parse,
            PriceBasis::names,
        )?,
        quantity: fields.quantity,
        unit: named("unit", &fields.unit, Unit::parse, Unit::names)?,
        recurrence: named(
            "recurrence",
            &fields.recurrence,
            Recurrence::parse,
            Recurrence::names,
        )?,
        condition: named(
            "condition",
            &fields.condition,
            Condition::parse,
            Condition::names,
        )?,
        available_from: date("available_from", &fields.available_from)?,
        available_until: date("available_until", &fields.available_until)?,
    })
}

pub fn status_message(status: ListingStatus) -> pb::ListingStatus {
    match status {
        ListingStatus::Draft => pb::ListingStatus::Draft,
        ListingStatus::PendingApproval => pb::ListingStatus::PendingApproval,
        ListingStatus::Published => pb::ListingStatus::Published,
        ListingStatus::Reserved => pb::ListingStatus::Reserved,
        ListingStatus::Completed => pb::ListingStatus::Completed,
        ListingStatus::Withdrawn => pb::ListingStatus::Withdrawn,
        ListingStatus::Expired => pb::ListingStatus::Expired,
        ListingStatus::Hidden => pb::ListingStatus::Hidden,
    }
}

fn day(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub fn listing_message(listing: Listing) -> pb::Listing {
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
        status: status_message(listing.status).into(),
        created_at: Some(timestamp(listing.created_at)),
        resource_type: listing.resource_type.as_str().to_owned(),
        ewc_code: listing.ewc_code.unwrap_or_default(),
        exchange_mode: listing.exchange_mode.as_str().to_owned(),
        price_cents: listing.price.map(|p| p.cents),
        price_per: listing
            .price
            .map(|p| p.basis.as_str().to_owned())
            .unwrap_or_default(),
        quantity: listing.quantity.map(|q| q.amount()).unwrap_or_default(),
        unit: listing
            .quantity
            .map(|q| q.unit.as_str().to_owned())
            .unwrap_or_default(),
        recurrence: listing
            .quantity
            .map(|q| q.recurrence.as_str().to_owned())
            .unwrap_or_default(),
        condition: listing
            .condition
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        available_from: day(listing.available_from),
        available_until: day(listing.available_until),
        location: listing.location.map(|l| pb::Location {
            site_id: l.site_id.map(|id| id.to_string()).unwrap_or_default(),
            insee_code: l.insee_code,
            latitude: l.coordinates.map(|c| c.0),
            longitude: l.coordinates.map(|c| c.1),
        }),
        status_reason: listing.status_reason,
        updated_at: Some(timestamp(listing.updated_at)),
    }
}

/// `listing.published`: what matching indexes.
pub fn published_event(listing: &Listing) -> OutboxEvent {
    OutboxEvent::new(&envelope(
        &listing.tenant,
        crate::PRODUCER,
        &published_listing(listing),
    ))
}

/// A published listing as events carry it. The fields of the first version keep their meaning
/// (category is a taxonomy code, as before).
fn published_listing(listing: &Listing) -> events::ListingPublished {
    let location = listing.location.as_ref();
    events::ListingPublished {
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
        published_at: Some(timestamp(listing.updated_at)),
        resource_type: listing.resource_type.as_str().to_owned(),
        exchange_mode: listing.exchange_mode.as_str().to_owned(),
        ewc_code: listing.ewc_code.clone().unwrap_or_default(),
        quantity: listing.quantity.map(|q| q.amount()).unwrap_or_default(),
        unit: listing
            .quantity
            .map(|q| q.unit.as_str().to_owned())
            .unwrap_or_default(),
        insee_code: location.map(|l| l.insee_code.clone()).unwrap_or_default(),
        latitude: location.and_then(|l| l.coordinates).map(|c| c.0),
        longitude: location.and_then(|l| l.coordinates).map(|c| c.1),
        available_until: day(listing.available_until),
    }
}

/// The lifecycle step `listing` just took (its status and time now), by `by_user` (none: the
/// platform itself, e.g. the expiry sweeper).
pub fn listing_change(listing: &Listing, by_user: Option<uuid::Uuid>) -> events::ListingChange {
    events::ListingChange {
        listing_id: listing.id.to_string(),
        organisation_id: listing.organisation_id.to_string(),
        owner_user_id: listing.owner_user_id.to_string(),
        title: listing.title.clone(),
        status: listing.status.as_str().to_owned(),
        reason: listing.status_reason.clone(),
        by_user_id: by_user.map(|id| id.to_string()).unwrap_or_default(),
        at: Some(timestamp(listing.updated_at)),
    }
}

/// The event of a lifecycle step other than publication, or none (a draft edited).
pub fn change_event(
    listing: &Listing,
    by_user: Option<uuid::Uuid>,
    updated: bool,
) -> Option<OutboxEvent> {
    let change = Some(listing_change(listing, by_user));
    let tenant = &listing.tenant;
    let producer = crate::PRODUCER;
    let envelope = match listing.status {
        ListingStatus::Published if updated => {
            let listing = Some(published_listing(listing));
            envelope(
                tenant,
                producer,
                &events::ListingUpdated { change, listing },
            )
        }
        ListingStatus::Published => return Some(published_event(listing)),
        ListingStatus::PendingApproval => {
            envelope(tenant, producer, &events::ListingSubmitted { change })
        }
        ListingStatus::Withdrawn => {
            envelope(tenant, producer, &events::ListingWithdrawn { change })
        }
        ListingStatus::Expired => envelope(tenant, producer, &events::ListingExpired { change }),
        ListingStatus::Hidden => envelope(tenant, producer, &events::ListingHidden { change }),
        ListingStatus::Draft | ListingStatus::Reserved | ListingStatus::Completed => return None,
    };
    Some(OutboxEvent::new(&envelope))
}
