//! Pure warranty logic: no HTTP, database or Redis here.

pub mod evidence;
pub mod model;
