//! A listing's page, and its buttons: the owner submits or withdraws it, a facilitator
//! approves or hides it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use synergies_platform::i18n::Language;
use synergies_proto::listings::v1 as pb;

use super::super::auth::NoticeQuery;
use super::super::{Feedback, form_caller, see_other};
use super::photos::{PhotoView, photos};
use super::{ListingView, category_names, view};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::directory::{OrganisationCard, organisation_cards};
use crate::web::format::day;
use crate::web::page::{Page, render};

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    page: Page,
    notice: Option<&'static str>,
    feedback: Feedback,
    listing: ListingView,
    photos: Vec<PhotoView>,
    mine: bool,
    moderator: bool,
    /// Proposed synergies, for the listing's owner and the facilitators.
    proposals: Vec<super::super::synergies::SynergyView>,
    back: String,
    /// Who offers or asks (empty name when identity could not say).
    organisation: OrganisationCard,
    /// Exchanges recorded against it that the viewer may see (several for a recurring one).
    exchanges: Vec<ExchangeLine>,
    /// A quantity per week, month or year: it stays open after each exchange.
    recurring: bool,
}

/// One exchange done, as the listing page lists it.
struct ExchangeLine {
    day: String,
    quantity: String,
    /// The other organisation (empty when identity could not say).
    with: String,
}

/// The exchanges done on `listing` that a signed-in member may see: all for its organisation
/// and the facilitators, those their organisation took part in for another. Best effort: the
/// page is shown without them rather than not at all.
async fn exchanges_done(
    state: &GatewayState,
    page: &Page,
    listing: &pb::Listing,
) -> Vec<ExchangeLine> {
    let Some(viewer) = page
        .viewer
        .as_ref()
        .filter(|v| !v.is_operator() && v.caller.organisation_id.is_some())
    else {
        return Vec::new();
    };
    let request = pb::ListExchangesRequest {
        page_size: 50,
        page_token: String::new(),
        listing_id: listing.id.clone(),
    };
    let found = match state.exchanges.exchanges(&viewer.caller, request).await {
        Ok(found) => found.exchanges,
        Err(error) => {
            tracing::warn!(%error, listing_id = %listing.id, "exchanges of the listing unavailable");
            return Vec::new();
        }
    };
    // The other side from the viewer's organisation; a facilitator reads it from the listing's.
    let from = viewer
        .caller
        .organisation_id
        .map(|org| org.to_string())
        .filter(|org| {
            found
                .iter()
                .all(|e| e.giver_organisation_id == *org || e.receiver_organisation_id == *org)
        })
        .unwrap_or_else(|| listing.organisation_id.clone());
    let other = |e: &pb::Exchange| {
        if e.giver_organisation_id == from {
            e.receiver_organisation_id.clone()
        } else {
            e.giver_organisation_id.clone()
        }
    };
    let mut names = organisation_cards(state, page, found.iter().map(other)).await;
    found
        .iter()
        .map(|e| {
            let completed = crate::clients::rfc3339(e.completed_at.as_ref());
            let amount = match page.lang {
                Language::Fr => e.quantity.replace('.', ","),
                Language::En => e.quantity.clone(),
            };
            ExchangeLine {
                day: completed
                    .get(..10)
                    .map(|iso| day(iso, page.lang))
                    .unwrap_or_default(),
                quantity: format!("{amount} {}", page.t(&format!("listing.unit.{}", e.unit))),
                with: names.remove(&other(e)).map(|c| c.name).unwrap_or_default(),
            }
        })
        .collect()
}

/// The listing as the viewer may see it: a member of the territory sees their own drafts too;
/// a visitor sees published listings only.
pub(super) async fn fetch(
    state: &GatewayState,
    page: &Page,
    id: &str,
) -> Result<pb::Listing, ApiError> {
    let listing = match page.viewer.as_ref().filter(|v| !v.is_operator()) {
        Some(viewer) => state.listings.get(&viewer.caller, id).await?,
        None => state.listings.get_public(&page.tenant.slug, id).await?,
    };
    Ok(listing)
}

pub(super) async fn listing_page(
    page: Page,
    state: &GatewayState,
    id: &str,
    feedback: Feedback,
    notice: Option<&'static str>,
) -> Response {
    let by_code = match category_names(state, page.lang).await {
        Ok(by_code) => by_code,
        Err(error) => return page.error(&error),
    };
    let listing = match fetch(state, &page, id).await {
        Ok(listing) => listing,
        Err(error) => return page.error(&error),
    };
    let photos = photos(state, &page, id).await;
    let mine = page.viewer.as_ref().is_some_and(|v| {
        v.caller
            .organisation_id
            .is_some_and(|org| org.to_string() == listing.organisation_id)
    });
    let moderator = page.viewer_is("facilitator");
    let proposals = match page.viewer.as_ref().filter(|_| mine || moderator) {
        Some(viewer) => {
            super::super::synergies::proposals(&page, state, &viewer.caller.clone(), "listing", id)
                .await
        }
        None => Vec::new(),
    };
    let exchanges = exchanges_done(state, &page, &listing).await;
    let recurring = matches!(listing.recurrence.as_str(), "week" | "month" | "year");
    let back = page.href(&format!("/annonces/{id}"));
    let organisation = organisation_cards(state, &page, [listing.organisation_id.clone()])
        .await
        .remove(&listing.organisation_id)
        .unwrap_or_default();
    render(&ListingPage {
        organisation,
        exchanges,
        recurring,
        listing: view(&page, listing, &by_code, None),
        page,
        notice,
        feedback,
        photos,
        mine,
        moderator,
        proposals,
        back,
    })
}

pub async fn show(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let notice = super::super::notice(
        &page,
        query.notice.map(|n| format!("notice={n}")).as_deref(),
    );
    listing_page(page, &state, &id, Feedback::none(), notice).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    pub csrf_token: String,
    /// `submit`, `withdraw`, `approve` or `hide`.
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

/// The buttons of a listing page: the owner submits or withdraws it, a facilitator approves
/// or hides it.
pub async fn act(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let listings = &state.listings;
    let done = match form.action.as_str() {
        "submit" => listings.submit(&caller, &id).await.map(|_| "submitted"),
        "withdraw" => listings.withdraw(&caller, &id).await.map(|_| "withdrawn"),
        "approve" => listings.approve(&caller, &id).await.map(|_| "approved"),
        _ => listings
            .hide(&caller, &id, form.reason)
            .await
            .map(|_| "hidden"),
    };
    match done {
        Ok(notice) => see_other(&page, &format!("/annonces/{id}"), notice),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            listing_page(page, &state, &id, feedback, None).await
        }
    }
}
