//! Scoring the emails against what was sent: latency, lost probes, duplicates.
//!
//! Pure functions of the devinbox messages and the send log, so the rules are tested
//! without a platform.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One email as the devinbox received it, reduced to what the scoring needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Email {
    /// devinbox sequence number (arrival order).
    pub(crate) id: u64,
    /// Envelope recipients.
    pub(crate) to: Vec<String>,
    /// When devinbox accepted it (wall clock).
    pub(crate) received_at: DateTime<Utc>,
    /// `X-Fleet-Alert-Id`.
    pub(crate) alert_id: Option<String>,
    /// `X-Fleet-Delivery-Id`.
    pub(crate) delivery_id: Option<String>,
    /// `X-Fleet-Correlation-Id`, as written.
    pub(crate) correlation_id: Option<String>,
    /// `X-Fleet-Severity`.
    pub(crate) severity: Option<String>,
    /// `X-Fleet-Vehicle-Id`.
    pub(crate) vehicle_id: Option<String>,
}

impl Email {
    /// Critical or emergency: what a probe must produce.
    pub(crate) fn is_urgent(&self) -> bool {
        matches!(self.severity.as_deref(), Some("critical" | "emergency"))
    }

    fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|t| t.eq_ignore_ascii_case(address))
    }
}

/// A request sent for a probe: which probe, and when (wall clock, just before it
/// left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sent {
    /// Index of the probe in the run.
    pub(crate) probe: usize,
    /// Send time.
    pub(crate) at: DateTime<Utc>,
}

/// What became of one email to the probe address.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scored {
    /// The email.
    pub(crate) email: Email,
    /// Received − sent of its correlation id, when that id is one this run sent.
    pub(crate) latency_ms: Option<f64>,
    /// Whether its correlation id is one this run sent.
    pub(crate) known: bool,
    /// A repeat: same delivery id as an earlier email, or same recipient, alert and
    /// severity.
    pub(crate) duplicate: bool,
}

/// The run's verdict.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Outcome {
    /// Every email to the probe address, in arrival order.
    pub(crate) emails: Vec<Scored>,
    /// Latencies of the emails with a known correlation id, milliseconds.
    pub(crate) latencies_ms: Vec<f64>,
    /// Probes (by index) without a critical or emergency email.
    pub(crate) lost: Vec<usize>,
    /// Duplicate emails.
    pub(crate) duplicated: usize,
    /// Emails whose correlation id this run did not send (missing, malformed, or
    /// from elsewhere).
    pub(crate) unknown: usize,
}

/// Scores the emails to `address` among `emails` against `sent` (correlation id →
/// request) for the probes named `vehicles` (index = probe).
pub(crate) fn score(
    vehicles: &[String],
    address: &str,
    emails: &[Email],
    sent: &HashMap<Uuid, Sent>,
) -> Outcome {
    let mut ours: Vec<&Email> = emails.iter().filter(|e| e.is_to(address)).collect();
    ours.sort_by_key(|e| e.id);
    let mut out = Outcome::default();
    let mut deliveries = HashSet::new();
    // Same person, same alert, same severity: the alert service sends that once;
    // escalation reaches other people, an upgrade has another severity.
    let mut notices = HashSet::new();
    let mut urgent = vec![false; vehicles.len()];
    for e in ours {
        let mut duplicate = false;
        if let Some(d) = &e.delivery_id {
            duplicate |= !deliveries.insert(d.clone());
        }
        if !duplicate && let (Some(a), Some(s)) = (&e.alert_id, &e.severity) {
            let mut to: Vec<String> = e.to.iter().map(|t| t.to_ascii_lowercase()).collect();
            to.sort();
            duplicate |= !notices.insert((to, a.clone(), s.clone()));
        }
        let request = e
            .correlation_id
            .as_deref()
            .and_then(|c| Uuid::parse_str(c.trim()).ok())
            .and_then(|c| sent.get(&c));
        let latency_ms = request.map(|s| {
            let us = (e.received_at - s.at)
                .num_microseconds()
                .unwrap_or(i64::MAX);
            us as f64 / 1000.0
        });
        if let Some(ms) = latency_ms {
            out.latencies_ms.push(ms);
        } else {
            out.unknown += 1;
        }
        if e.is_urgent()
            && let Some(v) = &e.vehicle_id
            && let Some(k) = vehicles.iter().position(|p| p == v)
        {
            urgent[k] = true;
        }
        out.duplicated += usize::from(duplicate);
        out.emails.push(Scored {
            email: e.clone(),
            latency_ms,
            known: request.is_some(),
            duplicate,
        });
    }
    out.lost = (0..vehicles.len()).filter(|&k| !urgent[k]).collect();
    out
}

