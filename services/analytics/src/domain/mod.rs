//! The service's rules as plain functions and types: no axum, sqlx or redis.
pub mod metrics;
pub mod report;
