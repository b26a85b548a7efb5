//! Substitution: does one organisation's output replace another's input, how well, and why.
//! The score is how related the two things are (category, waste code, documented routes and
//! exchanges, words), times how compatible their classes are, times how practical the exchange
//! is (distance, quantities, timing, exchange modes). Rules in `README.md`.

use super::codes::WasteCode;
use super::explanation;
use super::knowledge::{Evidence, Side, View};
use super::text;
use super::{Direction, Factor, Item, Knowledge, Position, Quantity, ResourceClass, Scored};

/// Below this score a pair is not proposed.
pub const SCORE_THRESHOLD: f64 = 0.3;

/// A pair fully assessed, whether or not it passes the threshold (the evaluation ranks these).
#[derive(Debug, Clone)]
pub(crate) struct Assessment<'k> {
    pub(crate) score: f64,
    /// The score before rounding, to rank without artificial ties.
    pub(crate) raw_score: f64,
    pub(crate) factors: Vec<Factor>,
    pub(crate) evidence: Option<Evidence<'k>>,
    pub(crate) distance_km: Option<f64>,
    /// The meaningful words both share, filled in for the pairs that are proposed.
    pub(crate) shared_terms: Vec<String>,
    pub(crate) same_category: bool,
}

/// None when the pair must not be proposed: same organisation, other tenant, same direction,
/// unrelated (below threshold).
pub fn score_substitution(output: &Item, input: &Item, knowledge: &Knowledge) -> Option<Scored> {
    if !may_pair(output, input) {
        return None;
    }
    score_prepared(
        &knowledge.prepare(output),
        &knowledge.prepare(input),
        knowledge,
    )
}

/// An item read once by the knowledge (codes parsed, words normalised, compared with every
/// documented exchange), to be scored against many candidates: `score_substitution` prepares
/// both items at every call, which a new item scored against hundreds of candidates need not.
#[derive(Debug, Clone)]
pub struct PreparedItem<'a>(pub(crate) View<'a>);

impl Knowledge {
    /// Prepares an item as what it is: an output when `Out`, an input when `In`.
    pub fn prepare<'a>(&self, item: &'a Item) -> PreparedItem<'a> {
        let side = match item.direction {
            Direction::Out => Side::Output,
            Direction::In => Side::Input,
        };
        PreparedItem(self.view(item, side))
    }
}

impl PreparedItem<'_> {
    pub fn item(&self) -> &Item {
        &self.0.item
    }

    /// The same prepared item, owning a copy of its item: to be kept and scored again (a
    /// candidate meets many new items; preparing is most of the cost of scoring).
    pub fn into_owned(self) -> PreparedItem<'static> {
        PreparedItem(self.0.into_owned())
    }
}

/// `score_substitution` for prepared items: the same rules and the same result.
pub fn score_prepared(
    output: &PreparedItem,
    input: &PreparedItem,
    knowledge: &Knowledge,
) -> Option<Scored> {
    let assessment = assess_prepared(output, input, knowledge)?;
    Some(explain_prepared(output, input, assessment))
}

/// The `count` best substitutions between `item` and `candidates` (items of the other
/// direction), best first (ties by id), explained: each pair is scored, and only the best are
/// explained.
pub fn best_of(
    item: &PreparedItem,
    candidates: &[std::sync::Arc<PreparedItem<'static>>],
    knowledge: &Knowledge,
    count: usize,
) -> Vec<(uuid::Uuid, Scored)> {
    let oriented = |candidate| match item.0.item.direction {
        Direction::Out => (item, candidate),
        Direction::In => (candidate, item),
    };
    let mut assessed: Vec<_> = candidates
        .iter()
        .filter_map(|candidate| {
            let (output, input) = oriented(&**candidate);
            Some((assess_prepared(output, input, knowledge)?, candidate))
        })
        .collect();
    assessed.sort_by(|(a, x), (b, y)| {
        b.score
            .total_cmp(&a.score)
            .then(x.item().id.cmp(&y.item().id))
    });
    assessed
        .into_iter()
        .take(count)
        .map(|(assessment, candidate)| {
            let (output, input) = oriented(&**candidate);
            (
                candidate.item().id,
                explain_prepared(output, input, assessment),
            )
        })
        .collect()
}

/// The score of a pair worth proposing, not yet explained (to rank many pairs and explain the
/// best alone); `None`: not to be proposed.
pub(crate) fn assess_prepared<'k>(
    output: &PreparedItem,
    input: &PreparedItem,
    knowledge: &'k Knowledge,
) -> Option<Assessment<'k>> {
    let (out, inp) = (&output.0, &input.0);
    if !may_pair(&out.item, &inp.item) {
        return None;
    }
    let assessment = assess_views(out, inp, knowledge);
    (assessment.score >= SCORE_THRESHOLD).then_some(assessment)
}

