//! The warranty claim notices' source (group `alert-claims`): `warranty.claim.submitted`,
//! `.validated`, `.rejected` and `warranty.fraud.detected`, told to the vehicle's owner
//! and fleet managers as [`ClaimNotice::roles`] says (ADR 0016).

use shared_schemas::events::{ClaimRejected, ClaimSubmitted, ClaimValidated, FraudDetected};
use shared_schemas::{Event, RawEnvelope};

use super::notices::{Source, payload};
use crate::domain::claim::ClaimNotice;
use crate::domain::notice::NoticeContent;

/// Consumer group of the alert service on the warranty service's events.
pub const GROUP: &str = "alert-claims";

/// The event types it reads.
pub const EVENT_TYPES: [&str; 4] = [
    ClaimSubmitted::TYPE,
    ClaimValidated::TYPE,
    ClaimRejected::TYPE,
    FraudDetected::TYPE,
];

/// The source of claim notices.
pub const SOURCE: Source = Source {
    group: GROUP,
    event_types: &EVENT_TYPES,
    decode: notice_of,
};

/// The notice an event tells.
fn notice_of(e: &RawEnvelope) -> anyhow::Result<NoticeContent> {
    let notice = match e.event_type.as_str() {
        ClaimSubmitted::TYPE => ClaimNotice::ClaimSubmitted(payload(e)?),
        ClaimValidated::TYPE => ClaimNotice::ClaimValidated(payload(e)?),
        ClaimRejected::TYPE => ClaimNotice::ClaimRejected(payload(e)?),
        FraudDetected::TYPE => ClaimNotice::FraudDetected(payload(e)?),
        other => anyhow::bail!("unexpected event type {other}"),
    };
    Ok(NoticeContent::Claim(notice))
}
