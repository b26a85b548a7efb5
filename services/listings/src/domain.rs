//! Listings, the rules their fields follow, and their lifecycle:
//!
//! ```text
//! draft ─submit─▶ pending_approval ─approve─▶ published ─▶ reserved ─▶ completed
//!   └──────submit (no approval needed)──────────▲   │
//! withdrawn (owner), expired (available_until passed), hidden (facilitator, with a reason)
//! ```
//!
//! `reserved` and `completed` are reached through the exchanges module (conversations,
//! reservations, confirmations): the owner reserves a published listing for the other side of
//! one of its conversations, may cancel (back to published), and both sides' matching
//! confirmations complete it.

use chrono::{DateTime, NaiveDate, Utc};
use synergies_platform::error::FieldError;
use synergies_platform::i18n::Text;
use synergies_platform::validate::{bounded_multiline_text, required_text};
use uuid::Uuid;

/// A closed set of lowercase names, parsed and printed the same way everywhere (database,
/// events, API).
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value { $($text => Some(Self::$variant),)+ _ => None }
            }

            /// Every accepted name, for error messages.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

named_enum!(ListingKind { Offer = "offer", Request = "request" });
named_enum!(ResourceType { Goods = "goods", Skill = "skill", Space = "space" });
named_enum!(ExchangeMode { Give = "give", Exchange = "exchange", Lend = "lend", Rent = "rent", Sell = "sell" });
named_enum!(
    /// What a price is for: the whole lot or one unit when selling, a period when renting.
    PriceBasis { Lot = "lot", Unit = "unit", Day = "day", Week = "week", Month = "month", Year = "year" }
);
named_enum!(Unit { Piece = "piece", Kg = "kg", Tonne = "t", Metre = "m", SquareMetre = "m2", CubicMetre = "m3", Litre = "L", Hour = "h", Day = "day" });
named_enum!(Recurrence { OneOff = "one_off", Weekly = "week", Monthly = "month", Yearly = "year" });
named_enum!(Condition { New = "new", LikeNew = "like_new", Good = "good", Used = "used", ForParts = "for_parts" });
named_enum!(ListingStatus {
    Draft = "draft",
    PendingApproval = "pending_approval",
    Published = "published",
    Reserved = "reserved",
    Completed = "completed",
    Withdrawn = "withdrawn",
    Expired = "expired",
    Hidden = "hidden",
});

impl ExchangeMode {
    /// Modes that cost nothing: "free only" searches keep these.
    pub const FREE: [ExchangeMode; 2] = [ExchangeMode::Give, ExchangeMode::Lend];

    fn is_paid(self) -> bool {
        matches!(self, Self::Rent | Self::Sell)
    }
}

/// A price in euro cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub cents: i64,
    pub basis: PriceBasis,
}

/// A quantity in thousandths of its unit: exact decimals (`12.5` t) without a decimal type,
/// compared the same way on both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    pub thousandths: i64,
    pub unit: Unit,
    pub recurrence: Recurrence,
}

impl Quantity {
    /// `12.5`, `3`, `0.125` (at most three decimals, positive).
    pub fn parse_amount(text: &str) -> Result<i64, FieldError> {
        let invalid = || {
            FieldError::new(
                "quantity",
                "must be a positive number with at most three decimals, such as 12.5",
                "doit être un nombre positif d'au plus trois décimales, tel que 12,5",
            )
        };
        let text = text.trim().replace(',', ".");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(whole)
            || (!fraction.is_empty() && !digits(fraction))
            || fraction.len() > 3
            || whole.len() > 12
        {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction: i64 = format!("{fraction:0<3}").parse().map_err(|_| invalid())?;
        let amount = whole * 1000 + fraction;
        if amount == 0 {
            return Err(invalid());
        }
        Ok(amount)
    }

    /// The amount as a decimal without trailing zeros: `12500` → `12.5`.
    pub fn amount(&self) -> String {
        let whole = self.thousandths / 1000;
        let fraction = self.thousandths % 1000;
        if fraction == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{fraction:03}")
                .trim_end_matches('0')
                .to_owned()
        }
    }
}

