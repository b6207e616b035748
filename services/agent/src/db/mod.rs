//! Query functions over `agent_db` (runtime-checked queries, bound parameters only).

pub mod decisions;
pub mod reviews;
pub mod stats;