/// A pair [`assess_prepared`] found worth proposing, with its explanation.
pub(crate) fn explain_prepared(
    output: &PreparedItem,
    input: &PreparedItem,
    mut assessment: Assessment,
) -> Scored {
    let (out, inp) = (&output.0, &input.0);
    let (output, input) = (&*out.item, &*inp.item);
    // Only what is proposed is explained: the words are looked up for those alone.
    assessment.shared_terms = text::shared_terms(&out.terms, &inp.terms);
    let explanation = explanation::substitution(output, input, &assessment);
    Scored {
        score: assessment.score,
        factors: assessment.factors,
        explanation,
    }
}

/// An output and an input of two organisations of one tenant.
fn may_pair(output: &Item, input: &Item) -> bool {
    output.direction == Direction::Out
        && input.direction == Direction::In
        && output.organisation_id != input.organisation_id
        && output.tenant == input.tenant
}

/// Scores a pair of items already viewed by the knowledge (the evaluation views each once).
pub(crate) fn assess_views<'k>(out: &View, inp: &View, knowledge: &'k Knowledge) -> Assessment<'k> {
    let (output, input) = (&*out.item, &*inp.item);
    let mut factors = Vec::new();

    let category = match (&output.category, &input.category) {
        (Some(a), Some(b)) => Some(category_closeness(a, b)),
        _ => None,
    };
    if let Some(value) = category {
        factors.push(Factor {
            name: "category",
            value,
        });
    }
    let waste = waste_closeness(out, inp);
    if let Some(value) = waste {
        factors.push(Factor { name: "ewc", value });
    }
    let class = class_compatibility(output.resource_class, input.resource_class);
    factors.push(Factor {
        name: "resource_class",
        value: class,
    });
    let (activity, evidence) = knowledge.activity(out, inp);
    factors.push(Factor {
        name: "activity",
        value: round(activity),
    });
    let text_similarity =
        text::similarity_with_norms(&out.terms, out.terms_norm, &inp.terms, inp.terms_norm);
    factors.push(Factor {
        name: "text",
        value: round(text_similarity),
    });
    // Does the receiver's trade work with what is offered ("glass" for a glassworks)?
    let trade = text::coverage(&out.terms, &inp.activity_terms);
    if !inp.activity_terms.is_empty() {
        factors.push(Factor {
            name: "receiver_activity",
            value: round(trade),
        });
    }

    // Each kind of evidence may show the relation on its own; together they confirm it.
    let related = 1.0
        - (1.0 - 0.95 * category.unwrap_or(0.0))
            * (1.0 - 0.9 * waste.unwrap_or(0.0))
            * (1.0 - 0.85 * activity)
            * (1.0 - 0.8 * text_similarity)
            * (1.0 - 0.4 * trade);

    let distance_km = output
        .position
        .zip(input.position)
        .map(|(a, b)| haversine_km(a, b));
    let practical = practicality(output, input, distance_km, |name, value| {
        factors.push(Factor {
            name,
            value: round(value),
        });
    });
    let regulatory = regulatory_ease(output, out.waste.as_ref());
    factors.push(Factor {
        name: "regulatory",
        value: regulatory,
    });

    let raw_score = (related * class * practical).clamp(0.0, 1.0);
    Assessment {
        score: round(raw_score),
        raw_score,
        factors,
        evidence,
        distance_km,
        shared_terms: Vec::new(),
        same_category: category.is_some_and(|c| c >= 0.8),
    }
}

