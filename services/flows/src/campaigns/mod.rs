//! Diagnostic campaigns: over a period, a territory's advisors visit a list of organisations
//! and record their flows; each organisation then validates what was recorded. A campaign and
//! its targets are one aggregate, written whole with a version check.

pub mod grpc;
pub mod store;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use synergies_platform::error::FieldError;
use synergies_platform::validate;
use uuid::Uuid;

use crate::domain::named;

named!(
    /// Where an organisation of the campaign stands.
    TargetState {
        ToVisit => "to_visit",
        Visited => "visited",
        /// The organisation confirmed the flows the advisor recorded.
        Validated => "validated",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub state: TargetState,
    pub changed_by: Uuid,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: Uuid,
    pub tenant: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub advisors: Vec<Uuid>,
    pub targets: Vec<Target>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

/// How far a campaign has gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub targets: u32,
    pub to_visit: u32,
    pub visited: u32,
    pub validated: u32,
}

/// What a facilitator writes to start a campaign, as text.
#[derive(Debug, Clone, Default)]
pub struct CampaignFields {
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub advisor_user_ids: Vec<String>,
    pub organisation_ids: Vec<String>,
}

/// A campaign's content once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignContent {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub advisors: Vec<Uuid>,
    pub organisations: Vec<Uuid>,
}

fn date(field: &'static str, text: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            "must be a date such as 2026-03-01",
            "doit être une date telle que 2026-03-01",
        )
    })
}

/// Distinct UUIDs, in the order given.
pub fn ids(field: &'static str, texts: &[String]) -> Result<Vec<Uuid>, FieldError> {
    let mut ids = Vec::new();
    for text in texts {
        let id = validate::uuid(field, text.trim())?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

impl CampaignFields {
    pub fn validate(&self) -> Result<CampaignContent, FieldError> {
        let name = validate::required_text("name", &self.name, 200)?;
        let starts_on = date("starts_on", &self.starts_on)?;
        let ends_on = date("ends_on", &self.ends_on)?;
        if ends_on < starts_on {
            return Err(FieldError::new(
                "ends_on",
                "must not be before starts_on",
                "ne doit pas précéder starts_on",
            ));
        }
        Ok(CampaignContent {
            name,
            starts_on,
            ends_on,
            advisors: ids("advisor_user_ids", &self.advisor_user_ids)?,
            organisations: ids("organisation_ids", &self.organisation_ids)?,
        })
    }
}

impl Campaign {
    /// A new campaign, every organisation to visit.
    pub fn start(
        tenant: &str,
        content: CampaignContent,
        organisations: Vec<(Uuid, String)>,
        by: Uuid,
        at: DateTime<Utc>,
    ) -> Self {
        let mut campaign = Self {
            id: Uuid::now_v7(),
            tenant: tenant.to_owned(),
            name: content.name,
            starts_on: content.starts_on,
            ends_on: content.ends_on,
            advisors: content.advisors,
            targets: Vec::new(),
            created_by: by,
            created_at: at,
            version: 1,
        };
        campaign.add_targets(organisations, by, at);
        campaign
    }

    /// Adds organisations to visit; those already targeted keep their state.
    pub fn add_targets(&mut self, organisations: Vec<(Uuid, String)>, by: Uuid, at: DateTime<Utc>) {
        for (organisation_id, organisation_name) in organisations {
            if self.target(organisation_id).is_none() {
                self.targets.push(Target {
                    organisation_id,
                    organisation_name,
                    state: TargetState::ToVisit,
                    changed_by: by,
                    changed_at: at,
                });
            }
        }
    }

    pub fn target(&self, organisation_id: Uuid) -> Option<&Target> {
        self.targets
            .iter()
            .find(|t| t.organisation_id == organisation_id)
    }

    /// Moves a target to `state`; `false` when the organisation is not in the campaign.
    pub fn set_state(
        &mut self,
        organisation_id: Uuid,
        state: TargetState,
        by: Uuid,
        at: DateTime<Utc>,
    ) -> bool {
        let Some(target) = self
            .targets
            .iter_mut()
            .find(|t| t.organisation_id == organisation_id)
        else {
            return false;
        };
        target.state = state;
        target.changed_by = by;
        target.changed_at = at;
        true
    }

    pub fn progress(&self) -> Progress {
        let count = |state| self.targets.iter().filter(|t| t.state == state).count() as u32;
        Progress {
            targets: self.targets.len() as u32,
            to_visit: count(TargetState::ToVisit),
            visited: count(TargetState::Visited),
            validated: count(TargetState::Validated),
        }
    }

    /// What a member of `organisation_id` is shown: the campaign with its own target only.
    #[must_use]
    pub fn seen_by_member(&self, organisation_id: Uuid) -> Self {
        Self {
            targets: self
                .targets
                .iter()
                .filter(|t| t.organisation_id == organisation_id)
                .cloned()
                .collect(),
            advisors: Vec::new(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> CampaignFields {
        CampaignFields {
            name: "Zone Cap Nord 2026".into(),
            starts_on: "2026-03-01".into(),
            ends_on: "2026-06-30".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_campaign_counts_its_progress() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let by = Uuid::now_v7();
        let mut campaign = Campaign::start(
            "dijon",
            fields().validate().unwrap(),
            vec![(a, "A".into()), (b, "B".into()), (a, "A".into())],
            by,
            Utc::now(),
        );
        assert_eq!(campaign.progress().targets, 2);
        assert!(campaign.set_state(a, TargetState::Validated, by, Utc::now()));
        assert!(!campaign.set_state(Uuid::now_v7(), TargetState::Visited, by, Utc::now()));
        let progress = campaign.progress();
        assert_eq!((progress.to_visit, progress.validated), (1, 1));
        assert_eq!(campaign.seen_by_member(b).targets.len(), 1);
    }

    #[test]
    fn dates_and_ids_name_their_field() {
        let backwards = CampaignFields {
            ends_on: "2026-01-01".into(),
            ..fields()
        };
        assert_eq!(backwards.validate().unwrap_err().field, "ends_on");
        let garbled = CampaignFields {
            starts_on: "1 mars".into(),
            ..fields()
        };
        assert_eq!(garbled.validate().unwrap_err().field, "starts_on");
        let bad_id = CampaignFields {
            organisation_ids: vec!["x".into()],
            ..fields()
        };
        assert_eq!(bad_id.validate().unwrap_err().field, "organisation_ids");
    }
}
