//! What a flow is and the rules it keeps: the values each field may take, the yearly figure,
//! who sees which flow. No storage, no transport.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use synergies_platform::error::FieldError;
use synergies_platform::validate;
use uuid::Uuid;

use crate::decimal::Decimal;

/// An enumeration written and read as lowercase names (`"by-product"`), with its list of names
/// for error messages.
macro_rules! named {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Every name, comma-separated, for error messages.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

pub(crate) use named;

named!(
    /// Whether the organisation takes the resource in or lets it out.
    Direction { In => "in", Out => "out" }
);

named!(ResourceClass {
    Material => "material",
    Waste => "waste",
    ByProduct => "by-product",
    Energy => "energy",
    Water => "water",
    Equipment => "equipment",
    Service => "service",
    Skill => "skill",
    Space => "space",
    Logistics => "logistics",
});

named!(Unit {
    Tonne => "t",
    Kilogram => "kg",
    CubicMetre => "m3",
    Litre => "L",
    MegawattHour => "MWh",
    KilowattHour => "kWh",
    Piece => "piece",
    Metre => "m",
    SquareMetre => "m2",
    Hour => "h",
    Day => "day",
});

named!(
    /// The span a quantity is counted over.
    Period { Year => "year", Month => "month", Week => "week", Once => "once" }
);

named!(Regularity {
    Continuous => "continuous",
    Seasonal => "seasonal",
    Occasional => "occasional",
});

named!(
    /// Who besides the organisation and the territory's facilitators sees the flow.
    Confidentiality {
        /// The facilitators of the territory only.
        Facilitator => "facilitator",
        /// Also the organisations a synergy is proposed to (the default).
        Partners => "partners",
        /// Every member of the territory.
        Public => "public",
    }
);

named!(
    /// Who wrote the flow down first.
    Provenance {
        /// A member of the organisation.
        Declared => "declared",
        /// An advisor (facilitator) during a diagnostic.
        Recorded => "recorded",
    }
);

impl Period {
    /// Times a quantity of this period happens in a year; a one-off counts once.
    pub fn per_year(self) -> i64 {
        match self {
            Self::Year | Self::Once => 1,
            Self::Month => 12,
            Self::Week => 52,
        }
    }
}

/// What a person writes about a flow, as text, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowFields {
    pub site_id: String,
    pub direction: String,
    pub resource_class: String,
    pub label: String,
    pub description: String,
    pub ewc_code: String,
    pub category: String,
    pub quantity: String,
    pub unit: String,
    pub period: String,
    pub regularity: String,
    pub confidentiality: String,
    pub quality: String,
    pub current_outlet: String,
    pub yearly_cost_eur: String,
}

/// A flow's content once checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowContent {
    pub direction: Direction,
    pub resource_class: ResourceClass,
    pub label: String,
    pub description: String,
    pub ewc_code: Option<String>,
    pub category: Option<String>,
    pub quantity: Decimal,
    pub unit: Unit,
    pub period: Period,
    pub regularity: Option<Regularity>,
    pub confidentiality: Confidentiality,
    pub quality: String,
    pub current_outlet: String,
    pub yearly_cost_eur: Option<Decimal>,
}

const LABEL_MAX: usize = 200;
const TEXT_MAX: usize = 5000;
const SHORT_TEXT_MAX: usize = 1000;

fn one_of<T: Copy>(
    field: &'static str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> String,
) -> Result<T, FieldError> {
    parse(text.trim()).ok_or_else(|| {
        let names = names();
        FieldError::new(
            field,
            format!("must be one of {names}"),
            format!("doit valoir l'une des valeurs {names}"),
        )
    })
}

fn optional_one_of<T: Copy>(
    field: &'static str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> String,
) -> Result<Option<T>, FieldError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        one_of(field, text, parse, names).map(Some)
    }
}

