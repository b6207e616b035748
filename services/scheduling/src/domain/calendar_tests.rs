//! The invitations parsed back by an independent RFC 5545 parser (the `icalendar`
//! crate): every property round-trips, escaping and folding included.

use chrono::{DateTime, TimeZone, Utc};
use icalendar::parser::{Component, read_calendar, unfold};
use icalendar::{CalendarDateTime, Component as _, DatePerhapsTime, EventLike as _};
use uuid::Uuid;

use super::{CalendarEntry, PRODID, render};

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, hour, minute, 0)
        .single()
        .expect("instant")
}

fn entry() -> CalendarEntry {
    CalendarEntry {
        appointment_id: Uuid::from_u128(0x1234),
        sequence: 2,
        cancelled: false,
        stamp: at(9, 15),
        starts_at: at(10, 0),
        ends_at: at(14, 30),
        summary: "Brake pad replacement, V-4711; axle 2".into(),
        description: "Parts: brake_pad_set x2\nNotes: C:\\shop\\bay 3, \"left\"; ok".into(),
        location: "North Depot, 12 Main St; Bay 2".into(),
        organizer_email: Some("scheduling@fleet.example".into()),
    }
}

/// A parsed component, owned: name, properties (values unescaped), sub-components.
#[derive(Debug)]
struct Parsed {
    name: String,
    props: Vec<(String, String)>,
    children: Vec<Parsed>,
}

impl Parsed {
    fn from(c: &Component<'_>) -> Self {
        Self {
            name: c.name.as_str().to_owned(),
            props: owned_props(&c.properties),
            children: c.components.iter().map(Self::from).collect(),
        }
    }
}

fn owned_props(props: &[icalendar::parser::Property<'_>]) -> Vec<(String, String)> {
    props
        .iter()
        .map(|p| (p.name.as_str().to_owned(), p.val.as_str().to_owned()))
        .collect()
}

fn value<'a>(c: &'a Parsed, name: &str) -> Option<&'a str> {
    c.props
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Parses `ics` and returns the calendar's properties and its single VEVENT.
fn parsed(ics: &str) -> (Vec<(String, String)>, Parsed) {
    let unfolded = unfold(ics);
    let cal = read_calendar(&unfolded).expect("valid iCalendar");
    assert_eq!(cal.components.len(), 1, "one VEVENT");
    let event = Parsed::from(&cal.components[0]);
    assert_eq!(event.name, "VEVENT");
    (owned_props(&cal.properties), event)
}

/// The physical lines: CRLF-terminated, at most 75 octets, valid UTF-8 each.
fn assert_wire_format(ics: &str) {
    let mut pieces: Vec<&[u8]> = ics.as_bytes().split(|b| *b == b'\n').collect();
    assert_eq!(pieces.pop(), Some(&b""[..]), "the last line ends with CRLF");
    for line in pieces {
        let line = line.strip_suffix(b"\r").expect("every LF follows a CR");
        assert!(!line.contains(&b'\r'), "a bare CR");
        assert!(line.len() <= 75, "{} octets", line.len());
        assert!(
            std::str::from_utf8(line).is_ok(),
            "a character split by folding"
        );
    }
}

