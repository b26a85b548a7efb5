//! Publishing a listing, and editing it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use synergies_platform::context::CallerContext;
use synergies_platform::i18n::Text;
use synergies_proto::identity::v1 as identity;
use synergies_proto::listings::v1 as pb;

use super::super::{FieldErrors, form_caller, publish_checks, see_other};
use super::listing_page::fetch;
use super::{category_labels, indented};
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

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

pub(super) async fn my_sites(
    state: &GatewayState,
    caller: &CallerContext,
) -> Vec<(String, String)> {
    let answer = state
        .identity
        .get_my_organisation(caller, identity::GetMyOrganisationRequest {})
        .await;
    answer
        .ok()
        .and_then(|a| a.organisation)
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
    let modes = super::super::administration::EXCHANGE_MODES
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
    submission: PublishSubmission,
) -> Response {
    let PublishSubmission { form, photos } = submission;
    let caller = match form_caller(&state, &page, &headers, &form.csrf_token) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let mut errors = publish_checks::check(&page, &form);
    let photos = match photos {
        Ok(photos) => photos,
        Err(error) => {
            // The photo rules name the API's field ("photo : …"); the form has its own label.
            let message = error.message.get(page.lang);
            let message = message
                .strip_prefix("photo : ")
                .or_else(|| message.strip_prefix("photo: "))
                .unwrap_or(message);
            errors
                .errors
                .push(("photos".to_owned(), message.to_owned()));
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return publish_page(page, &state, form, errors, None).await;
    }
    let key = Some(form.idempotency_key.clone()).filter(|k| !k.is_empty());
    let created = match fields(&form) {
        Ok(fields) => {
            let message = pb::CreateListingRequest {
                draft: !form.draft.is_empty(),
                fields: Some(fields),
                ..Default::default()
            };
            // The call builds its request inside the scope: that is where it picks up the key.
            synergies_platform::idempotency::scope(key, state.listings.create(&caller, message))
                .await
                .map_err(ApiError::from)
        }
        Err(error) => Err(error),
    };
    match created {
        Ok(listing) => {
            if let Err(error) = add_photos(&state, &page, &caller, &listing.id, photos).await {
                // The listing exists: its page says which photo was refused, where more are added.
                let feedback = super::super::Feedback::from_error(&page, &error);
                return super::listing_page::listing_page(
                    page,
                    &state,
                    &listing.id,
                    feedback,
                    None,
                )
                .await;
            }
            see_other(&page, &format!("/annonces/{}", listing.id), "created")
        }
        Err(error) => {
            let errors = publish_checks::from_service(&page, &error);
            let mut response = publish_page(page, &state, form, errors, None).await;
            *response.status_mut() = error.status;
            response
        }
    }
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
            .update(&caller, &id, fields)
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match updated {
        Ok(answer) => {
            let waits = answer.status() == pb::ListingStatus::PendingApproval;
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

/// Photos the publishing form may carry; more are added from the listing's page.
pub const MAX_FORM_PHOTOS: usize = 4;

/// The body a publishing form may send: its fields and up to [`MAX_FORM_PHOTOS`] photos.
pub const PUBLISH_BODY_LIMIT: usize = MAX_FORM_PHOTOS * crate::upload::UPLOAD_BODY_LIMIT;

/// What the publishing form sent: its fields, as a plain form or with photos
/// (`multipart/form-data`, the `photos` file field, possibly several times). A photo that is
/// too large or not an image is refused next to the field, before anything is created.
pub struct PublishSubmission {
    pub form: ListingForm,
    pub photos: Result<Vec<Vec<u8>>, ApiError>,
}

impl axum::extract::FromRequest<GatewayState> for PublishSubmission {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &GatewayState,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let multipart = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("multipart/form-data"));
        if !multipart {
            let Form(form) = Form::<ListingForm>::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(Self {
                form,
                photos: Ok(Vec::new()),
            });
        }
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut fields = serde_json::Map::new();
        let mut photos = Ok(Vec::new());
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(IntoResponse::into_response)?
        {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            if name != "photos" {
                let text = field.text().await.map_err(IntoResponse::into_response)?;
                fields.insert(name, serde_json::Value::String(text));
                continue;
            }
            // A file input left empty still sends one part, without a file name or bytes.
            if field.file_name().is_none_or(str::is_empty) {
                continue;
            }
            let read = crate::upload::read_photo_field(field).await;
            photos = match (photos, read) {
                (Ok(mut all), Ok(photo)) if all.len() < MAX_FORM_PHOTOS => {
                    all.push(photo);
                    Ok(all)
                }
                (Ok(_), Ok(_)) => Err(ApiError::invalid(
                    "photos",
                    Text::new(
                        "Choose at most 4 photos here; more can be added afterwards from the listing's page.",
                        "Choisissez au plus 4 photos ici ; d'autres s'ajoutent ensuite depuis la page de l'annonce.",
                    ),
                )),
                (Err(error), _) | (Ok(_), Err(error)) => Err(error),
            };
        }
        let form = serde_json::from_value(serde_json::Value::Object(fields)).map_err(|_| {
            ApiError::invalid(
                "form",
                Text::new(
                    "the form could not be read",
                    "le formulaire n'a pas pu être lu",
                ),
            )
            .into_response()
        })?;
        Ok(Self { form, photos })
    }
}

/// Adds the photos sent with the publishing form, in their order. A listing that already has
/// photos got them from this same form sent twice (the idempotency key answered the first
/// listing): they are not added again.
async fn add_photos(
    state: &GatewayState,
    page: &Page,
    caller: &CallerContext,
    listing_id: &str,
    photos: Vec<Vec<u8>>,
) -> Result<(), ApiError> {
    if photos.is_empty()
        || !super::photos::photos(state, page, listing_id)
            .await
            .is_empty()
    {
        return Ok(());
    }
    for content in photos {
        state.photos.add(caller, listing_id, content).await?;
    }
    Ok(())
}
