//! The audit log's rules (ADR 0013): what an entry holds, which organization's chain it
//! joins, how it is hashed and linked, and how a chain is verified.
//!
//! **Hash.** `hash = SHA-256(encoding)`, where the encoding is the tag
//! `fleet-audit-entry-v1\n`, the previous entry's hash (32 zero bytes for the first of
//! a chain), then each field in this order: `org_id`, `seq`, `entry_id`, `source_id`,
//! `kind`, `event_type`, `producer`, `actor`, `actor_role`, `vehicle_id`,
//! `occurred_at`, `recorded_at`, `summary`, `payload`. Text is `0x01`, its UTF-8
//! length as a big-endian u64, then its bytes (an absent optional text is `0x00`);
//! `seq` is a big-endian i64; ids are their 16 bytes; instants are big-endian i64
//! microseconds since the Unix epoch (Postgres keeps microseconds). `payload` is the
//! event's payload JSON text exactly as stored. Every field is length-prefixed, so no
//! two entries encode alike.

pub mod csv;
pub mod draft;
pub mod verify;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

/// The chain of entries that belong to no organization (no organization in the payload,
/// no caller, a vehicle the audit does not know): the platform operators' organization
/// (identity's `PLATFORM_ORG`, which admins and services belong to, ADR 0012).
pub const PLATFORM: &str = "platform";

/// What the hash of a chain's first entry links to.
pub const GENESIS: [u8; 32] = [0; 32];

const TAG: &[u8] = b"fleet-audit-entry-v1\n";

/// Whether an entry records an event of a stream or a REST request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An event of a stream.
    Event,
    /// A state-changing request (`audit.request.recorded`).
    Request,
}

impl Kind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Request => "request",
        }
    }
}

/// What an entry says, everything its hash covers but the link to the previous entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The chain: the organization the entry belongs to.
    pub org_id: String,
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The entry's own id.
    pub entry_id: Uuid,
    /// The event it records.
    pub source_id: Uuid,
    /// `event` or `request`.
    pub kind: String,
    /// The event type.
    pub event_type: String,
    /// The producing service.
    pub producer: String,
    /// Who (a request's caller).
    pub actor: Option<String>,
    /// The caller's role.
    pub actor_role: Option<String>,
    /// The vehicle concerned.
    pub vehicle_id: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When the audit recorded it.
    pub recorded_at: DateTime<Utc>,
    /// One line for people and text search.
    pub summary: String,
    /// The payload JSON, as received.
    pub payload: String,
}

impl Content {
    /// The entry's hash when it follows an entry whose hash is `prev`.
    pub fn hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(TAG);
        h.update(prev);
        text(&mut h, Some(&self.org_id));
        h.update(self.seq.to_be_bytes());
        h.update(self.entry_id.as_bytes());
        h.update(self.source_id.as_bytes());
        for field in [&self.kind, &self.event_type, &self.producer] {
            text(&mut h, Some(field));
        }
        for field in [&self.actor, &self.actor_role, &self.vehicle_id] {
            text(&mut h, field.as_deref());
        }
        h.update(self.occurred_at.timestamp_micros().to_be_bytes());
        h.update(self.recorded_at.timestamp_micros().to_be_bytes());
        text(&mut h, Some(&self.summary));
        text(&mut h, Some(&self.payload));
        h.finalize().into()
    }
}

fn text(h: &mut Sha256, value: Option<&str>) {
    match value {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
}

/// `at` to the microsecond (what Postgres stores, so what the hash covers).
pub fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// Text fit for a Postgres `text` column: NUL (which it cannot hold) becomes U+FFFD.
pub fn storable(s: &str) -> String {
    s.replace('\0', "\u{FFFD}")
}

/// A stored entry: its content and its link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What it says.
    pub content: Content,
    /// The previous entry's hash.
    pub prev_hash: [u8; 32],
    /// Its own hash.
    pub hash: [u8; 32],
}

/// The newest entry of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Its position (0: the chain is empty).
    pub seq: i64,
    /// Its hash ([`GENESIS`] when empty).
    pub hash: [u8; 32],
}

impl Head {
    /// The head of an empty chain.
    pub const EMPTY: Self = Self {
        seq: 0,
        hash: GENESIS,
    };

    /// Appends `content` (whose `seq` is set here) and moves the head to it.
    pub fn link(&mut self, mut content: Content) -> Entry {
        content.seq = self.seq + 1;
        let hash = content.hash(&self.hash);
        let entry = Entry {
            content,
            prev_hash: self.hash,
            hash,
        };
        self.seq = entry.content.seq;
        self.hash = hash;
        entry
    }
}