/// How practical the exchange is, a product of multipliers that only lower a score: distance
/// (`distance_km` when both positions are known), quantities, timing, exchange modes. Each
/// factor that applies is also given to `record`. The candidate index ranks its candidates
/// with it too.
pub(crate) fn practicality(
    output: &Item,
    input: &Item,
    distance_km: Option<f64>,
    mut record: impl FnMut(&'static str, f64),
) -> f64 {
    let mut practical = 1.0;
    match distance_km {
        Some(km) => {
            let value = distance_decay(km, output.resource_class);
            record("distance", value);
            practical *= 0.5 + 0.5 * value;
        }
        // Unknown distance: as if moderately far, so that a known neighbour ranks first.
        None => practical *= 0.9,
    }
    if let Some(value) = quantity_fit(
        output.yearly_quantity.as_ref(),
        input.yearly_quantity.as_ref(),
    ) {
        record("quantity", value);
        practical *= 0.7 + 0.3 * value;
    }
    if let Some(value) = timing(output, input) {
        record("timing", value);
        practical *= 0.25 + 0.75 * value;
    }
    if let Some(value) = mode_compatibility(
        output.exchange_mode.as_deref(),
        input.exchange_mode.as_deref(),
    ) {
        record("exchange_mode", value);
        practical *= 0.5 + 0.5 * value;
    }
    practical
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The same category 1, one inside the other 0.8, sisters under one parent 0.3 (pallets and
/// pallet boxes, but also cardboard and film: not enough alone), otherwise 0.
pub fn category_closeness(a: &str, b: &str) -> f64 {
    let within = |inner: &str, outer: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    if a == b {
        1.0
    } else if within(a, b) || within(b, a) {
        0.8
    } else if a.rsplit_once('/').map(|p| p.0) == b.rsplit_once('/').map(|p| p.0) && a.contains('/')
    {
        0.3
    } else {
        0.0
    }
}

/// Waste codes compared directly, or through the codes a listing category stands for.
fn waste_closeness(out: &View, inp: &View) -> Option<f64> {
    fn own<'v>(view: &'v View) -> &'v [WasteCode] {
        match &view.waste {
            Some(code) => std::slice::from_ref(code),
            None => &view.category_wastes,
        }
    }
    let (a, b) = (own(out), own(inp));
    if a.is_empty() || b.is_empty() || (out.waste.is_none() && inp.waste.is_none()) {
        // Two listings are compared by their categories, not twice.
        return None;
    }
    let best = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| x.closeness(y)))
        .fold(0.0, f64::max);
    Some(best)
}

/// How well an output of one class can stand for an input of another, in [0, 1].
pub fn class_compatibility(output: ResourceClass, input: ResourceClass) -> f64 {
    use ResourceClass::{
        ByProduct, Energy, Equipment, Logistics, Material, Service, Skill, Space, Waste, Water,
    };
    if output == input {
        return 1.0;
    }
    match (output, input) {
        // What is let go as waste or by-product becomes someone's material, or fuel.
        (Waste | ByProduct | Material, Waste | ByProduct | Material | Energy) => 1.0,
        // Equipment can be taken apart for material; heat and water go together in networks;
        // storage space goes with logistics.
        (Equipment, Material | Waste | ByProduct)
        | (Material | Waste | ByProduct, Equipment)
        | (Water, Energy)
        | (Energy, Water)
        | (Space, Logistics)
        | (Logistics, Space) => 0.5,
        (Waste | ByProduct, Water) | (Water, Waste | ByProduct | Material) => 0.4,
        (Skill | Service | Logistics, Skill | Service | Logistics) => 0.9,
        _ => 0.0,
    }
}

