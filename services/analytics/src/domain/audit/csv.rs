//! The CSV export of audit entries (RFC 4180): one header line, one line per entry.
//!
//! Cells are quoted when they hold a comma, a quote or a line break. A text cell that a
//! spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return) is prefixed with `'` (OWASP's advice against CSV injection): the
//! file is opened by people, and the values come from requests and events.

use super::Entry;

/// The columns, in order.
pub const COLUMNS: [&str; 16] = [
    "org_id",
    "seq",
    "entry_id",
    "source_id",
    "kind",
    "event_type",
    "producer",
    "actor",
    "actor_role",
    "vehicle_id",
    "occurred_at",
    "recorded_at",
    "summary",
    "payload",
    "prev_hash",
    "hash",
];

/// The header line (with its CRLF).
pub fn header() -> String {
    let mut line = COLUMNS.join(",");
    line.push_str("\r\n");
    line
}

/// Appends `entry`'s line (with its CRLF) to `out`.
pub fn write_row(out: &mut String, entry: &Entry) {
    let c = &entry.content;
    let seq = c.seq.to_string();
    let entry_id = c.entry_id.to_string();
    let source_id = c.source_id.to_string();
    let occurred = c
        .occurred_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let recorded = c
        .recorded_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let prev = hex::encode(entry.prev_hash);
    let hash = hex::encode(entry.hash);
    let cells: [(&str, bool); 16] = [
        (&c.org_id, true),
        (&seq, false),
        (&entry_id, false),
        (&source_id, false),
        (&c.kind, false),
        (&c.event_type, true),
        (&c.producer, true),
        (c.actor.as_deref().unwrap_or(""), true),
        (c.actor_role.as_deref().unwrap_or(""), true),
        (c.vehicle_id.as_deref().unwrap_or(""), true),
        (&occurred, false),
        (&recorded, false),
        (&c.summary, true),
        (&c.payload, true),
        (&prev, false),
        (&hash, false),
    ];
    for (i, (value, untrusted)) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        cell(out, value, *untrusted);
    }
    out.push_str("\r\n");
}

fn cell(out: &mut String, value: &str, untrusted: bool) {
    let formula = untrusted && value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || value.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for ch in value.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell_of(value: &str, untrusted: bool) -> String {
        let mut out = String::new();
        cell(&mut out, value, untrusted);
        out
    }

    #[test]
    fn cells_are_quoted_and_defused() {
        for (value, untrusted, expected) in [
            ("plain", true, "plain"),
            ("a,b", true, "\"a,b\""),
            (r#"{"n":1}"#, true, r#""{""n"":1}""#),
            ("two\nlines", true, "\"two\nlines\""),
            ("=HYPERLINK(\"x\")", true, "\"'=HYPERLINK(\"\"x\"\")\""),
            ("-5", true, "\"'-5\""),
            ("@sum", true, "\"'@sum\""),
            ("-5", false, "-5"),
            ("", true, ""),
        ] {
            assert_eq!(cell_of(value, untrusted), expected, "{value:?}");
        }
        assert_eq!(header().matches(',').count(), COLUMNS.len() - 1);
    }
}
