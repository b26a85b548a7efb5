//! Who is calling, for which tenant. The gateway authenticates the caller and writes this
//! context into gRPC metadata; services read it from there and never from request fields.
//! (The identity issue replaces the gateway-written context with locally verified tokens.)

use tonic::metadata::{MetadataMap, MetadataValue};
use uuid::Uuid;

const TENANT: &str = "x-synergies-tenant";
const USER: &str = "x-synergies-user";
const ORGANISATION: &str = "x-synergies-organisation";
const OPERATOR: &str = "x-synergies-operator";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerContext {
    /// Tenant slug the call acts in.
    pub tenant: String,
    pub user_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    /// Platform operator (bootstrap of tenants and accounts).
    pub operator: bool,
}

/// A signed-in member: the user and the organisation they act for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub user_id: Uuid,
    pub organisation_id: Uuid,
}

impl CallerContext {
    pub fn member(tenant: impl Into<String>, user_id: Uuid, organisation_id: Uuid) -> Self {
        Self {
            tenant: tenant.into(),
            user_id: Some(user_id),
            organisation_id: Some(organisation_id),
            operator: false,
        }
    }

    pub fn operator(tenant: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            user_id: None,
            organisation_id: None,
            operator: true,
        }
    }

    pub fn write_to(&self, metadata: &mut MetadataMap) {
        if let Ok(tenant) = MetadataValue::try_from(self.tenant.as_str()) {
            metadata.insert(TENANT, tenant);
        }
        if let Some(user) = self.user_id {
            metadata.insert(USER, uuid_value(user));
        }
        if let Some(organisation) = self.organisation_id {
            metadata.insert(ORGANISATION, uuid_value(organisation));
        }
        if self.operator {
            metadata.insert(OPERATOR, MetadataValue::from_static("1"));
        }
    }

    pub fn from_metadata(metadata: &MetadataMap) -> Result<Self, tonic::Status> {
        let tenant = metadata
            .get(TENANT)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| tonic::Status::unauthenticated("missing caller tenant"))?
            .to_owned();
        Ok(Self {
            tenant,
            user_id: read_uuid(metadata, USER)?,
            organisation_id: read_uuid(metadata, ORGANISATION)?,
            operator: metadata.get(OPERATOR).is_some_and(|v| v == "1"),
        })
    }

    /// The signed-in member, or `Unauthenticated`.
    pub fn require_member(&self) -> Result<Member, tonic::Status> {
        match (self.user_id, self.organisation_id) {
            (Some(user_id), Some(organisation_id)) => Ok(Member {
                user_id,
                organisation_id,
            }),
            _ => Err(tonic::Status::unauthenticated(
                "a signed-in member is required",
            )),
        }
    }

    pub fn require_operator(&self) -> Result<(), tonic::Status> {
        if self.operator {
            Ok(())
        } else {
            Err(tonic::Status::permission_denied(
                "only the platform operator may do this",
            ))
        }
    }
}

fn uuid_value(id: Uuid) -> MetadataValue<tonic::metadata::Ascii> {
    MetadataValue::try_from(id.to_string()).expect("a UUID is valid ASCII metadata")
}

fn read_uuid(metadata: &MetadataMap, key: &str) -> Result<Option<Uuid>, tonic::Status> {
    metadata
        .get(key)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| tonic::Status::unauthenticated(format!("malformed {key}")))
        })
        .transpose()
}

/// Builds an outgoing request carrying the caller context and the current trace context.
pub fn request<T>(message: T, caller: &CallerContext) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    caller.write_to(request.metadata_mut());
    crate::telemetry::inject_into_metadata(request.metadata_mut());
    request
}

/// Builds an outgoing request that carries only the trace context (before the caller is known).
pub fn anonymous_request<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    crate::telemetry::inject_into_metadata(request.metadata_mut());
    request
}

/// Reads the caller context of an incoming request.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<CallerContext, tonic::Status> {
    CallerContext::from_metadata(request.metadata())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_round_trips_through_metadata() {
        let caller = CallerContext::member("dijon", Uuid::now_v7(), Uuid::now_v7());
        let mut metadata = MetadataMap::new();
        caller.write_to(&mut metadata);
        assert_eq!(CallerContext::from_metadata(&metadata).unwrap(), caller);
    }

    #[test]
    fn a_call_without_tenant_is_unauthenticated() {
        let status = CallerContext::from_metadata(&MetadataMap::new()).unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
    }
}
