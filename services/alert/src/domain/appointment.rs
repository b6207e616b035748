//! Appointment notices: the scheduling service's bookings, cancellations and proposals
//! told to the vehicle's owners and fleet managers by email. They are news, not
//! problems: nothing to acknowledge, no escalation (ADR 0016). Pure: the sender renders
//! the email from the event as it was received, so a retry sends the same text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{
    AppointmentCancelled, AppointmentKind, AppointmentProposed, AppointmentScheduled, OptionLabel,
};
use uuid::Uuid;

use super::alert::component_name;
use super::message::Email;
use super::notice::Layout;
use super::policy::Role;

/// The name of the calendar file attached.
pub const INVITE_FILE: &str = "invite.ics";

/// The event a notice tells, as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AppointmentNotice {
    /// Booked (or rebooked: `sequence` > 0): a confirmation with the invitation.
    Scheduled(AppointmentScheduled),
    /// Cancelled: a notice with the cancelling calendar file.
    Cancelled(AppointmentCancelled),
    /// Options to approve.
    Proposed(AppointmentProposed),
}

impl AppointmentNotice {
    /// The stored kind: `scheduled`, `cancelled` or `proposed`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Scheduled(_) => "scheduled",
            Self::Cancelled(_) => "cancelled",
            Self::Proposed(_) => "proposed",
        }
    }

    /// Who is told: the vehicle's owners and its fleet managers; only the fleet
    /// managers when no center could take the work (nothing to choose for an owner).
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Self::Proposed(e) if e.options.is_empty() => &[Role::FleetManager],
            _ => &[Role::Owner, Role::FleetManager],
        }
    }

    /// The organization and vehicle.
    pub fn vehicle(&self) -> (&str, &str) {
        match self {
            Self::Scheduled(e) => (&e.org_id, &e.vehicle_id),
            Self::Cancelled(e) => (&e.org_id, &e.vehicle_id),
            Self::Proposed(e) => (&e.org_id, &e.vehicle_id),
        }
    }

    /// The appointment, when the notice is about one (not a proposal).
    pub fn appointment_id(&self) -> Option<Uuid> {
        match self {
            Self::Scheduled(e) => Some(e.appointment_id),
            Self::Cancelled(e) => Some(e.appointment_id),
            Self::Proposed(_) => None,
        }
    }

    /// The iCalendar method of the file the email carries (`REQUEST` adds or updates
    /// the event in a calendar, `CANCEL` removes it); `None`: no file.
    pub fn calendar_method(&self) -> Option<&'static str> {
        match self {
            Self::Scheduled(_) => Some("REQUEST"),
            Self::Cancelled(_) => Some("CANCEL"),
            Self::Proposed(_) => None,
        }
    }
}

/// The content type of the attached calendar file with `method`.
pub fn invite_content_type(method: &str) -> String {
    format!("text/calendar; charset=utf-8; method={method}")
}

/// Whether the calendar file is attached, or where it is downloaded instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invite<'a> {
    /// Attached as [`INVITE_FILE`].
    Attached,
    /// Not attached: where to download it (a URL, or the scheduling service's path).
    Download(&'a str),
}

/// Everything an appointment email is made from.
#[derive(Debug, Clone)]
pub struct NoticeEmail<'a> {
    /// The event.
    pub notice: &'a AppointmentNotice,
    /// The recipient's name.
    pub recipient: &'a str,
    /// The calendar file (ignored for proposals).
    pub invite: Invite<'a>,
    /// Where proposals are approved: the scheduling service's base URL, when known.
    pub scheduling_url: Option<&'a str>,
}