/// Where the resource is: one of the organisation's sites, or a commune of the territory.
/// Coordinates are those of the site; a commune alone has none (identity keeps no commune
/// centroids), so such listings do not appear in distance searches.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub site_id: Option<Uuid>,
    pub insee_code: String,
    pub coordinates: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub id: Uuid,
    pub tenant: String,
    pub organisation_id: Uuid,
    pub owner_user_id: Uuid,
    pub kind: ListingKind,
    pub resource_type: ResourceType,
    pub category: String,
    pub title: String,
    pub description: String,
    pub ewc_code: Option<String>,
    pub exchange_mode: ExchangeMode,
    pub price: Option<Price>,
    pub quantity: Option<Quantity>,
    pub condition: Option<Condition>,
    pub available_from: Option<NaiveDate>,
    pub available_until: Option<NaiveDate>,
    pub location: Option<Location>,
    pub status: ListingStatus,
    /// Why a facilitator hid the listing.
    pub status_reason: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields a member writes, as received; [`ListingFields::validate`] checks them.
#[derive(Debug, Clone, Default)]
pub struct ListingFields {
    pub kind: Option<ListingKind>,
    pub resource_type: Option<ResourceType>,
    pub category: String,
    pub title: String,
    pub description: String,
    pub ewc_code: String,
    pub exchange_mode: Option<ExchangeMode>,
    pub price_cents: Option<i64>,
    pub price_basis: Option<PriceBasis>,
    /// Decimal text; empty when no quantity is given.
    pub quantity: String,
    pub unit: Option<Unit>,
    pub recurrence: Option<Recurrence>,
    pub condition: Option<Condition>,
    pub available_from: Option<NaiveDate>,
    pub available_until: Option<NaiveDate>,
}

/// The checked content of a listing (everything a member may edit, location apart).
#[derive(Debug, Clone, PartialEq)]
pub struct ListingContent {
    pub kind: ListingKind,
    pub resource_type: ResourceType,
    pub category: String,
    pub title: String,
    pub description: String,
    pub ewc_code: Option<String>,
    pub exchange_mode: ExchangeMode,
    pub price: Option<Price>,
    pub quantity: Option<Quantity>,
    pub condition: Option<Condition>,
    pub available_from: Option<NaiveDate>,
    pub available_until: Option<NaiveDate>,
}

pub const TITLE_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 5000;
/// A million euros: beyond that, a typing mistake is likelier than a listing.
pub const PRICE_MAX_CENTS: i64 = 100_000_000;

fn required<T>(value: Option<T>, field: &'static str, names: &str) -> Result<T, FieldError> {
    value.ok_or_else(|| {
        FieldError::new(
            field,
            format!("must be one of {names}"),
            format!("doit valoir l'une des valeurs {names}"),
        )
    })
}

impl ListingFields {
    /// Checks every field, in the order a form shows them; `allowed_modes` are the exchange
    /// modes the territory allows, `today` the day the listing is written.
    pub fn validate(
        self,
        allowed_modes: &[ExchangeMode],
        today: NaiveDate,
    ) -> Result<ListingContent, FieldError> {
        let kind = required(self.kind, "kind", &ListingKind::names())?;
        let category = crate::taxonomy::taxonomy().validate("category", &self.category)?;
        if let Some(resource_type) = self.resource_type
            && resource_type != category.resource_type
        {
            return Err(FieldError::new(
                "resource_type",
                format!(
                    "must be {} for category {}",
                    category.resource_type.as_str(),
                    category.code
                ),
                format!(
                    "doit valoir {} pour la catégorie {}",
                    category.resource_type.as_str(),
                    category.code
                ),
            ));
        }
        let title = required_text("title", &self.title, TITLE_MAX)?;
        let description =
            bounded_multiline_text("description", &self.description, DESCRIPTION_MAX)?;
        let ewc_code = if self.ewc_code.trim().is_empty() {
            None
        } else {
            Some(crate::ewc::validate(&self.ewc_code)?)
        };
        let exchange_mode = self.exchange_mode.unwrap_or(ExchangeMode::Give);
        if !allowed_modes.contains(&exchange_mode) {
            let allowed = allowed_modes
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(FieldError::new(
                "exchange_mode",
                format!("is not allowed in this territory (allowed: {allowed})"),
                format!("n'est pas autorisé sur ce territoire (autorisés : {allowed})"),
            ));
        }
        let price = validate_price(exchange_mode, self.price_cents, self.price_basis)?;
        let quantity = validate_quantity(&self.quantity, self.unit, self.recurrence)?;
        if self.condition.is_some() && category.resource_type != ResourceType::Goods {
            return Err(FieldError::new(
                "condition",
                "applies to goods only",
                "ne s'applique qu'aux biens",
            ));
        }
        // A window that has already ended would expire at once: surely a typing mistake.
        if self.available_until.is_some_and(|until| until < today) {
            return Err(FieldError::new(
                "available_until",
                "must not be in the past",
                "ne doit pas être dans le passé",
            ));
        }
        if let (Some(from), Some(until)) = (self.available_from, self.available_until)
            && until < from
        {
            return Err(FieldError::new(
                "available_until",
                "must not be before available_from",
                "ne doit pas précéder available_from",
            ));
        }
        Ok(ListingContent {
            kind,
            resource_type: category.resource_type,
            category: category.code.clone(),
            title,
            description,
            ewc_code,
            exchange_mode,
            price,
            quantity,
            condition: self.condition,
            available_from: self.available_from,
            available_until: self.available_until,
        })
    }
}

