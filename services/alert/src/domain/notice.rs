//! Notices (ADR 0016): emails that tell news, not problems — appointments booked,
//! cancelled or proposed, warranty claims received and decided. Nothing to acknowledge,
//! no escalation. Each is stored as the event it tells, as received, so a retry sends
//! the same text; all are laid out the same way.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::appointment::AppointmentNotice;
use super::claim::ClaimNotice;
use super::message::{Email, esc};
use super::policy::Role;

/// What a notice tells. Untagged around the kinds' own `event` tags, so the rows stored
/// before claims existed (an appointment notice at the top level) read unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NoticeContent {
    /// From the scheduling service.
    Appointment(AppointmentNotice),
    /// From the warranty service.
    Claim(ClaimNotice),
}

impl NoticeContent {
    /// The stored kind, e.g. `scheduled` or `claim_rejected`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Appointment(n) => n.kind(),
            Self::Claim(n) => n.kind(),
        }
    }

    /// Who is told, among the vehicle's contacts.
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Self::Appointment(n) => n.roles(),
            Self::Claim(n) => n.roles(),
        }
    }

    /// The organization and vehicle.
    pub fn vehicle(&self) -> (&str, &str) {
        match self {
            Self::Appointment(n) => n.vehicle(),
            Self::Claim(n) => n.vehicle(),
        }
    }

    /// The appointment, when the notice is about one.
    pub fn appointment_id(&self) -> Option<Uuid> {
        match self {
            Self::Appointment(n) => n.appointment_id(),
            Self::Claim(_) => None,
        }
    }

    /// The warranty claim, when the notice is about one.
    pub fn claim_id(&self) -> Option<Uuid> {
        match self {
            Self::Appointment(_) => None,
            Self::Claim(n) => Some(n.claim_id()),
        }
    }
}

/// A notice's body: a lead sentence, rows of facts, a list, closing paragraphs.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The opening sentence: what happened.
    pub lead: String,
    /// Facts, label and value.
    pub rows: Vec<(&'static str, String)>,
    /// Items (options, reasons, signals), one a line.
    pub list: Vec<String>,
    /// What happens next.
    pub closing: Vec<String>,
}

impl Layout {
    /// A body without a list.
    pub fn new(lead: String, rows: Vec<(&'static str, String)>, closing: Vec<String>) -> Self {
        Self {
            lead,
            rows,
            list: Vec::new(),
            closing,
        }
    }

    /// The email to `recipient`: text, and HTML with everything escaped.
    pub fn email(&self, subject: String, recipient: &str) -> Email {
        Email {
            text: self.text(recipient),
            html: self.html(&subject, recipient),
            subject,
        }
    }

    fn text(&self, recipient: &str) -> String {
        let mut text = format!("Hello {recipient},\n\n{}\n\n", self.lead);
        for (k, v) in &self.rows {
            text.push_str(&format!("{k}: {v}\n"));
        }
        text.push('\n');
        if !self.list.is_empty() {
            for item in &self.list {
                text.push_str(&format!("  {item}\n"));
            }
            text.push('\n');
        }
        for p in &self.closing {
            text.push_str(p);
            text.push_str("\n\n");
        }
        text
    }

    fn html(&self, subject: &str, recipient: &str) -> String {
        let mut html = format!(
            "<!doctype html><html><body style=\"font-family:sans-serif;max-width:40em\">\
             <p>Hello {},</p><h2>{}</h2><p>{}</p><table>",
            esc(recipient),
            esc(subject),
            esc(&self.lead)
        );
        for (k, v) in &self.rows {
            html.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                esc(k),
                esc(v)
            ));
        }
        html.push_str("</table>");
        if !self.list.is_empty() {
            html.push_str("<ul>");
            for item in &self.list {
                html.push_str(&format!("<li>{}</li>", esc(item)));
            }
            html.push_str("</ul>");
        }
        for p in &self.closing {
            html.push_str(&format!("<p>{}</p>", esc(p)));
        }
        html.push_str("</body></html>");
        html
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_stored_before_claims_still_read_as_appointments() {
        let stored = json!({
            "event": "cancelled",
            "appointment_id": "0190f7a0-0000-7000-8000-000000000001",
            "org_id": "acme",
            "vehicle_id": "VH-1",
            "reason": "parts delayed",
            "no_show": false,
            "cancelled_at": "2026-03-02T08:00:00Z"
        });
        let n: NoticeContent = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(n.kind(), "cancelled");
        assert!(n.claim_id().is_none() && n.appointment_id().is_some());
        assert_eq!(serde_json::to_value(&n).unwrap(), stored);
        let claim = json!({
            "event": "claim_rejected",
            "claim_id": "0190f7a0-0000-7000-8000-000000000002",
            "org_id": "acme",
            "vehicle_id": "VH-1",
            "component": "brakes",
            "reasons": ["wear item"],
            "rejected_at": "2026-03-02T08:00:00Z"
        });
        let n: NoticeContent = serde_json::from_value(claim).unwrap();
        assert_eq!(n.kind(), "claim_rejected");
        assert_eq!(n.roles(), [Role::Owner, Role::FleetManager]);
    }
}
