//! gRPC surface of the listings service: authentication and authorization (through the policy
//! module), then the domain, then one store call that commits the change with its event.

use std::sync::Arc;

use synergies_platform::auth::Verifier;
use synergies_platform::context::{CallerContext, authenticate};
use synergies_platform::db::Database;
use synergies_platform::idempotency::IdempotentCall;
use synergies_platform::outbox::RelayWaker;
use synergies_platform::policy::{Action, Resource, authorize, authorize_request};
use synergies_platform::validate;
use synergies_proto::listings::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert::{
    change_event, date, fields_from_message, kind_from_message, listing_message, named,
};
use crate::domain::{ExchangeMode, Listing, ListingFields, ListingStatus, ResourceType};
use crate::error::ListingsError;
use crate::exchanges::reservation_cancelled_event;
use crate::exchanges::store::ExchangeStore;
use crate::search::{Cursor, Near, SearchQuery, Sort};
use crate::store::{ListingQuery, ListingStore};
use crate::territory::Territory;

pub struct ListingsApi {
    store: Arc<dyn ListingStore>,
    /// Reservations, read when a reserved listing is withdrawn or hidden.
    exchanges: Arc<dyn ExchangeStore>,
    relay: RelayWaker,
    verifier: Arc<Verifier>,
    territory: Territory,
    /// Where `Idempotency-Key`s of creating calls are kept.
    database: Database,
}

/// Default radius of a distance search without one, km.
const DEFAULT_RADIUS_KM: f64 = 30.0;
const REASON_MAX: usize = 500;

fn invalid(error: synergies_platform::error::FieldError) -> Status {
    ListingsError::from(error).into()
}

impl ListingsApi {
    pub fn new(
        store: Arc<dyn ListingStore>,
        exchanges: Arc<dyn ExchangeStore>,
        relay: RelayWaker,
        verifier: Arc<Verifier>,
        territory: Territory,
        database: Database,
    ) -> Self {
        Self {
            store,
            exchanges,
            relay,
            verifier,
            territory,
            database,
        }
    }

    /// The listing `id` of the caller's tenant (`NotFound` otherwise).
    async fn load(&self, caller: &CallerContext, id: &str) -> Result<Listing, Status> {
        let id = validate::uuid("listing_id", id).map_err(invalid)?;
        Ok(self
            .store
            .get(&caller.tenant, id)
            .await?
            .ok_or(ListingsError::NotFound)?)
    }

    /// Loads a listing the caller's organisation may manage: 404 in another tenant (or a
    /// draft of another organisation, which the caller cannot see), 403 for another
    /// organisation's visible listing.
    async fn load_own(&self, caller: &CallerContext, id: &str) -> Result<Listing, Status> {
        let listing = self.load(caller, id).await?;
        if !Self::visible(caller, &listing) {
            return Err(ListingsError::NotFound.into());
        }
        authorize(
            caller,
            Action::ManageListing,
            &Resource::organisation(&caller.tenant, listing.organisation_id),
        )?;
        Ok(listing)
    }

    fn visible(caller: &CallerContext, listing: &Listing) -> bool {
        listing.is_public()
            || caller.organisation_id == Some(listing.organisation_id)
            // Moderators see what waits for them or what they hid, not other people's drafts.
            || (listing.status != ListingStatus::Draft
                && authorize(
                    caller,
                    Action::ModerateListings,
                    &Resource::tenant(&listing.tenant),
                )
                .is_ok())
    }

    /// Writes the transition from `previous`'s status, with its event.
    async fn commit(
        &self,
        listing: &Listing,
        previous: ListingStatus,
        by_user: Option<Uuid>,
        updated: bool,
    ) -> Result<(), Status> {
        let mut events: Vec<_> = change_event(listing, by_user, updated)
            .into_iter()
            .collect();
        // A reserved listing withdrawn or hidden: its reservation ends, and the other side is told.
        if previous == ListingStatus::Reserved && listing.status != ListingStatus::Reserved {
            events.push(
                reservation_cancelled_event(self.exchanges.as_ref(), listing, by_user).await?,
            );
        }
        if !self.store.save(listing, previous, &events).await? {
            return Err(ListingsError::ChangedMeanwhile.into());
        }
        if !events.is_empty() {
            self.relay.wake();
        }
        tracing::info!(listing_id = %listing.id, status = listing.status.as_str(), "listing changed");
        Ok(())
    }

