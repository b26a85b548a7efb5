//! The one place that answers "may this caller do this to that resource?". Every service asks
//! here after authenticating the caller; what a service checks itself is only what it alone
//! knows (for example, which organisation owns a listing).
//!
//! Rules, in order:
//! 1. A resource of another tenant does not exist for the caller: `NotFound`, never a hint. The
//!    platform operator, who belongs to no tenant, acts on the tenant a call names.
//! 2. Each action names who may do it (see [`allowed`]); anyone else gets `PermissionDenied`.
//! 3. Actions on an organisation's own resources need the caller to belong to it.

use uuid::Uuid;

use crate::auth::Role;
use crate::context::CallerContext;
use crate::error::{ErrorCode, status};
use crate::i18n::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create a tenant (territory).
    CreateTenant,
    /// Register organisations and users on the operator's authority.
    ManageAccounts,
    /// Approve, reject or suspend an organisation.
    DecideOrganisation,
    /// See every organisation of the territory, whatever its status.
    ListOrganisations,
    /// Read a user profile of the tenant.
    ReadUser,
    /// Publish a listing for one's own organisation.
    PublishListing,
    /// Browse and read the tenant's published listings and their matches.
    ReadListings,
    /// Edit, submit or withdraw one of one's own organisation's listings.
    ManageListing,
    /// Take part in conversations and exchanges about listings, for one's own organisation
    /// (approved members only): open a conversation, post, read, confirm an exchange.
    TakePartInExchanges,
    /// Approve listings waiting for approval, hide listings (with a reason).
    ModerateListings,
    /// Read one's own inbox.
    ReadOwnInbox,
    /// Read the e-mails the platform wrote (the operator's view).
    ReadOutgoingMail,
    /// Feed in what became of sent e-mails (delivery reports): the operator.
    ManageOutgoingMail,
    /// Invite colleagues into one's organisation and manage their roles.
    ManageColleagues,
    /// Appoint facilitators and tenant admins.
    AppointFacilitators,
    /// Edit the tenant's branding and settings.
    ManageTenant,
    /// Close one's own organisation.
    CloseOrganisation,
}

/// What the action is done to: always a tenant, sometimes one organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource<'a> {
    pub tenant: &'a str,
    pub organisation: Option<Uuid>,
}

impl<'a> Resource<'a> {
    pub fn tenant(tenant: &'a str) -> Self {
        Self {
            tenant,
            organisation: None,
        }
    }

    pub fn organisation(tenant: &'a str, organisation: Uuid) -> Self {
        Self {
            tenant,
            organisation: Some(organisation),
        }
    }
}

/// Who may do `action` (in their own tenant).
fn allowed(caller: &CallerContext, action: Action) -> bool {
    let has = |role| caller.roles.contains(&role);
    let signed_in_user = caller.user_id.is_some() && caller.organisation_id.is_some();
    match action {
        Action::CreateTenant
        | Action::ManageAccounts
        | Action::ReadOutgoingMail
        | Action::ManageOutgoingMail => caller.is_operator(),
        Action::DecideOrganisation | Action::ListOrganisations | Action::ModerateListings => {
            caller.is_operator() || has(Role::Facilitator) || has(Role::TenantAdmin)
        }
        Action::ReadUser | Action::ReadListings => caller.is_operator() || signed_in_user,
        Action::ReadOwnInbox => signed_in_user,
        Action::PublishListing | Action::ManageListing | Action::TakePartInExchanges => {
            signed_in_user && has(Role::Member)
        }
        Action::ManageColleagues => {
            signed_in_user && has(Role::Member) && has(Role::OrganisationAdmin)
        }
        Action::AppointFacilitators | Action::ManageTenant => {
            caller.is_operator() || has(Role::TenantAdmin)
        }
        // Approved or not: a pending organisation may withdraw its sign-up too.
        Action::CloseOrganisation => signed_in_user && has(Role::OrganisationAdmin),
    }
}

/// Whether the action must be done by a member of the resource's organisation.
fn needs_own_organisation(action: Action) -> bool {
    matches!(
        action,
        Action::PublishListing
            | Action::ManageListing
            | Action::TakePartInExchanges
            | Action::ManageColleagues
            | Action::CloseOrganisation
    )
}

