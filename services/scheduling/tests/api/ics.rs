//! Reading the service's iCalendar output with an independent parser (`icalendar`).

use icalendar::{
    Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike,
};

/// Asserts `text` is one VEVENT of appointment `id` starting at `at` with `status`.
pub(crate) fn assert_event(text: &str, id: &str, at: &chrono::DateTime<chrono::Utc>, status: &str) {
    assert!(text.contains("\r\n"), "CRLF line endings");
    let calendar: Calendar = text
        .parse()
        .unwrap_or_else(|e| panic!("not iCalendar: {e}\n{text}"));
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 1, "{text}");
    let e = events[0];
    assert_eq!(e.get_uid(), Some(format!("{id}@fleet-platform").as_str()));
    assert_eq!(
        e.get_start(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(*at))),
        "{text}"
    );
    assert_eq!(e.property_value("STATUS"), Some(status), "{text}");
    assert!(e.get_summary().is_some_and(|s| !s.is_empty()));
    assert!(e.get_location().is_some_and(|s| !s.is_empty()));
}