impl FlowFields {
    /// Checks every field; the first broken rule names its field.
    pub fn validate(&self) -> Result<FlowContent, FieldError> {
        let direction = one_of(
            "direction",
            &self.direction,
            Direction::parse,
            Direction::names,
        )?;
        let resource_class = one_of(
            "resource_class",
            &self.resource_class,
            ResourceClass::parse,
            ResourceClass::names,
        )?;
        let label = validate::required_text("label", &self.label, LABEL_MAX)?;
        let description = validate::bounded_text("description", &self.description, TEXT_MAX)?;
        let ewc_code = if self.ewc_code.trim().is_empty() {
            if resource_class == ResourceClass::Waste {
                return Err(FieldError::new(
                    "ewc_code",
                    "is required for waste: a six-digit code of the European Waste Catalogue, such as 15 01 01",
                    "est obligatoire pour un déchet : un code à six chiffres de la nomenclature européenne des déchets, tel que 15 01 01",
                ));
            }
            None
        } else {
            Some(synergies_codes::ewc::validate(&self.ewc_code)?)
        };
        let category = match self.category.trim() {
            "" => None,
            code if synergies_codes::is_listing_category(code) => Some(code.to_owned()),
            _ => {
                return Err(FieldError::new(
                    "category",
                    "must be a category code of GET /api/v1/categories, such as packaging/pallets",
                    "doit être un code de catégorie de GET /api/v1/categories, tel que packaging/pallets",
                ));
            }
        };
        let quantity = Decimal::parse("quantity", &self.quantity)?;
        let unit = one_of("unit", &self.unit, Unit::parse, Unit::names)?;
        let period = one_of("period", &self.period, Period::parse, Period::names)?;
        let regularity = optional_one_of(
            "regularity",
            &self.regularity,
            Regularity::parse,
            Regularity::names,
        )?;
        let confidentiality = optional_one_of(
            "confidentiality",
            &self.confidentiality,
            Confidentiality::parse,
            Confidentiality::names,
        )?
        .unwrap_or(Confidentiality::Partners);
        let quality = validate::bounded_text("quality", &self.quality, SHORT_TEXT_MAX)?;
        let current_outlet =
            validate::bounded_text("current_outlet", &self.current_outlet, SHORT_TEXT_MAX)?;
        let yearly_cost_eur = if self.yearly_cost_eur.trim().is_empty() {
            None
        } else {
            Some(Decimal::parse("yearly_cost_eur", &self.yearly_cost_eur)?)
        };
        Ok(FlowContent {
            direction,
            resource_class,
            label,
            description,
            ewc_code,
            category,
            quantity,
            unit,
            period,
            regularity,
            confidentiality,
            quality,
            current_outlet,
            yearly_cost_eur,
        })
    }
}

impl FlowContent {
    /// The quantity over a year: monthly ×12, weekly ×52, yearly and one-off as written.
    pub fn yearly_quantity(&self) -> Decimal {
        self.quantity.times(self.period.per_year())
    }
}

/// What identity says about the flow's organisation, copied on each write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrganisationFacts {
    pub name: String,
    /// NAF/NACE code, e.g. "24.10Z".
    pub nace: String,
}

/// The site the flow is at, as identity describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteFacts {
    pub site_id: Uuid,
    pub insee_code: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub id: Uuid,
    pub tenant: String,
    pub organisation_id: Uuid,
    pub content: FlowContent,
    pub organisation: OrganisationFacts,
    pub site: Option<SiteFacts>,
    pub provenance: Provenance,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub updated_at: DateTime<Utc>,
    /// 1 at creation, +1 on each change.
    pub version: i64,
}

/// Who reads flows, as far as visibility goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// A facilitator (or administrator) of the territory: every flow of the territory.
    Facilitator,
    /// A member of an organisation: its own flows, and other organisations' public ones.
    /// Partners-only flows are shown within a proposed synergy: the service asks matching.
    Member { organisation_id: Uuid },
}

impl Viewer {
    pub fn sees(self, flow: &Flow) -> bool {
        match self {
            Self::Facilitator => true,
            Self::Member { organisation_id } => {
                flow.organisation_id == organisation_id
                    || flow.content.confidentiality == Confidentiality::Public
            }
        }
    }

    /// Whether this viewer may write flows of `organisation_id`.
    pub fn writes_for(self, organisation_id: Uuid) -> bool {
        match self {
            Self::Facilitator => true,
            Self::Member {
                organisation_id: own,
            } => own == organisation_id,
        }
    }

    /// The history of a flow: facilitators and the organisation itself.
    pub fn reads_history_of(self, organisation_id: Uuid) -> bool {
        self.writes_for(organisation_id)
    }

    /// For lists: the one organisation whose every flow this viewer sees beside public ones,
    /// or `None` when it sees all (see [`Viewer::sees`]).
    pub fn own_or_public(self) -> Option<Uuid> {
        match self {
            Self::Facilitator => None,
            Self::Member { organisation_id } => Some(organisation_id),
        }
    }
}

