//! Listings in the browser: searching the territory's offers and requests, a listing's page
//! with its photos, publishing, "my listings", and the facilitators' approval queue.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::{CallerContext, anonymous_request, request};
use synergies_platform::i18n::{Language, Text};
use synergies_proto::identity::v1 as identity;
use synergies_proto::listings::v1 as pb;

use super::auth::NoticeQuery;
use super::{Feedback, FieldErrors, form_caller, publish_checks, see_other};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::directory::{OrganisationCard, organisation_cards};
use crate::web::format::{day, euros};
use crate::web::page::{Page, render};

/// Category labels in the page's language, by code.
pub(crate) async fn category_labels(
    state: &GatewayState,
    lang: Language,
) -> Result<Vec<(String, String, String)>, ApiError> {
    let categories = state
        .listings
        .clone()
        .list_categories(anonymous_request(pb::ListCategoriesRequest {}))
        .await?
        .into_inner()
        .categories;
    Ok(categories
        .into_iter()
        .map(|c| {
            let label = match lang {
                Language::Fr => c.label_fr,
                Language::En => c.label_en,
            };
            (c.code, c.parent, label)
        })
        .collect())
}

/// (code, label) for a category picker: sub-categories indented under their parent.
fn indented(labels: Vec<(String, String, String)>) -> Vec<(String, String)> {
    labels
        .into_iter()
        .map(|(code, parent, label)| {
            let label = if parent.is_empty() {
                label
            } else {
                format!("— {label}")
            };
            (code, label)
        })
        .collect()
}

/// Category labels in the page's language, by code alone.
async fn category_names(
    state: &GatewayState,
    lang: Language,
) -> Result<HashMap<String, String>, ApiError> {
    Ok(category_labels(state, lang)
        .await?
        .into_iter()
        .map(|(code, _, label)| (code, label))
        .collect())
}

/// A listing as cards and pages show it: every value already worded for the page.
pub struct ListingView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub kind: &'static str,
    pub category: String,
    pub mode: &'static str,
    pub price: String,
    pub quantity: String,
    pub commune: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub status_reason: String,
    pub available: String,
    pub ewc_code: String,
    pub distance: String,
    /// "comme neuf"; empty when not stated.
    pub condition: String,
    /// The day it was published (created), as the visitor reads it.
    pub published: String,
}

pub fn status_name(status: i32) -> &'static str {
    match pb::ListingStatus::try_from(status) {
        Ok(pb::ListingStatus::Draft) => "draft",
        Ok(pb::ListingStatus::PendingApproval) => "pending_approval",
        Ok(pb::ListingStatus::Reserved) => "reserved",
        Ok(pb::ListingStatus::Completed) => "completed",
        Ok(pb::ListingStatus::Withdrawn) => "withdrawn",
        Ok(pb::ListingStatus::Expired) => "expired",
        Ok(pb::ListingStatus::Hidden) => "hidden",
        _ => "published",
    }
}

