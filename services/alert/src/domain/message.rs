//! What each channel says: email (text and HTML), SMS, push and the webhook body.
//! Rendered at send time from the alert's current state, so a message sent after the
//! agent's diagnosis arrived carries it.

use serde_json::json;
use shared_schemas::events::AlertSeverity;
use uuid::Uuid;

use super::alert::{Alert, component_name};

/// Everything a message is made from.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// The alert.
    pub alert: &'a Alert,
    /// The delivery (idempotency key of the send).
    pub delivery_id: Uuid,
    /// Escalation step of the delivery.
    pub step: i32,
    /// Severity the delivery was planned for.
    pub severity: AlertSeverity,
    /// The recipient's name.
    pub recipient: &'a str,
    /// The signed one-click acknowledge link.
    pub ack_url: &'a str,
    /// Where the alert can be looked at (REST).
    pub alert_url: &'a str,
}

/// An email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Subject.
    pub subject: String,
    /// Plain text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

fn label(s: AlertSeverity) -> &'static str {
    match s {
        AlertSeverity::Info => "INFO",
        AlertSeverity::Warning => "WARNING",
        AlertSeverity::Critical => "CRITICAL",
        AlertSeverity::Emergency => "EMERGENCY",
    }
}

impl Notice<'_> {
    fn what(&self) -> String {
        self.alert.component.map_or_else(
            || "Vehicle not reporting".to_owned(),
            |c| component_name(c).to_owned(),
        )
    }

    fn prefix(&self) -> String {
        match self.step {
            0 => format!("[{}]", label(self.severity)),
            1 | 2 => format!("[{}, ESCALATED]", label(self.severity)),
            _ => format!("[{}, REMINDER]", label(self.severity)),
        }
    }

    fn urgency(&self) -> Option<String> {
        self.alert.diagnosis.urgency_days.map(|d| match d {
            0 => "act immediately".to_owned(),
            1 => "act within 1 day".to_owned(),
            n => format!("act within {n} days"),
        })
    }

    fn why_you(&self) -> Option<&'static str> {
        match self.step {
            0 => None,
            1 | 2 => Some(
                "You receive this because nobody acknowledged it in time at the previous level of the escalation chain.",
            ),
            _ => Some("Reminder: this alert is still unacknowledged."),
        }
    }

    /// The subject line: severity, vehicle, what, and the first action or the urgency.
    pub fn subject(&self) -> String {
        let a = self.alert;
        let tail = a
            .diagnosis
            .urgency_days
            .map(|_| self.urgency().unwrap_or_default())
            .unwrap_or_else(|| a.title.clone());
        format!(
            "{} {}: {} - {}",
            self.prefix(),
            a.vehicle_id,
            self.what(),
            tail
        )
    }

    fn lines(&self) -> Vec<String> {
        let a = self.alert;
        let mut out = vec![
            format!("Vehicle: {}", a.vehicle_id),
            format!("Component: {}", self.what()),
            format!("Severity: {}", a.severity.as_str()),
        ];
        if let Some(u) = self.urgency() {
            out.push(format!("Urgency: {u}"));
        }
        out
    }

    /// Email, text and HTML.
    pub fn email(&self) -> Email {
        Email {
            subject: self.subject(),
            text: self.text(),
            html: self.html(),
        }
    }

    /// The email's plain text part.
    fn text(&self) -> String {
        let a = self.alert;
        let d = &a.diagnosis;
        let mut text = format!("Hello {},\n\n{}\n\n", self.recipient, a.title);
        if let Some(why) = self.why_you() {
            text.push_str(why);
            text.push_str("\n\n");
        }
        for l in self.lines() {
            text.push_str(&l);
            text.push('\n');
        }
        text.push('\n');
        text.push_str(d.diagnosis.as_deref().unwrap_or(&a.message));
        text.push_str("\n\n");
        if !d.actions.is_empty() {
            text.push_str("Recommended actions:\n");
            for (i, act) in d.actions.iter().enumerate() {
                text.push_str(&format!("  {}. {act}\n", i + 1));
            }
            text.push('\n');
        }
        if let Some(c) = &d.estimated_cost {
            text.push_str(&format!(
                "Estimated cost: {:.0}-{:.0} {}\n\n",
                c.min, c.max, c.currency
            ));
        }
        if let Some((head, reason)) = review_line(a) {
            text.push_str(&format!("{head}: {reason}\n\n"));
        }
        text.push_str(&format!(
            "Acknowledge (stops the escalation): {}\n\nAlert {} - {}\n",
            self.ack_url, a.alert_id, self.alert_url
        ));
        text
    }

    /// The email's HTML part.
    fn html(&self) -> String {
        let a = self.alert;
        let d = &a.diagnosis;
        let mut html = String::from(
            "<!doctype html><html><body style=\"font-family:sans-serif;max-width:40em\">",
        );
        html.push_str(&format!(
            "<p>Hello {},</p><h2 style=\"color:{}\">{}</h2>",
            esc(self.recipient),
            color(self.severity),
            esc(&a.title)
        ));
        if let Some(why) = self.why_you() {
            html.push_str(&format!("<p><em>{}</em></p>", esc(why)));
        }
        html.push_str("<table>");
        for l in self.lines() {
            let (k, v) = l.split_once(": ").unwrap_or((&l, ""));
            html.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                esc(k),
                esc(v)
            ));
        }
        html.push_str("</table>");
        html.push_str(&format!(
            "<p>{}</p>",
            esc(d.diagnosis.as_deref().unwrap_or(&a.message))
        ));
        if !d.actions.is_empty() {
            html.push_str("<h3>Recommended actions</h3><ol>");
            for act in &d.actions {
                html.push_str(&format!("<li>{}</li>", esc(act)));
            }
            html.push_str("</ol>");
        }
        if let Some(c) = &d.estimated_cost {
            html.push_str(&format!(
                "<p>Estimated cost: {:.0}&ndash;{:.0} {}</p>",
                c.min,
                c.max,
                esc(&c.currency)
            ));
        }
        if let Some((head, reason)) = review_line(a) {
            html.push_str(&format!("<p><strong>{head}:</strong> {}</p>", esc(reason)));
        }
        html.push_str(&format!(
            "<p><a href=\"{}\" style=\"display:inline-block;padding:.6em 1.2em;background:#1f6feb;color:#fff;text-decoration:none;border-radius:4px\">Acknowledge</a> (stops the escalation)</p>\
             <p style=\"color:#666;font-size:small\">Alert {} &middot; <a href=\"{}\">details</a></p></body></html>",
            esc(self.ack_url),
            a.alert_id,
            esc(self.alert_url)
        ));
        html
    }

    /// An SMS: at most about two segments.
    pub fn sms(&self) -> String {
        let a = self.alert;
        let action = a
            .diagnosis
            .actions
            .first()
            .map(String::as_str)
            .unwrap_or(&a.title);
        let mut body = format!(
            "{} {} {}: {}",
            self.prefix(),
            a.vehicle_id,
            self.what(),
            action
        );
        if let Some(u) = self.urgency() {
            body.push_str(&format!(" ({u})"));
        }
        truncate(&mut body, 220);
        format!("{body} Ack: {}", self.ack_url)
    }

    /// Push title and body.
    pub fn push(&self) -> (String, String) {
        let a = self.alert;
        let title = format!("{} {}: {}", self.prefix(), a.vehicle_id, self.what());
        let mut body = a
            .diagnosis
            .actions
            .first()
            .cloned()
            .unwrap_or_else(|| a.message.clone());
        truncate(&mut body, 240);
        (title, body)
    }

    /// The webhook body.
    pub fn webhook(&self) -> serde_json::Value {
        json!({
            "delivery_id": self.delivery_id,
            "step": self.step,
            "severity": self.severity,
            "ack_url": self.ack_url,
            "alert": self.alert,
        })
    }
}

