//! The `planning_items` table.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::listing::{Page, Scope, scope_condition};
use crate::domain::planning::PlanningItem;
use shared_schemas::events::CostRange;

macro_rules! columns {
    () => {
        "item_id, org_id, vehicle_id, component, decision_id, diagnosis, actions, within_days, \
         plan_by, cost_min, cost_max, currency, decided_at, first_seen_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    item_id: Uuid,
    org_id: String,
    vehicle_id: String,
    component: String,
    decision_id: Uuid,
    diagnosis: String,
    actions: Vec<String>,
    within_days: i32,
    plan_by: DateTime<Utc>,
    cost_min: f64,
    cost_max: f64,
    currency: String,
    decided_at: DateTime<Utc>,
    first_seen_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_item(self) -> Result<PlanningItem, sqlx::Error> {
        let component = serde_json::from_value(serde_json::Value::String(self.component.clone()))
            .map_err(|_| {
            sqlx::Error::Decode(format!("planning_items.component {:?}", self.component).into())
        })?;
        Ok(PlanningItem {
            item_id: self.item_id,
            org_id: self.org_id,
            vehicle_id: self.vehicle_id,
            component,
            decision_id: self.decision_id,
            diagnosis: self.diagnosis,
            actions: self.actions,
            within_days: u32::try_from(self.within_days).unwrap_or(0),
            plan_by: self.plan_by,
            estimated_cost: CostRange {
                min: self.cost_min,
                max: self.cost_max,
                currency: self.currency,
            },
            decided_at: self.decided_at,
            first_seen_at: self.first_seen_at,
            updated_at: self.updated_at,
        })
    }
}

fn all(rows: Vec<Row>) -> Result<Vec<PlanningItem>, sqlx::Error> {
    rows.into_iter().map(Row::into_item).collect()
}

/// Creates the item of its organization, vehicle and component, or replaces the
/// decision in it (keeping its id and first-seen time). A decision older than the one
/// already there changes nothing (a late redelivery); `false` then.
pub async fn upsert(conn: &mut PgConnection, i: &PlanningItem) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO planning_items (item_id, org_id, vehicle_id, component, decision_id,
             diagnosis, actions, within_days, plan_by, cost_min, cost_max, currency, decided_at,
             first_seen_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (org_id, vehicle_id, component) DO UPDATE SET
             decision_id = EXCLUDED.decision_id, diagnosis = EXCLUDED.diagnosis,
             actions = EXCLUDED.actions, within_days = EXCLUDED.within_days,
             plan_by = EXCLUDED.plan_by, cost_min = EXCLUDED.cost_min,
             cost_max = EXCLUDED.cost_max, currency = EXCLUDED.currency,
             decided_at = EXCLUDED.decided_at, updated_at = EXCLUDED.updated_at
         WHERE planning_items.decided_at <= EXCLUDED.decided_at",
    )
    .bind(i.item_id)
    .bind(&i.org_id)
    .bind(&i.vehicle_id)
    .bind(i.component.as_str())
    .bind(i.decision_id)
    .bind(&i.diagnosis)
    .bind(&i.actions)
    .bind(i32::try_from(i.within_days).unwrap_or(i32::MAX))
    .bind(i.plan_by)
    .bind(i.estimated_cost.min)
    .bind(i.estimated_cost.max)
    .bind(&i.estimated_cost.currency)
    .bind(i.decided_at)
    .bind(i.first_seen_at)
    .bind(i.updated_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Removes the item of a vehicle's component unless a newer decision made it (a late
/// redelivery must not remove what a later `plan` decision left); `true` when removed.
pub async fn remove(
    conn: &mut PgConnection,
    org_id: &str,
    vehicle_id: &str,
    component: &str,
    decided_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "DELETE FROM planning_items
         WHERE org_id = $1 AND vehicle_id = $2 AND component = $3 AND decided_at <= $4",
    )
    .bind(org_id)
    .bind(vehicle_id)
    .bind(component)
    .bind(decided_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Every item of an organization, soonest end of the planning window first.
pub async fn of_org(
    conn: &mut PgConnection,
    org_id: &str,
) -> Result<Vec<PlanningItem>, sqlx::Error> {
    all(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM planning_items WHERE org_id = $1 ORDER BY plan_by, vehicle_id, component"
    ))
    .bind(org_id)
    .fetch_all(conn)
    .await?)
}

/// A list filter; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Whose items.
    pub scope: Scope<'a>,
    /// One component.
    pub component: Option<&'a str>,
    /// Keyset on (updated_at, item_id).
    pub page: Page,
}

/// Items matching `f`, most recently updated first.
pub async fn list(pool: &PgPool, f: &Filter<'_>) -> Result<Vec<PlanningItem>, sqlx::Error> {
    let query = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM planning_items WHERE ",
        scope_condition!(),
        "
           AND ($4::text IS NULL OR component = $4)
           AND ($5::timestamptz IS NULL OR (updated_at, item_id) < ($5, $6))
         ORDER BY updated_at DESC, item_id DESC
         LIMIT $7"
    ));
    let query = f.scope.bind(query).bind(f.component);
    all(f.page.bind(query).fetch_all(pool).await?)
}

/// Drops every planning item of a vehicle in one organization (it moved away).
pub async fn remove_vehicle(
    pool: &PgPool,
    org_id: &str,
    vehicle_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM planning_items WHERE org_id = $1 AND vehicle_id = $2")
            .bind(org_id)
            .bind(vehicle_id)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