/// Selling and renting need a price; giving and lending must not have one (the platform is
/// free, and a "free" listing with a price would mislead); exchanging may state a value.
fn validate_price(
    mode: ExchangeMode,
    cents: Option<i64>,
    basis: Option<PriceBasis>,
) -> Result<Option<Price>, FieldError> {
    let Some(cents) = cents else {
        if mode.is_paid() {
            return Err(FieldError::new(
                "price_cents",
                format!("is required to {} (in euro cents)", mode.as_str()),
                format!(
                    "est obligatoire pour le mode {} (en centimes d'euro)",
                    mode.as_str()
                ),
            ));
        }
        return Ok(None);
    };
    if matches!(mode, ExchangeMode::Give | ExchangeMode::Lend) {
        return Err(FieldError::new(
            "price_cents",
            format!("must be absent to {}: it is free", mode.as_str()),
            format!(
                "doit être absent pour le mode {} : c'est gratuit",
                mode.as_str()
            ),
        ));
    }
    if !(0..=PRICE_MAX_CENTS).contains(&cents) {
        return Err(FieldError::new(
            "price_cents",
            format!("must be between 0 and {PRICE_MAX_CENTS} euro cents"),
            format!("doit être compris entre 0 et {PRICE_MAX_CENTS} centimes d'euro"),
        ));
    }
    let periods = [
        PriceBasis::Day,
        PriceBasis::Week,
        PriceBasis::Month,
        PriceBasis::Year,
    ];
    let basis = match (mode, basis) {
        (ExchangeMode::Rent, Some(basis)) if periods.contains(&basis) => basis,
        (ExchangeMode::Rent, _) => {
            return Err(FieldError::new(
                "price_per",
                "must be a period to rent: day, week, month or year",
                "doit être une période pour une location : day, week, month ou year",
            ));
        }
        (_, None) => PriceBasis::Lot,
        (_, Some(basis)) if !periods.contains(&basis) => basis,
        (_, Some(_)) => {
            return Err(FieldError::new(
                "price_per",
                "must be lot or unit to sell or exchange",
                "doit valoir lot ou unit pour une vente ou un échange",
            ));
        }
    };
    Ok(Some(Price { cents, basis }))
}

fn validate_quantity(
    amount: &str,
    unit: Option<Unit>,
    recurrence: Option<Recurrence>,
) -> Result<Option<Quantity>, FieldError> {
    if amount.trim().is_empty() {
        if unit.is_some() || recurrence.is_some() {
            return Err(FieldError::new(
                "quantity",
                "is required with a unit or a recurrence",
                "est obligatoire avec une unité ou une récurrence",
            ));
        }
        return Ok(None);
    }
    let thousandths = Quantity::parse_amount(amount)?;
    let unit = required(unit, "unit", &Unit::names())?;
    Ok(Some(Quantity {
        thousandths,
        unit,
        recurrence: recurrence.unwrap_or(Recurrence::OneOff),
    }))
}