/// Great-circle distance in kilometres.
pub fn haversine_km(a: Position, b: Position) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (phi1, phi2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let d_phi = (b.latitude - a.latitude).to_radians();
    let d_lambda = (b.longitude - a.longitude).to_radians();
    let h = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// How far a resource of this class travels well: heat a few kilometres, materials tens.
pub fn distance_scale_km(class: ResourceClass) -> f64 {
    match class {
        ResourceClass::Energy => 5.0,
        ResourceClass::Water => 10.0,
        ResourceClass::Space => 15.0,
        ResourceClass::Skill | ResourceClass::Service | ResourceClass::Logistics => 30.0,
        _ => 40.0,
    }
}

/// exp(−distance / scale): 1 next door, about 0.37 at the class's scale.
pub fn distance_decay(km: f64, class: ResourceClass) -> f64 {
    (-km.max(0.0) / distance_scale_km(class)).exp()
}

/// A unit and the factor to its base unit (kg, kWh, L, m², piece…).
fn base_unit(unit: &str) -> Option<(&'static str, f64)> {
    Some(match unit.trim().to_lowercase().as_str() {
        "t" | "tonne" | "tonnes" => ("kg", 1000.0),
        "kg" => ("kg", 1.0),
        "mwh" => ("kwh", 1000.0),
        "kwh" => ("kwh", 1.0),
        "gwh" => ("kwh", 1_000_000.0),
        "m3" | "m³" => ("l", 1000.0),
        "l" => ("l", 1.0),
        "m2" | "m²" => ("m2", 1.0),
        "m" => ("m", 1.0),
        "piece" | "pièce" | "pieces" | "unit" | "u" => ("piece", 1.0),
        "h" => ("h", 1.0),
        "day" | "jour" => ("h", 8.0),
        _ => return None,
    })
}

/// How much of the input the output covers: 1 when it covers it all (the rest goes elsewhere),
/// otherwise partly (a partial supply is still worth a talk). None when not comparable.
pub fn quantity_fit(output: Option<&Quantity>, input: Option<&Quantity>) -> Option<f64> {
    let (output, input) = (output?, input?);
    let (out_unit, out_factor) = base_unit(&output.unit)?;
    let (in_unit, in_factor) = base_unit(&input.unit)?;
    if out_unit != in_unit || input.amount <= 0.0 || output.amount <= 0.0 {
        return None;
    }
    let ratio = (output.amount * out_factor) / (input.amount * in_factor);
    Some(if ratio >= 1.0 { 1.0 } else { 0.2 + 0.8 * ratio })
}

/// 1 when the availability windows overlap, 0 when they do not; None when neither side states
/// a window.
fn timing(output: &Item, input: &Item) -> Option<f64> {
    if output.available_from.is_none()
        && output.available_until.is_none()
        && input.available_from.is_none()
        && input.available_until.is_none()
    {
        return None;
    }
    let start = output.available_from.max(input.available_from);
    let end = match (output.available_until, input.available_until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let overlaps = match (start, end) {
        (Some(start), Some(end)) => start <= end,
        _ => true,
    };
    Some(if overlaps { 1.0 } else { 0.0 })
}

/// Exchange modes: the same 1; both a transfer (give, exchange, sell) or both temporary (lend,
/// rent) 0.7; a transfer against a loan 0.3.
pub fn mode_compatibility(output: Option<&str>, input: Option<&str>) -> Option<f64> {
    let (a, b) = (output?.trim(), input?.trim());
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let temporary = |mode: &str| matches!(mode, "lend" | "rent");
    Some(if a == b {
        1.0
    } else if temporary(a) == temporary(b) {
        0.7
    } else {
        0.3
    })
}

/// How simple the exchange is legally: 1 for a product or by-product, 0.8 for a waste (the
/// receiver must be authorised), 0.6 for a hazardous waste (authorisation and tracking).
fn regulatory_ease(output: &Item, waste: Option<&WasteCode>) -> f64 {
    match (waste, output.resource_class) {
        (Some(code), _) if code.hazardous => 0.6,
        (_, ResourceClass::ByProduct) => 1.0,
        (Some(_), _) | (None, ResourceClass::Waste) => 0.8,
        _ => 1.0,
    }
}

/// Whether an item is legally a waste, and a hazardous one.
pub(crate) fn waste_status(item: &Item) -> (bool, bool) {
    let code = item.ewc_code.as_deref().and_then(WasteCode::parse);
    let hazardous = code.as_ref().is_some_and(|c| c.hazardous);
    let waste = hazardous
        || item.resource_class == ResourceClass::Waste
        || (code.is_some() && item.resource_class != ResourceClass::ByProduct);
    (waste, hazardous)
}
