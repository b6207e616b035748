//! Contracts between the services: the event envelope, every event payload, and the
//! canonical telemetry reading with its signal catalog.
//!
//! Nothing here depends on a transport or a database. Payloads are versioned: a
//! breaking change bumps the type's [`Event::VERSION`], and the golden-JSON tests in
//! `tests/golden.rs` fail until the change is acknowledged.

pub mod envelope;
pub mod events;
pub mod ids;
pub mod parts;
pub mod signals;
pub mod telemetry;
pub mod urgency;

pub use envelope::{DecodeError, Event, EventEnvelope, RawEnvelope};
pub use events::{EventInfo, catalog};
