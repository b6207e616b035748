//! The service's core objects: [`identity::Identity`] (users, login, tokens).

pub mod identity;
pub mod metrics;
pub mod reports;
