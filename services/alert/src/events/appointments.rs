//! The appointment notices' source (group `alert-appointments`): `appointment.scheduled`,
//! `appointment.cancelled` and `appointment.proposed`, told to the vehicle's owners and
//! fleet managers (ADR 0016). The calendar file is fetched when the email is sent.

use shared_schemas::events::{AppointmentCancelled, AppointmentProposed, AppointmentScheduled};
use shared_schemas::{Event, RawEnvelope};

use super::notices::{Source, payload};
use crate::domain::appointment::AppointmentNotice;
use crate::domain::notice::NoticeContent;

/// Consumer group of the alert service on the scheduling service's events.
pub const GROUP: &str = "alert-appointments";

/// The event types it reads.
pub const EVENT_TYPES: [&str; 3] = [
    AppointmentScheduled::TYPE,
    AppointmentCancelled::TYPE,
    AppointmentProposed::TYPE,
];

/// The source of appointment notices.
pub const SOURCE: Source = Source {
    group: GROUP,
    event_types: &EVENT_TYPES,
    decode: notice_of,
};

/// The notice an event tells.
fn notice_of(e: &RawEnvelope) -> anyhow::Result<NoticeContent> {
    let notice = match e.event_type.as_str() {
        AppointmentScheduled::TYPE => AppointmentNotice::Scheduled(payload(e)?),
        AppointmentCancelled::TYPE => AppointmentNotice::Cancelled(payload(e)?),
        AppointmentProposed::TYPE => AppointmentNotice::Proposed(payload(e)?),
        other => anyhow::bail!("unexpected event type {other}"),
    };
    Ok(NoticeContent::Appointment(notice))
}
