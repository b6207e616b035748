//! Maintenance-planning items: what a `plan` decision (routine wear at the vehicle's
//! normal pace) leaves for the fleet manager to schedule, instead of an alert.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{Component, CostRange, DecisionMade};
use utoipa::ToSchema;
use uuid::Uuid;

/// One vehicle component's maintenance to plan, as stored and served. At most one per
/// organization, vehicle and component: the latest `plan` decision on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanningItem {
    /// Id (stable while the item exists; a cursor tie-breaker).
    pub item_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// Component.
    pub component: Component,
    /// The latest `plan` decision on it.
    pub decision_id: Uuid,
    /// What the agent found, e.g. "Routine brake wear: … about 189 days to the limit."
    pub diagnosis: String,
    /// Recommended actions, most important first.
    pub actions: Vec<String>,
    /// The planning window: do the work within this many days of the decision.
    pub within_days: u32,
    /// The end of the planning window (`decided_at` + `within_days`).
    pub plan_by: DateTime<Utc>,
    /// Estimated cost.
    pub estimated_cost: CostRange,
    /// When the decision was made.
    pub decided_at: DateTime<Utc>,
    /// When the item first appeared (kept across newer decisions).
    pub first_seen_at: DateTime<Utc>,
    /// When a decision last updated it.
    pub updated_at: DateTime<Utc>,
}

impl PlanningItem {
    /// The item a `plan` decision makes, first seen `now` (an existing item keeps its id
    /// and first-seen time when it is replaced).
    pub fn from_decision(d: &DecisionMade, now: DateTime<Utc>) -> Self {
        Self {
            item_id: Uuid::now_v7(),
            org_id: d.org_id.clone(),
            vehicle_id: d.vehicle_id.clone(),
            component: d.component,
            decision_id: d.decision_id,
            diagnosis: d.diagnosis.clone(),
            actions: d.recommended_actions.clone(),
            within_days: d.urgency.within_days,
            plan_by: d.decided_at + chrono::Duration::days(i64::from(d.urgency.within_days)),
            estimated_cost: d.estimated_cost.clone(),
            decided_at: d.decided_at,
            first_seen_at: now,
            updated_at: now,
        }
    }

    /// Days from `now` to the end of the planning window, a started day counted whole
    /// (a 30-day window read a minute later is still "within 30 days"); 0 once passed.
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        let secs = (self.plan_by - now).num_seconds().max(0);
        (secs + 86_399) / 86_400
    }
}
