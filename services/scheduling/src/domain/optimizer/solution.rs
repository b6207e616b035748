//! The solution JSON of SPEC section 3.

use serde::{Deserialize, Serialize};

/// A schedule: each job assigned once or listed as unassigned.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Solution {
    pub assignments: Vec<Assignment>,
    pub unassigned: Vec<String>,
    /// Our own value of the objective; readers ignore it (SPEC section 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<f64>,
}

/// One booked job. `start_minute` is an integer and `parts_from_stock` a boolean:
/// serde refuses `450.0` or `"true"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub job: String,
    pub center: String,
    pub technician: String,
    pub start_minute: i64,
    pub parts_from_stock: bool,
}
