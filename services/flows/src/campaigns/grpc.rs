//! gRPC surface of campaigns: facilitators run them; a member sees its own organisation's place
//! in a campaign and validates the flows recorded about it.

use std::sync::Arc;

use chrono::Utc;
use synergies_platform::auth::Verifier;
use synergies_platform::context::{CallerContext, authenticate};
use synergies_platform::error::FieldError;
use synergies_platform::events::timestamp;
use synergies_platform::validate;
use synergies_proto::flows::v1 as pb;
use synergies_proto::flows::v1::campaigns_service_server::CampaignsService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::store::CampaignStore;
use super::{Campaign, CampaignFields, TargetState, ids};
use crate::domain::Viewer;
use crate::error::FlowsError;
use crate::grpc::{viewer, writer};
use crate::organisations::Organisations;

pub struct CampaignsApi {
    store: Arc<dyn CampaignStore>,
    verifier: Arc<Verifier>,
    organisations: Organisations,
}

pub fn campaign_message(campaign: &Campaign) -> pb::Campaign {
    let progress = campaign.progress();
    pb::Campaign {
        id: campaign.id.to_string(),
        name: campaign.name.clone(),
        starts_on: campaign.starts_on.to_string(),
        ends_on: campaign.ends_on.to_string(),
        advisor_user_ids: campaign.advisors.iter().map(Uuid::to_string).collect(),
        targets: campaign
            .targets
            .iter()
            .map(|target| pb::CampaignTarget {
                organisation_id: target.organisation_id.to_string(),
                organisation_name: target.organisation_name.clone(),
                state: target.state.as_str().to_owned(),
                changed_by_user_id: target.changed_by.to_string(),
                changed_at: Some(timestamp(target.changed_at)),
            })
            .collect(),
        progress: Some(pb::CampaignProgress {
            targets: progress.targets,
            to_visit: progress.to_visit,
            visited: progress.visited,
            validated: progress.validated,
        }),
        created_by_user_id: campaign.created_by.to_string(),
        created_at: Some(timestamp(campaign.created_at)),
        version: campaign.version,
    }
}

fn answer(campaign: &Campaign) -> Response<pb::CampaignResponse> {
    Response::new(pb::CampaignResponse {
        campaign: Some(campaign_message(campaign)),
    })
}

fn facilitator(caller: &CallerContext) -> Result<Uuid, FlowsError> {
    let viewer = viewer(caller)?;
    if viewer != Viewer::Facilitator {
        return Err(FlowsError::FacilitatorsOnly);
    }
    writer(caller, viewer)
}

impl CampaignsApi {
    pub fn new(
        store: Arc<dyn CampaignStore>,
        verifier: Arc<Verifier>,
        organisations: Organisations,
    ) -> Self {
        Self {
            store,
            verifier,
            organisations,
        }
    }

    async fn load(&self, caller: &CallerContext, id: &str) -> Result<Campaign, FlowsError> {
        let id = validate::uuid("campaign_id", id)?;
        self.store
            .get(&caller.tenant, id)
            .await?
            .ok_or(FlowsError::CampaignNotFound)
    }

    /// The named organisations of the tenant, with their names; an unknown one names the field.
    async fn organisations(
        &self,
        caller: &CallerContext,
        wanted: &[Uuid],
    ) -> Result<Vec<(Uuid, String)>, FlowsError> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let known = self.organisations.all_of_tenant(caller).await?;
        wanted
            .iter()
            .map(|id| {
                known
                    .iter()
                    .find(|o| o.id == *id)
                    .map(|o| (o.id, o.facts.name.clone()))
                    .ok_or_else(|| {
                        FieldError::new(
                            "organisation_ids",
                            format!("{id} is not an organisation of the territory"),
                            format!("{id} n'est pas une organisation du territoire"),
                        )
                        .into()
                    })
            })
            .collect()
    }

    async fn save(&self, campaign: &mut Campaign) -> Result<(), FlowsError> {
        campaign.version += 1;
        if self.store.save(campaign).await? {
            Ok(())
        } else {
            Err(FlowsError::ChangedMeanwhile)
        }
    }
}

impl CampaignsApi {
    /// A member's view: the campaigns that target its organisation, each showing only its own
    /// entry, newest first, in one page (a territory runs a handful of campaigns a year; the
    /// scan stops at [`MEMBER_SCAN_LIMIT`] campaigns).
    async fn campaigns_of(
        &self,
        caller: &CallerContext,
        organisation_id: Uuid,
    ) -> Result<Response<pb::ListCampaignsResponse>, Status> {
        let mut campaigns = Vec::new();
        let mut after = None;
        for _ in 0..MEMBER_SCAN_LIMIT / SCAN_PAGE {
            let page = self.store.list(&caller.tenant, after, SCAN_PAGE).await?;
            after = page.last().map(|c| c.id);
            let last_page = page.len() < SCAN_PAGE as usize;
            campaigns.extend(
                page.iter()
                    .filter(|c| c.target(organisation_id).is_some())
                    .map(|c| campaign_message(&c.seen_by_member(organisation_id))),
            );
            if last_page {
                break;
            }
        }
        Ok(Response::new(pb::ListCampaignsResponse {
            campaigns,
            next_page_token: String::new(),
        }))
    }
}

