//! The envelope every event travels in.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

/// A typed event payload. `TYPE` is the wire name (also the stream name suffix),
/// `VERSION` the payload schema version.
pub trait Event: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {
    /// Wire name, e.g. `vehicle.telemetry.received`.
    const TYPE: &'static str;
    /// Payload schema version; bumped on a breaking change.
    const VERSION: u32;
    /// The vehicle this event is about: the ordering and partitioning key.
    fn vehicle_id(&self) -> &str;
}

/// The envelope around every event on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventEnvelope<P> {
    /// Unique id (UUIDv7, so ids sort by creation time). Consumers apply an id once.
    pub event_id: Uuid,
    /// Wire name of the payload type.
    pub event_type: String,
    /// Version of the payload schema.
    pub schema_version: u32,
    /// When the fact happened (not when it was published).
    pub occurred_at: DateTime<Utc>,
    /// Name of the producing service.
    pub producer: String,
    /// Id shared by every event and request of one end-to-end flow.
    pub correlation_id: Uuid,
    /// Id of the event (or request) that directly caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// The vehicle the event is about: the ordering key.
    pub vehicle_id: String,
    /// The typed payload.
    pub payload: P,
}

impl<P: Event> EventEnvelope<P> {
    /// Wraps `payload` in a new envelope with a fresh UUIDv7 id.
    pub fn new(producer: &str, correlation_id: Uuid, payload: P) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            event_type: P::TYPE.to_owned(),
            schema_version: P::VERSION,
            occurred_at: Utc::now(),
            producer: producer.to_owned(),
            correlation_id,
            causation_id: None,
            vehicle_id: payload.vehicle_id().to_owned(),
            payload,
        }
    }

    /// Sets the causation id (the event that caused this one) and keeps its correlation.
    #[must_use]
    pub fn caused_by<Q>(mut self, cause: &EventEnvelope<Q>) -> Self {
        self.causation_id = Some(cause.event_id);
        self.correlation_id = cause.correlation_id;
        self
    }

    /// Sets when the fact happened.
    #[must_use]
    pub fn at(mut self, occurred_at: DateTime<Utc>) -> Self {
        self.occurred_at = occurred_at;
        self
    }
}

/// An envelope whose payload is not decoded yet: what a consumer reads first, so it can
/// skip unknown types and decode only the payloads it handles.
pub type RawEnvelope = EventEnvelope<Box<serde_json::value::RawValue>>;

/// Why a raw envelope could not be decoded into a typed one.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The envelope is of another type.
    #[error("event type is {actual}, expected {expected}")]
    WrongType {
        /// The type the caller asked for.
        expected: &'static str,
        /// The type on the envelope.
        actual: String,
    },
    /// The payload does not match the schema.
    #[error("payload of {event_type} does not match its schema: {source}")]
    Payload {
        /// The envelope's type.
        event_type: String,
        /// The JSON error.
        source: serde_json::Error,
    },
}

impl RawEnvelope {
    /// Decodes the payload as `P`, checking the type name. Unknown payload fields are
    /// ignored, so producers can add fields without breaking consumers.
    pub fn decode<P: Event>(&self) -> Result<EventEnvelope<P>, DecodeError> {
        if self.event_type != P::TYPE {
            return Err(DecodeError::WrongType {
                expected: P::TYPE,
                actual: self.event_type.clone(),
            });
        }
        let payload =
            serde_json::from_str(self.payload.get()).map_err(|source| DecodeError::Payload {
                event_type: self.event_type.clone(),
                source,
            })?;
        Ok(EventEnvelope {
            event_id: self.event_id,
            event_type: self.event_type.clone(),
            schema_version: self.schema_version,
            occurred_at: self.occurred_at,
            producer: self.producer.clone(),
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            vehicle_id: self.vehicle_id.clone(),
            payload,
        })
    }
}
