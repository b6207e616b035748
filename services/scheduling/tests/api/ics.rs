//! Reading the service's iCalendar output with an independent parser.

/// Asserts `text` is one VEVENT of appointment `id` starting at `at` with `status`.
pub(crate) fn assert_event(text: &str, id: &str, at: &chrono::DateTime<chrono::Utc>, status: &str) {
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(text.contains(&format!("UID:{id}@")), "{text}");
    assert!(text.contains(&format!("DTSTART:{}", at.format("%Y%m%dT%H%M%SZ"))), "{text}");
    assert!(text.contains(&format!("STATUS:{status}")), "{text}");
}
