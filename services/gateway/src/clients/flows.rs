//! The flows service as the gateway calls it — flows and diagnostic campaigns: reads are
//! retried when the service is briefly unavailable (they change nothing); writes are sent once.

use synergies_platform::context::{CallerContext, request};
use synergies_platform::grpc::ServiceChannel;
use synergies_platform::retry::idempotent_call;
use synergies_proto::flows::v1 as pb;
use synergies_proto::flows::v1::campaigns_service_client::CampaignsServiceClient;
use synergies_proto::flows::v1::flows_service_client::FlowsServiceClient;
use tonic::Status;

/// Largest CSV file an import takes (a campaign of a few thousand rows is far below).
pub const IMPORT_MAX_BYTES: usize = 3 * 1024 * 1024;

#[derive(Clone)]
pub struct FlowsClient {
    client: FlowsServiceClient<ServiceChannel>,
    campaigns: CampaignsServiceClient<ServiceChannel>,
}

impl FlowsClient {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: FlowsServiceClient::new(channel.clone()),
            campaigns: CampaignsServiceClient::new(channel),
        }
    }

    pub async fn create_campaign(
        &self,
        caller: &CallerContext,
        message: pb::CreateCampaignRequest,
    ) -> Result<pb::Campaign, Status> {
        let answer = self
            .campaigns
            .clone()
            .create_campaign(request(message, caller))
            .await?;
        campaign(answer.into_inner())
    }

    pub async fn campaign(
        &self,
        caller: &CallerContext,
        campaign_id: &str,
    ) -> Result<pb::Campaign, Status> {
        let message = pb::GetCampaignRequest {
            campaign_id: campaign_id.to_owned(),
        };
        let answer = idempotent_call(|| {
            let mut client = self.campaigns.clone();
            let call = request(message.clone(), caller);
            async move { client.get_campaign(call).await }
        })
        .await?;
        campaign(answer.into_inner())
    }

    pub async fn campaigns(
        &self,
        caller: &CallerContext,
        message: pb::ListCampaignsRequest,
    ) -> Result<pb::ListCampaignsResponse, Status> {
        Ok(idempotent_call(|| {
            let mut client = self.campaigns.clone();
            let call = request(message.clone(), caller);
            async move { client.list_campaigns(call).await }
        })
        .await?
        .into_inner())
    }

    pub async fn add_targets(
        &self,
        caller: &CallerContext,
        message: pb::AddTargetsRequest,
    ) -> Result<pb::Campaign, Status> {
        let answer = self
            .campaigns
            .clone()
            .add_targets(request(message, caller))
            .await?;
        campaign(answer.into_inner())
    }

    pub async fn set_target_state(
        &self,
        caller: &CallerContext,
        message: pb::SetTargetStateRequest,
    ) -> Result<pb::Campaign, Status> {
        let answer = self
            .campaigns
            .clone()
            .set_target_state(request(message, caller))
            .await?;
        campaign(answer.into_inner())
    }

    pub async fn record(
        &self,
        caller: &CallerContext,
        fields: pb::FlowFields,
    ) -> Result<pb::Flow, Status> {
        let message = pb::RecordFlowRequest {
            fields: Some(fields),
        };
        let answer = self
            .client
            .clone()
            .record_flow(request(message, caller))
            .await?;
        flow(answer.into_inner())
    }

    pub async fn get(&self, caller: &CallerContext, flow_id: &str) -> Result<pb::Flow, Status> {
        let message = pb::GetFlowRequest {
            flow_id: flow_id.to_owned(),
        };
        let answer = idempotent_call(|| {
            let mut client = self.client.clone();
            let call = request(message.clone(), caller);
            async move { client.get_flow(call).await }
        })
        .await?;
        flow(answer.into_inner())
    }

    pub async fn list(
        &self,
        caller: &CallerContext,
        message: pb::ListFlowsRequest,
    ) -> Result<pb::ListFlowsResponse, Status> {
        Ok(idempotent_call(|| {
            let mut client = self.client.clone();
            let call = request(message.clone(), caller);
            async move { client.list_flows(call).await }
        })
        .await?
        .into_inner())
    }

    pub async fn update(
        &self,
        caller: &CallerContext,
        flow_id: &str,
        fields: pb::FlowFields,
    ) -> Result<pb::Flow, Status> {
        let message = pb::UpdateFlowRequest {
            flow_id: flow_id.to_owned(),
            fields: Some(fields),
        };
        let answer = self
            .client
            .clone()
            .update_flow(request(message, caller))
            .await?;
        flow(answer.into_inner())
    }

    pub async fn remove(&self, caller: &CallerContext, flow_id: &str) -> Result<(), Status> {
        let message = pb::RemoveFlowRequest {
            flow_id: flow_id.to_owned(),
        };
        self.client
            .clone()
            .remove_flow(request(message, caller))
            .await?;
        Ok(())
    }

    /// Sends a CSV or XLSX file to import (see `POST /api/v1/flows/import`).
    pub async fn import(
        &self,
        caller: &CallerContext,
        file: Vec<u8>,
        dry_run: bool,
    ) -> Result<pb::ImportFlowsResponse, Status> {
        let message = pb::ImportFlowsRequest { file, dry_run };
        Ok(self
            .client
            .clone()
            .max_encoding_message_size(IMPORT_MAX_BYTES + 1024)
            .import_flows(request(message, caller))
            .await?
            .into_inner())
    }

    /// The flows the caller sees, or the import template, as `format` (`csv` or `xlsx`).
    pub async fn export(
        &self,
        caller: &CallerContext,
        template: bool,
        format: &str,
    ) -> Result<Vec<u8>, Status> {
        let message = pb::ExportFlowsRequest {
            template,
            format: format.to_owned(),
        };
        Ok(idempotent_call(|| {
            let mut client = self
                .client
                .clone()
                .max_decoding_message_size(64 * 1024 * 1024);
            let call = request(message.clone(), caller);
            async move { client.export_flows(call).await }
        })
        .await?
        .into_inner()
        .content)
    }

    pub async fn history(
        &self,
        caller: &CallerContext,
        flow_id: &str,
    ) -> Result<Vec<pb::FlowRevision>, Status> {
        let message = pb::GetFlowHistoryRequest {
            flow_id: flow_id.to_owned(),
        };
        Ok(idempotent_call(|| {
            let mut client = self.client.clone();
            let call = request(message.clone(), caller);
            async move { client.get_flow_history(call).await }
        })
        .await?
        .into_inner()
        .revisions)
    }
}

fn flow(answer: pb::FlowResponse) -> Result<pb::Flow, Status> {
    answer
        .flow
        .ok_or_else(|| Status::internal("the flows service answered without the flow"))
}

fn campaign(answer: pb::CampaignResponse) -> Result<pb::Campaign, Status> {
    answer
        .campaign
        .ok_or_else(|| Status::internal("the flows service answered without the campaign"))
}
