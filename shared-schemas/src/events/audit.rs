//! The request audit: every state-changing REST request of every service (who, what,
//! when, from where, outcome), published by the shared runtime and recorded by
//! analytics in its tamper-evident log (ADR 0013).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::envelope::Event;

/// How a request ended, from its status: what an auditor filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestOutcome {
    /// 1xx, 2xx or 3xx: the request did what it asked.
    Success,
    /// 401 or 403: not authenticated, or not allowed.
    Denied,
    /// Any other 4xx: the request was refused for its content or target.
    Rejected,
    /// 5xx: the service failed.
    Failed,
}

impl RequestOutcome {
    /// The outcome of a response with `status`.
    pub const fn of_status(status: u16) -> Self {
        match status {
            401 | 403 => Self::Denied,
            400..=499 => Self::Rejected,
            500.. => Self::Failed,
            _ => Self::Success,
        }
    }

    /// The wire name, e.g. `denied`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Denied => "denied",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }
}

/// Who made a request, as their verified token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct RequestActor {
    /// The token's subject: a user id, or a service name for the `service` role.
    pub sub: String,
    /// Their role (`admin`, `fleet_manager`, `technician`, `owner`, `support`,
    /// `service`).
    pub role: String,
    /// Their organization.
    pub org: String,
}

/// A state-changing request (POST, PUT, PATCH or DELETE) was answered.
/// `audit.request.recorded`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequestRecorded {
    /// The service that answered it.
    pub service: String,
    /// HTTP method.
    pub method: String,
    /// The route template it matched, e.g. `/v1/vehicles/{id}` (`unmatched` when none).
    pub route: String,
    /// The path as requested, without the query string (which may carry credentials),
    /// at most 512 characters.
    pub path: String,
    /// The vehicle the path names (a `{…}` segment after `vehicles`), or empty.
    pub vehicle_id: String,
    /// Response status.
    pub status: u16,
    /// What the status means.
    pub outcome: RequestOutcome,
    /// The caller, when the handler authenticated them (absent for a request refused
    /// before its token was checked, or one without a user token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<RequestActor>,
    /// Where it came from: the first `X-Forwarded-For` hop, else the connection's peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_addr: Option<String>,
    /// The connection's peer (the proxy, behind one): `remote_addr` may be forged, this
    /// may not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_addr: Option<String>,
    /// The request's correlation id (`x-correlation-id`, echoed in the response).
    pub request_id: Uuid,
    /// When the request arrived.
    pub received_at: DateTime<Utc>,
    /// How long the service took to answer, ms.
    pub duration_ms: f64,
}

impl Event for RequestRecorded {
    const TYPE: &'static str = "audit.request.recorded";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_follows_the_status() {
        for (status, outcome) in [
            (200, RequestOutcome::Success),
            (201, RequestOutcome::Success),
            (204, RequestOutcome::Success),
            (302, RequestOutcome::Success),
            (400, RequestOutcome::Rejected),
            (401, RequestOutcome::Denied),
            (403, RequestOutcome::Denied),
            (404, RequestOutcome::Rejected),
            (409, RequestOutcome::Rejected),
            (422, RequestOutcome::Rejected),
            (500, RequestOutcome::Failed),
            (503, RequestOutcome::Failed),
        ] {
            assert_eq!(RequestOutcome::of_status(status), outcome, "{status}");
        }
        assert_eq!(RequestOutcome::Denied.as_str(), "denied");
    }
}