    /// Validated content and location of what a member wrote.
    async fn checked(
        &self,
        caller: &CallerContext,
        fields: pb::ListingFields,
    ) -> Result<
        (
            crate::domain::ListingContent,
            Option<crate::domain::Location>,
            crate::territory::TenantRules,
        ),
        Status,
    > {
        let rules = self.territory.rules(&caller.tenant).await?;
        let (site_id, insee_code) = (fields.site_id.clone(), fields.insee_code.clone());
        let fields: ListingFields = fields_from_message(fields).map_err(invalid)?;
        let content = fields
            .validate(&rules.exchange_modes, chrono::Utc::now().date_naive())
            .map_err(invalid)?;
        let location = self
            .territory
            .locate(caller, &rules, &site_id, &insee_code)
            .await?;
        Ok((content, location, rules))
    }

    /// The search a request describes, in `tenant`.
    async fn search_query(
        &self,
        caller: Option<&CallerContext>,
        filters: pb::SearchFilters,
    ) -> Result<(SearchQuery, u32), Status> {
        let limit = validate::page_size(filters.page_size).map_err(invalid)?;
        let sort = match filters.sort.trim() {
            "" | "relevance" => Sort::Relevance,
            "newest" => Sort::Newest,
            "nearest" => Sort::Nearest,
            _ => {
                return Err(invalid(synergies_platform::error::FieldError::new(
                    "sort",
                    "must be one of relevance, newest, nearest",
                    "doit valoir l'une des valeurs relevance, newest, nearest",
                )));
            }
        };
        let category = if filters.category.trim().is_empty() {
            None
        } else {
            Some(
                crate::taxonomy::taxonomy()
                    .validate("category", &filters.category)
                    .map_err(invalid)?
                    .code
                    .clone(),
            )
        };
        let radius = filters.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
        let near = match (
            filters.from_site_id.trim(),
            filters.latitude,
            filters.longitude,
        ) {
            ("", Some(latitude), Some(longitude)) => {
                Some(Near::validate(latitude, longitude, radius).map_err(invalid)?)
            }
            ("", None, None) => None,
            ("", _, _) => {
                return Err(invalid(synergies_platform::error::FieldError::new(
                    "longitude",
                    "latitude and longitude go together",
                    "latitude et longitude vont ensemble",
                )));
            }
            (site_id, _, _) => {
                let Some(caller) = caller.filter(|c| c.organisation_id.is_some()) else {
                    return Err(invalid(synergies_platform::error::FieldError::new(
                        "from_site_id",
                        "needs a signed-in member",
                        "nécessite d'être connecté en tant que membre",
                    )));
                };
                let site = self
                    .territory
                    .my_site(caller, "from_site_id", site_id)
                    .await?;
                let (latitude, longitude) = site.coordinates.unwrap_or_default();
                Some(Near::validate(latitude, longitude, radius).map_err(invalid)?)
            }
        };
        if sort == Sort::Nearest && near.is_none() {
            return Err(invalid(synergies_platform::error::FieldError::new(
                "sort",
                "nearest needs a point (latitude and longitude) or from_site_id",
                "nearest nécessite un point (latitude et longitude) ou from_site_id",
            )));
        }
        let query = SearchQuery {
            text: filters.text.clone(),
            terms: crate::text::query_terms(&filters.text),
            kind: kind_from_message(filters.kind),
            resource_type: named(
                "resource_type",
                &filters.resource_type,
                ResourceType::parse,
                ResourceType::names,
            )
            .map_err(invalid)?,
            category,
            exchange_mode: named(
                "exchange_mode",
                &filters.exchange_mode,
                ExchangeMode::parse,
                ExchangeMode::names,
            )
            .map_err(invalid)?,
            free_only: filters.free_only,
            insee_code: Some(filters.insee_code.trim().to_owned()).filter(|c| !c.is_empty()),
            near,
            available_on: date("available_on", &filters.available_on).map_err(invalid)?,
            sort,
            after: Cursor::decode(&filters.page_token, sort).map_err(invalid)?,
            limit: limit + 1,
        };
        Ok((query, limit))
    }

