//! The service's core objects: [`identity::Identity`] (users, login, tokens),
//! [`audit::Auditor`] (the tamper-evident log).

pub mod audit;
pub mod identity;
