//! SQL of the service's tables (bound parameters only).

pub mod centers;
pub mod stock;
pub mod technicians;
