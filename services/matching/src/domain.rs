//! What matching keeps: the open items of each tenant (listings and flows, seen the same way by
//! the scorer) and the synergies found between them, with their pipeline and who may see them.
//! The scoring itself lives in [`crate::scoring`]; the rules here are about state, not fit.

use chrono::{DateTime, Utc};
use synergies_platform::i18n::Text;
use uuid::Uuid;

use crate::impact::RealisedImpact;
use crate::scoring::{Direction, Factor, Item, ItemKind, MutualisationGroup, Scored};

/// Where an item stands in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Published listing, or recorded flow: paired.
    Open,
    /// Reserved for one organisation, or edited and waiting for approval again: not paired,
    /// may open again.
    Held,
    /// Withdrawn, expired, hidden, exchanged, or a removed flow: never paired again.
    Closed,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Held => "held",
            Self::Closed => "closed",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "open" => Some(Self::Open),
            "held" => Some(Self::Held),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// Who may see a flow beyond its organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidentiality {
    /// Facilitators only: never shown to another organisation as a counterpart.
    Facilitator,
    /// Organisations it is paired with.
    Partners,
    Public,
}

impl Confidentiality {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Facilitator => "facilitator",
            Self::Partners => "partners",
            Self::Public => "public",
        }
    }
    /// Unknown values are treated as the strictest.
    pub fn parse(value: &str) -> Self {
        match value {
            "public" => Self::Public,
            "partners" => Self::Partners,
            _ => Self::Facilitator,
        }
    }
}

/// An item as the index keeps it: what the scorer reads, and what matching needs besides.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedItem {
    pub item: Item,
    /// The member who published a listing (told of its synergies); none for flows.
    pub owner_user_id: Option<Uuid>,
    pub confidentiality: Confidentiality,
}

pub fn kind_str(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Listing => "listing",
        ItemKind::Flow => "flow",
    }
}

pub fn parse_kind(value: &str) -> Option<ItemKind> {
    match value {
        "listing" => Some(ItemKind::Listing),
        "flow" => Some(ItemKind::Flow),
        _ => None,
    }
}

pub fn direction_str(direction: Direction) -> &'static str {
    match direction {
        Direction::Out => "out",
        Direction::In => "in",
    }
}

pub fn parse_direction(value: &str) -> Option<Direction> {
    match value {
        "out" => Some(Direction::Out),
        "in" => Some(Direction::In),
        _ => None,
    }
}

/// The pipeline a facilitator carries a synergy through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynergyStatus {
    Proposed,
    Contacted,
    Studying,
    Realised,
    Abandoned,
}

