//! gRPC surface of the notifications service.

use std::sync::Arc;

use synergies_platform::auth::Verifier;
use synergies_platform::error::FieldError;
use synergies_platform::events::timestamp;
use synergies_platform::policy::{Action, authorize_request};
use synergies_platform::validate;
use synergies_proto::notifications::v1 as pb;
use tonic::{Request, Response, Status};

use crate::error::NotificationsError;
use crate::preferences::{Category, Frequency, Preferences};
use crate::store::{InboxItem, InboxPage, InboxStore, MailStore, PreferencesStore, Reader};
use crate::unsubscribe::Scope;

pub struct NotificationsApi {
    store: Arc<dyn InboxStore>,
    mail: Arc<dyn MailStore>,
    verifier: Arc<Verifier>,
    names: crate::names::OrganisationNames,
    preferences: Arc<dyn PreferencesStore>,
    signer: crate::unsubscribe::LinkSigner,
    saved_searches: Arc<dyn crate::saved_search::SavedSearchStore>,
    bounces: Arc<dyn crate::bounces::BounceStore>,
}

impl NotificationsApi {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn InboxStore>,
        mail: Arc<dyn MailStore>,
        verifier: Arc<Verifier>,
        names: crate::names::OrganisationNames,
        preferences: Arc<dyn PreferencesStore>,
        signer: crate::unsubscribe::LinkSigner,
        saved_searches: Arc<dyn crate::saved_search::SavedSearchStore>,
        bounces: Arc<dyn crate::bounces::BounceStore>,
    ) -> Self {
        Self {
            store,
            mail,
            verifier,
            names,
            preferences,
            signer,
            saved_searches,
            bounces,
        }
    }
}

impl NotificationsApi {
    /// The member a settings token was signed for.
    fn settings_holder(&self, tenant: &str, token: &str) -> Result<uuid::Uuid, NotificationsError> {
        match self.signer.verify(tenant, token) {
            Some((user_id, Scope::Settings)) => Ok(user_id),
            _ => Err(invalid_link().into()),
        }
    }

    /// What `user_id` chose, with the defaults for the rest, as the API answers it.
    async fn preferences_of(
        &self,
        tenant: &str,
        user_id: uuid::Uuid,
    ) -> Result<Response<pb::DeliveryPreferences>, NotificationsError> {
        let set = self.preferences.set_preferences(tenant, user_id).await?;
        Ok(Response::new(preferences_message(&Preferences::from_set(
            &set,
        ))))
    }

    /// A signed-in member's preferences, with their address when it is undeliverable.
    async fn own_preferences(
        &self,
        tenant: &str,
        user_id: uuid::Uuid,
    ) -> Result<Response<pb::DeliveryPreferences>, NotificationsError> {
        let mut answer = self.preferences_of(tenant, user_id).await?;
        if let Some((email, _)) = self.store.recipient(user_id).await?
            && self.bounces.undeliverable(tenant, &email).await?.is_some()
        {
            answer.get_mut().undeliverable_email = email;
        }
        Ok(answer)
    }
}

fn invalid_link() -> FieldError {
    FieldError::new(
        "token",
        "this link is not valid: use the link of your latest e-mail",
        "ce lien n'est pas valide : utilisez le lien de votre dernier e-mail",
    )
}

/// The categories and rhythms a member chose, checked.
fn choices(
    preferences: &[pb::DeliveryPreference],
) -> Result<Vec<(Category, Frequency)>, NotificationsError> {
    preferences
        .iter()
        .map(|p| {
            let category = Category::parse(&p.category).ok_or_else(|| {
                FieldError::new(
                    "category",
                    "one of synergy, message, reservation, moderation, alert, reminder",
                    "synergy, message, reservation, moderation, alert ou reminder",
                )
            })?;
            let frequency = Frequency::parse(&p.frequency).ok_or_else(|| {
                FieldError::new(
                    "frequency",
                    "one of immediate, daily, weekly, none",
                    "immediate, daily, weekly ou none",
                )
            })?;
            Ok((category, frequency))
        })
        .collect::<Result<Vec<_>, FieldError>>()
        .map_err(NotificationsError::from)
}

