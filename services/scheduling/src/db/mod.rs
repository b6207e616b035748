//! SQL of the service's tables (bound parameters only).

pub mod appointments;
pub mod centers;
pub mod jobs;
pub mod maintenance;
pub mod proposals;
pub mod snapshot;
pub mod stock;
pub mod technicians;

/// A value stored under its wire name (an enum's serde spelling).
pub(crate) fn wire<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, sqlx::Error> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| sqlx::Error::Decode(format!("stored value {s:?}: {e}").into()))
}

/// The wire name of a value stored as its serde spelling (the inverse of [`wire`]).
pub(crate) fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => other.map(|v| v.to_string()).unwrap_or_default(),
    }
}