impl SynergyStatus {
    pub const ALL: [Self; 5] = [
        Self::Proposed,
        Self::Contacted,
        Self::Studying,
        Self::Realised,
        Self::Abandoned,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Contacted => "contacted",
            Self::Studying => "studying",
            Self::Realised => "realised",
            Self::Abandoned => "abandoned",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Whether a synergy may move from `from` to `to`: forward through the pipeline (steps may be
/// skipped, an advisor may learn of a realisation late), abandoned from any open step, and
/// reopened from abandoned. A realised synergy stays realised.
pub fn may_move(from: SynergyStatus, to: SynergyStatus) -> bool {
    use SynergyStatus::{Abandoned, Contacted, Proposed, Realised, Studying};
    let rank = |s| match s {
        Proposed => 0,
        Contacted => 1,
        Studying => 2,
        Realised => 3,
        Abandoned => 4,
    };
    match (from, to) {
        (Realised, _) => from == to,
        (Abandoned, Abandoned) => true,
        (Abandoned, _) => to != Realised,
        (_, Abandoned) => true,
        _ => rank(to) >= rank(from),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynergyKind {
    Substitution,
    Mutualisation,
}

impl SynergyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Substitution => "substitution",
            Self::Mutualisation => "mutualisation",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "substitution" => Some(Self::Substitution),
            "mutualisation" => Some(Self::Mutualisation),
            _ => None,
        }
    }
}

/// The deterministic key of the substitution between an output and an input: replicas and
/// replays that find the same pair write the same row.
pub fn substitution_key(output: Uuid, input: Uuid) -> String {
    format!("substitution:{output}:{input}")
}

/// The output and input of a [`substitution_key`].
pub fn substitution_parties(key: &str) -> Option<(Uuid, Uuid)> {
    let (output, input) = key.strip_prefix("substitution:")?.split_once(':')?;
    Some((output.parse().ok()?, input.parse().ok()?))
}

/// The stem shared by the keys of the groups pooling the same thing: a new group whose members
/// meet an existing group's with the same stem is that group, grown.
pub fn mutualisation_stem(group: &MutualisationGroup) -> String {
    format!(
        "mutualisation:{}:{}:{}:",
        direction_str(group.direction),
        group.resource_class.as_str(),
        group.key
    )
}

/// One item taking part in a synergy, as stored with it (the label and organisation stay
/// readable after the item left the index).
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub kind: ItemKind,
    pub item_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub label: String,
    /// "output", "input" or "member".
    pub role: String,
    pub confidentiality: Confidentiality,
    /// Still open in the index.
    pub open: bool,
}

impl Party {
    /// Whether a member of `organisation` may read this party: their own, or another
    /// organisation's item still open and not a flow kept for facilitators.
    pub fn shown_to_member_of(&self, organisation: Uuid) -> bool {
        self.organisation_id == organisation
            || (self.open
                && !(self.kind == ItemKind::Flow
                    && self.confidentiality == Confidentiality::Facilitator))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub text: String,
    pub by_user_id: Uuid,
    pub at: DateTime<Utc>,
}

/// A synergy as stored, with its parties and pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Synergy {
    pub id: Uuid,
    pub tenant: String,
    pub kind: SynergyKind,
    pub key: String,
    pub direction: Direction,
    pub resource_class: String,
    pub pool: String,
    pub score: f64,
    pub factors: Vec<(String, f64)>,
    pub explanation: Text,
    pub status: SynergyStatus,
    pub status_reason: String,
    pub notes: Vec<Note>,
    pub advisor_user_id: Option<Uuid>,
    pub realised_quantity: Option<f64>,
    pub realised_unit: String,
    /// When it was realised, and what that added to the territory's impact.
    pub realised_at: Option<DateTime<Utc>>,
    pub realised_impact: RealisedImpact,
    pub parties: Vec<Party>,
    /// Organisations that said "not relevant".
    pub dismissed_by: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Synergy {
    pub fn involves(&self, organisation: Uuid) -> bool {
        self.parties
            .iter()
            .any(|p| p.organisation_id == organisation)
    }

    /// Whether a member of `organisation` may see it: it involves their organisation, they did
    /// not dismiss it, and no other organisation's party is a flow kept for facilitators or an
    /// item that left the index (a withdrawn or hidden listing is never shown to others).
    pub fn visible_to_member(&self, organisation: Uuid) -> bool {
        self.involves(organisation)
            && !self.dismissed_by.contains(&organisation)
            && (self.kind == SynergyKind::Mutualisation
                || self
                    .parties
                    .iter()
                    .all(|p| p.shown_to_member_of(organisation)))
    }

    /// The parties a member of `organisation` may read (a mutualisation group lists only
    /// those; its size still counts them all in the factors).
    pub fn parties_shown_to(&self, organisation: Uuid) -> Vec<&Party> {
        self.parties
            .iter()
            .filter(|p| p.shown_to_member_of(organisation))
            .collect()
    }

    /// The party that is not `item_id`, for a substitution.
    pub fn counterpart_of(&self, item_id: Uuid) -> Option<&Party> {
        if self.kind != SynergyKind::Substitution {
            return None;
        }
        self.parties.iter().find(|p| p.item_id != item_id)
    }
}

/// A substitution the scorer proposes between two indexed items.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub output: IndexedItem,
    pub input: IndexedItem,
    pub scored: Scored,
}

/// What a change of the index produced that the outside must hear of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Substitutions proposed for the first time.
    pub proposed: Vec<(Uuid, Proposal)>,
}

pub fn factors_of(scored: &Scored) -> Vec<(String, f64)> {
    scored
        .factors
        .iter()
        .map(|Factor { name, value }| ((*name).to_owned(), *value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipeline_moves_forward_and_may_be_abandoned_but_not_undone() {
        use SynergyStatus::*;
        assert!(may_move(Proposed, Contacted));
        assert!(may_move(Contacted, Realised));
        assert!(may_move(Studying, Abandoned));
        assert!(may_move(Abandoned, Contacted));
        assert!(!may_move(Studying, Proposed));
        assert!(!may_move(Realised, Abandoned));
        assert!(!may_move(Abandoned, Realised));
    }
}
