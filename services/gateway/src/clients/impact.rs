//! Impact figures gathered from several services at once: exchanges (listings), realised
//! synergies (matching) and the territory's members (identity), put together in the shapes the
//! API answers and the pages show.

use serde::Serialize;
use synergies_platform::context::CallerContext;
use tonic::Status;
use utoipa::ToSchema;

use synergies_platform::grpc::ServiceChannel;
use synergies_proto::matching::v1::matching_service_client::MatchingServiceClient;

use super::identity::IdentityClient;
use super::listings::exchanges::ExchangesClient;

#[derive(Serialize, ToSchema)]
pub struct MonthImpact {
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub exchanges: i64,
    /// Synergies realised this month (facilitators record them with their yearly quantity).
    pub synergies_realised: i64,
    /// Exchanges and realised synergies together.
    pub kg_diverted: f64,
    /// An estimate (see `Exchange::co2e_kg`), exchanges and realised synergies together.
    pub co2e_kg: f64,
    /// Declared and estimated euros saved, in cents, exchanges and realised synergies together.
    pub value_cents: i64,
    /// The realised synergies' share of the three figures above.
    pub synergies: RealisedShare,
}

/// What realised synergies add to the impact figures.
#[derive(Serialize, ToSchema, Default, Clone, Copy)]
pub struct RealisedShare {
    pub kg_diverted: f64,
    pub co2e_kg: f64,
    /// Estimated (see `services/matching/src/impact.rs`).
    pub value_cents: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TerritorySummary {
    /// Approved organisations of the territory.
    pub members: u64,
    pub listings_online: i64,
    pub exchanges_completed: i64,
    pub synergies_realised: i64,
    /// Exchanges and realised synergies together.
    pub tonnes_diverted: f64,
    /// An estimate (see `Exchange::co2e_kg`), exchanges and realised synergies together.
    pub co2e_tonnes: f64,
}

/// Impact per month, exchanges and realised synergies together, asked of both services at once.
pub async fn impact_months(
    exchanges: &ExchangesClient,
    matching: &MatchingServiceClient<ServiceChannel>,
    caller: &CallerContext,
    scope: String,
) -> Result<Vec<MonthImpact>, Status> {
    let exchanges = exchanges.impact(caller, scope.clone());
    let synergies = super::matching::realised_impact(matching, caller, scope);
    let (exchanges, synergies) = tokio::join!(exchanges, synergies);
    let mut months: std::collections::BTreeMap<String, MonthImpact> = exchanges?
        .into_iter()
        .map(|m| {
            let month = MonthImpact {
                month: m.month.clone(),
                exchanges: m.exchanges,
                synergies_realised: 0,
                kg_diverted: m.kg_diverted,
                co2e_kg: m.co2e_kg,
                value_cents: m.value_cents,
                synergies: RealisedShare::default(),
            };
            (m.month, month)
        })
        .collect();
    for realised in synergies? {
        let month = months
            .entry(realised.month.clone())
            .or_insert_with(|| MonthImpact {
                month: realised.month.clone(),
                exchanges: 0,
                synergies_realised: 0,
                kg_diverted: 0.0,
                co2e_kg: 0.0,
                value_cents: 0,
                synergies: RealisedShare::default(),
            });
        month.synergies_realised += realised.synergies_realised;
        month.kg_diverted += realised.kg_diverted;
        month.co2e_kg += realised.co2e_kg;
        month.value_cents += realised.value_cents;
        month.synergies = RealisedShare {
            kg_diverted: realised.kg_diverted,
            co2e_kg: realised.co2e_kg,
            value_cents: realised.value_cents,
        };
    }
    Ok(months.into_values().collect())
}

/// A territory's public figures, from the three services that hold them, asked at once.
pub async fn territory_figures(
    identity: &IdentityClient,
    exchanges: &ExchangesClient,
    matching: &MatchingServiceClient<ServiceChannel>,
    tenant: &str,
) -> Result<TerritorySummary, Status> {
    let figures = synergies_proto::identity::v1::GetTerritoryFiguresRequest {
        tenant: tenant.to_owned(),
    };
    let members = identity.get_territory_figures(figures);
    let realised = super::matching::territory_realised(matching, tenant);
    let summary = exchanges.territory_summary(tenant);
    let (members, summary, realised) = tokio::join!(members, summary, realised);
    let members = members?.members;
    let summary = summary?;
    let realised = realised?;
    Ok(TerritorySummary {
        members,
        listings_online: summary.listings_online,
        exchanges_completed: summary.exchanges_completed,
        synergies_realised: realised.synergies_realised,
        tonnes_diverted: summary.tonnes_diverted + realised.kg_diverted / 1000.0,
        co2e_tonnes: summary.co2e_tonnes + realised.co2e_kg / 1000.0,
    })
}
