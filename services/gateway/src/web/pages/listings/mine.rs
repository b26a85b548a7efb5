//! Lists of listings: "my listings", and the facilitators' approval queue (moderation).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use synergies_proto::listings::v1 as pb;

use super::{ListingView, category_names, view};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

#[derive(Template)]
#[template(path = "my_listings.html")]
struct MyListings {
    page: Page,
    title_key: &'static str,
    listings: Vec<ListingView>,
    moderation: bool,
}

async fn listing_list(
    page: Page,
    state: &GatewayState,
    message: pb::ListListingsRequest,
    title_key: &'static str,
    moderation: bool,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let by_code = match category_names(state, page.lang).await {
        Ok(by_code) => by_code,
        Err(error) => return page.error(&error),
    };
    match state.listings.list(&caller, message).await {
        Ok(answer) => {
            let listings = answer
                .listings
                .into_iter()
                .map(|l| view(&page, l, &by_code, None))
                .collect();
            render(&MyListings {
                page,
                title_key,
                listings,
                moderation,
            })
        }
        Err(status) => page.error(&ApiError::from(status)),
    }
}

pub async fn mine(page: Page, State(state): State<GatewayState>) -> Response {
    let message = pb::ListListingsRequest {
        page_size: 100,
        mine: true,
        ..Default::default()
    };
    listing_list(page, &state, message, "my_listings.title", false).await
}

pub async fn approval_queue(page: Page, State(state): State<GatewayState>) -> Response {
    let message = pb::ListListingsRequest {
        page_size: 100,
        status: "pending_approval".to_owned(),
        ..Default::default()
    };
    listing_list(page, &state, message, "moderation.title", true).await
}
