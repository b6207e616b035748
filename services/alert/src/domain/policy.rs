//! Severity mapping, channels per severity (docs/domain.md "Alerts") and the escalation
//! chain.

use serde::{Deserialize, Serialize};
use shared_schemas::events::{AlertSeverity, Channel, EscalationTarget, Severity};
use utoipa::ToSchema;

/// The alert severity of an agent decision: low → info, medium → warning, high →
/// critical, critical → emergency.
pub fn from_decision(s: Severity) -> AlertSeverity {
    match s {
        Severity::Low => AlertSeverity::Info,
        Severity::Medium => AlertSeverity::Warning,
        Severity::High => AlertSeverity::Critical,
        Severity::Critical => AlertSeverity::Emergency,
    }
}

/// Least confidence a decision needs for an emergency: the agent's own review
/// threshold. Below it the evidence is poor (a few days of data, no clear trend, a
/// health engine unsure of its assessment), and an emergency would page everyone on
/// every channel for what may be nothing.
pub const EMERGENCY_MIN_CONFIDENCE: f64 = 0.7;

/// The alert severity of a decision (or escalation) of severity `s` made with
/// `confidence`: [`from_decision`], except that an evidence-poor one (under
/// [`EMERGENCY_MIN_CONFIDENCE`], or not a number) is at most critical, never an
/// emergency. A person can still raise it after review.
pub fn from_evidence(s: Severity, confidence: f64) -> AlertSeverity {
    let enough = confidence >= EMERGENCY_MIN_CONFIDENCE;
    match from_decision(s) {
        AlertSeverity::Emergency if !enough => AlertSeverity::Critical,
        other => other,
    }
}

/// The alert severity of a `component.critical` with `rul_days` left: the urgency band
/// of that time (as [`from_decision`] maps the agent's bands), never an emergency (only
/// a decision, with its evidence weighed, pages every channel). The health band turns
/// critical three weeks ahead; paging people by SMS for a part with 18 days left
/// teaches them to ignore the pages, so the urgency, not the band, sets the channels.
pub fn from_component_critical(rul_days: f64) -> AlertSeverity {
    match from_decision(Severity::for_days_to_failure(rul_days)) {
        AlertSeverity::Emergency => AlertSeverity::Critical,
        other => other,
    }
}

/// A stale vehicle is a warning.
pub const STALENESS: AlertSeverity = AlertSeverity::Warning;

/// Severity rank (info 0 … emergency 3), stored beside the name for comparisons in SQL.
pub fn rank(s: AlertSeverity) -> i16 {
    match s {
        AlertSeverity::Info => 0,
        AlertSeverity::Warning => 1,
        AlertSeverity::Critical => 2,
        AlertSeverity::Emergency => 3,
    }
}

/// The severity of a stored name.
pub fn parse_severity(s: &str) -> Option<AlertSeverity> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// The channel of a stored name.
pub fn parse_channel(s: &str) -> Option<Channel> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// Channels of a severity (docs/domain.md): info email; warning email + in-app; critical
/// email + SMS + push; emergency every channel.
pub fn channels(s: AlertSeverity) -> &'static [Channel] {
    match s {
        AlertSeverity::Info => &[Channel::Email],
        AlertSeverity::Warning => &[Channel::Email, Channel::InApp],
        AlertSeverity::Critical => &[Channel::Email, Channel::Sms, Channel::Push, Channel::InApp],
        AlertSeverity::Emergency => &[
            Channel::Email,
            Channel::Sms,
            Channel::Push,
            Channel::Webhook,
            Channel::InApp,
        ],
    }
}

/// Channels that reach one recipient (the in-app feed is per organization).
pub const PERSONAL_CHANNELS: [Channel; 4] = [
    Channel::Email,
    Channel::Sms,
    Channel::Push,
    Channel::Webhook,
];

/// A contact's role, which places it on the escalation chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Owner of (some of) the organization's vehicles: first to be told.
    Owner,
    /// Fleet manager: told when the owner does not acknowledge, and of decisions that
    /// need a human review.
    FleetManager,
    /// Emergency contact: last on the chain.
    EmergencyContact,
}

impl Role {
    /// Every role, in chain order.
    pub const CHAIN: [Self; 3] = [Self::Owner, Self::FleetManager, Self::EmergencyContact];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::FleetManager => "fleet_manager",
            Self::EmergencyContact => "emergency_contact",
        }
    }

    /// The stored name's role.
    pub fn parse(s: &str) -> Option<Self> {
        Self::CHAIN.into_iter().find(|r| r.as_str() == s)
    }

    /// The escalation target of the event schema.
    pub fn target(self) -> EscalationTarget {
        match self {
            Self::Owner => EscalationTarget::Owner,
            Self::FleetManager => EscalationTarget::FleetManager,
            Self::EmergencyContact => EscalationTarget::EmergencyContact,
        }
    }
}

/// Who step `step` of the chain notifies: steps 0–2 the owner, the fleet manager and
/// the emergency contact; later steps are reminders to the whole chain.
pub fn step_roles(step: i32) -> &'static [Role] {
    match step {
        0 => &[Role::Owner],
        1 => &[Role::FleetManager],
        2 => &[Role::EmergencyContact],
        _ => &Role::CHAIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_critical_pages_only_when_the_time_is_short() {
        let cases = [
            (0.0, AlertSeverity::Critical),
            (2.5, AlertSeverity::Critical),
            (6.0, AlertSeverity::Critical),
            (10.0, AlertSeverity::Warning),
            (18.0, AlertSeverity::Info),
            (f64::NAN, AlertSeverity::Critical),
        ];
        for (days, severity) in cases {
            assert_eq!(from_component_critical(days), severity, "{days} days");
        }
    }

    #[test]
    fn decisions_map_one_level_per_severity_and_channels_grow() {
        assert_eq!(from_decision(Severity::Low), AlertSeverity::Info);
        assert_eq!(from_decision(Severity::Medium), AlertSeverity::Warning);
        assert_eq!(from_decision(Severity::High), AlertSeverity::Critical);
        assert_eq!(
            from_evidence(Severity::Critical, 0.9),
            AlertSeverity::Emergency
        );
        assert_eq!(from_decision(Severity::Critical), AlertSeverity::Emergency);
        for pair in [
            AlertSeverity::Info,
            AlertSeverity::Warning,
            AlertSeverity::Critical,
            AlertSeverity::Emergency,
        ]
        .windows(2)
        {
            assert!(rank(pair[0]) < rank(pair[1]));
            assert!(channels(pair[0]).len() < channels(pair[1]).len());
        }
        assert_eq!(parse_severity("warning"), Some(AlertSeverity::Warning));
        assert_eq!(parse_channel("in_app"), Some(Channel::InApp));
        assert_eq!(step_roles(1), &[Role::FleetManager]);
        assert_eq!(step_roles(4).len(), 3);
    }

    #[test]
    fn evidence_poor_decisions_never_page_as_emergencies() {
        for confidence in [0.0, 0.45, 0.699, f64::NAN] {
            assert_eq!(
                from_evidence(Severity::Critical, confidence),
                AlertSeverity::Critical,
                "{confidence}"
            );
        }
        assert_eq!(
            from_evidence(Severity::Critical, EMERGENCY_MIN_CONFIDENCE),
            AlertSeverity::Emergency
        );
        assert_eq!(from_evidence(Severity::Medium, 0.1), AlertSeverity::Warning);
    }
}
