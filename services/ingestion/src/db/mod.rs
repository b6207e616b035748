//! Query functions over `ingestion_db` (runtime-checked queries, bound parameters only).

pub mod device_keys;
pub mod readings;
pub mod vehicles;
