//! The alert service: turns agent decisions, escalations for human review, critical
//! components and silent vehicles into alerts; delivers them to the vehicle's owner,
//! fleet manager and emergency contact by email (SMTP), SMS (Twilio-compatible), push
//! (FCM-compatible), signed webhooks and an in-app live feed (SSE), once per recipient,
//! channel and escalation step, through a delivery outbox; and escalates along the
//! chain until someone acknowledges (REST, or the signed link in each message).

pub mod app;
pub mod config;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod events;
pub mod openapi;
pub mod pipeline;
pub mod routes;
pub mod state;

pub use app::{Application, build};
pub use config::Config;

/// Installs rustls' ring crypto provider once (reqwest is built without a default one).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