fn view(
    page: &Page,
    listing: pb::Listing,
    labels: &HashMap<String, String>,
    distance_km: Option<f64>,
) -> ListingView {
    let t = |key: String| page.t(&key);
    let kind = if listing.kind == pb::ListingKind::Request as i32 {
        page.t("listing.kind.request")
    } else {
        page.t("listing.kind.offer")
    };
    let price = match listing.price_cents {
        Some(cents) if !listing.price_per.is_empty() => format!(
            "{} / {}",
            euros(cents, page.lang),
            t(format!("listing.per.{}", listing.price_per))
        ),
        Some(cents) => euros(cents, page.lang),
        None if matches!(listing.exchange_mode.as_str(), "give" | "lend") => {
            page.t("listing.free").to_owned()
        }
        None => String::new(),
    };
    let quantity = if listing.quantity.is_empty() {
        String::new()
    } else {
        let amount = match page.lang {
            Language::Fr => listing.quantity.replace('.', ","),
            Language::En => listing.quantity.clone(),
        };
        let unit = t(format!("listing.unit.{}", listing.unit));
        // A recurring offer says how often: "2 t par an".
        match listing.recurrence.as_str() {
            "week" | "month" | "year" => format!(
                "{amount} {unit} {}",
                t(format!("listing.every.{}", listing.recurrence))
            ),
            _ => format!("{amount} {unit}"),
        }
    };
    let condition = if listing.condition.is_empty() {
        String::new()
    } else {
        t(format!("publish.condition.{}", listing.condition)).to_owned()
    };
    let published = crate::api::rfc3339(listing.created_at.as_ref());
    let published = published
        .get(..10)
        .map(|iso| day(iso, page.lang))
        .unwrap_or_default();
    let commune = listing
        .location
        .as_ref()
        .and_then(|l| {
            page.tenant
                .communes
                .iter()
                .find(|c| c.insee_code == l.insee_code)
        })
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let available = match (
        listing.available_from.as_str(),
        listing.available_until.as_str(),
    ) {
        ("", "") => String::new(),
        (from, "") => format!("{} {}", page.t("listing.from"), day(from, page.lang)),
        ("", until) => format!("{} {}", page.t("listing.until"), day(until, page.lang)),
        (from, until) => format!(
            "{} {} {} {}",
            page.t("listing.from"),
            day(from, page.lang),
            page.t("listing.to"),
            day(until, page.lang)
        ),
    };
    let code = status_name(listing.status);
    ListingView {
        category: labels
            .get(&listing.category)
            .cloned()
            .unwrap_or_else(|| listing.category.clone()),
        mode: t(format!("mode.{}", listing.exchange_mode)),
        status: t(format!("listing.status.{code}")),
        status_code: code,
        distance: distance_km.map_or_else(String::new, |km| format!("{km:.1} km")),
        id: listing.id,
        title: listing.title,
        description: listing.description,
        kind,
        price,
        quantity,
        commune,
        status_reason: listing.status_reason,
        available,
        ewc_code: listing.ewc_code,
        condition,
        published,
    }
}

/// The query of the search page, as typed (the service checks it and names what is wrong).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub exchange_mode: String,
    #[serde(default)]
    pub free_only: String,
    #[serde(default)]
    pub insee_code: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page_token: String,
}

/// One facet value: a link that narrows the search, with its count.
pub struct FacetLink {
    pub value: String,
    pub label: String,
    pub count: i64,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "listings_search.html")]
struct Search {
    page: Page,
    query: SearchQuery,
    feedback: Feedback,
    results: Vec<ListingView>,
    next_page_token: String,
    categories: Vec<(String, String)>,
    category_facets: Vec<FacetLink>,
    mode_facets: Vec<FacetLink>,
    total: i64,
}

impl Search {
    fn kind_is(&self, kind: &str) -> bool {
        self.query.kind == kind
    }

    /// Something to look for that a saved search can keep (sorting and "free only" are not
    /// kept: an alert is about each new listing, and a saved search has no price filter).
    fn saveable(&self) -> bool {
        let q = &self.query;
        [&q.q, &q.kind, &q.category, &q.exchange_mode, &q.insee_code]
            .iter()
            .any(|value| !value.trim().is_empty())
    }

    fn mode_label(&self, mode: &str) -> &'static str {
        self.page.t(&format!("mode.{mode}"))
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn modes(&self) -> [&'static str; 5] {
        super::administration::EXCHANGE_MODES
    }
}

fn search_filters(query: &SearchQuery) -> pb::SearchFilters {
    let kind = match query.kind.as_str() {
        "offer" => pb::ListingKind::Offer,
        "request" => pb::ListingKind::Request,
        _ => pb::ListingKind::Unspecified,
    };
    pb::SearchFilters {
        text: query.q.clone(),
        kind: kind.into(),
        category: query.category.clone(),
        exchange_mode: query.exchange_mode.clone(),
        free_only: !query.free_only.is_empty(),
        insee_code: query.insee_code.clone(),
        sort: query.sort.clone(),
        page_size: 20,
        page_token: query.page_token.clone(),
        ..Default::default()
    }
}

