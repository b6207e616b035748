//! The words the warranty service decides with, shared by its parts: a claim as filed,
//! the vehicle's own record, the claim history, eligibility, fraud signals and the
//! assessment. Pure data (serde, no I/O).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{Component, Coverage, FraudSignalKind};
use uuid::Uuid;

/// The repair shop that did (or quotes) the work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairShop {
    /// The shop's id (its dealer or tax number as the claimant gives it).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its region, e.g. `US-IL` (regional clusters).
    pub region: String,
}

/// One part on a claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimPart {
    /// Part name, e.g. `dpf_filter` (the scheduling catalog's names where they exist).
    pub part: String,
    /// Units.
    pub quantity: u32,
    /// Price per unit, in the claim's currency.
    pub unit_price: f64,
}

/// What the repair costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimCost {
    /// Parts.
    pub parts: Vec<ClaimPart>,
    /// Labour, hours.
    pub labour_hours: f64,
    /// Labour rate per hour.
    pub labour_rate: f64,
    /// ISO 4217 code.
    pub currency: String,
}

impl ClaimCost {
    /// Parts plus labour.
    pub fn total(&self) -> f64 {
        let parts: f64 = self
            .parts
            .iter()
            .map(|p| f64::from(p.quantity) * p.unit_price)
            .sum();
        self.labour_hours.mul_add(self.labour_rate, parts)
    }
}

/// A claim as filed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Its id.
    pub id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// VIN (17 characters).
    pub vin: String,
    /// The failed component.
    pub component: Component,
    /// Day of the failure.
    pub failure_date: NaiveDate,
    /// Odometer at failure, km.
    pub odometer_km: f64,
    /// The claimant's description.
    pub description: String,
    /// The shop.
    pub shop: RepairShop,
    /// The cost.
    pub cost: ClaimCost,
    /// User id of the claimant.
    pub submitted_by: String,
    /// When it was filed.
    pub submitted_at: DateTime<Utc>,
}

/// A contract: the coverages of one vehicle from a start date and odometer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// VIN.
    pub vin: String,
    /// When coverage started (delivery).
    pub start_date: NaiveDate,
    /// Odometer then, km.
    pub start_odometer_km: f64,
    /// The coverages and their limits.
    pub terms: Vec<CoverageTerm>,
    /// Deductible per claim, in `currency`.
    pub deductible: f64,
    /// ISO 4217 code.
    pub currency: String,
}

/// One coverage of a contract: how long, how far, what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageTerm {
    /// Which coverage.
    pub coverage: Coverage,
    /// Months from the start date.
    pub months: u32,
    /// Km from the start odometer; `None` = unlimited.
    pub km: Option<f64>,
    /// The components it covers.
    pub components: Vec<Component>,
}

/// Whether and how a claim is covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eligibility {
    /// Covered at the failure date and odometer.
    pub eligible: bool,
    /// The coverage that applies (the one ending last when several do).
    pub coverage: Option<Coverage>,
    /// Why (each reason a sentence, e.g. "powertrain coverage ended at 100,000 km").
    pub reasons: Vec<String>,
    /// Days from coverage start to the failure.
    pub days_since_start: Option<i64>,
    /// Days from the failure to the coverage's end (time).
    pub days_to_end: Option<i64>,
    /// Km left under the coverage at failure; `None` = unlimited.
    pub km_to_limit: Option<f64>,
}

/// One day of the claimed component's health before the failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthPoint {
    /// Day.
    pub day: NaiveDate,
    /// Score, 0..1.
    pub score: f64,
    /// Band (`excellent` … `critical`).
    pub band: String,
    /// Remaining useful life, days, when estimated.
    pub rul_days: Option<f64>,
}

/// An alert on record for the vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Alert id.
    pub alert_id: Uuid,
    /// Component, when it was about one.
    pub component: Option<Component>,
    /// Severity (`info`, `warning`, `critical`, `emergency`).
    pub severity: String,
    /// When raised.
    pub created_at: DateTime<Utc>,
    /// When acknowledged, if ever.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// An appointment on record for the vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentRecord {
    /// Appointment id (`id` in the scheduling service's view).
    #[serde(alias = "id")]
    pub appointment_id: Uuid,
    /// Component, when it was about one.
    pub component: Option<Component>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// `scheduled`, `completed`, `cancelled`, `no_show`…
    pub status: String,
}