const SCAN_PAGE: u32 = 100;
const MEMBER_SCAN_LIMIT: u32 = 1000;

#[tonic::async_trait]
impl CampaignsService for CampaignsApi {
    async fn create_campaign(
        &self,
        request: Request<pb::CreateCampaignRequest>,
    ) -> Result<Response<pb::CampaignResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let by = facilitator(&caller)?;
        let message = request.into_inner();
        let content = CampaignFields {
            name: message.name,
            starts_on: message.starts_on,
            ends_on: message.ends_on,
            advisor_user_ids: message.advisor_user_ids,
            organisation_ids: message.organisation_ids,
        }
        .validate()
        .map_err(FlowsError::from)?;
        let organisations = self.organisations(&caller, &content.organisations).await?;
        let campaign = Campaign::start(&caller.tenant, content, organisations, by, Utc::now());
        self.store.create(&campaign).await?;
        Ok(answer(&campaign))
    }

    async fn get_campaign(
        &self,
        request: Request<pb::GetCampaignRequest>,
    ) -> Result<Response<pb::CampaignResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let campaign = self.load(&caller, &request.get_ref().campaign_id).await?;
        match viewer(&caller)? {
            Viewer::Facilitator => Ok(answer(&campaign)),
            Viewer::Member { organisation_id } if campaign.target(organisation_id).is_some() => {
                Ok(answer(&campaign.seen_by_member(organisation_id)))
            }
            Viewer::Member { .. } => Err(FlowsError::CampaignNotFound.into()),
        }
    }

    async fn list_campaigns(
        &self,
        request: Request<pb::ListCampaignsRequest>,
    ) -> Result<Response<pb::ListCampaignsResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        if let Viewer::Member { organisation_id } = viewer(&caller)? {
            return self.campaigns_of(&caller, organisation_id).await;
        }
        let message = request.into_inner();
        let limit = validate::page_size(message.page_size).map_err(FlowsError::from)?;
        let after = validate::page_token(&message.page_token).map_err(FlowsError::from)?;
        let found = self.store.list(&caller.tenant, after, limit + 1).await?;
        let (campaigns, next_page_token) = validate::into_page(found, limit, |c| c.id);
        Ok(Response::new(pb::ListCampaignsResponse {
            campaigns: campaigns.iter().map(campaign_message).collect(),
            next_page_token,
        }))
    }

    async fn add_targets(
        &self,
        request: Request<pb::AddTargetsRequest>,
    ) -> Result<Response<pb::CampaignResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let by = facilitator(&caller)?;
        let message = request.into_inner();
        let mut campaign = self.load(&caller, &message.campaign_id).await?;
        let wanted =
            ids("organisation_ids", &message.organisation_ids).map_err(FlowsError::from)?;
        let organisations = self.organisations(&caller, &wanted).await?;
        campaign.add_targets(organisations, by, Utc::now());
        self.save(&mut campaign).await?;
        Ok(answer(&campaign))
    }

    async fn set_target_state(
        &self,
        request: Request<pb::SetTargetStateRequest>,
    ) -> Result<Response<pb::CampaignResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let viewer = viewer(&caller)?;
        let by = writer(&caller, viewer)?;
        let message = request.into_inner();
        let mut campaign = self.load(&caller, &message.campaign_id).await?;
        let organisation_id = validate::uuid("organisation_id", &message.organisation_id)
            .map_err(FlowsError::from)?;
        let state = TargetState::parse(message.state.trim()).ok_or_else(|| {
            let names = TargetState::names();
            FlowsError::from(FieldError::new(
                "state",
                format!("must be one of {names}"),
                format!("doit valoir l'une des valeurs {names}"),
            ))
        })?;
        if let Viewer::Member {
            organisation_id: own,
        } = viewer
        {
            if campaign.target(own).is_none() {
                return Err(FlowsError::CampaignNotFound.into());
            }
            if own != organisation_id || state != TargetState::Validated {
                return Err(FlowsError::FacilitatorsOnly.into());
            }
        }
        if !campaign.set_state(organisation_id, state, by, Utc::now()) {
            return Err(FlowsError::from(FieldError::new(
                "organisation_id",
                "is not an organisation of this campaign",
                "n'est pas une organisation de cette campagne",
            ))
            .into());
        }
        self.save(&mut campaign).await?;
        Ok(answer(&match viewer {
            Viewer::Facilitator => campaign,
            Viewer::Member { organisation_id } => campaign.seen_by_member(organisation_id),
        }))
    }
}