fn truncate(s: &mut String, max: usize) {
    if s.chars().count() > max {
        let cut: String = s.chars().take(max - 1).collect();
        *s = format!("{cut}…");
    }
}

fn color(s: AlertSeverity) -> &'static str {
    match s {
        AlertSeverity::Info => "#1f6feb",
        AlertSeverity::Warning => "#9a6700",
        AlertSeverity::Critical => "#cf222e",
        AlertSeverity::Emergency => "#82071e",
    }
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The review line of an alert that needs one: its heading and reason. When the
/// alert's current decision is confident, the review is of an earlier one (reviews
/// stay until a person closes them), and the line says so rather than lending the
/// current decision the earlier one's doubt.
fn review_line(a: &Alert) -> Option<(&'static str, &str)> {
    if !a.needs_review {
        return None;
    }
    let reason = a.review_reason.as_deref().unwrap_or("low confidence");
    let confident = a
        .diagnosis
        .confidence
        .is_some_and(|c| c >= super::policy::EMERGENCY_MIN_CONFIDENCE);
    Some(if confident {
        (
            "An earlier decision on this alert awaits human review",
            reason,
        )
    } else {
        ("Needs human review", reason)
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use shared_schemas::events::{AlertKind, Component, CostRange};

    use super::*;
    use crate::domain::alert::{Diagnosis, Status};

    fn alert() -> Alert {
        Alert {
            alert_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-7".to_owned(),
            subject: "dpf".to_owned(),
            component: Some(Component::Dpf),
            kind: AlertKind::Decision,
            severity: AlertSeverity::Emergency,
            status: Status::Open,
            title: "VH-7: DPF <clogged>".to_owned(),
            message: "m".to_owned(),
            diagnosis: Diagnosis {
                decision_id: None,
                diagnosis: Some("Probable dpf clogging".to_owned()),
                actions: vec![
                    "Force a parked regeneration".to_owned(),
                    "Clean the DPF".to_owned(),
                ],
                urgency_days: Some(1),
                estimated_cost: Some(CostRange {
                    min: 250.0,
                    max: 2800.0,
                    currency: "USD".to_owned(),
                }),
                confidence: Some(0.9),
            },
            needs_review: false,
            review_reason: None,
            occurrences: 1,
            step: 0,
            next_escalation_at: None,
            correlation_id: Uuid::now_v7(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            acknowledged_at: None,
            acknowledged_by: None,
            ack_via: None,
            resolved_at: None,
            resolved_by: None,
            resolution: None,
        }
    }

    #[test]
    fn messages_name_vehicle_component_action_and_link() {
        let a = alert();
        let n = Notice {
            alert: &a,
            delivery_id: Uuid::now_v7(),
            step: 0,
            severity: AlertSeverity::Emergency,
            recipient: "Dana",
            ack_url: "http://x/ack?token=t",
            alert_url: "http://x/a",
        };
        let e = n.email();
        assert!(
            e.subject.starts_with("[EMERGENCY] VH-7: DPF"),
            "{}",
            e.subject
        );
        assert!(e.text.contains("Force a parked regeneration"));
        assert!(e.text.contains("http://x/ack?token=t"));
        assert!(e.html.contains("&lt;clogged&gt;"), "escaped: {}", e.html);
        assert!(n.sms().contains("VH-7") && n.sms().ends_with("Ack: http://x/ack?token=t"));
        let esc = Notice {
            step: 1,
            ..n.clone()
        };
        assert!(esc.subject().contains("ESCALATED"));
        assert_eq!(n.webhook()["alert"]["vehicle_id"], "VH-7");
    }

    #[test]
    fn a_pending_review_of_an_earlier_decision_is_not_the_current_ones() {
        let mut a = alert();
        a.needs_review = true;
        a.review_reason = Some("confidence 0.66 below 0.70".to_owned());
        let text = |a: &Alert| {
            Notice {
                alert: a,
                delivery_id: Uuid::now_v7(),
                step: 0,
                severity: a.severity,
                recipient: "Dana",
                ack_url: "http://x/ack",
                alert_url: "http://x/a",
            }
            .email()
            .text
        };
        // The current decision is confident (0.9): the doubt is an earlier one's.
        let confident = text(&a);
        assert!(
            confident
                .contains("An earlier decision on this alert awaits human review: confidence 0.66"),
            "{confident}"
        );
        assert!(!confident.contains("Needs human review"), "{confident}");
        a.diagnosis.confidence = Some(0.66);
        assert!(text(&a).contains("Needs human review: confidence 0.66"));
    }
}