#[tonic::async_trait]
impl pb::notifications_service_server::NotificationsService for NotificationsApi {
    async fn list_inbox(
        &self,
        request: Request<pb::ListInboxRequest>,
    ) -> Result<Response<pb::ListInboxResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        let reader = reader(&caller.tenant, &member);
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(NotificationsError::from)?;
        let after = validate::page_token(&request.page_token).map_err(NotificationsError::from)?;
        let page = InboxPage {
            after,
            limit: limit + 1,
            unread_only: request.unread_only,
        };
        self.names.learn_callers(&caller).await;
        let items = self.store.inbox(reader, page).await?;
        let (items, next_page_token) = validate::into_page(items, limit, |item| item.id);
        Ok(Response::new(pb::ListInboxResponse {
            items: items.into_iter().map(item_message).collect(),
            next_page_token,
        }))
    }

    async fn mark_inbox_item_read(
        &self,
        request: Request<pb::MarkInboxItemReadRequest>,
    ) -> Result<Response<pb::MarkInboxItemReadResponse>, Status> {
        // Read state is the reader's own: whoever may read their inbox may mark it.
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        let reader = reader(&caller.tenant, &member);
        let id = validate::uuid("id", &request.get_ref().id).map_err(NotificationsError::from)?;
        let item = self
            .store
            .mark_read(reader, id, synergies_platform::time::now())
            .await?
            .ok_or(NotificationsError::ItemNotFound)?;
        let unread_count = self.store.unread_count(reader).await?;
        Ok(Response::new(pb::MarkInboxItemReadResponse {
            item: Some(item_message(item)),
            unread_count,
        }))
    }

    async fn mark_all_inbox_read(
        &self,
        request: Request<pb::MarkAllInboxReadRequest>,
    ) -> Result<Response<pb::MarkAllInboxReadResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        let reader = reader(&caller.tenant, &member);
        let marked = self
            .store
            .mark_all_read(reader, synergies_platform::time::now())
            .await?;
        let unread_count = self.store.unread_count(reader).await?;
        Ok(Response::new(pb::MarkAllInboxReadResponse {
            marked,
            unread_count,
        }))
    }

    async fn count_unread_inbox(
        &self,
        request: Request<pb::CountUnreadInboxRequest>,
    ) -> Result<Response<pb::CountUnreadInboxResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        self.names.learn_callers(&caller).await;
        self.names
            .learn_reader(&caller, &request.get_ref().language)
            .await;
        let unread_count = self
            .store
            .unread_count(reader(&caller.tenant, &member))
            .await?;
        Ok(Response::new(pb::CountUnreadInboxResponse { unread_count }))
    }

    async fn get_delivery_preferences(
        &self,
        request: Request<pb::GetDeliveryPreferencesRequest>,
    ) -> Result<Response<pb::DeliveryPreferences>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        Ok(self.own_preferences(&caller.tenant, member.user_id).await?)
    }

    async fn update_delivery_preferences(
        &self,
        request: Request<pb::UpdateDeliveryPreferencesRequest>,
    ) -> Result<Response<pb::DeliveryPreferences>, Status> {
        // Each member sets their own rhythm, as they read their own inbox.
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        let choices = choices(&request.into_inner().preferences)?;
        self.preferences
            .choose(
                &caller.tenant,
                member.user_id,
                &choices,
                synergies_platform::time::now(),
            )
            .await?;
        Ok(self.own_preferences(&caller.tenant, member.user_id).await?)
    }

    async fn confirm_email_address(
        &self,
        request: Request<pb::ConfirmEmailAddressRequest>,
    ) -> Result<Response<pb::DeliveryPreferences>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        if let Some((email, _)) = self.store.recipient(member.user_id).await? {
            let now = synergies_platform::time::now();
            if self.bounces.clear(&caller.tenant, &email, now).await? {
                tracing::info!(user_id = %member.user_id, "undeliverable address confirmed by its member");
            }
        }
        Ok(self.own_preferences(&caller.tenant, member.user_id).await?)
    }

    async fn list_undeliverable_addresses(
        &self,
        request: Request<pb::ListUndeliverableAddressesRequest>,
    ) -> Result<Response<pb::ListUndeliverableAddressesResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOutgoingMail).await?;
        let addresses = self.bounces.undeliverable_of_tenant(&caller.tenant).await?;
        Ok(Response::new(pb::ListUndeliverableAddressesResponse {
            addresses: addresses
                .into_iter()
                .map(|failures| pb::UndeliverableAddress {
                    address: failures.address,
                    hard_failures: failures.hard_failures,
                    last_error: failures.last_error,
                    undeliverable_since: failures.undeliverable_since.map(timestamp),
                })
                .collect(),
        }))
    }

    async fn record_delivery_report(
        &self,
        request: Request<pb::RecordDeliveryReportRequest>,
    ) -> Result<Response<pb::RecordDeliveryReportResponse>, Status> {
        let caller =
            authorize_request(&self.verifier, &request, Action::ManageOutgoingMail).await?;
        // Reports are ASCII in practice; a stray 8-bit byte in the returned text must not
        // refuse the whole report.
        let raw = String::from_utf8_lossy(&request.get_ref().report).into_owned();
        let outcome = crate::bounces::ingest_report(
            self.bounces.as_ref(),
            &caller.tenant,
            &raw,
            synergies_platform::time::now(),
        )
        .await?;
        Ok(Response::new(pb::RecordDeliveryReportResponse {
            recipients: outcome
                .recipients
                .into_iter()
                .map(|reported| pb::ReportedRecipient {
                    counted: reported.counted,
                    hard_failures: reported.failures.as_ref().map_or(0, |f| f.hard_failures),
                    undeliverable_since: reported
                        .failures
                        .and_then(|f| f.undeliverable_since)
                        .map(timestamp),
                    address: reported.status.address,
                    action: reported.status.action,
                    status: reported.status.status,
                    diagnostic: reported.status.diagnostic,
                })
                .collect(),
            duplicate: outcome.duplicate,
        }))
    }

    async fn get_preferences_by_token(
        &self,
        request: Request<pb::GetPreferencesByTokenRequest>,
    ) -> Result<Response<pb::DeliveryPreferences>, Status> {
        // The signed token is the authority: no sign-in.
        let request = request.into_inner();
        let user_id = self.settings_holder(&request.tenant, &request.token)?;
        Ok(self.preferences_of(&request.tenant, user_id).await?)
    }

    async fn update_preferences_by_token(
        &self,
        request: Request<pb::UpdatePreferencesByTokenRequest>,
    ) -> Result<Response<pb::DeliveryPreferences>, Status> {
        let request = request.into_inner();
        let user_id = self.settings_holder(&request.tenant, &request.token)?;
        let choices = choices(&request.preferences)?;
        let now = synergies_platform::time::now();
        self.preferences
            .choose(&request.tenant, user_id, &choices, now)
            .await?;
        Ok(self.preferences_of(&request.tenant, user_id).await?)
    }

    async fn unsubscribe_by_token(
        &self,
        request: Request<pb::UnsubscribeByTokenRequest>,
    ) -> Result<Response<pb::UnsubscribeByTokenResponse>, Status> {
        let request = request.into_inner();
        let (user_id, stopped, what) = match self.signer.verify(&request.tenant, &request.token) {
            Some((user_id, Scope::Unsubscribe(category))) => {
                (user_id, vec![category], category.as_str())
            }
            // A digest's link stops the digest: every category it groups.
            Some((user_id, Scope::Digest(frequency))) => {
                let set = self
                    .preferences
                    .set_preferences(&request.tenant, user_id)
                    .await?;
                let grouped = Preferences::from_set(&set)
                    .0
                    .into_iter()
                    .filter(|(_, f)| *f == frequency)
                    .map(|(c, _)| c)
                    .collect();
                (user_id, grouped, frequency.as_str())
            }
            _ => return Err(NotificationsError::from(invalid_link()).into()),
        };
        let choices: Vec<_> = stopped.iter().map(|c| (*c, Frequency::Never)).collect();
        self.preferences
            .choose(
                &request.tenant,
                user_id,
                &choices,
                synergies_platform::time::now(),
            )
            .await?;
        tracing::info!(%user_id, what, "unsubscribed by one click");
        Ok(Response::new(pb::UnsubscribeByTokenResponse {
            category: what.to_owned(),
        }))
    }

    async fn create_saved_search(
        &self,
        request: Request<pb::CreateSavedSearchRequest>,
    ) -> Result<Response<pb::SavedSearch>, Status> {
        // Each member keeps their own searches, as they read their own inbox.
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        let request = request.into_inner();
        let search = crate::saved_search::SavedSearch {
            id: uuid::Uuid::now_v7(),
            tenant: caller.tenant.clone(),
            user_id: member.user_id,
            organisation_id: member.organisation_id,
            text: request.text.trim().to_owned(),
            kind: request.kind.trim().to_owned(),
            category: request.category.trim().trim_end_matches('/').to_owned(),
            created_at: synergies_platform::time::now(),
            exchange_mode: request.exchange_mode.trim().to_owned(),
            insee_code: request.insee_code.trim().to_uppercase(),
            free_only: request.free_only,
            sort: request.sort.trim().to_owned(),
        };
        validate_search(&search)?;
        let kept = self
            .saved_searches
            .of_user(&caller.tenant, member.user_id)
            .await?;
        if kept.len() >= crate::saved_search::MAX_PER_MEMBER {
            return Err(NotificationsError::from(FieldError::new(
                "text",
                "50 saved searches at most: delete one first",
                "50 recherches enregistrées au plus : supprimez-en une d'abord",
            ))
            .into());
        }
        self.saved_searches.save(&search).await?;
        Ok(Response::new(search_message(search)))
    }

    async fn list_saved_searches(
        &self,
        request: Request<pb::ListSavedSearchesRequest>,
    ) -> Result<Response<pb::ListSavedSearchesResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        let searches = self
            .saved_searches
            .of_user(&caller.tenant, member.user_id)
            .await?;
        Ok(Response::new(pb::ListSavedSearchesResponse {
            saved_searches: searches.into_iter().map(search_message).collect(),
        }))
    }

    async fn delete_saved_search(
        &self,
        request: Request<pb::DeleteSavedSearchRequest>,
    ) -> Result<Response<pb::DeleteSavedSearchResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOwnInbox).await?;
        let member = caller.require_user()?;
        let id = validate::uuid("id", &request.get_ref().id).map_err(NotificationsError::from)?;
        if !self
            .saved_searches
            .delete(&caller.tenant, member.user_id, id)
            .await?
        {
            return Err(NotificationsError::SavedSearchNotFound.into());
        }
        Ok(Response::new(pb::DeleteSavedSearchResponse {}))
    }

    async fn list_outgoing_mail(
        &self,
        request: Request<pb::ListOutgoingMailRequest>,
    ) -> Result<Response<pb::ListOutgoingMailResponse>, Status> {
        let caller = authorize_request(&self.verifier, &request, Action::ReadOutgoingMail).await?;
        let request = request.into_inner();
        let limit = validate::page_size(request.page_size).map_err(NotificationsError::from)?;
        let after = validate::page_token(&request.page_token).map_err(NotificationsError::from)?;
        let mails = self.mail.outgoing(&caller.tenant, after, limit + 1).await?;
        let (mails, next_page_token) = validate::into_page(mails, limit, |queued| queued.id);
        Ok(Response::new(pb::ListOutgoingMailResponse {
            mails: mails
                .into_iter()
                .map(|queued| pb::OutgoingMail {
                    id: queued.id.to_string(),
                    recipient: queued.mail.recipient,
                    subject: queued.mail.subject,
                    body: queued.mail.body,
                    created_at: Some(timestamp(queued.created_at)),
                    sent_at: queued.sent_at.map(timestamp),
                    last_error: queued.last_error,
                    attempts: queued.attempts,
                    held: queued.held,
                })
                .collect(),
            next_page_token,
        }))
    }
}

