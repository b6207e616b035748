//! The service's rules as plain functions and types: no axum, sqlx or redis.

pub mod account;
pub mod audit;
pub mod dashboard;
pub mod keys;
pub mod lockout;
pub mod mail;
pub mod metrics;
pub mod password;
pub mod report;
pub mod secret_token;