/// A transition refused because of the listing's current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", message.en)]
pub struct WrongStatus {
    pub message: Text,
}

fn wrong_status(action_en: &str, action_fr: &str, status: ListingStatus) -> WrongStatus {
    WrongStatus {
        message: Text::new(
            format!("a {} listing cannot be {action_en}", status.as_str()),
            format!(
                "une annonce à l'état {} ne peut pas être {action_fr}",
                status.as_str()
            ),
        ),
    }
}

/// An exchange is confirmed only on a reserved listing.
pub fn not_reserved(status: ListingStatus) -> WrongStatus {
    WrongStatus {
        message: Text::new(
            format!(
                "a {} listing cannot be confirmed: the listing's organisation must reserve it first",
                status.as_str()
            ),
            format!(
                "une annonce à l'état {} ne peut pas être confirmée : l'organisation de l'annonce doit d'abord la réserver",
                status.as_str()
            ),
        ),
    }
}

impl Listing {
    /// A new draft of `organisation`, written by `owner`.
    pub fn draft(
        tenant: &str,
        organisation_id: Uuid,
        owner_user_id: Uuid,
        content: ListingContent,
        location: Option<Location>,
    ) -> Self {
        let now = synergies_platform::time::now();
        let mut listing = Self {
            id: Uuid::now_v7(),
            tenant: tenant.to_owned(),
            organisation_id,
            owner_user_id,
            kind: content.kind,
            resource_type: content.resource_type,
            category: String::new(),
            title: String::new(),
            description: String::new(),
            ewc_code: None,
            exchange_mode: content.exchange_mode,
            price: None,
            quantity: None,
            condition: None,
            available_from: None,
            available_until: None,
            location,
            status: ListingStatus::Draft,
            status_reason: String::new(),
            created_at: now,
            updated_at: now,
        };
        listing.set_content(content);
        listing
    }

    fn set_content(&mut self, content: ListingContent) {
        self.kind = content.kind;
        self.resource_type = content.resource_type;
        self.category = content.category;
        self.title = content.title;
        self.description = content.description;
        self.ewc_code = content.ewc_code;
        self.exchange_mode = content.exchange_mode;
        self.price = content.price;
        self.quantity = content.quantity;
        self.condition = content.condition;
        self.available_from = content.available_from;
        self.available_until = content.available_until;
    }

    fn touch(&mut self) {
        self.updated_at = synergies_platform::time::now();
    }

    /// Moves the listing from one of `from` to `to`, or says it cannot be `verb` (English,
    /// French) in its status.
    fn step(
        &mut self,
        from: &[ListingStatus],
        to: ListingStatus,
        verb: (&str, &str),
    ) -> Result<(), WrongStatus> {
        if !from.contains(&self.status) {
            return Err(wrong_status(verb.0, verb.1, self.status));
        }
        self.status = to;
        self.touch();
        Ok(())
    }

    /// The owner edits a draft or a published listing. Where the territory approves listings,
    /// an edited published listing waits for approval again: what a facilitator approved is what
    /// members see.
    pub fn update(
        &mut self,
        content: ListingContent,
        location: Option<Location>,
        needs_approval: bool,
    ) -> Result<(), WrongStatus> {
        if !matches!(self.status, ListingStatus::Draft | ListingStatus::Published) {
            return Err(wrong_status("edited", "modifiée", self.status));
        }
        self.set_content(content);
        self.location = location;
        if self.status == ListingStatus::Published && needs_approval {
            self.status = ListingStatus::PendingApproval;
        }
        self.touch();
        Ok(())
    }

    /// The owner submits a draft: published at once, or waiting for a facilitator.
    pub fn submit(&mut self, needs_approval: bool) -> Result<(), WrongStatus> {
        let to = if needs_approval {
            ListingStatus::PendingApproval
        } else {
            ListingStatus::Published
        };
        self.step(&[ListingStatus::Draft], to, ("submitted", "soumise"))
    }

    /// A facilitator approves a listing waiting for approval.
    pub fn approve(&mut self) -> Result<(), WrongStatus> {
        self.step(
            &[ListingStatus::PendingApproval],
            ListingStatus::Published,
            ("approved", "approuvée"),
        )
    }