    async fn search(
        &self,
        tenant: &str,
        query: SearchQuery,
        limit: u32,
    ) -> Result<pb::SearchListingsResponse, Status> {
        let first_page = query.after.is_none();
        let (mut hits, facets) = self.store.search(tenant, &query, first_page).await?;
        let next_page_token = if hits.len() > limit as usize {
            hits.truncate(limit as usize);
            hits.last()
                .map(|hit| hit.cursor(&query).encode())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let counts = |counts: Vec<(String, i64)>| {
            counts
                .into_iter()
                .map(|(value, count)| pb::FacetCount { value, count })
                .collect()
        };
        Ok(pb::SearchListingsResponse {
            hits: hits
                .into_iter()
                .map(|hit| pb::SearchHit {
                    score: hit.score,
                    distance_km: hit.distance_km,
                    listing: Some(listing_message(hit.listing)),
                })
                .collect(),
            next_page_token,
            categories: counts(facets.categories),
            exchange_modes: counts(facets.exchange_modes),
        })
    }
}

/// The listing a creation's first event is about (a creation that committed but whose answer
/// was lost: see `IdempotentCall::run`).
fn created_listing_id(
    effect: &synergies_proto::events::v1::EventEnvelope,
) -> Result<String, Status> {
    use synergies_proto::events::v1 as events;
    let id = match effect.event_type.as_str() {
        "listing.published" => {
            synergies_platform::events::payload::<events::ListingPublished>(effect)
                .map(|published| published.listing_id)
        }
        _ => synergies_platform::events::payload::<events::ListingSubmitted>(effect)
            .map(|submitted| submitted.change.unwrap_or_default().listing_id),
    };
    id.map_err(|error| Status::internal(format!("the creation's event does not decode: {error}")))
}

#[allow(clippy::unnecessary_wraps)] // Every response carries its listing as an optional message.
fn answer(listing: Listing) -> Option<pb::Listing> {
    Some(listing_message(listing))
}

/// Creating calls, handled once per `Idempotency-Key` by the trait methods that wrap them.
impl ListingsApi {
    async fn create_listing_once(
        &self,
        request: Request<pb::CreateListingRequest>,
    ) -> Result<Response<pb::CreateListingResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let member = caller.require_user()?;
        authorize(
            &caller,
            Action::PublishListing,
            &Resource::organisation(&caller.tenant, member.organisation_id),
        )?;
        let request = request.into_inner();
        let fields = request.fields.unwrap_or(pb::ListingFields {
            kind: request.kind,
            category: request.category,
            title: request.title,
            description: request.description,
            ..Default::default()
        });
        let (content, location, rules) = self.checked(&caller, fields).await?;
        let mut listing = Listing::draft(
            &caller.tenant,
            member.organisation_id,
            member.user_id,
            content,
            location,
        );
        if !request.draft {
            listing
                .submit(rules.needs_approval)
                .map_err(ListingsError::from)?;
        }
        let events: Vec<_> = change_event(&listing, Some(member.user_id), false)
            .into_iter()
            .collect();
        self.store.create(&listing, &events).await?;
        self.relay.wake();
        tracing::info!(listing_id = %listing.id, tenant = %listing.tenant, kind = listing.kind.as_str(), status = listing.status.as_str(), "listing created");
        Ok(Response::new(pb::CreateListingResponse {
            listing: answer(listing),
        }))
    }
}

