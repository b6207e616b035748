//! From an envelope to an entry-to-be: who, what, which vehicle, the summary people
//! search, and the chains (organizations) it belongs to.
//!
//! The audit records everything it is given: a payload of an unexpected shape is
//! recorded as it came, it only names no organization.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared_schemas::events::{OwnershipTransferred, RequestRecorded, TelemetryReceived};
use shared_schemas::ids::{check_org_id, check_vehicle_id};
use shared_schemas::{Event, RawEnvelope};
use uuid::Uuid;

use super::{Content, Kind, PLATFORM, storable, to_micros};

/// An event the audit received, before it has a place in a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// The event id.
    pub source_id: Uuid,
    /// Event or request.
    pub kind: Kind,
    /// The event type.
    pub event_type: String,
    /// The producing service.
    pub producer: String,
    /// A request's caller (token subject) and role.
    pub actor: Option<(String, String)>,
    /// The vehicle concerned.
    pub vehicle_id: Option<String>,
    /// When it happened (to the microsecond).
    pub occurred_at: DateTime<Utc>,
    /// One line for people and text search.
    pub summary: String,
    /// The payload JSON, as received.
    pub payload: String,
    /// Organizations the payload names: the chains it joins (a transfer joins both).
    pub named_orgs: Vec<String>,
    /// A request caller's organization.
    pub actor_org: Option<String>,
    /// The caller acts for every organization (admin, service): their request joins
    /// the chain of the vehicle it names when its organization is known.
    pub acts_across_orgs: bool,
    /// A vehicle's organization this event tells (telemetry, transfers), as of when.
    pub teaches: Option<VehicleOrg>,
}

/// A vehicle belongs to an organization, as of an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleOrg {
    /// The vehicle.
    pub vehicle_id: String,
    /// Its organization.
    pub org_id: String,
    /// Since when (the event's instant).
    pub as_of: DateTime<Utc>,
}

/// The organization fields a payload may have.
#[derive(Debug, Default, Deserialize)]
struct Orgs {
    org_id: Option<String>,
    from_org_id: Option<String>,
    to_org_id: Option<String>,
}

impl Draft {
    /// The draft of `envelope`.
    pub fn of(envelope: &RawEnvelope) -> Self {
        let vehicle_id = Some(envelope.vehicle_id.as_str())
            .filter(|v| check_vehicle_id(v).is_ok())
            .map(str::to_owned);
        let mut draft = Self {
            source_id: envelope.event_id,
            kind: Kind::Event,
            event_type: storable(&envelope.event_type),
            producer: storable(&envelope.producer),
            actor: None,
            vehicle_id,
            occurred_at: to_micros(envelope.occurred_at),
            summary: String::new(),
            payload: envelope.payload.get().to_owned(),
            named_orgs: Vec::new(),
            actor_org: None,
            acts_across_orgs: false,
            teaches: None,
        };
        if envelope.event_type == RequestRecorded::TYPE {
            draft.kind = Kind::Request;
            match envelope.decode::<RequestRecorded>() {
                Ok(request) => draft.add_request(&request.payload),
                Err(_) => draft.summary = format!("{} (undecodable)", draft.event_type),
            }
        } else {
            draft.add_orgs(envelope);
        }
        draft
    }

    fn add_orgs(&mut self, envelope: &RawEnvelope) {
        let orgs: Orgs = serde_json::from_str(envelope.payload.get()).unwrap_or_default();
        for org in [&orgs.org_id, &orgs.from_org_id, &orgs.to_org_id]
            .into_iter()
            .flatten()
        {
            if check_org_id(org).is_ok() && !self.named_orgs.contains(org) {
                self.named_orgs.push(org.clone());
            }
        }
        let taught = match envelope.event_type.as_str() {
            TelemetryReceived::TYPE => orgs.org_id,
            OwnershipTransferred::TYPE => orgs.to_org_id,
            _ => None,
        };
        self.teaches = taught
            .filter(|o| check_org_id(o).is_ok())
            .zip(self.vehicle_id.clone())
            .map(|(org_id, vehicle_id)| VehicleOrg {
                vehicle_id,
                org_id,
                as_of: self.occurred_at,
            });
        let vehicle = self
            .vehicle_id
            .as_deref()
            .map_or_else(String::new, |v| format!(" vehicle {v}"));
        let orgs = if self.named_orgs.is_empty() {
            String::new()
        } else {
            format!(" org {}", self.named_orgs.join(", "))
        };
        self.summary = format!("{}{vehicle}{orgs} from {}", self.event_type, self.producer);
    }

    fn add_request(&mut self, r: &RequestRecorded) {
        let caller = match &r.actor {
            Some(a) => {
                self.actor = Some((storable(&a.sub), storable(&a.role)));
                self.actor_org = Some(a.org.clone()).filter(|o| check_org_id(o).is_ok());
                self.acts_across_orgs = matches!(a.role.as_str(), "admin" | "service");
                format!("{} ({}, {})", a.sub, a.role, a.org)
            }
            None => "an unauthenticated caller".to_owned(),
        };
        let from = r
            .remote_addr
            .as_deref()
            .map_or_else(String::new, |a| format!(" from {a}"));
        self.summary = storable(&format!(
            "{} {} {} on {}: {} {} by {caller}{from}",
            r.method,
            r.path,
            r.route,
            r.service,
            r.status,
            r.outcome.as_str()
        ));
    }

    /// The chains the entry joins, given the organization the audit knows for its
    /// vehicle: those the payload names; else a caller's own (an admin's or a
    /// service's request about a known vehicle: the vehicle's); else the vehicle's;
    /// else [`PLATFORM`].
    pub fn chains(&self, vehicle_org: Option<&str>) -> Vec<String> {
        if !self.named_orgs.is_empty() {
            return self.named_orgs.clone();
        }
        let org = match (self.actor_org.as_deref(), vehicle_org) {
            (Some(_), Some(v)) if self.acts_across_orgs => v,
            (Some(own), _) => own,
            (None, Some(v)) => v,
            (None, None) => PLATFORM,
        };
        vec![org.to_owned()]
    }

    /// The content of its entry in `org_id`'s chain (the chain sets `seq`).
    pub fn content(&self, org_id: &str, entry_id: Uuid, recorded_at: DateTime<Utc>) -> Content {
        Content {
            org_id: org_id.to_owned(),
            seq: 0,
            entry_id,
            source_id: self.source_id,
            kind: self.kind.as_str().to_owned(),
            event_type: self.event_type.clone(),
            producer: self.producer.clone(),
            actor: self.actor.as_ref().map(|a| a.0.clone()),
            actor_role: self.actor.as_ref().map(|a| a.1.clone()),
            vehicle_id: self.vehicle_id.clone(),
            occurred_at: self.occurred_at,
            recorded_at: to_micros(recorded_at),
            summary: self.summary.clone(),
            payload: self.payload.clone(),
        }
    }
}