    /// The owner takes the listing down, whatever stage before completion it is at.
    pub fn withdraw(&mut self) -> Result<(), WrongStatus> {
        self.step(
            &[
                ListingStatus::Draft,
                ListingStatus::PendingApproval,
                ListingStatus::Published,
                ListingStatus::Reserved,
            ],
            ListingStatus::Withdrawn,
            ("withdrawn", "retirée"),
        )
    }

    /// A facilitator hides a listing others can see or are about to see.
    pub fn hide(&mut self, reason: String) -> Result<(), WrongStatus> {
        self.step(
            &[
                ListingStatus::PendingApproval,
                ListingStatus::Published,
                ListingStatus::Reserved,
            ],
            ListingStatus::Hidden,
            ("hidden", "masquée"),
        )?;
        self.status_reason = reason;
        Ok(())
    }

    /// The owner reserves a published listing for another organisation.
    pub fn reserve(&mut self) -> Result<(), WrongStatus> {
        self.step(
            &[ListingStatus::Published],
            ListingStatus::Reserved,
            ("reserved", "réservée"),
        )
    }

    /// The owner cancels a reservation: the listing is on offer again.
    pub fn cancel_reservation(&mut self) -> Result<(), WrongStatus> {
        if self.status != ListingStatus::Reserved {
            return Err(WrongStatus {
                message: Text::new(
                    format!(
                        "a {} listing has no reservation to cancel",
                        self.status.as_str()
                    ),
                    format!(
                        "une annonce à l'état {} n'a pas de réservation à annuler",
                        self.status.as_str()
                    ),
                ),
            });
        }
        self.status = ListingStatus::Published;
        self.touch();
        Ok(())
    }

    /// A quantity per week, month or year: such a listing is exchanged again and again.
    pub fn is_recurring(&self) -> bool {
        self.quantity
            .is_some_and(|q| q.recurrence != Recurrence::OneOff)
    }

    /// The status after both sides confirmed an exchange: a recurring listing is published
    /// again (each exchange is recorded against it until its organisation closes it), any
    /// other is completed.
    pub fn status_after_exchange(&self) -> ListingStatus {
        if self.is_recurring() {
            ListingStatus::Published
        } else {
            ListingStatus::Completed
        }
    }

    /// Both sides confirmed the exchange of a reserved listing.
    pub fn complete(&mut self) -> Result<(), WrongStatus> {
        if self.status != ListingStatus::Reserved {
            return Err(not_reserved(self.status));
        }
        self.status = self.status_after_exchange();
        self.touch();
        Ok(())
    }

    /// Whether `available_until` has passed on `today`, for a listing still on offer.
    pub fn is_due_to_expire(&self, today: NaiveDate) -> bool {
        matches!(
            self.status,
            ListingStatus::Draft | ListingStatus::PendingApproval | ListingStatus::Published
        ) && self.available_until.is_some_and(|until| until < today)
    }

    pub fn expire(&mut self, today: NaiveDate) -> Result<(), WrongStatus> {
        if !self.is_due_to_expire(today) {
            return Err(wrong_status("expired", "expirée", self.status));
        }
        self.status = ListingStatus::Expired;
        self.touch();
        Ok(())
    }

