//! Events produced by the health service, and the component/health vocabulary every
//! later stage (agent, alert, scheduling, warranty) shares.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::envelope::Event;
use crate::telemetry::Dtc;

/// A monitored vehicle component (subsystem).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Engine oil and lubrication.
    EngineOil,
    /// Engine cooling.
    Cooling,
    /// Diesel particulate filter.
    Dpf,
    /// Selective catalytic reduction and diesel exhaust fluid.
    ScrDef,
    /// Brakes.
    Brakes,
    /// Battery and charging.
    Battery,
    /// Transmission.
    Transmission,
    /// Tires.
    Tires,
}

impl Component {
    /// Every component, in catalog order.
    pub const ALL: [Self; 8] = [
        Self::EngineOil,
        Self::Cooling,
        Self::Dpf,
        Self::ScrDef,
        Self::Brakes,
        Self::Battery,
        Self::Transmission,
        Self::Tires,
    ];

    /// The wire name, e.g. `scr_def`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EngineOil => "engine_oil",
            Self::Cooling => "cooling",
            Self::Dpf => "dpf",
            Self::ScrDef => "scr_def",
            Self::Brakes => "brakes",
            Self::Battery => "battery",
            Self::Transmission => "transmission",
            Self::Tires => "tires",
        }
    }
}

/// Health band of a score. Ordered from best to worst, so `a < b` means `a` is healthier.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum HealthBand {
    /// Score 0.8 to 1.
    Excellent,
    /// Score 0.6 to under 0.8.
    Good,
    /// Score 0.4 to under 0.6.
    Fair,
    /// Score 0.2 to under 0.4.
    Poor,
    /// Score under 0.2.
    Critical,
}

impl HealthBand {
    /// The band of a 0..1 health score; a boundary belongs to the better band (0.8 is
    /// excellent). A NaN score is treated as critical.
    pub fn from_score(score: f64) -> Self {
        if score >= 0.8 {
            Self::Excellent
        } else if score >= 0.6 {
            Self::Good
        } else if score >= 0.4 {
            Self::Fair
        } else if score >= 0.2 {
            Self::Poor
        } else {
            Self::Critical
        }
    }

    /// The wire name, e.g. `poor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Excellent => "excellent",
            Self::Good => "good",
            Self::Fair => "fair",
            Self::Poor => "poor",
            Self::Critical => "critical",
        }
    }
}

/// Whether a `vehicle.health.changed` event is covered by a `component.degraded` or
/// `component.critical` event the health service published for the same transition
/// (it publishes them together when a change enters the poor or critical band). The
/// covered change gets no decision of its own: the condition event's decision is the
/// one for that transition.
pub fn change_is_covered(previous: HealthBand, current: HealthBand) -> bool {
    (previous < HealthBand::Poor && current >= HealthBand::Poor)
        || (previous < HealthBand::Critical && current == HealthBand::Critical)
}

/// Whether a `component.degraded` event is covered by a `component.critical` event of
/// the same transition (a jump straight into the critical band raises both).
pub fn degraded_is_covered(band: HealthBand) -> bool {
    band == HealthBand::Critical
}

/// One indicator that contributed to a component's score. The optional fields carry,
/// as numbers, what `detail` says in words, so consumers never parse the text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct Factor {
    /// Indicator name, e.g. `soot_load_pct` or `failed_regen_count`.
    pub name: String,
    /// The indicator's value (in the unit its name carries).
    pub value: f64,
    /// Signed contribution to the score: negative lowers it.
    pub impact: f64,
    /// Human-readable explanation, e.g. `soot load 78 % (regeneration due at 80 %)`.
    pub detail: String,
    /// The way of failing the factor is about, e.g. `coolant_cold` or `tire_rl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// The vehicle's healthy baseline, in the value's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// The failure limit, in the value's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    /// How far the part is from its baseline towards the limit: 0 at the baseline, 1 at
    /// the limit, above 1 past it (not clamped, unlike `impact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damage: Option<f64>,
    /// For a trend (`value` per day): the slope's t-statistic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_stat: Option<f64>,
    /// For the trend of a part that wears in normal use (brake pads): its pace over
    /// this vehicle's own normal pace; absent while that pace is still being learned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace_ratio: Option<f64>,
    /// For a trend: whether the health engine judges it a fault (`false`: normal wear,
    /// or not yet significant). Only an abnormal trend is evidence of a fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abnormal: Option<bool>,
}

impl Factor {
    /// Whether the factor is a part's trend (`<part>_trend_per_day`), not its state.
    pub fn is_trend(&self) -> bool {
        self.name.ends_with("_trend_per_day")
    }