impl Flow {
    /// A new flow, version 1.
    // Each argument is a fact of the record; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        tenant: &str,
        organisation_id: Uuid,
        content: FlowContent,
        organisation: OrganisationFacts,
        site: Option<SiteFacts>,
        by: Uuid,
        provenance: Provenance,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            tenant: tenant.to_owned(),
            organisation_id,
            content,
            organisation,
            site,
            provenance,
            recorded_by: by,
            recorded_at: at,
            updated_by: by,
            updated_at: at,
            version: 1,
        }
    }

    /// The flow with new content, one version further.
    #[must_use]
    pub fn changed(
        &self,
        content: FlowContent,
        organisation: OrganisationFacts,
        site: Option<SiteFacts>,
        by: Uuid,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            content,
            organisation,
            site,
            updated_by: by,
            updated_at: at,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

named!(
    /// What a revision of the history records.
    Change {
    Recorded => "recorded",
    Changed => "changed",
    Removed => "removed",
}
);

/// One entry of a flow's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub version: i64,
    pub change: Change,
    pub by: Uuid,
    pub at: DateTime<Utc>,
    /// The flow as it read after the change (as it last read, for a removal).
    pub flow: Flow,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> FlowFields {
        FlowFields {
            direction: "out".into(),
            resource_class: "material".into(),
            label: "Chutes de bois".into(),
            quantity: "0.5".into(),
            unit: "t".into(),
            period: "week".into(),
            ..Default::default()
        }
    }

    #[test]
    fn quantities_are_normalised_to_a_year() {
        let content = fields().validate().unwrap();
        assert_eq!(content.yearly_quantity().to_string(), "26");
        let monthly = FlowFields {
            period: "month".into(),
            quantity: "1.25".into(),
            ..fields()
        };
        assert_eq!(
            monthly.validate().unwrap().yearly_quantity().to_string(),
            "15"
        );
        let once = FlowFields {
            period: "once".into(),
            ..fields()
        };
        assert_eq!(
            once.validate().unwrap().yearly_quantity().to_string(),
            "0.5"
        );
    }

    #[test]
    fn confidentiality_defaults_to_partners() {
        assert_eq!(
            fields().validate().unwrap().confidentiality,
            Confidentiality::Partners
        );
    }

    #[test]
    fn waste_needs_a_known_ewc_code() {
        let waste = FlowFields {
            resource_class: "waste".into(),
            ..fields()
        };
        assert_eq!(waste.validate().unwrap_err().field, "ewc_code");
        let coded = FlowFields {
            ewc_code: "15 01 03".into(),
            ..waste.clone()
        };
        assert_eq!(
            coded.validate().unwrap().ewc_code.as_deref(),
            Some("150103")
        );
        let unknown = FlowFields {
            ewc_code: "999999".into(),
            ..waste
        };
        assert_eq!(unknown.validate().unwrap_err().field, "ewc_code");
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let cases = [
            (
                "direction",
                FlowFields {
                    direction: "sideways".into(),
                    ..fields()
                },
            ),
            (
                "resource_class",
                FlowFields {
                    resource_class: "gold".into(),
                    ..fields()
                },
            ),
            (
                "label",
                FlowFields {
                    label: " ".into(),
                    ..fields()
                },
            ),
            (
                "quantity",
                FlowFields {
                    quantity: "-3".into(),
                    ..fields()
                },
            ),
            (
                "unit",
                FlowFields {
                    unit: "tons".into(),
                    ..fields()
                },
            ),
            (
                "period",
                FlowFields {
                    period: "daily".into(),
                    ..fields()
                },
            ),
            (
                "regularity",
                FlowFields {
                    regularity: "often".into(),
                    ..fields()
                },
            ),
            (
                "confidentiality",
                FlowFields {
                    confidentiality: "secret".into(),
                    ..fields()
                },
            ),
            (
                "category",
                FlowFields {
                    category: "nothing/here".into(),
                    ..fields()
                },
            ),
            (
                "yearly_cost_eur",
                FlowFields {
                    yearly_cost_eur: "cheap".into(),
                    ..fields()
                },
            ),
        ];
        for (field, case) in cases {
            assert_eq!(case.validate().unwrap_err().field, field);
        }
    }

    #[test]
    fn members_see_their_own_flows_and_public_ones_only() {
        let mine = Uuid::now_v7();
        let theirs = Uuid::now_v7();
        let flow = |organisation_id, confidentiality| {
            let mut content = fields().validate().unwrap();
            content.confidentiality = confidentiality;
            Flow::record(
                "t",
                organisation_id,
                content,
                OrganisationFacts::default(),
                None,
                Uuid::now_v7(),
                Provenance::Declared,
                Utc::now(),
            )
        };
        let me = Viewer::Member {
            organisation_id: mine,
        };
        assert!(me.sees(&flow(mine, Confidentiality::Facilitator)));
        assert!(me.sees(&flow(theirs, Confidentiality::Public)));
        assert!(!me.sees(&flow(theirs, Confidentiality::Partners)));
        assert!(!me.sees(&flow(theirs, Confidentiality::Facilitator)));
        assert!(Viewer::Facilitator.sees(&flow(theirs, Confidentiality::Facilitator)));
        assert!(!me.writes_for(theirs));
    }
}