/// `2026-03-02 09:00-11:00 UTC`, or both dates when it spans midnight.
pub fn span(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    if start.date_naive() == end.date_naive() {
        format!(
            "{}-{} UTC",
            start.format("%Y-%m-%d %H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!(
            "{} - {} UTC",
            start.format("%Y-%m-%d %H:%M"),
            end.format("%Y-%m-%d %H:%M")
        )
    }
}

/// No center could take the work: the fleet managers are asked to add capacity or book
/// by hand (owners have nothing to choose).
fn unplaceable(e: &AppointmentProposed, work: String) -> (String, Layout) {
    let subject = match e.component {
        Some(c) => format!(
            "No free slot to service the {} of {}",
            component_name(c),
            e.vehicle_id
        ),
        None => format!("No free slot for {} on {}", kind_name(e.kind), e.vehicle_id),
    };
    let lead = format!(
        "No service center of the organization can take this work on vehicle {} within the planning horizon: no technician with the skill is free, or the parts are neither in stock nor orderable in time.",
        e.vehicle_id
    );
    let rows = vec![
        ("Vehicle", e.vehicle_id.clone()),
        ("Work", work),
        ("Proposal", e.proposal_id.to_string()),
    ];
    let closing = vec![
        "Add technicians, shifts or stock to a center, or book a slot by hand (POST /v1/appointments on the scheduling service); the work waits as a pending job (GET /v1/jobs).".to_owned(),
    ];
    (subject, Layout::new(lead, rows, closing))
}

fn kind_name(k: AppointmentKind) -> &'static str {
    match k {
        AppointmentKind::Routine => "Routine maintenance",
        AppointmentKind::Diagnostic => "Diagnosis",
        AppointmentKind::ComponentRepair => "Component repair",
        AppointmentKind::Emergency => "Emergency repair",
    }
}

fn label_name(l: OptionLabel) -> &'static str {
    match l {
        OptionLabel::BestOverall => "Best overall",
        OptionLabel::BestOtherCenter => "Best at another center",
        OptionLabel::Earliest => "Earliest",
        OptionLabel::Alternative => "Another time",
    }
}

