//! Pure warranty logic: no HTTP, database or Redis here.

pub mod evidence;
pub mod claim_input;
pub mod claim_status;
pub mod coverage;
pub mod model;
