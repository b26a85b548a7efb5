//! The notifications service as the gateway calls it: the inbox, delivery preferences (signed
//! in, or through an e-mail's signed token), saved searches and the operator's view of the
//! mail. Reads are retried; so are the writes the service makes idempotent (marking read,
//! setting a rhythm, confirming an address, deleting a saved search); creating a saved search
//! is sent once.

use std::collections::BTreeMap;

use serde::Serialize;
use synergies_platform::context::CallerContext;
use synergies_platform::grpc::ServiceChannel;
use synergies_proto::notifications::v1 as pb;
use synergies_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
use tonic::Status;
use utoipa::ToSchema;

use super::{outgoing, retried, rfc3339};

type Client = NotificationsServiceClient<ServiceChannel>;

#[derive(Clone)]
pub struct NotificationsClient {
    client: Client,
}

impl NotificationsClient {
    pub fn new(channel: ServiceChannel) -> Self {
        Self {
            client: NotificationsServiceClient::new(channel),
        }
    }

    pub async fn inbox(
        &self,
        caller: &CallerContext,
        message: pb::ListInboxRequest,
    ) -> Result<pb::ListInboxResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_inbox(call).await },
        )
        .await
    }

    /// The caller's unread count, retried.
    pub async fn count_unread(
        &self,
        caller: &CallerContext,
        message: pb::CountUnreadInboxRequest,
    ) -> Result<u64, Status> {
        let answer = retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.count_unread_inbox(call).await },
        )
        .await?;
        Ok(answer.unread_count)
    }

    /// The unread count asked once: for the pages' badge, shown without it rather than late.
    pub async fn count_unread_once(
        &self,
        caller: &CallerContext,
        message: pb::CountUnreadInboxRequest,
    ) -> Result<u64, Status> {
        let answer = self
            .client
            .clone()
            .count_unread_inbox(outgoing(message, Some(caller)))
            .await?;
        Ok(answer.into_inner().unread_count)
    }

    /// Marking read is idempotent: retried like a read.
    pub async fn mark_read(
        &self,
        caller: &CallerContext,
        id: &str,
    ) -> Result<pb::MarkInboxItemReadResponse, Status> {
        let message = pb::MarkInboxItemReadRequest { id: id.to_owned() };
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.mark_inbox_item_read(call).await },
        )
        .await
    }

    pub async fn mark_all_read(
        &self,
        caller: &CallerContext,
    ) -> Result<pb::MarkAllInboxReadResponse, Status> {
        let message = pb::MarkAllInboxReadRequest {};
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.mark_all_inbox_read(call).await },
        )
        .await
    }

    pub async fn delivery_preferences(
        &self,
        caller: &CallerContext,
    ) -> Result<pb::DeliveryPreferences, Status> {
        let message = pb::GetDeliveryPreferencesRequest {};
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.get_delivery_preferences(call).await },
        )
        .await
    }

    /// Sets the rhythm of the categories given (idempotent: retried like a read).
    pub async fn set_delivery_preferences(
        &self,
        caller: &CallerContext,
        choices: BTreeMap<String, String>,
    ) -> Result<pb::DeliveryPreferences, Status> {
        let message = pb::UpdateDeliveryPreferencesRequest {
            preferences: preferences(choices),
        };
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.update_delivery_preferences(call).await },
        )
        .await
    }

    /// Confirming an address is idempotent: retried like a read.
    pub async fn confirm_email(
        &self,
        caller: &CallerContext,
    ) -> Result<pb::DeliveryPreferences, Status> {
        let message = pb::ConfirmEmailAddressRequest {};
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.confirm_email_address(call).await },
        )
        .await
    }

    /// The preferences an e-mail's signed token stands for (no sign-in).
    pub async fn preferences_by_token(
        &self,
        tenant: &str,
        token: &str,
    ) -> Result<pb::DeliveryPreferences, Status> {
        let message = pb::GetPreferencesByTokenRequest {
            tenant: tenant.to_owned(),
            token: token.to_owned(),
        };
        retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.get_preferences_by_token(call).await },
        )
        .await
    }

    /// Sets rhythms through an e-mail's signed token (idempotent: retried like a read).
    pub async fn set_preferences_by_token(
        &self,
        tenant: &str,
        token: &str,
        choices: BTreeMap<String, String>,
    ) -> Result<pb::DeliveryPreferences, Status> {
        let message = pb::UpdatePreferencesByTokenRequest {
            tenant: tenant.to_owned(),
            token: token.to_owned(),
            preferences: preferences(choices),
        };
        retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.update_preferences_by_token(call).await },
        )
        .await
    }

    /// One-click unsubscribe; answers the category unsubscribed from. Idempotent: retried.
    pub async fn unsubscribe(&self, tenant: &str, token: &str) -> Result<String, Status> {
        let message = pb::UnsubscribeByTokenRequest {
            tenant: tenant.to_owned(),
            token: token.to_owned(),
        };
        let answer = retried(
            &self.client,
            None,
            message,
            |mut c: Client, call| async move { c.unsubscribe_by_token(call).await },
        )
        .await?;
        Ok(answer.category)
    }

    /// Operator: the e-mails written for the tenant the caller acts on, newest first.
    pub async fn outgoing_mail(
        &self,
        caller: &CallerContext,
        message: pb::ListOutgoingMailRequest,
    ) -> Result<pb::ListOutgoingMailResponse, Status> {
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_outgoing_mail(call).await },
        )
        .await
    }

    /// Operator: the tenant's addresses that refused mail for good.
    pub async fn undeliverable_addresses(
        &self,
        caller: &CallerContext,
    ) -> Result<Vec<UndeliverableAddress>, Status> {
        let message = pb::ListUndeliverableAddressesRequest {};
        let listed = retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_undeliverable_addresses(call).await },
        )
        .await?;
        Ok(listed
            .addresses
            .into_iter()
            .map(|failures| UndeliverableAddress {
                undeliverable_since: rfc3339(failures.undeliverable_since.as_ref()),
                address: failures.address,
                hard_failures: failures.hard_failures,
                last_error: failures.last_error,
            })
            .collect())
    }

    /// Operator: feeds a delivery status notification (sent once: a report without a
    /// Message-ID retried would count twice).
    pub async fn record_delivery_report(
        &self,
        caller: &CallerContext,
        report: Vec<u8>,
    ) -> Result<pb::RecordDeliveryReportResponse, Status> {
        let message = pb::RecordDeliveryReportRequest { report };
        Ok(self
            .client
            .clone()
            .record_delivery_report(outgoing(message, Some(caller)))
            .await?
            .into_inner())
    }

    /// Saves a search (sent once: a retry could save it twice).
    pub async fn save_search(
        &self,
        caller: &CallerContext,
        message: pb::CreateSavedSearchRequest,
    ) -> Result<pb::SavedSearch, Status> {
        Ok(self
            .client
            .clone()
            .create_saved_search(outgoing(message, Some(caller)))
            .await?
            .into_inner())
    }

    /// The caller's saved searches, oldest first.
    pub async fn saved_searches(
        &self,
        caller: &CallerContext,
    ) -> Result<Vec<pb::SavedSearch>, Status> {
        let message = pb::ListSavedSearchesRequest {};
        let answer = retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.list_saved_searches(call).await },
        )
        .await?;
        Ok(answer.saved_searches)
    }

    /// Deleting is idempotent in effect: retried while the service is unavailable.
    pub async fn delete_saved_search(
        &self,
        caller: &CallerContext,
        id: String,
    ) -> Result<(), Status> {
        let message = pb::DeleteSavedSearchRequest { id };
        retried(
            &self.client,
            Some(caller),
            message,
            |mut c: Client, call| async move { c.delete_saved_search(call).await },
        )
        .await?;
        Ok(())
    }
}

fn preferences(choices: BTreeMap<String, String>) -> Vec<pb::DeliveryPreference> {
    choices
        .into_iter()
        .map(|(category, frequency)| pb::DeliveryPreference {
            category,
            frequency,
        })
        .collect()
}

/// An address that refused mail for good, repeatedly.
#[derive(Serialize, ToSchema)]
pub struct UndeliverableAddress {
    pub address: String,
    /// Permanent refusals (SMTP 5xx) in a row.
    pub hard_failures: i32,
    /// The server's last answer.
    pub last_error: String,
    pub undeliverable_since: String,
}

/// The page an inbox item opens, under the tenant's pages: the conversation, listing, flow,
/// or the synergy on the board.
pub(crate) fn link(tenant: &str, subject_kind: &str, subject_id: &str) -> Option<String> {
    if subject_id.is_empty() {
        return None;
    }
    match subject_kind {
        "conversation" => Some(format!("/{tenant}/conversations/{subject_id}")),
        "listing" => Some(format!("/{tenant}/annonces/{subject_id}")),
        "flow" => Some(format!("/{tenant}/flux/{subject_id}")),
        "synergy" => Some(format!("/{tenant}/synergies#synergy-{subject_id}")),
        _ => None,
    }
}
