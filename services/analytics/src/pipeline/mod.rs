//! The service's core objects: [`identity::Identity`] (users, login, tokens),
//! [`mailer::Mailer`].

pub mod identity;
pub mod mailer;
pub mod metrics;
pub mod reports;
