//! The territory's members, for its members: every approved organisation with its communes,
//! listed by name, and on the map those with a site placed at coordinates, or else at the centre
//! of a site's commune (shipped with the code, `synergies_codes::centres`: no address is looked
//! up over the network). Leaflet draws the map from the list (`synergies-map.js`); without
//! JavaScript or tiles the list is the page.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use synergies_platform::context::CallerContext;
use synergies_proto::identity::v1 as pb;

use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// Pages of 100 read at most: a territory's members fit on one page.
const MAX_PAGES: usize = 10;

/// An organisation as the members' page lists it.
pub struct MemberView {
    pub id: String,
    pub name: String,
    /// Its sites' communes, by name.
    pub communes: String,
    /// Its first placed site (`47.32160`), or else its first site's commune's centre; both
    /// empty when it has neither.
    pub latitude: String,
    pub longitude: String,
    /// Placed at a commune's centre, not at a site's own coordinates.
    pub at_commune_centre: bool,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    page: Page,
    members: Vec<MemberView>,
    map_tiles: Option<std::sync::Arc<crate::web::map::MapTiles>>,
}

impl MembersPage {
    /// Whether any member can be placed on the map.
    fn has_places(&self) -> bool {
        self.members.iter().any(|m| !m.latitude.is_empty())
    }

    /// How many members are on the map.
    fn placed(&self) -> usize {
        self.members
            .iter()
            .filter(|m| !m.latitude.is_empty())
            .count()
    }
}

fn member_view(page: &Page, organisation: pb::MemberOrganisation) -> MemberView {
    let mut communes: Vec<&str> = organisation
        .sites
        .iter()
        .filter_map(|site| {
            page.tenant
                .communes
                .iter()
                .find(|c| c.insee_code == site.insee_code)
                .map(|c| c.name.as_str())
        })
        .collect();
    communes.dedup();
    let own = organisation
        .sites
        .iter()
        .find_map(|site| Some((site.latitude?, site.longitude?)))
        .filter(|(lat, lon)| lat.is_finite() && lon.is_finite());
    let centre = || {
        organisation.sites.iter().find_map(|site| {
            synergies_codes::centres::centre(&site.insee_code)
                .map(|centre| (centre.latitude, centre.longitude))
        })
    };
    let at_commune_centre = own.is_none();
    let place = own.or_else(centre);
    let (latitude, longitude) = place.map_or_else(Default::default, |(lat, lon)| {
        (format!("{lat:.5}"), format!("{lon:.5}"))
    });
    MemberView {
        communes: communes.join(", "),
        at_commune_centre: at_commune_centre && place.is_some(),
        id: organisation.id,
        name: organisation.name,
        latitude,
        longitude,
    }
}

async fn members(
    state: &GatewayState,
    page: &Page,
    caller: &CallerContext,
) -> Result<Vec<MemberView>, ApiError> {
    let mut found = Vec::new();
    let mut page_token = String::new();
    for _ in 0..MAX_PAGES {
        let message = pb::ListMemberOrganisationsRequest {
            page_size: 100,
            page_token,
        };
        let answer = state
            .identity
            .list_member_organisations(caller, message)
            .await?;
        found.extend(
            answer
                .organisations
                .into_iter()
                .map(|o| member_view(page, o)),
        );
        if answer.next_page_token.is_empty() {
            break;
        }
        page_token = answer.next_page_token;
    }
    found.sort_by_cached_key(|m| m.name.to_lowercase());
    Ok(found)
}

pub async fn show(page: Page, State(state): State<GatewayState>) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    match members(&state, &page, &caller).await {
        Ok(members) => render(&MembersPage {
            page,
            members,
            map_tiles: state.map_tiles.clone(),
        }),
        Err(error) => page.error(&error),
    }
}
