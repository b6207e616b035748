//! The service's core objects: [`identity::Identity`] (users, login, tokens), the
//! [`mailer::Mailer`] and [`audit::Auditor`] (the tamper-evident log).

pub mod audit;
pub mod gateway;
pub mod identity;
pub mod mailer;
pub mod metrics;
pub mod reports;
