//! The evidence pack: everything a claim was decided on (the claim, its coverage, the
//! vehicle's own record, the fraud analysis, similar claims and the decision), gathered
//! so it can be rendered as one PDF a reviewer, the owner or an auditor can read.

mod canvas;
mod chart;
mod findings;
mod pdf;
mod sections;
mod telemetry;

use chrono::{DateTime, NaiveDate, Utc};

pub use pdf::{render, texts};

use super::model::{Assessment, Claim, Contract, SimilarClaim, VehicleRecord};

/// What a pack is rendered from.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidencePack {
    /// The claim as filed.
    pub claim: Claim,
    /// The vehicle's contract, when one is on record.
    pub contract: Option<Contract>,
    /// The analysis (eligibility, fraud signals, recommendation, reasons).
    pub assessment: Assessment,
    /// The vehicle's own record (health history, alerts, appointments).
    pub record: VehicleRecord,
    /// Telemetry signals of the component over the same months (e.g. DPF differential
    /// pressure), each drawn as its own small chart; empty when none were gathered.
    pub trends: Vec<SignalTrend>,
    /// Near neighbours from the vector index, strongest first.
    pub similar: Vec<SimilarEntry>,
    /// The decision, once made.
    pub decision: Option<Decision>,
}

/// One near-duplicate candidate: the index hit, the claim it points at (when it still
/// exists) and how that claim ended, since the outcome is what makes a match telling.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarEntry {
    /// The hit.
    pub hit: SimilarClaim,
    /// The past claim, when found.
    pub claim: Option<Claim>,
    /// Its final status (`approved`, `rejected`, `paid`, …), if decided.
    pub outcome: Option<String>,
    /// Whether a reviewer confirmed fraud on it.
    pub fraud_confirmed: bool,
}

/// A daily series of one telemetry signal before the failure.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalTrend {
    /// Signal name, e.g. `dpf_diff_pressure`.
    pub name: String,
    /// Unit, e.g. `kPa`.
    pub unit: String,
    /// Daily values, oldest first.
    pub points: Vec<(NaiveDate, f64)>,
}

/// Who decided what, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// `approved`, `rejected`, `needs_review`, `paid`, `closed`…
    pub outcome: String,
    /// The reviewer's user id; `None` = decided automatically.
    pub by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The reviewer's note.
    pub note: Option<String>,
}
