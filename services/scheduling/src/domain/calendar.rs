//! iCalendar (RFC 5545) invitations for appointments: one VEVENT per calendar, METHOD
//! REQUEST while confirmed (with a reminder an hour before) and CANCEL once cancelled,
//! so calendar clients update the same event (same UID, higher SEQUENCE).

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The longest content line, in octets, before folding (RFC 5545 section 3.1).
const MAX_LINE_OCTETS: usize = 75;

/// The product identifier calendar clients see.
pub const PRODID: &str = "-//Fleet Platform//Scheduling//EN";

/// One appointment as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    pub appointment_id: Uuid,
    /// The booking's revision: raised on every reschedule and on cancellation.
    pub sequence: u32,
    pub cancelled: bool,
    /// When this version of the invitation was made (DTSTAMP).
    pub stamp: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub organizer_email: Option<String>,
}

/// The event's UID: stable across revisions of one appointment.
#[must_use]
pub fn uid(appointment_id: Uuid) -> String {
    format!("{appointment_id}@fleet-platform")
}

/// The `.ics` text: CRLF line endings, TEXT values escaped, lines folded at 75 octets.
#[must_use]
pub fn render(e: &CalendarEntry) -> String {
    let mut out = String::new();
    let (method, status) = if e.cancelled {
        ("CANCEL", "CANCELLED")
    } else {
        ("REQUEST", "CONFIRMED")
    };
    let summary = escape_text(&e.summary);
    let mut line = |name: &str, value: &str| push_line(&mut out, &format!("{name}:{value}"));
    line("BEGIN", "VCALENDAR");
    line("VERSION", "2.0");
    line("PRODID", PRODID);
    line("CALSCALE", "GREGORIAN");
    line("METHOD", method);
    line("BEGIN", "VEVENT");
    line("UID", &uid(e.appointment_id));
    line("DTSTAMP", &utc(e.stamp));
    line("DTSTART", &utc(e.starts_at));
    line("DTEND", &utc(e.ends_at));
    line("SUMMARY", &summary);
    line("DESCRIPTION", &escape_text(&e.description));
    line("LOCATION", &escape_text(&e.location));
    if let Some(email) = &e.organizer_email {
        line("ORGANIZER", &format!("mailto:{}", without_controls(email)));
    }
    line("SEQUENCE", &e.sequence.to_string());
    line("STATUS", status);
    if !e.cancelled {
        line("BEGIN", "VALARM");
        line("ACTION", "DISPLAY");
        line("DESCRIPTION", &summary);
        line("TRIGGER", "-PT1H");
        line("END", "VALARM");
    }
    line("END", "VEVENT");
    line("END", "VCALENDAR");
    out
}

/// A DATE-TIME in UTC form: `20260304T100000Z`.
fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (section 3.3.11): backslash, semicolon, comma and newline escaped;
/// other control characters, which TEXT may not hold, dropped (CR of a CRLF too).
#[must_use]
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn without_controls(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Appends one content line, folded (section 3.1): no physical line over 75 octets,
/// continuation lines start with a space, and a UTF-8 character is never split.
fn push_line(out: &mut String, content: &str) {
    let mut octets = 0;
    for c in content.chars() {
        if octets + c.len_utf8() > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            octets = 1;
        }
        out.push(c);
        octets += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