    /// The damage of the part whose state this factor reports (0 at its baseline, 1 at
    /// its limit; from the impact when the producer gave no damage): none for a trend
    /// or a value that is not finite.
    pub fn part_damage(&self) -> Option<f64> {
        (!self.is_trend() && self.value.is_finite())
            .then(|| self.damage.unwrap_or(-self.impact).max(0.0))
    }
}

/// Health of one component of one vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct ComponentHealth {
    /// The component.
    pub component: Component,
    /// Health score, 0 (failed) to 1 (as new).
    pub score: f64,
    /// Band of `score`.
    pub band: HealthBand,
    /// Remaining useful life, days.
    pub rul_days: f64,
    /// Remaining useful life, km (from the vehicle's recent daily distance); absent when
    /// the vehicle has no recent distance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rul_km: Option<f64>,
    /// The 80 % interval of `rul_days`, days: `[low, high]`, from the model's errors on
    /// simulated failures it was not trained on. Absent when no failure is foreseen
    /// (the RUL is the horizon) or the model has no interval calibration; it holds if
    /// the fault is real (a false alarm has no time to failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rul_interval_days: Option<[f64; 2]>,
    /// Confidence in score and RUL, 0..1.
    pub confidence: f64,
    /// The indicators behind the score, most influential first.
    #[serde(default)]
    pub factors: Vec<Factor>,
    /// Version of the model (or rule set) that computed it.
    pub model_version: String,
}

/// A component the vehicle reports signals of, but whose health its readings cannot
/// judge: the operating conditions its indicators need never occurred (a battery never
/// rested, an engine never known to be warm). It has no score, band or RUL, and raises
/// no condition event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct ComponentUnknown {
    /// The component.
    pub component: Component,
    /// What evidence its assessment needs, in words.
    pub needs: String,
}

/// Health of every component was computed from a reading. `vehicle.health.computed`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HealthComputed {
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// When the health was computed.
    pub computed_at: DateTime<Utc>,
    /// Per-component health.
    pub components: Vec<ComponentHealth>,
    /// Components reported but not judged: unknown (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<ComponentUnknown>,
    /// Overall vehicle score, 0..1 (of the judged components).
    pub overall_score: f64,
    /// Band of `overall_score`.
    pub overall_band: HealthBand,
}

impl Event for HealthComputed {
    const TYPE: &'static str = "vehicle.health.computed";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// Why a health change was significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// The score moved into another band (up or down).
    BandCrossed,
    /// The score dropped by more than the threshold within its band.
    ScoreDropped,
}

/// A component's health changed significantly. `vehicle.health.changed`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HealthChanged {
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The component.
    pub component: Component,
    /// Score before the change.
    pub previous_score: f64,
    /// Band before the change.
    pub previous_band: HealthBand,
    /// Score now.
    pub current_score: f64,
    /// Band now.
    pub current_band: HealthBand,
    /// Remaining useful life now, days.
    pub rul_days: f64,
    /// Why the change is significant.
    pub reason: ChangeReason,
    /// When the change was detected.
    pub detected_at: DateTime<Utc>,
}

