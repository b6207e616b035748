//! Readings over MQTT (ADR 0024): ingestion subscribes to the broker's
//! `{root}/{org}/{vehicle}/telemetry` and `…/batch` topics in a shared subscription
//! (instances split the load), takes each message through the same judging and
//! hand-off as `POST /v1/telemetry` and `/v1/telemetry/batch`, and acknowledges it
//! (QoS 1 PUBACK) only once its readings and refusals are on the streams.
//!
//! Who may publish where is the broker's business: each device logs in with its device
//! key id and key, and the ACL that `scripts/mqtt-auth.sh` generates lets it publish
//! only under its own organization (and its key's vehicles). A subscriber does not learn
//! who published a message, so ingestion takes the topic's organization and vehicle as
//! the device's scope, and checks, as for REST, that the vehicle belongs to that
//! organization.

mod config;
mod handle;
mod subscriber;
mod topic;

pub use config::MqttConfig;
pub use subscriber::start;
pub use topic::{Kind, Route};