#[tonic::async_trait]
impl pb::listings_service_server::ListingsService for ListingsApi {
    async fn create_listing(
        &self,
        request: Request<pb::CreateListingRequest>,
    ) -> Result<Response<pb::CreateListingResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let call = IdempotentCall::for_caller(&request, &caller, "CreateListing")?;
        let caller = &caller;
        IdempotentCall::run(
            call,
            &self.database,
            || async { Ok(self.create_listing_once(request).await?.into_inner()) },
            |effect| async move {
                let listing = self.load(caller, &created_listing_id(&effect)?).await?;
                Ok(pb::CreateListingResponse {
                    listing: answer(listing),
                })
            },
        )
        .await
        .map(Response::new)
    }
    async fn get_listing(
        &self,
        request: Request<pb::GetListingRequest>,
    ) -> Result<Response<pb::GetListingResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let listing = self.load(&caller, &request.get_ref().listing_id).await?;
        // Drafts and the like are visible to their organisation (and moderators) only.
        if !Self::visible(&caller, &listing) {
            return Err(ListingsError::NotFound.into());
        }
        Ok(Response::new(pb::GetListingResponse {
            listing: answer(listing),
        }))
    }

    async fn list_listings(
        &self,
        request: Request<pb::ListListingsRequest>,
    ) -> Result<Response<pb::ListListingsResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(invalid)?;
        let category = if request.category.is_empty() {
            None
        } else {
            Some(
                crate::taxonomy::taxonomy()
                    .validate("category", &request.category)
                    .map_err(invalid)?
                    .code
                    .clone(),
            )
        };
        let status = named(
            "status",
            &request.status,
            ListingStatus::parse,
            ListingStatus::names,
        )
        .map_err(invalid)?;
        // Drafts are their owners' only: asking for drafts lists the caller's organisation's,
        // whoever asks (a facilitator's role does not reach other organisations' drafts).
        let drafts_of = if status == Some(ListingStatus::Draft) {
            Some(caller.require_user()?.organisation_id)
        } else {
            None
        };
        if status.is_some_and(|s| !matches!(s, ListingStatus::Published | ListingStatus::Draft)) {
            // Only moderators see other organisations' listings that are not published.
            authorize(
                &caller,
                Action::ModerateListings,
                &Resource::tenant(&caller.tenant),
            )?;
        }
        let query = ListingQuery {
            kind: kind_from_message(request.kind),
            category,
            status,
            after: validate::page_token(&request.page_token).map_err(invalid)?,
            owner: if request.mine {
                Some(caller.require_user()?.user_id)
            } else {
                None
            },
            organisation: drafts_of,
            limit: limit + 1,
        };
        let listings = self.store.list(&caller.tenant, &query).await?;
        let (listings, next_page_token) =
            validate::into_page(listings, limit, |listing| listing.id);
        Ok(Response::new(pb::ListListingsResponse {
            listings: listings.into_iter().map(listing_message).collect(),
            next_page_token,
        }))
    }

    async fn update_listing(
        &self,
        request: Request<pb::UpdateListingRequest>,
    ) -> Result<Response<pb::UpdateListingResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let request = request.into_inner();
        let mut listing = self.load_own(&caller, &request.listing_id).await?;
        let (content, location, rules) = self
            .checked(&caller, request.fields.unwrap_or_default())
            .await?;
        let previous = listing.status;
        listing
            .update(content, location, rules.needs_approval)
            .map_err(ListingsError::from)?;
        self.commit(&listing, previous, caller.user_id, true)
            .await?;
        Ok(Response::new(pb::UpdateListingResponse {
            listing: answer(listing),
        }))
    }

    async fn submit_listing(
        &self,
        request: Request<pb::SubmitListingRequest>,
    ) -> Result<Response<pb::SubmitListingResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let mut listing = self
            .load_own(&caller, &request.get_ref().listing_id)
            .await?;
        let rules = self.territory.rules(&caller.tenant).await?;
        let previous = listing.status;
        listing
            .submit(rules.needs_approval)
            .map_err(ListingsError::from)?;
        self.commit(&listing, previous, caller.user_id, false)
            .await?;
        Ok(Response::new(pb::SubmitListingResponse {
            listing: answer(listing),
        }))
    }

    async fn approve_listing(
        &self,
        request: Request<pb::ApproveListingRequest>,
    ) -> Result<Response<pb::ApproveListingResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ModerateListings).await?;
        let mut listing = self.load(&caller, &request.get_ref().listing_id).await?;
        let previous = listing.status;
        listing.approve().map_err(ListingsError::from)?;
        self.commit(&listing, previous, caller.user_id, false)
            .await?;
        Ok(Response::new(pb::ApproveListingResponse {
            listing: answer(listing),
        }))
    }

    async fn withdraw_listing(
        &self,
        request: Request<pb::WithdrawListingRequest>,
    ) -> Result<Response<pb::WithdrawListingResponse>, Status> {
        let caller = authenticate(&self.verifier, &request).await?;
        let mut listing = self
            .load_own(&caller, &request.get_ref().listing_id)
            .await?;
        let previous = listing.status;
        listing.withdraw().map_err(ListingsError::from)?;
        self.commit(&listing, previous, caller.user_id, false)
            .await?;
        Ok(Response::new(pb::WithdrawListingResponse {
            listing: answer(listing),
        }))
    }

    async fn hide_listing(
        &self,
        request: Request<pb::HideListingRequest>,
    ) -> Result<Response<pb::HideListingResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ModerateListings).await?;
        let request = request.into_inner();
        let mut listing = self.load(&caller, &request.listing_id).await?;
        let reason = validate::required_multiline_text("reason", &request.reason, REASON_MAX)
            .map_err(invalid)?;
        let previous = listing.status;
        listing.hide(reason).map_err(ListingsError::from)?;
        self.commit(&listing, previous, caller.user_id, false)
            .await?;
        Ok(Response::new(pb::HideListingResponse {
            listing: answer(listing),
        }))
    }

    async fn search_listings(
        &self,
        request: Request<pb::SearchListingsRequest>,
    ) -> Result<Response<pb::SearchListingsResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadListings).await?;
        let filters = request.into_inner().filters.unwrap_or_default();
        let (query, limit) = self.search_query(Some(&caller), filters).await?;
        Ok(Response::new(
            self.search(&caller.tenant, query, limit).await?,
        ))
    }

    async fn search_public_listings(
        &self,
        request: Request<pb::SearchPublicListingsRequest>,
    ) -> Result<Response<pb::SearchListingsResponse>, Status> {
        // Visitors: no account, the tenant named by the request, published listings only. An
        // unknown tenant is refused; a known one is not asked about again (see `exists`).
        let request = request.into_inner();
        self.territory.exists(&request.tenant).await?;
        let (query, limit) = self
            .search_query(None, request.filters.unwrap_or_default())
            .await?;
        Ok(Response::new(
            self.search(&request.tenant, query, limit).await?,
        ))
    }

    async fn get_public_listing(
        &self,
        request: Request<pb::GetPublicListingRequest>,
    ) -> Result<Response<pb::GetListingResponse>, Status> {
        let request = request.into_inner();
        let id = validate::uuid("listing_id", &request.listing_id).map_err(invalid)?;
        let listing = self
            .store
            .get(&request.tenant, id)
            .await?
            // Visitors see what is on offer: not a listing already reserved for someone.
            .filter(|listing| listing.status == ListingStatus::Published)
            .ok_or(ListingsError::NotFound)?;
        Ok(Response::new(pb::GetListingResponse {
            listing: answer(listing),
        }))
    }

    async fn list_categories(
        &self,
        _request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let categories = crate::taxonomy::taxonomy()
            .all()
            .map(|c| pb::Category {
                code: c.code.clone(),
                parent: c.parent().unwrap_or_default().to_owned(),
                resource_type: c.resource_type.as_str().to_owned(),
                label_fr: c.label_fr.clone(),
                label_en: c.label_en.clone(),
            })
            .collect();
        Ok(Response::new(pb::ListCategoriesResponse { categories }))
    }
}