/// What the vehicle's own record says (health, alert, scheduling), gathered for a claim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VehicleRecord {
    /// Whether the other services could be asked at all (missing: the signals that need
    /// them are not computed, and the confidence drops).
    pub telemetry_available: bool,
    /// First and last reading known.
    pub first_reading_at: Option<DateTime<Utc>>,
    /// Newest reading.
    pub last_reading_at: Option<DateTime<Utc>>,
    /// Whether readings exist within a day of the failure date.
    pub reporting_at_failure: Option<bool>,
    /// The claimed component's daily health, oldest first, up to the failure date.
    pub component_history: Vec<HealthPoint>,
    /// Odometer from telemetry around the failure date, km.
    pub telemetry_odometer_km: Option<f64>,
    /// Odometer anomalies on record (`rollback`, `jump`, …) with their dates.
    pub odometer_anomalies: Vec<(DateTime<Utc>, String)>,
    /// Alerts about the vehicle.
    pub alerts: Vec<AlertRecord>,
    /// Appointments of the vehicle.
    pub appointments: Vec<AppointmentRecord>,
    /// Distance driven per day in the weeks around the failure, oldest first.
    #[serde(default)]
    pub usage: Vec<DayUsage>,
}

/// How far the vehicle drove on one day (UTC), from its odometer readings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DayUsage {
    /// The day.
    pub day: NaiveDate,
    /// Km driven.
    pub distance_km: f64,
    /// The day's last odometer, km.
    #[serde(default)]
    pub odometer_km: Option<f64>,
}

/// A past claim, for repeat and shop signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastClaim {
    /// Claim id.
    pub claim_id: Uuid,
    /// VIN.
    pub vin: String,
    /// Component.
    pub component: Component,
    /// Failure day.
    pub failure_date: NaiveDate,
    /// Shop id.
    pub shop_id: String,
    /// Final status (`approved`, `rejected`, `paid`, …), if decided.
    pub status: Option<String>,
    /// Whether a reviewer confirmed fraud.
    pub fraud_confirmed: bool,
}

/// A near neighbour from the vector index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarClaim {
    /// Claim id.
    pub claim_id: Uuid,
    /// Similarity, 0..1 (1 = identical).
    pub similarity: f64,
}

/// The claim's context in the warranty service's own records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimHistory {
    /// Earlier claims of the same VIN.
    pub same_vin: Vec<PastClaim>,
    /// Earlier claims of the same shop (any vehicle), with outcomes.
    pub same_shop: Vec<PastClaim>,
    /// Claims of the same component in the shop's region in the last 30 days.
    pub region_recent: u32,
    /// Near neighbours by text and features (other vehicles' claims).
    pub similar: Vec<SimilarClaim>,
}

/// One named, explained fraud signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Which pattern.
    pub kind: FraudSignalKind,
    /// A finer name, e.g. `labour_hours_over_standard`.
    pub name: String,
    /// The measured value (unit in `explanation`).
    pub value: f64,
    /// Its contribution to the score, 0..1.
    pub weight: f64,
    /// In words, with the numbers.
    pub explanation: String,
}

/// What the analysis recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    /// Eligible, score < 0.3 with confidence > 0.9.
    AutoApprove,
    /// A person decides.
    Review,
    /// Not eligible (coverage): rejected without review.
    Reject,
}

/// The analysis of one claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Coverage.
    pub eligibility: Eligibility,
    /// Fraud score, 0..1.
    pub score: f64,
    /// Confidence of the analysis, 0..1 (low without telemetry).
    pub confidence: f64,
    /// Every signal found, strongest first.
    pub signals: Vec<Signal>,
    /// What to do.
    pub recommendation: Recommendation,
    /// The reasons in words, for the decision and the evidence pack.
    pub reasons: Vec<String>,
    /// Feature values the score was computed from (for labels and the benchmark).
    pub features: BTreeMap<String, f64>,
}