    /// Published listings (and reserved ones) are what the territory sees.
    pub fn is_public(&self) -> bool {
        matches!(
            self.status,
            ListingStatus::Published | ListingStatus::Reserved
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ListingFields {
        ListingFields {
            kind: Some(ListingKind::Offer),
            category: "packaging/pallets".into(),
            title: " 40 palettes Europe ".into(),
            description: "Bon état".into(),
            ..Default::default()
        }
    }

    fn valid(fields: ListingFields) -> Result<ListingContent, FieldError> {
        fields.validate(ExchangeMode::ALL, today())
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    }

    #[test]
    fn a_minimal_offer_is_a_gift_of_goods_trimmed() {
        let content = valid(fields()).unwrap();
        assert_eq!(content.title, "40 palettes Europe");
        assert_eq!(content.exchange_mode, ExchangeMode::Give);
        assert_eq!(content.resource_type, ResourceType::Goods);
    }

    type Spoil = fn(&mut ListingFields);

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(Spoil, &str); 20] = [
            (|d| d.title = "Palettes\u{202E}stteloP".into(), "title"),
            (|d| d.title = "Palettes\nEurope".into(), "title"),
            (
                |d| d.description = "Bon état\u{1b}[2J".into(),
                "description",
            ),
            (
                |d| d.available_until = NaiveDate::from_ymd_opt(2025, 12, 31),
                "available_until",
            ),
            (|d| d.kind = None, "kind"),
            (|d| d.category = "Packaging Stuff".into(), "category"),
            (
                |d| d.resource_type = Some(ResourceType::Space),
                "resource_type",
            ),
            (|d| d.title = "  ".into(), "title"),
            (
                |d| d.description = "x".repeat(DESCRIPTION_MAX + 1),
                "description",
            ),
            (|d| d.ewc_code = "12".into(), "ewc_code"),
            (
                |d| d.exchange_mode = Some(ExchangeMode::Sell),
                "price_cents",
            ),
            (
                |d| {
                    d.exchange_mode = Some(ExchangeMode::Give);
                    d.price_cents = Some(100);
                },
                "price_cents",
            ),
            (
                |d| {
                    d.exchange_mode = Some(ExchangeMode::Lend);
                    d.price_cents = Some(0);
                },
                "price_cents",
            ),
            (
                |d| {
                    d.exchange_mode = Some(ExchangeMode::Rent);
                    d.price_cents = Some(100);
                },
                "price_per",
            ),
            (
                |d| {
                    d.exchange_mode = Some(ExchangeMode::Sell);
                    d.price_cents = Some(-1);
                },
                "price_cents",
            ),
            (
                |d| {
                    d.exchange_mode = Some(ExchangeMode::Sell);
                    d.price_cents = Some(1);
                    d.price_basis = Some(PriceBasis::Month);
                },
                "price_per",
            ),
            (|d| d.quantity = "1,5,3".into(), "quantity"),
            (|d| d.quantity = "12".into(), "unit"),
            (
                |d| {
                    d.category = "spaces/storage".into();
                    d.condition = Some(Condition::Used);
                },
                "condition",
            ),
            (
                |d| {
                    d.available_from = NaiveDate::from_ymd_opt(2026, 5, 2);
                    d.available_until = NaiveDate::from_ymd_opt(2026, 5, 1);
                },
                "available_until",
            ),
        ];
        for (spoil, field) in cases {
            let mut bad = fields();
            spoil(&mut bad);
            assert_eq!(valid(bad).unwrap_err().field, field);
        }
    }

    #[test]
    fn prices_follow_the_exchange_mode() {
        let mut rent = fields();
        rent.exchange_mode = Some(ExchangeMode::Rent);
        rent.price_cents = Some(5000);
        rent.price_basis = Some(PriceBasis::Month);
        assert_eq!(
            valid(rent).unwrap().price,
            Some(Price {
                cents: 5000,
                basis: PriceBasis::Month
            })
        );
        let mut sell = fields();
        sell.exchange_mode = Some(ExchangeMode::Sell);
        sell.price_cents = Some(250);
        assert_eq!(valid(sell).unwrap().price.unwrap().basis, PriceBasis::Lot);
    }

    #[test]
    fn the_territory_decides_which_modes_are_allowed() {
        let mut sell = fields();
        sell.exchange_mode = Some(ExchangeMode::Sell);
        sell.price_cents = Some(250);
        let refused = sell
            .validate(&[ExchangeMode::Give, ExchangeMode::Lend], today())
            .unwrap_err();
        assert_eq!(refused.field, "exchange_mode");
        assert!(refused.rule.fr.contains("give, lend"));
    }

    #[test]
    fn quantities_are_exact_decimals() {
        assert_eq!(Quantity::parse_amount("12.5").unwrap(), 12_500);
        assert_eq!(Quantity::parse_amount("0,125").unwrap(), 125);
        assert!(Quantity::parse_amount("0").is_err());
        assert!(Quantity::parse_amount("1.2345").is_err());
        assert!(Quantity::parse_amount("-3").is_err());
        let q = Quantity {
            thousandths: 12_500,
            unit: Unit::Tonne,
            recurrence: Recurrence::Monthly,
        };
        assert_eq!(q.amount(), "12.5");
    }