/// What a visitor who is not signed in may do. There is no token, so no tenant from a token:
/// the service takes the tenant from the public address (the territory's slug) and shows only
/// what is public in it — published listings and their photos, which the territory's public
/// listing pages show to anyone anyway. Naming another tenant gains nothing: what is public there
/// is public to everyone.
pub fn allowed_anonymously(action: Action) -> bool {
    matches!(action, Action::ReadListings)
}

pub fn authorize(
    caller: &CallerContext,
    action: Action,
    resource: &Resource<'_>,
) -> Result<(), tonic::Status> {
    if caller.tenant.is_empty() || caller.tenant != resource.tenant {
        return Err(status(
            ErrorCode::NotFound,
            &Text::new("not found", "introuvable"),
        ));
    }
    if !allowed(caller, action) {
        let message = match action {
            Action::PublishListing | Action::ManageListing | Action::TakePartInExchanges
                if caller.user_id.is_some() =>
            {
                Text::new(
                    "your organisation is not approved yet: a facilitator of the territory must approve it first",
                    "votre organisation n'est pas encore validée : un animateur du territoire doit d'abord l'approuver",
                )
            }
            _ => Text::new(
                "your role does not allow this",
                "votre rôle ne permet pas cette action",
            ),
        };
        return Err(status(ErrorCode::PermissionDenied, &message));
    }
    if needs_own_organisation(action)
        && let Some(organisation) = resource.organisation
        && caller.organisation_id != Some(organisation)
    {
        return Err(status(
            ErrorCode::PermissionDenied,
            &Text::new(
                "this belongs to another organisation",
                "cela appartient à une autre organisation",
            ),
        ));
    }
    Ok(())
}

