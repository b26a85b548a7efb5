//! gRPC surface of the matching service.

use std::sync::Arc;

use synergies_platform::auth::Verifier;
use synergies_platform::events::timestamp;
use synergies_platform::policy::{Action, authorize_request};
use synergies_proto::matching::v1 as pb;
use tonic::{Request, Response, Status};

use crate::error::MatchingError;
use crate::store::MatchingStore;

pub struct MatchingApi {
    store: Arc<dyn MatchingStore>,
    verifier: Arc<Verifier>,
}

impl MatchingApi {
    pub fn new(store: Arc<dyn MatchingStore>, verifier: Arc<Verifier>) -> Self {
        Self { store, verifier }
    }
}

#[tonic::async_trait]
impl pb::matching_service_server::MatchingService for MatchingApi {
    async fn list_matches(
        &self,
        request: Request<pb::ListMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let listing_id =
            synergies_platform::validate::uuid("listing_id", &request.get_ref().listing_id)
                .map_err(MatchingError::from)?;
        let matches = self.store.matches_of(&caller.tenant, listing_id).await?;
        Ok(Response::new(pb::ListMatchesResponse {
            matches: matches
                .into_iter()
                .map(|m| pb::Match {
                    id: m.id.to_string(),
                    offer_listing_id: m.offer_listing_id.to_string(),
                    request_listing_id: m.request_listing_id.to_string(),
                    category: m.category,
                    explanation: m.explanation,
                    score: m.score,
                    created_at: Some(timestamp(m.created_at)),
                })
                .collect(),
        }))
    }
}
