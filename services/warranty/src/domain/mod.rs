//! Pure warranty logic: no HTTP, database or Redis here.

pub mod fraud;
pub mod model;
pub mod standard_times;