/// Authenticates the caller of `request` and authorizes `action` in their own tenant: the usual
/// first two lines of a tenant-scoped RPC.
pub async fn authorize_request<T>(
    verifier: &crate::auth::Verifier,
    request: &tonic::Request<T>,
    action: Action,
) -> Result<CallerContext, tonic::Status> {
    let caller = crate::context::authenticate(verifier, request).await?;
    authorize(&caller, action, &Resource::tenant(&caller.tenant))?;
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Claims;

    const OWN_TENANT: &str = "dijon";
    const FOREIGN_TENANT: &str = "beaune";

    #[derive(Debug, Clone, Copy)]
    enum Who {
        /// User of an organisation not approved yet.
        PendingUser,
        Member,
        OrganisationAdmin,
        Facilitator,
        TenantAdmin,
        Operator,
    }

    const EVERYONE: [Who; 6] = [
        Who::PendingUser,
        Who::Member,
        Who::OrganisationAdmin,
        Who::Facilitator,
        Who::TenantAdmin,
        Who::Operator,
    ];
    const ACTIONS: [Action; 17] = [
        Action::ManageOutgoingMail,
        Action::ManageListing,
        Action::TakePartInExchanges,
        Action::ModerateListings,
        Action::ManageTenant,
        Action::CloseOrganisation,
        Action::ManageColleagues,
        Action::AppointFacilitators,
        Action::ReadOutgoingMail,
        Action::CreateTenant,
        Action::ManageAccounts,
        Action::DecideOrganisation,
        Action::ListOrganisations,
        Action::ReadUser,
        Action::PublishListing,
        Action::ReadListings,
        Action::ReadOwnInbox,
    ];

    fn caller(who: Who, organisation: Uuid) -> CallerContext {
        let member = |roles: Vec<Role>| {
            Claims::new(
                Uuid::now_v7().to_string(),
                OWN_TENANT.into(),
                Some(organisation.to_string()),
                roles,
            )
        };
        let claims = match who {
            Who::PendingUser => member(vec![Role::OrganisationAdmin]),
            Who::Member => member(vec![Role::Member]),
            Who::OrganisationAdmin => member(vec![Role::Member, Role::OrganisationAdmin]),
            Who::Facilitator => member(vec![Role::Member, Role::Facilitator]),
            Who::TenantAdmin => member(vec![Role::Member, Role::TenantAdmin]),
            Who::Operator => Claims::new(
                "operator".into(),
                String::new(),
                None,
                vec![Role::PlatformOperator],
            ),
        };
        CallerContext::from_claims(&claims, String::new(), Some(OWN_TENANT))
    }

    /// The expected answer in the caller's own tenant, for their own organisation's resource —
    /// written out by hand, not derived from the rules above.
    #[allow(clippy::match_same_arms)] // One row per rule of the table reads better than merged arms.
    fn expected_in_own_tenant(who: Who, action: Action) -> bool {
        use Action::*;
        use Who::*;
        match (who, action) {
            (Operator, CreateTenant | ManageAccounts | ReadOutgoingMail | ManageOutgoingMail) => {
                true
            }
            (Operator, DecideOrganisation | ListOrganisations | ReadUser | ReadListings) => true,
            (
                Operator,
                PublishListing | ManageListing | TakePartInExchanges | ReadOwnInbox
                | ManageColleagues,
            ) => false,
            (Operator | Facilitator | TenantAdmin, ModerateListings) => true,
            (_, ModerateListings) => false,
            (Operator | TenantAdmin, AppointFacilitators | ManageTenant) => true,
            (_, AppointFacilitators | ManageTenant) => false,
            (OrganisationAdmin, ManageColleagues) => true,
            (OrganisationAdmin | PendingUser, CloseOrganisation) => true,
            (_, CloseOrganisation) => false,
            (_, ManageColleagues) => false,
            (_, CreateTenant | ManageAccounts | ReadOutgoingMail | ManageOutgoingMail) => false,
            (Facilitator | TenantAdmin, DecideOrganisation | ListOrganisations) => true,
            (_, DecideOrganisation | ListOrganisations) => false,
            (PendingUser, PublishListing | ManageListing | TakePartInExchanges) => false,
            (
                _,
                PublishListing | ManageListing | TakePartInExchanges | ReadUser | ReadListings
                | ReadOwnInbox,
            ) => true,
        }
    }

    #[test]
    fn every_action_by_every_role_on_own_and_foreign_resources() {
        let own_organisation = Uuid::now_v7();
        let foreign_organisation = Uuid::now_v7();
        for who in EVERYONE {
            let caller = caller(who, own_organisation);
            for action in ACTIONS {
                let own = authorize(
                    &caller,
                    action,
                    &Resource::organisation(OWN_TENANT, own_organisation),
                );
                assert_eq!(
                    own.is_ok(),
                    expected_in_own_tenant(who, action),
                    "{who:?} {action:?} own organisation: {own:?}"
                );
                if let Err(status) = own {
                    assert_eq!(
                        status.code(),
                        tonic::Code::PermissionDenied,
                        "{who:?} {action:?}"
                    );
                }

                let other = authorize(
                    &caller,
                    action,
                    &Resource::organisation(OWN_TENANT, foreign_organisation),
                );
                let expected_other =
                    expected_in_own_tenant(who, action) && !needs_own_organisation(action);
                assert_eq!(
                    other.is_ok(),
                    expected_other,
                    "{who:?} {action:?} another organisation: {other:?}"
                );

                for resource in [
                    Resource::tenant(FOREIGN_TENANT),
                    Resource::organisation(FOREIGN_TENANT, foreign_organisation),
                ] {
                    let foreign = authorize(&caller, action, &resource).unwrap_err();
                    assert_eq!(
                        foreign.code(),
                        tonic::Code::NotFound,
                        "{who:?} {action:?} in another tenant"
                    );
                }
            }
        }
    }

    #[test]
    fn visitors_who_are_not_signed_in_may_only_read_listings() {
        for action in ACTIONS {
            assert_eq!(
                allowed_anonymously(action),
                action == Action::ReadListings,
                "{action:?}"
            );
        }
    }

    #[test]
    fn an_operator_naming_no_tenant_reaches_nothing() {
        let claims = Claims::new(
            "operator".into(),
            String::new(),
            None,
            vec![Role::PlatformOperator],
        );
        let operator = CallerContext::from_claims(&claims, String::new(), None);
        let refused =
            authorize(&operator, Action::ReadListings, &Resource::tenant("")).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::NotFound);
    }
}