pub async fn search(
    page: Page,
    State(state): State<GatewayState>,
    Query(query): Query<SearchQuery>,
) -> Response {
    let labels = match category_labels(&state, page.lang).await {
        Ok(labels) => labels,
        Err(error) => return page.error(&error),
    };
    let by_code: HashMap<String, String> = labels
        .iter()
        .map(|(code, _, label)| (code.clone(), label.clone()))
        .collect();
    let message = pb::SearchPublicListingsRequest {
        tenant: page.tenant.slug.clone(),
        filters: Some(search_filters(&query)),
    };
    let found = state
        .listings
        .clone()
        .search_public_listings(anonymous_request(message))
        .await
        .map(tonic::Response::into_inner)
        .map_err(ApiError::from);
    let (found, feedback) = match found {
        Ok(found) => (found, Feedback::none()),
        Err(error) if error.status.is_client_error() => (
            pb::SearchListingsResponse::default(),
            Feedback::from_error(&page, &error),
        ),
        Err(error) => return page.error(&error),
    };
    let total = found.categories.iter().map(|c| c.count).sum();
    let category_facets = found
        .categories
        .iter()
        .map(|c| FacetLink {
            label: by_code.get(&c.value).cloned().unwrap_or(c.value.clone()),
            selected: query.category == c.value,
            value: c.value.clone(),
            count: c.count,
        })
        .collect();
    let mode_facets = found
        .exchange_modes
        .iter()
        .map(|c| FacetLink {
            label: page.t(&format!("mode.{}", c.value)).to_owned(),
            selected: query.exchange_mode == c.value,
            value: c.value.clone(),
            count: c.count,
        })
        .collect();
    let results = found
        .hits
        .into_iter()
        .filter_map(|hit| Some(view(&page, hit.listing?, &by_code, hit.distance_km)))
        .collect();
    let categories = indented(labels);
    render(&Search {
        page,
        query,
        feedback,
        results,
        next_page_token: found.next_page_token,
        categories,
        category_facets,
        mode_facets,
        total,
    })
}

/// A photo of a listing page: where its thumbnail and full size are.
pub struct PhotoView {
    pub thumbnail: String,
    pub full: String,
}

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
    proposals: Vec<super::synergies::SynergyView>,
    back: String,
    /// Who offers or asks (empty name when identity could not say).
    organisation: OrganisationCard,
}

/// The listing as the viewer may see it: a member of the territory sees their own drafts too;
/// a visitor sees published listings only.
async fn fetch(state: &GatewayState, page: &Page, id: &str) -> Result<pb::Listing, ApiError> {
    let answer = match page.viewer.as_ref().filter(|v| !v.is_operator()) {
        Some(viewer) => {
            state
                .listings
                .clone()
                .get_listing(request(
                    pb::GetListingRequest {
                        listing_id: id.to_owned(),
                    },
                    &viewer.caller,
                ))
                .await?
        }
        None => {
            state
                .listings
                .clone()
                .get_public_listing(anonymous_request(pb::GetPublicListingRequest {
                    tenant: page.tenant.slug.clone(),
                    listing_id: id.to_owned(),
                }))
                .await?
        }
    };
    answer
        .into_inner()
        .listing
        .ok_or_else(ApiError::incomplete_answer)
}

