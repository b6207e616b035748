//! Pure warranty logic: no HTTP, database or Redis here.

pub mod claim_input;
pub mod claim_status;
pub mod coverage;
pub mod evidence;
pub mod fraud;
pub mod model;
pub mod standard_times;