    #[test]
    fn the_lifecycle_refuses_what_makes_no_sense() {
        let content = valid(fields()).unwrap();
        let mut listing = Listing::draft(
            "dijon",
            Uuid::now_v7(),
            Uuid::now_v7(),
            content.clone(),
            None,
        );
        assert!(listing.approve().is_err());
        listing.submit(true).unwrap();
        assert_eq!(listing.status, ListingStatus::PendingApproval);
        assert!(listing.submit(true).is_err());
        listing.approve().unwrap();
        assert_eq!(listing.status, ListingStatus::Published);
        // Edited where listings need no approval: still published.
        listing.update(content.clone(), None, false).unwrap();
        assert_eq!(listing.status, ListingStatus::Published);
        listing.hide("doublon".into()).unwrap();
        assert_eq!(listing.status, ListingStatus::Hidden);
        assert!(listing.withdraw().is_err());
        let message = listing.hide("x".into()).unwrap_err().message;
        assert!(message.fr.contains("hidden"));
    }

    #[test]
    fn an_edited_published_listing_waits_for_approval_again_where_the_territory_approves() {
        let content = valid(fields()).unwrap();
        let mut listing = Listing::draft(
            "dijon",
            Uuid::now_v7(),
            Uuid::now_v7(),
            content.clone(),
            None,
        );
        listing.update(content.clone(), None, true).unwrap();
        assert_eq!(
            listing.status,
            ListingStatus::Draft,
            "a draft stays a draft"
        );
        listing.submit(true).unwrap();
        listing.approve().unwrap();
        listing.update(content, None, true).unwrap();
        assert_eq!(listing.status, ListingStatus::PendingApproval);
        listing.approve().unwrap();
        assert_eq!(listing.status, ListingStatus::Published);
    }

    #[test]
    fn a_published_listing_is_reserved_cancelled_reserved_and_completed() {
        let mut listing = Listing::draft(
            "dijon",
            Uuid::now_v7(),
            Uuid::now_v7(),
            valid(fields()).unwrap(),
            None,
        );
        assert!(listing.reserve().is_err());
        assert!(listing.cancel_reservation().is_err());
        listing.submit(false).unwrap();
        assert!(listing.complete().is_err());
        listing.reserve().unwrap();
        assert!(listing.reserve().is_err());
        listing.cancel_reservation().unwrap();
        assert_eq!(listing.status, ListingStatus::Published);
        listing.reserve().unwrap();
        listing.complete().unwrap();
        assert_eq!(listing.status, ListingStatus::Completed);
        assert!(listing.cancel_reservation().is_err());
    }

    #[test]
    fn a_recurring_listing_is_published_again_after_each_exchange() {
        let mut f = fields();
        f.quantity = "2".into();
        f.unit = Some(Unit::Tonne);
        f.recurrence = Some(Recurrence::Monthly);
        let mut listing = Listing::draft(
            "dijon",
            Uuid::now_v7(),
            Uuid::now_v7(),
            valid(f).unwrap(),
            None,
        );
        assert!(listing.is_recurring());
        listing.submit(false).unwrap();
        for _ in 0..2 {
            listing.reserve().unwrap();
            listing.complete().unwrap();
            assert_eq!(listing.status, ListingStatus::Published);
        }
        // Its organisation closes it when it is over.
        listing.withdraw().unwrap();
        assert_eq!(listing.status, ListingStatus::Withdrawn);
    }

    #[test]
    fn listings_expire_the_day_after_their_last_day() {
        let mut f = fields();
        f.available_until = NaiveDate::from_ymd_opt(2026, 5, 1);
        let mut listing = Listing::draft(
            "dijon",
            Uuid::now_v7(),
            Uuid::now_v7(),
            valid(f).unwrap(),
            None,
        );
        listing.submit(false).unwrap();
        assert!(!listing.is_due_to_expire(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()));
        listing
            .expire(NaiveDate::from_ymd_opt(2026, 5, 2).unwrap())
            .unwrap();
        assert_eq!(listing.status, ListingStatus::Expired);
    }
}
