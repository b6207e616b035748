//! SQL with bound parameters, one module per table group.

pub mod audit;
pub mod failures;
pub mod links;
pub mod mail;
pub mod metrics;
pub mod orgs;
pub mod reports;
pub mod sessions;
pub mod users;