#[test]
fn a_confirmed_appointment_round_trips() {
    let e = entry();
    let ics = render(&e);
    assert_wire_format(&ics);
    // Lenient parsers accept raw commas and semicolons: check the escapes on the wire.
    let unfolded = unfold(&ics);
    assert!(unfolded.contains("\r\nSUMMARY:Brake pad replacement\\, V-4711\\; axle 2\r\n"));
    assert!(
        unfolded.contains(r#"x2\nNotes: C:\\shop\\bay 3\, "left"\; ok"#),
        "{unfolded}"
    );
    let (top, event) = parsed(&ics);
    let expected_top = [
        ("VERSION", "2.0"),
        ("PRODID", PRODID),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "REQUEST"),
    ];
    let top: Vec<(&str, &str)> = top.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(top, expected_top);
    assert_eq!(
        value(&event, "UID"),
        Some("00000000-0000-0000-0000-000000001234@fleet-platform")
    );
    assert_eq!(value(&event, "DTSTAMP"), Some("20260304T091500Z"));
    assert_eq!(value(&event, "DTSTART"), Some("20260304T100000Z"));
    assert_eq!(value(&event, "DTEND"), Some("20260304T143000Z"));
    assert_eq!(value(&event, "SUMMARY"), Some(e.summary.as_str()));
    assert_eq!(value(&event, "DESCRIPTION"), Some(e.description.as_str()));
    assert_eq!(value(&event, "LOCATION"), Some(e.location.as_str()));
    assert_eq!(
        value(&event, "ORGANIZER"),
        Some("mailto:scheduling@fleet.example")
    );
    assert_eq!(value(&event, "SEQUENCE"), Some("2"));
    assert_eq!(value(&event, "STATUS"), Some("CONFIRMED"));
    assert_eq!(event.children.len(), 1);
    let alarm = &event.children[0];
    assert_eq!(alarm.name.as_str(), "VALARM");
    assert_eq!(value(alarm, "TRIGGER"), Some("-PT1H"));
    assert_eq!(value(alarm, "ACTION"), Some("DISPLAY"));
    assert_eq!(value(alarm, "DESCRIPTION"), Some(e.summary.as_str()));
}

#[test]
fn the_typed_parser_reads_the_same_instants_and_texts() {
    let e = entry();
    let cal: icalendar::Calendar = render(&e).parse().expect("calendar");
    let event = cal.components[0].as_event().expect("event");
    let utc = |t| Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)));
    assert_eq!(event.get_start(), utc(e.starts_at));
    assert_eq!(event.get_end(), utc(e.ends_at));
    assert_eq!(event.get_timestamp(), Some(e.stamp));
    assert_eq!(event.get_description(), Some(e.description.as_str()));
    assert_eq!(event.get_location(), Some(e.location.as_str()));
    assert_eq!(event.get_sequence(), Some(2));
    assert_eq!(event.get_status(), Some(icalendar::EventStatus::Confirmed));
}

#[test]
fn a_cancellation_keeps_the_uid_and_drops_the_alarm() {
    let mut e = entry();
    e.cancelled = true;
    e.sequence = 3;
    e.organizer_email = None;
    let ics = render(&e);
    assert_wire_format(&ics);
    let (top, event) = parsed(&ics);
    assert!(top.contains(&("METHOD".into(), "CANCEL".into())), "{top:?}");
    assert_eq!(value(&event, "STATUS"), Some("CANCELLED"));
    assert_eq!(value(&event, "SEQUENCE"), Some("3"));
    assert_eq!(
        value(&event, "UID"),
        value(&parsed(&render(&entry())).1, "UID")
    );
    assert!(event.children.is_empty(), "no VALARM");
    assert_eq!(value(&event, "ORGANIZER"), None);
}

#[test]
fn long_non_ascii_texts_fold_without_splitting_characters() {
    let mut e = entry();
    // Two- to four-octet characters at every offset against the 75-octet boundary.
    e.description = (0..40)
        .map(|i| {
            format!(
                "{}Bremsbeläge, 制動片; 🚚 \\ Zeile {i}\n",
                "x".repeat(i % 4)
            )
        })
        .collect();
    e.summary = format!("{}é", "a".repeat(62));
    e.location = "Søndre gate 7, 7011 Trondheim; Ørland".repeat(5);
    let ics = render(&e);
    assert_wire_format(&ics);
    assert!(ics.lines().count() > 40, "folded");
    let (_, event) = parsed(&ics);
    assert_eq!(value(&event, "DESCRIPTION"), Some(e.description.as_str()));
    assert_eq!(value(&event, "SUMMARY"), Some(e.summary.as_str()));
    assert_eq!(value(&event, "LOCATION"), Some(e.location.as_str()));
}

#[test]
fn control_characters_never_break_a_line() {
    let mut e = entry();
    e.summary = "Oil\r\nchange\u{7}".into();
    e.organizer_email = Some("ops@fleet.example\r\nX-EVIL:1".into());
    let ics = render(&e);
    assert_wire_format(&ics);
    let (_, event) = parsed(&ics);
    assert_eq!(value(&event, "SUMMARY"), Some("Oil\nchange"));
    assert_eq!(value(&event, "X-EVIL"), None);
}