impl Event for HealthChanged {
    const TYPE: &'static str = "vehicle.health.changed";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// Declares a component-condition event: both carry the same fields.
macro_rules! component_condition_event {
    ($(#[$doc:meta])* $name:ident, $wire:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
        pub struct $name {
            /// Organization (fleet) the vehicle belongs to: the scope of the event.
            pub org_id: String,
            /// The vehicle.
            pub vehicle_id: String,
            /// The component.
            pub component: Component,
            /// Health score, 0..1.
            pub score: f64,
            /// Band of `score`.
            pub band: HealthBand,
            /// Remaining useful life, days.
            pub rul_days: f64,
            /// Remaining useful life, km, when the vehicle has a recent daily distance.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub rul_km: Option<f64>,
            /// The 80 % interval of `rul_days`, `[low, high]` days, when the engine gives
            /// one (see `ComponentHealth::rul_interval_days`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub rul_interval_days: Option<[f64; 2]>,
            /// Confidence in score and RUL, 0..1.
            pub confidence: f64,
            /// The indicators behind the score, most influential first.
            #[serde(default)]
            pub factors: Vec<Factor>,
            /// Active diagnostic trouble codes related to the vehicle, if any.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub dtcs: Vec<Dtc>,
            /// Odometer at detection, km, when known.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub odometer_km: Option<f64>,
            /// When the condition was detected.
            pub detected_at: DateTime<Utc>,
        }

        impl Event for $name {
            const TYPE: &'static str = $wire;
            const VERSION: u32 = 1;
            fn vehicle_id(&self) -> &str {
                &self.vehicle_id
            }
        }
    };
}

component_condition_event!(
    /// A component's score crossed into the poor band. `component.degraded`, v1.
    ComponentDegraded,
    "component.degraded"
);

component_condition_event!(
    /// A component's score crossed into the critical band. `component.critical`, v1.
    ComponentCritical,
    "component.critical"
);

/// The same condition under the other event type (the fields are the same).
macro_rules! convert_condition {
    ($from:ident => $to:ident) => {
        impl From<$from> for $to {
            fn from(e: $from) -> Self {
                Self {
                    org_id: e.org_id,
                    vehicle_id: e.vehicle_id,
                    component: e.component,
                    score: e.score,
                    band: e.band,
                    rul_days: e.rul_days,
                    rul_km: e.rul_km,
                    rul_interval_days: e.rul_interval_days,
                    confidence: e.confidence,
                    factors: e.factors,
                    dtcs: e.dtcs,
                    odometer_km: e.odometer_km,
                    detected_at: e.detected_at,
                }
            }
        }
    };
}

convert_condition!(ComponentDegraded => ComponentCritical);

impl ComponentDegraded {
    /// The condition of vehicle `vehicle_id` (of `org_id`) whose component health is
    /// `h` at `detected_at`, with the vehicle's active codes and odometer then.
    pub fn of(
        org_id: &str,
        vehicle_id: &str,
        h: &ComponentHealth,
        dtcs: Vec<Dtc>,
        odometer_km: Option<f64>,
        detected_at: DateTime<Utc>,
    ) -> Self {
        Self {
            org_id: org_id.to_owned(),
            vehicle_id: vehicle_id.to_owned(),
            component: h.component,
            score: h.score,
            band: h.band,
            rul_days: h.rul_days,
            rul_km: h.rul_km,
            rul_interval_days: h.rul_interval_days,
            confidence: h.confidence,
            factors: h.factors.clone(),
            dtcs,
            odometer_km,
            detected_at,
        }
    }
}
convert_condition!(ComponentCritical => ComponentDegraded);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_damage_is_read_from_states_not_trends() {
        let state = |damage, impact, value| Factor {
            name: "oil_pressure_kpa".into(),
            value,
            impact,
            damage,
            ..Factor::default()
        };
        assert_eq!(state(Some(0.4), -0.9, 180.0).part_damage(), Some(0.4));
        assert_eq!(state(None, -0.3, 180.0).part_damage(), Some(0.3));
        assert_eq!(state(None, 0.2, 180.0).part_damage(), Some(0.0));
        assert_eq!(state(Some(0.4), -0.4, f64::NAN).part_damage(), None);
        let trend = Factor {
            name: "oil_pressure_trend_per_day".into(),
            ..state(Some(0.4), -0.4, 1.0)
        };
        assert!(trend.is_trend());
        assert_eq!(trend.part_damage(), None);
    }

    #[test]
    fn a_condition_converts_both_ways_without_losing_a_field() {
        let degraded = ComponentDegraded {
            org_id: "acme".into(),
            vehicle_id: "VH-1".into(),
            component: Component::Dpf,
            score: 0.15,
            band: HealthBand::Critical,
            rul_days: 2.5,
            rul_km: Some(900.0),
            rul_interval_days: None,
            confidence: 0.8,
            factors: Vec::new(),
            dtcs: vec![Dtc::Obd {
                code: "P2463".into(),
            }],
            odometer_km: Some(120_000.0),
            detected_at: DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
        };
        let critical = ComponentCritical::from(degraded.clone());
        assert_eq!(
            serde_json::to_value(&critical).unwrap(),
            serde_json::to_value(&degraded).unwrap()
        );
        assert_eq!(ComponentDegraded::from(critical), degraded);
    }

    #[test]
    fn bands_at_boundaries() {
        let cases = [
            (1.0, HealthBand::Excellent),
            (0.8, HealthBand::Excellent),
            (0.799_999, HealthBand::Good),
            (0.6, HealthBand::Good),
            (0.599_999, HealthBand::Fair),
            (0.4, HealthBand::Fair),
            (0.399_999, HealthBand::Poor),
            (0.2, HealthBand::Poor),
            (0.199_999, HealthBand::Critical),
            (0.0, HealthBand::Critical),
            (f64::NAN, HealthBand::Critical),
        ];
        for (score, band) in cases {
            assert_eq!(HealthBand::from_score(score), band, "score {score}");
        }
        assert!(HealthBand::Good < HealthBand::Poor);
    }

    #[test]
    fn wire_names_match_serde() {
        for c in Component::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for b in [
            HealthBand::Excellent,
            HealthBand::Good,
            HealthBand::Fair,
            HealthBand::Poor,
            HealthBand::Critical,
        ] {
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str());
        }
    }
}