fn reader<'a>(tenant: &'a str, member: &synergies_platform::context::Member) -> Reader<'a> {
    Reader {
        tenant,
        user_id: member.user_id,
        organisation_id: Some(member.organisation_id),
    }
}

pub(crate) fn item_message(item: InboxItem) -> pb::InboxItem {
    let (subject_kind, subject_id) = item.subject.parts();
    pb::InboxItem {
        id: item.id.to_string(),
        kind: item.kind,
        title: item.title.fr,
        body: item.body.fr,
        title_en: item.title.en,
        body_en: item.body.en,
        listing_id: item.listing_id.map(|id| id.to_string()).unwrap_or_default(),
        read: item.read,
        created_at: Some(timestamp(item.created_at)),
        event_id: item.event_id.to_string(),
        subject_kind: subject_kind.to_owned(),
        subject_id,
        other_organisation_id: item
            .other_organisation
            .map(|id| id.to_string())
            .unwrap_or_default(),
        other_organisation_name: item.other_organisation_name,
    }
}

fn preferences_message(preferences: &Preferences) -> pb::DeliveryPreferences {
    pb::DeliveryPreferences {
        preferences: preferences
            .0
            .iter()
            .map(|(category, frequency)| pb::DeliveryPreference {
                category: category.as_str().to_owned(),
                frequency: frequency.as_str().to_owned(),
            })
            .collect(),
        undeliverable_email: String::new(),
    }
}

