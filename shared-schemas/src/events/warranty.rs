//! Events produced by the warranty service: claims and fraud findings.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::health::Component;
use crate::envelope::Event;

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// Amount, in major units of `currency`.
    pub amount: f64,
    /// ISO 4217 currency code, e.g. `USD`.
    pub currency: String,
}

/// The coverage a claim falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Basic: 3 years / 36,000 km, all but wear items.
    Basic,
    /// Powertrain: 5 years / 100,000 km (engine, transmission, drivetrain).
    Powertrain,
    /// Corrosion: 7 years, unlimited km.
    Corrosion,
    /// Extended by contract.
    Extended,
}

/// A warranty claim was filed. `warranty.claim.submitted`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimSubmitted {
    /// The claim's id.
    pub claim_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The vehicle's VIN.
    pub vin: String,
    /// The failed component.
    pub component: Component,
    /// Day of the failure.
    pub failure_date: NaiveDate,
    /// Odometer at failure, km.
    pub odometer_km: f64,
    /// The claimant's description.
    pub description: String,
    /// Estimated repair cost.
    pub cost_estimate: Money,
    /// Number of documents attached.
    pub document_count: u32,
    /// User id of the claimant.
    pub submitted_by: String,
    /// When it was filed.
    pub submitted_at: DateTime<Utc>,
}

impl Event for ClaimSubmitted {
    const TYPE: &'static str = "warranty.claim.submitted";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// A claim was found eligible and approved. `warranty.claim.validated`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimValidated {
    /// The claim.
    pub claim_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The failed component.
    pub component: Component,
    /// The coverage it falls under.
    pub coverage: Coverage,
    /// Approved amount, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_amount: Option<Money>,
    /// Fraud score, 0..1.
    pub fraud_score: f64,
    /// Confidence of the analysis, 0..1.
    pub confidence: f64,
    /// Whether it was approved without human review.
    pub auto_approved: bool,
    /// User id of the reviewer, when a human decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    /// When.
    pub validated_at: DateTime<Utc>,
}

impl Event for ClaimValidated {
    const TYPE: &'static str = "warranty.claim.validated";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// A claim was rejected. `warranty.claim.rejected`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimRejected {
    /// The claim.
    pub claim_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The failed component.
    pub component: Component,
    /// Every reason, e.g. `powertrain coverage expired at 100,000 km`.
    pub reasons: Vec<String>,
    /// Fraud score, 0..1, when the analysis ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraud_score: Option<f64>,
    /// User id of the reviewer, when a human decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    /// When.
    pub rejected_at: DateTime<Utc>,
}

impl Event for ClaimRejected {
    const TYPE: &'static str = "warranty.claim.rejected";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// Kind of fraud signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FraudSignalKind {
    /// Repeated claims for the vehicle or component.
    RepeatClaims,
    /// Filed near the coverage's expiry.
    NearExpiry,
    /// Filed just after the coverage started.
    NearCoverageStart,
    /// Sudden failure with no prior degradation in telemetry.
    NoPriorDegradation,
    /// The owner ignored earlier warnings.
    IgnoredWarnings,
    /// The odometer went backwards.
    OdometerRollback,
    /// The repair shop's claim history.
    ShopHistory,
    /// A regional cluster of similar claims.
    RegionalCluster,
    /// A near-duplicate of another claim (vector similarity).
    NearDuplicate,
    /// Labour billed above the standard time for the job.
    LabourOverStandard,
    /// Parts billed that do not belong to the component's repair.
    PartsInconsistent,
    /// The vehicle sent no readings around the claimed failure.
    NotReporting,
    /// The vehicle kept driving as usual through the claimed breakdown and repair.
    InServiceAtFailure,
}

/// One fraud signal found in a claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FraudSignal {
    /// Kind of signal.
    pub kind: FraudSignalKind,
    /// Its contribution to the fraud score, 0..1.
    pub weight: f64,
    /// Human-readable evidence.
    pub detail: String,
}

/// A claim's fraud score calls for human review (above 0.7). `warranty.fraud.detected`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FraudDetected {
    /// The claim.
    pub claim_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// Fraud score, 0..1.
    pub fraud_score: f64,
    /// Confidence of the analysis, 0..1.
    pub confidence: f64,
    /// The signals found, strongest first.
    pub signals: Vec<FraudSignal>,
    /// When.
    pub detected_at: DateTime<Utc>,
}

impl Event for FraudDetected {
    const TYPE: &'static str = "warranty.fraud.detected";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}