/// The probes (by index) that already have a critical or emergency email to `address`.
pub(crate) fn urgent_probes(vehicles: &[String], address: &str, emails: &[Email]) -> usize {
    vehicles
        .iter()
        .filter(|v| {
            emails
                .iter()
                .any(|e| e.is_to(address) && e.is_urgent() && e.vehicle_id.as_ref() == Some(v))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TO: &str = "e2e-abc@fleet.test";

    fn t(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_767_225_600_000 + ms).expect("time")
    }

    fn email(id: u64, vehicle: &str, sev: &str, alert: &str, delivery: &str, c: Uuid) -> Email {
        Email {
            id,
            to: vec![TO.to_owned()],
            received_at: t(1_000 + 100 * id as i64),
            alert_id: Some(alert.to_owned()),
            delivery_id: Some(delivery.to_owned()),
            correlation_id: Some(c.to_string()),
            severity: Some(sev.to_owned()),
            vehicle_id: Some(vehicle.to_owned()),
        }
    }

    #[test]
    fn latency_duplicates_and_lost_probes() {
        let vehicles = vec!["E2E-1".to_owned(), "E2E-2".to_owned(), "E2E-3".to_owned()];
        let (c1, c2, c3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let sent = HashMap::from([
            (c1, Sent { probe: 0, at: t(0) }),
            (
                c2,
                Sent {
                    probe: 1,
                    at: t(500),
                },
            ),
            (c3, Sent { probe: 2, at: t(0) }),
        ]);
        let mut stranger = email(7, "E2E-3", "critical", "a3", "d7", Uuid::new_v4());
        stranger.to = vec!["someone@else.test".to_owned()];
        let mut unknown = email(8, "E2E-2", "emergency", "a2", "d8", Uuid::nil());
        unknown.correlation_id = Some("not-a-uuid".to_owned());
        let emails = vec![
            // Arrival order is by id, whatever the listing order.
            email(2, "E2E-1", "critical", "a1", "d2", c1),
            email(1, "E2E-1", "warning", "a1", "d1", c1),
            // The same delivery twice (a resend the receiver stored again).
            email(3, "E2E-1", "critical", "a1", "d2", c1),
            // Another delivery of the same alert at the same severity to the same person.
            email(4, "E2E-1", "critical", "a1", "d4", c1),
            // An upgrade is not a duplicate.
            email(5, "E2E-1", "emergency", "a1", "d5", c1),
            email(6, "E2E-2", "warning", "a2", "d6", c2),
            stranger,
            unknown,
        ];
        let o = score(&vehicles, TO, &emails, &sent);
        assert_eq!(o.emails.len(), 7, "only the probe address counts");
        let ids: Vec<u64> = o.emails.iter().map(|s| s.email.id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5, 6, 8]);
        assert_eq!(o.duplicated, 2);
        assert!(o.emails[2].duplicate && o.emails[3].duplicate);
        // Probe 3 got nothing to this address; probe 2's urgent email still counts
        // although its correlation id is unknown.
        assert_eq!(o.lost, [2]);
        assert_eq!(o.unknown, 1);
        assert!(!o.emails[6].known && o.emails[6].latency_ms.is_none());
        assert_eq!(o.latencies_ms.len(), 6);
        assert_eq!(o.emails[0].latency_ms, Some(1_100.0));
        assert_eq!(o.emails[5].latency_ms, Some(1_100.0), "1600 − 500");
        assert_eq!(urgent_probes(&vehicles, TO, &emails), 2);
    }

    #[test]
    fn nothing_received_loses_every_probe() {
        let vehicles = vec!["A".to_owned(), "B".to_owned()];
        let o = score(&vehicles, TO, &[], &HashMap::new());
        assert_eq!(o.lost, [0, 1]);
        assert_eq!((o.duplicated, o.unknown), (0, 0));
        assert!(o.latencies_ms.is_empty());
    }
}
