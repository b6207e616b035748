//! Analytics: the platform's identity provider, auditor and reporting engine.
//!
//! - Identity: organizations, users and roles; password login (Argon2id, lockout),
//!   short-lived EdDSA access tokens published through a JWKS, rotating refresh tokens,
//!   password reset by emailed one-time link, and client credentials for the services.
//! - Audit: every event of every stream and every state-changing request, in a
//!   hash-chained, append-only log per organization.
//! - Metrics and reports: read models built from events, served to the dashboard and
//!   rendered as CSV and PDF, on demand and by email on a schedule.

pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod openapi;
pub mod pipeline;
pub mod routes;
pub mod state;

pub use app::{Application, build};
pub use config::Config;

/// Installs rustls' ring crypto provider once (SMTP over TLS needs a provider).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