async fn photos(state: &GatewayState, page: &Page, id: &str) -> Vec<PhotoView> {
    let member = page.viewer.as_ref().filter(|v| !v.is_operator());
    let message = pb::ListPhotosRequest {
        listing_id: id.to_owned(),
        public_tenant: if member.is_some() {
            String::new()
        } else {
            page.tenant.slug.clone()
        },
    };
    let call = match member {
        Some(viewer) => request(message, &viewer.caller),
        None => anonymous_request(message),
    };
    let found = match state.photos.clone().list_photos(call).await {
        Ok(answer) => answer.into_inner().photos,
        Err(status) => {
            tracing::warn!(%status, "photos of a listing page unavailable");
            Vec::new()
        }
    };
    let base = if member.is_some() {
        "/api/v1/photos".to_owned()
    } else {
        format!("/api/v1/tenants/{}/photos", page.tenant.slug)
    };
    found
        .into_iter()
        .map(|photo| PhotoView {
            thumbnail: format!("{base}/{}/thumbnail", photo.id),
            full: format!("{base}/{}", photo.id),
        })
        .collect()
}

async fn listing_page(
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
            super::synergies::proposals(&page, state, &viewer.caller.clone(), "listing", id).await
        }
        None => Vec::new(),
    };
    let back = page.href(&format!("/annonces/{id}"));
    let organisation = organisation_cards(state, &page, [listing.organisation_id.clone()])
        .await
        .remove(&listing.organisation_id)
        .unwrap_or_default();
    render(&ListingPage {
        organisation,
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
    let notice = super::notice(
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
    let mut client = state.listings.clone();
    let listing_id = id.clone();
    let done = match form.action.as_str() {
        "submit" => client
            .submit_listing(request(pb::SubmitListingRequest { listing_id }, &caller))
            .await
            .map(|_| "submitted"),
        "withdraw" => client
            .withdraw_listing(request(pb::WithdrawListingRequest { listing_id }, &caller))
            .await
            .map(|_| "withdrawn"),
        "approve" => client
            .approve_listing(request(pb::ApproveListingRequest { listing_id }, &caller))
            .await
            .map(|_| "approved"),
        _ => client
            .hide_listing(request(
                pb::HideListingRequest {
                    listing_id,
                    reason: form.reason,
                },
                &caller,
            ))
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

/// The publishing form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListingForm {
    #[serde(default)]
    pub csrf_token: String,
    /// One per rendered publishing form (see `Page::fresh_idempotency_key`).
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub exchange_mode: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub price_per: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub recurrence: String,
    #[serde(default)]
    pub condition: String,
    #[serde(default)]
    pub available_from: String,
    #[serde(default)]
    pub available_until: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub ewc_code: String,
    #[serde(default)]
    pub draft: String,
}

#[derive(Template)]
#[template(path = "listing_form.html")]
struct Publish {
    page: Page,
    errors: FieldErrors,
    form: ListingForm,
    /// Where the form posts: `/annonces/nouvelle`, or the listing's `/modifier`.
    action: String,
    editing: bool,
    categories: Vec<(String, String)>,
    sites: Vec<(String, String)>,
    modes: Vec<&'static str>,
}

impl Publish {
    fn is(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "kind" => &self.form.kind,
            "category" => &self.form.category,
            "exchange_mode" => &self.form.exchange_mode,
            "price_per" => &self.form.price_per,
            "unit" => &self.form.unit,
            "recurrence" => &self.form.recurrence,
            "condition" => &self.form.condition,
            "location" => &self.form.location,
            _ => return false,
        };
        current == value
    }

    /// `prefix.value` in the page's language.
    fn labelled(&self, prefix: &str, value: &str) -> &'static str {
        self.page.t(&format!("{prefix}.{value}"))
    }

    fn is_location(&self, kind: &str, value: &str) -> bool {
        self.form.location == format!("{kind}:{value}")
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn pers(&self) -> [&'static str; 6] {
        ["lot", "unit", "day", "week", "month", "year"]
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn recurrences(&self) -> [&'static str; 4] {
        ["one_off", "week", "month", "year"]
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn conditions(&self) -> [&'static str; 5] {
        ["new", "like_new", "good", "used", "for_parts"]
    }

    fn mode_label(&self, mode: &str) -> &'static str {
        self.page.t(&format!("mode.{mode}"))
    }

    fn unit_label(&self, unit: &str) -> &'static str {
        self.page.t(&format!("listing.unit.{unit}"))
    }

    #[allow(clippy::unused_self)] // Templates reach functions through `self` only.
    fn units(&self) -> [&'static str; 9] {
        ["piece", "kg", "t", "m", "m2", "m3", "L", "h", "day"]
    }
}

async fn my_sites(state: &GatewayState, caller: &CallerContext) -> Vec<(String, String)> {
    let answer = state
        .identity
        .clone()
        .get_my_organisation(request(identity::GetMyOrganisationRequest {}, caller))
        .await;
    answer
        .ok()
        .and_then(|a| a.into_inner().organisation)
        .map(|organisation| {
            organisation
                .sites
                .into_iter()
                .map(|site| (site.id, site.address))
                .collect()
        })
        .unwrap_or_default()
}

async fn publish_page(
    page: Page,
    state: &GatewayState,
    form: ListingForm,
    errors: FieldErrors,
    editing: Option<&str>,
) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let labels = match category_labels(state, page.lang).await {
        Ok(labels) => labels,
        Err(error) => return page.error(&error),
    };
    let categories = indented(labels);
    let allowed = &page.tenant.settings.exchange_modes;
    let modes = super::administration::EXCHANGE_MODES
        .into_iter()
        .filter(|mode| allowed.is_empty() || allowed.iter().any(|m| m == mode))
        .collect();
    let sites = my_sites(state, &caller).await;
    let action = match editing {
        Some(id) => page.href(&format!("/annonces/{id}/modifier")),
        None => page.href("/annonces/nouvelle"),
    };
    let refused = !errors.is_empty();
    let mut response = render(&Publish {
        page,
        errors,
        form,
        action,
        editing: editing.is_some(),
        categories,
        sites,
        modes,
    });
    if refused && response.status() == axum::http::StatusCode::OK {
        // Mistakes the page found itself: the form is refused as a bad request.
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    response
}

pub async fn new_form(page: Page, State(state): State<GatewayState>) -> Response {
    if page.viewer.as_ref().is_some_and(|v| !v.is_member()) {
        return Redirect::to(&page.href("/en-attente")).into_response();
    }
    let form = ListingForm {
        kind: "offer".to_owned(),
        exchange_mode: "give".to_owned(),
        ..ListingForm::default()
    };
    publish_page(page, &state, form, FieldErrors::default(), None).await
}

/// "12,50" or "12.50" euros as cents.
fn cents(field: &'static str, value: &str) -> Result<Option<i64>, ApiError> {
    let value = value.trim().replace(',', ".").replace('€', "");
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let euros: f64 = value.parse().map_err(|_| {
        ApiError::invalid(
            field,
            synergies_platform::i18n::Text::new(
                "must be an amount in euros such as 12.50",
                "doit être un montant en euros tel que 12,50",
            ),
        )
    })?;
    #[allow(clippy::cast_possible_truncation)] // Amounts are far below i64's range.
    Ok(Some((euros * 100.0).round() as i64))
}

fn fields(form: &ListingForm) -> Result<pb::ListingFields, ApiError> {
    let kind = match form.kind.as_str() {
        "request" => pb::ListingKind::Request,
        "offer" => pb::ListingKind::Offer,
        _ => pb::ListingKind::Unspecified,
    };
    let (site_id, insee_code) = match form.location.split_once(':') {
        Some(("site", id)) => (id.to_owned(), String::new()),
        Some(("commune", code)) => (String::new(), code.to_owned()),
        _ => (String::new(), String::new()),
    };
    Ok(pb::ListingFields {
        kind: kind.into(),
        category: form.category.clone(),
        title: form.title.clone(),
        description: form.description.clone(),
        ewc_code: form.ewc_code.clone(),
        exchange_mode: form.exchange_mode.clone(),
        price_cents: cents("price_cents", &form.price)?,
        price_per: form.price_per.clone(),
        quantity: form.quantity.trim().replace(',', "."),
        unit: if form.quantity.trim().is_empty() {
            String::new()
        } else {
            form.unit.clone()
        },
        recurrence: if form.quantity.trim().is_empty() {
            String::new()
        } else {
            form.recurrence.clone()
        },
        condition: form.condition.clone(),
        available_from: form.available_from.clone(),
        available_until: form.available_until.clone(),
        site_id,
        insee_code,
        ..Default::default()
    })
}

pub async fn create(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<ListingForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let errors = publish_checks::check(&page, &form);
    if !errors.is_empty() {
        return publish_page(page, &state, form, errors, None).await;
    }
    let key = Some(form.idempotency_key.clone()).filter(|k| !k.is_empty());
    let created = match fields(&form) {
        // The request is built inside the scope: that is where it picks up the key.
        Ok(fields) => synergies_platform::idempotency::scope(key, async {
            state
                .listings
                .clone()
                .create_listing(request(
                    pb::CreateListingRequest {
                        draft: !form.draft.is_empty(),
                        fields: Some(fields),
                        ..Default::default()
                    },
                    &caller,
                ))
                .await
        })
        .await
        .map_err(ApiError::from)
        .and_then(|a| {
            a.into_inner()
                .listing
                .ok_or_else(ApiError::incomplete_answer)
        }),
        Err(error) => Err(error),
    };
    match created {
        Ok(listing) => see_other(&page, &format!("/annonces/{}", listing.id), "created"),
        Err(error) => {
            let errors = publish_checks::from_service(&page, &error);
            let mut response = publish_page(page, &state, form, errors, None).await;
            *response.status_mut() = error.status;
            response
        }
    }
}

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
    match state
        .listings
        .clone()
        .list_listings(request(message, &caller))
        .await
    {
        Ok(answer) => {
            let listings = answer
                .into_inner()
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

/// The photo form of a listing page: the CSRF token, then the `photo` file.
pub async fn add_photo(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let uploaded = read_photo_form(form).await;
    let (csrf_token, photo) = match uploaded {
        Ok(uploaded) => uploaded,
        Err(error) => {
            let feedback = Feedback::from_error(&page, &error);
            return listing_page(page, &state, &id, feedback, None).await;
        }
    };
    let caller = match form_caller(&state, &page, &headers, &csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let message = pb::AddPhotoRequest {
        listing_id: id.clone(),
        content: photo,
    };
    match state
        .photos
        .clone()
        .add_photo(request(message, &caller))
        .await
    {
        Ok(_) => see_other(&page, &format!("/annonces/{id}"), "photo_added"),
        Err(status) => {
            let feedback = Feedback::from_error(&page, &ApiError::from(status));
            listing_page(page, &state, &id, feedback, None).await
        }
    }
}

async fn read_photo_form(
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(String, Vec<u8>), ApiError> {
    use crate::api::photos::{no_photo_field, not_a_form, read_photo_field, unreadable_form};
    let mut form = form.map_err(|_| not_a_form())?;
    let mut csrf_token = String::new();
    let mut photo = None;
    while let Some(field) = form.next_field().await.map_err(|e| unreadable_form(&e))? {
        match field.name() {
            Some("csrf_token") => {
                csrf_token = field.text().await.map_err(|e| unreadable_form(&e))?;
            }
            Some("photo") => photo = Some(read_photo_field(field).await?),
            _ => {}
        }
    }
    Ok((csrf_token, photo.ok_or_else(no_photo_field)?))
}

/// The form of an existing listing, filled with what it says now.
fn form_of(listing: &pb::Listing) -> ListingForm {
    let location = listing.location.as_ref().map_or_else(String::new, |l| {
        if l.site_id.is_empty() {
            format!("commune:{}", l.insee_code)
        } else {
            format!("site:{}", l.site_id)
        }
    });
    ListingForm {
        kind: if listing.kind == pb::ListingKind::Request as i32 {
            "request".to_owned()
        } else {
            "offer".to_owned()
        },
        category: listing.category.clone(),
        title: listing.title.clone(),
        description: listing.description.clone(),
        exchange_mode: listing.exchange_mode.clone(),
        price: listing.price_cents.map_or_else(String::new, |cents| {
            format!("{},{:02}", cents / 100, (cents % 100).abs())
        }),
        price_per: listing.price_per.clone(),
        quantity: listing.quantity.replace('.', ","),
        unit: listing.unit.clone(),
        recurrence: listing.recurrence.clone(),
        condition: listing.condition.clone(),
        available_from: listing.available_from.clone(),
        available_until: listing.available_until.clone(),
        location,
        ewc_code: listing.ewc_code.clone(),
        ..ListingForm::default()
    }
}

pub async fn edit_form(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let organisation = match page.caller() {
        Ok(caller) => caller.organisation_id,
        Err(to_sign_in) => return to_sign_in,
    };
    match fetch(&state, &page, &id).await {
        // Only the listing's organisation edits it: another member does not get its form.
        Ok(listing)
            if organisation.map(|o| o.to_string()) != Some(listing.organisation_id.clone()) =>
        {
            page.error(&ApiError::new(
                synergies_platform::error::ErrorCode::PermissionDenied,
                Text::new(
                    "only the listing's organisation may edit it",
                    "seule l'organisation de l'annonce peut la modifier",
                ),
            ))
        }
        Ok(listing) => {
            let form = form_of(&listing);
            publish_page(page, &state, form, FieldErrors::default(), Some(&id)).await
        }
        Err(error) => page.error(&error),
    }
}

pub async fn update(
    page: Page,
    State(state): State<GatewayState>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ListingForm>,
) -> Response {
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let errors = publish_checks::check(&page, &form);
    if !errors.is_empty() {
        return publish_page(page, &state, form, errors, Some(&id)).await;
    }
    let updated = match fields(&form) {
        Ok(fields) => state
            .listings
            .clone()
            .update_listing(request(
                pb::UpdateListingRequest {
                    listing_id: id.clone(),
                    fields: Some(fields),
                },
                &caller,
            ))
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match updated {
        Ok(answer) => {
            let waits = answer
                .into_inner()
                .listing
                .is_some_and(|listing| listing.status() == pb::ListingStatus::PendingApproval);
            let notice = if waits {
                "updated_for_approval"
            } else {
                "updated"
            };
            see_other(&page, &format!("/annonces/{id}"), notice)
        }
        Err(error) => {
            let errors = publish_checks::from_service(&page, &error);
            let mut response = publish_page(page, &state, form, errors, Some(&id)).await;
            *response.status_mut() = error.status;
            response
        }
    }
}

/// The six newest published listings of the territory, and how many are online.
pub async fn newest_listings(
    state: &GatewayState,
    page: &Page,
) -> Result<(Vec<ListingView>, i64), ApiError> {
    let labels = category_names(state, page.lang).await?;
    let query = SearchQuery {
        sort: "newest".to_owned(),
        ..SearchQuery::default()
    };
    let mut filters = search_filters(&query);
    filters.page_size = 6;
    let found = state
        .listings
        .clone()
        .search_public_listings(anonymous_request(pb::SearchPublicListingsRequest {
            tenant: page.tenant.slug.clone(),
            filters: Some(filters),
        }))
        .await?
        .into_inner();
    let online = found.categories.iter().map(|c| c.count).sum();
    let newest = found
        .hits
        .into_iter()
        .filter_map(|hit| Some(view(page, hit.listing?, &labels, None)))
        .collect();
    Ok((newest, online))
}