impl NoticeEmail<'_> {
    /// The email: subject, text and HTML (everything from the event escaped).
    pub fn email(&self) -> Email {
        let (subject, body) = match self.notice {
            AppointmentNotice::Scheduled(e) => self.scheduled(e),
            AppointmentNotice::Cancelled(e) => self.cancelled(e),
            AppointmentNotice::Proposed(e) => self.proposed(e),
        };
        body.email(subject, self.recipient)
    }

    fn invite_line(&self, cancelling: bool) -> String {
        match (self.invite, cancelling) {
            (Invite::Attached, false) => format!(
                "The calendar invitation is attached ({INVITE_FILE}): open it to add the appointment to your calendar."
            ),
            (Invite::Attached, true) => format!(
                "The attached calendar file ({INVITE_FILE}) removes the appointment from your calendar."
            ),
            (Invite::Download(at), _) => format!(
                "The calendar file could not be attached; download it from {at} (signed in to the platform)."
            ),
        }
    }

    fn scheduled(&self, e: &AppointmentScheduled) -> (String, Layout) {
        let when = span(e.starts_at, e.ends_at);
        let (verb, lead) = if e.sequence > 0 {
            (
                "rescheduled",
                format!(
                    "The appointment for vehicle {} was rescheduled (revision {}): it replaces the earlier time, and the invitation updates your calendar.",
                    e.vehicle_id, e.sequence
                ),
            )
        } else if e.auto_booked {
            (
                "booked",
                format!(
                    "An appointment was booked automatically for vehicle {}: the work is critical and could not wait for a choice.",
                    e.vehicle_id
                ),
            )
        } else {
            (
                "booked",
                format!("An appointment is booked for vehicle {}.", e.vehicle_id),
            )
        };
        let mut rows = vec![
            ("Vehicle", e.vehicle_id.clone()),
            ("Service center", e.center_name.clone()),
        ];
        if let Some(a) = &e.center_address {
            rows.push(("Address", a.clone()));
        }
        rows.push(("When", when.clone()));
        rows.push(("Work", kind_name(e.kind).to_owned()));
        if let Some(c) = e.component {
            rows.push(("Component", component_name(c).to_owned()));
        }
        rows.push(("Appointment", e.appointment_id.to_string()));
        let subject = format!(
            "Appointment {verb}: {} at {}, {when}",
            e.vehicle_id, e.center_name
        );
        let closing = vec![self.invite_line(false)];
        (subject, Layout::new(lead, rows, closing))
    }

    fn cancelled(&self, e: &AppointmentCancelled) -> (String, Layout) {
        let (subject, lead) = if e.no_show {
            (
                format!("Appointment missed: {} did not show up", e.vehicle_id),
                format!(
                    "Vehicle {} did not show up for its appointment; the slot is lost and a new one must be booked.",
                    e.vehicle_id
                ),
            )
        } else {
            (
                format!("Appointment cancelled: {}", e.vehicle_id),
                format!(
                    "The appointment for vehicle {} was cancelled.",
                    e.vehicle_id
                ),
            )
        };
        let mut rows = vec![
            ("Vehicle", e.vehicle_id.clone()),
            ("Appointment", e.appointment_id.to_string()),
            ("Reason", e.reason.clone()),
            (
                "Cancelled at",
                e.cancelled_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
        ];
        if let Some(by) = &e.cancelled_by {
            rows.push(("Cancelled by", by.clone()));
        }
        let closing = vec![self.invite_line(true)];
        (subject, Layout::new(lead, rows, closing))
    }

    fn proposed(&self, e: &AppointmentProposed) -> (String, Layout) {
        let work = e.component.map_or_else(
            || kind_name(e.kind).to_owned(),
            |c| format!("{} ({})", kind_name(e.kind), component_name(c)),
        );
        if e.options.is_empty() {
            return unplaceable(e, work);
        }
        let subject = format!(
            "Appointment options for {}: choose one of {}",
            e.vehicle_id,
            e.options.len()
        );
        let lead = format!(
            "The scheduling service proposes {} option(s) for work on vehicle {}. Nothing is booked until one is approved.",
            e.options.len(),
            e.vehicle_id
        );
        let list = e
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| {
                format!(
                    "[{i}] {}: {}, {}",
                    label_name(o.label),
                    o.center_name,
                    span(o.starts_at, o.ends_at)
                )
            })
            .collect();
        let approve = format!("/v1/proposals/{}/approve", e.proposal_id);
        let at = self.scheduling_url.map_or_else(
            || format!("the scheduling service's {approve}"),
            |base| format!("{base}{approve}"),
        );
        let closing = vec![format!(
            "To book one, the vehicle's owner or a fleet manager approves it: POST {at} with the body {{\"option\": N}}, N the number in brackets."
        )];
        let rows = vec![
            ("Vehicle", e.vehicle_id.clone()),
            ("Work", work),
            ("Proposal", e.proposal_id.to_string()),
        ];
        (
            subject,
            Layout {
                lead,
                rows,
                list,
                closing,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use shared_schemas::events::{Component, SlotOption};

    use super::*;

    fn render(n: &AppointmentNotice, to: &str, invite: Invite<'_>, url: Option<&str>) -> Email {
        NoticeEmail {
            notice: n,
            recipient: to,
            invite,
            scheduling_url: url,
        }
        .email()
    }

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap()
    }

    fn scheduled(sequence: u32) -> AppointmentScheduled {
        AppointmentScheduled {
            appointment_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-1".to_owned(),
            proposal_id: None,
            decision_id: None,
            component: Some(Component::Dpf),
            kind: AppointmentKind::ComponentRepair,
            center_id: Uuid::now_v7(),
            center_name: "North <Depot>".to_owned(),
            starts_at: at(9),
            ends_at: at(12),
            auto_booked: true,
            technician_id: None,
            center_address: Some("1 Main St".to_owned()),
            sequence,
        }
    }

    #[test]
    fn a_confirmation_says_where_and_when_and_a_reschedule_says_so() {
        let n = AppointmentNotice::Scheduled(scheduled(0));
        let e = render(&n, "Olivia", Invite::Attached, None);
        assert_eq!(
            e.subject,
            "Appointment booked: VH-1 at North <Depot>, 2026-03-02 09:00-12:00 UTC"
        );
        assert!(
            e.text.contains("booked automatically") && e.text.contains("Address: 1 Main St"),
            "{}",
            e.text
        );
        assert!(e.text.contains("invitation is attached (invite.ics)"));
        assert!(e.html.contains("North &lt;Depot&gt;") && !e.html.contains("<Depot>"));
        let n = AppointmentNotice::Scheduled(scheduled(2));
        let e = render(&n, "O", Invite::Download("http://s/x.ics"), None);
        assert!(
            e.subject.starts_with("Appointment rescheduled: VH-1"),
            "{}",
            e.subject
        );
        assert!(e.text.contains("rescheduled (revision 2)"));
        assert!(
            e.text.contains("download it from http://s/x.ics"),
            "{}",
            e.text
        );
        assert_eq!(n.calendar_method(), Some("REQUEST"));
    }

    #[test]
    fn work_no_center_can_take_goes_to_fleet_managers_as_such() {
        let p = AppointmentProposed {
            proposal_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-3".to_owned(),
            decision_id: None,
            component: Some(Component::Dpf),
            kind: AppointmentKind::Emergency,
            options: Vec::new(),
            proposed_at: at(6),
        };
        let n = AppointmentNotice::Proposed(p);
        assert_eq!(n.roles(), [Role::FleetManager]);
        let e = render(&n, "F", Invite::Attached, Some("http://sched"));
        assert_eq!(
            e.subject,
            "No free slot to service the DPF (diesel particulate filter) of VH-3"
        );
        assert!(e.text.contains("book a slot by hand"), "{}", e.text);
        assert!(!e.text.contains("option"), "{}", e.text);
    }

    #[test]
    fn a_proposal_lists_the_options_by_index_and_how_to_approve() {
        let option = |label, h| SlotOption {
            label,
            center_id: Uuid::now_v7(),
            center_name: format!("Center {h}"),
            starts_at: at(h),
            ends_at: at(h + 2),
            score: 0.8,
        };
        let p = AppointmentProposed {
            proposal_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-2".to_owned(),
            decision_id: None,
            component: Some(Component::Brakes),
            kind: AppointmentKind::Routine,
            options: vec![
                option(OptionLabel::BestOverall, 9),
                option(OptionLabel::Earliest, 7),
            ],
            proposed_at: at(6),
        };
        let id = p.proposal_id;
        let n = AppointmentNotice::Proposed(p);
        let e = render(&n, "F", Invite::Attached, Some("http://sched"));
        assert_eq!(e.subject, "Appointment options for VH-2: choose one of 2");
        assert!(
            e.text
                .contains("[0] Best overall: Center 9, 2026-03-02 09:00-11:00 UTC"),
            "{}",
            e.text
        );
        assert!(
            e.text
                .contains("[1] Earliest: Center 7, 2026-03-02 07:00-09:00 UTC")
        );
        assert!(e.text.contains(&format!(
            "POST http://sched/v1/proposals/{id}/approve with the body {{\"option\": N}}"
        )));
        assert!(!e.text.contains("invite.ics"));
        assert_eq!(n.calendar_method(), None);
        assert_eq!(n.appointment_id(), None);
    }

    #[test]
    fn a_cancellation_removes_the_event_and_names_a_no_show() {
        let c = AppointmentCancelled {
            appointment_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-3".to_owned(),
            cancelled_by: Some("user-1".to_owned()),
            reason: "parts delayed".to_owned(),
            no_show: false,
            cancelled_at: at(8),
        };
        let n = AppointmentNotice::Cancelled(c.clone());
        let e = render(&n, "O", Invite::Attached, None);
        assert_eq!(e.subject, "Appointment cancelled: VH-3");
        assert!(
            e.text.contains("Reason: parts delayed") && e.text.contains("removes the appointment")
        );
        assert_eq!(n.calendar_method(), Some("CANCEL"));
        let n = AppointmentNotice::Cancelled(AppointmentCancelled { no_show: true, ..c });
        let e = render(&n, "O", Invite::Attached, None);
        assert!(e.subject.contains("did not show up"));
        // Stored as received.
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["event"], "cancelled");
        assert_eq!(
            serde_json::from_value::<AppointmentNotice>(json).unwrap(),
            n
        );
        assert_eq!(
            span(at(23), at(23) + chrono::Duration::hours(2)),
            "2026-03-02 23:00 - 2026-03-03 01:00 UTC"
        );
    }
}
