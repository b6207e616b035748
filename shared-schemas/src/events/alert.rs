//! Events produced by the alert service: an alert's life cycle.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::health::Component;
use crate::envelope::Event;

/// Severity of an alert; decides its channels and escalation delay. Ordered from least
/// to most severe.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    /// Email; never escalated.
    Info,
    /// Email and in-app; escalated after 24 h unacknowledged.
    Warning,
    /// Email, SMS and push; escalated after 2 h.
    Critical,
    /// Every channel; escalated after 15 min.
    Emergency,
}

impl AlertSeverity {
    /// The wire name, e.g. `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
            Self::Emergency => "emergency",
        }
    }
}

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// SMTP email.
    Email,
    /// SMS through a Twilio-compatible API.
    Sms,
    /// Push through an FCM-compatible API.
    Push,
    /// Signed webhook.
    Webhook,
    /// The dashboard's live feed.
    InApp,
}

impl Channel {
    /// The wire name, e.g. `in_app`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
            Self::Webhook => "webhook",
            Self::InApp => "in_app",
        }
    }
}

/// What raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// `component.degraded`.
    ComponentDegraded,
    /// `component.critical`.
    ComponentCritical,
    /// `agent.decision.made`.
    Decision,
    /// `agent.escalation`: a decision needs human review.
    Escalation,
    /// The vehicle stopped reporting for longer than expected.
    Staleness,
    /// An appointment event.
    Appointment,
    /// A warranty event.
    Warranty,
}

/// How an alert was acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AckVia {
    /// Through the REST API (or the dashboard).
    Rest,
    /// Through the signed one-click link in a message.
    Link,
}

/// Who an escalated alert goes to, along the escalation chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    /// The vehicle's owner.
    Owner,
    /// The organization's fleet manager.
    FleetManager,
    /// The emergency contact.
    EmergencyContact,
}

/// An alert was raised. `alert.created`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertCreated {
    /// The alert's id.
    pub alert_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// What raised it.
    pub kind: AlertKind,
    /// The component concerned, if any (none for staleness).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
    /// Severity.
    pub severity: AlertSeverity,
    /// Short title.
    pub title: String,
    /// Message body.
    pub message: String,
    /// Channels it is delivered on.
    pub channels: Vec<Channel>,
    /// The decision behind it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<Uuid>,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
}

impl Event for AlertCreated {
    const TYPE: &'static str = "alert.created";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// Someone acknowledged an alert. `alert.acknowledged`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertAcknowledged {
    /// The alert.
    pub alert_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// User id of who acknowledged it.
    pub acknowledged_by: String,
    /// How.
    pub via: AckVia,
    /// When.
    pub acknowledged_at: DateTime<Utc>,
}

impl Event for AlertAcknowledged {
    const TYPE: &'static str = "alert.acknowledged";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// An unacknowledged alert moved up the escalation chain. `alert.escalated`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertEscalated {
    /// The alert.
    pub alert_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// Escalation level reached (1 = first escalation).
    pub level: u8,
    /// Role escalated to.
    pub target: EscalationTarget,
    /// User id (or contact) escalated to.
    pub escalated_to: String,
    /// Channels used for the escalation.
    pub channels: Vec<Channel>,
    /// When.
    pub escalated_at: DateTime<Utc>,
}

impl Event for AlertEscalated {
    const TYPE: &'static str = "alert.escalated";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// An alert was closed. `alert.resolved`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertResolved {
    /// The alert.
    pub alert_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// User id of who resolved it; absent when resolved automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    /// Why, e.g. `repaired`, `health recovered`.
    pub resolution: String,
    /// When.
    pub resolved_at: DateTime<Utc>,
}

impl Event for AlertResolved {
    const TYPE: &'static str = "alert.resolved";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}
