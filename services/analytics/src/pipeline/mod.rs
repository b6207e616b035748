//! The service's core objects: [`identity::Identity`] (users, login, tokens) and the
//! [`mailer::Mailer`].

pub mod identity;
pub mod mailer;