/// A saved search names something to look for, within bounds.
fn validate_search(search: &crate::saved_search::SavedSearch) -> Result<(), NotificationsError> {
    if !["", "offer", "request"].contains(&search.kind.as_str()) {
        return Err(
            FieldError::new("kind", "offer, request or empty", "offer, request ou vide").into(),
        );
    }
    if !["", "give", "exchange", "lend", "rent", "sell"].contains(&search.exchange_mode.as_str()) {
        return Err(FieldError::new(
            "exchange_mode",
            "give, exchange, lend, rent, sell or empty",
            "give, exchange, lend, rent, sell ou vide",
        )
        .into());
    }
    if !crate::saved_search::SORTS.contains(&search.sort.as_str()) {
        return Err(FieldError::new(
            "sort",
            "must be one of relevance, newest, nearest",
            "doit valoir l'une des valeurs relevance, newest, nearest",
        )
        .into());
    }
    let insee = &search.insee_code;
    if !insee.is_empty() && (insee.len() != 5 || !insee.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(FieldError::new(
            "insee_code",
            "a commune's INSEE code (5 characters) or empty",
            "le code INSEE d'une commune (5 caractères) ou vide",
        )
        .into());
    }
    if search.text.chars().count() > 200 {
        return Err(
            FieldError::new("text", "200 characters at most", "200 caractères au plus").into(),
        );
    }
    if search.category.chars().count() > 100 {
        return Err(FieldError::new(
            "category",
            "100 characters at most",
            "100 caractères au plus",
        )
        .into());
    }
    if search.text.is_empty()
        && search.kind.is_empty()
        && search.category.is_empty()
        && search.exchange_mode.is_empty()
        && search.insee_code.is_empty()
        && !search.free_only
    {
        return Err(FieldError::new(
            "text",
            "give words, a kind or a category to look for",
            "indiquez des mots, un type ou une catégorie à rechercher",
        )
        .into());
    }
    Ok(())
}

fn search_message(search: crate::saved_search::SavedSearch) -> pb::SavedSearch {
    pb::SavedSearch {
        id: search.id.to_string(),
        text: search.text,
        kind: search.kind,
        category: search.category,
        created_at: Some(timestamp(search.created_at)),
        exchange_mode: search.exchange_mode,
        insee_code: search.insee_code,
        free_only: search.free_only,
        sort: search.sort,
    }
}
