//! The `appointments` and `work_orders` tables. Booking takes a free bay and the
//! parts in the caller's transaction; the exclusion constraints refuse a technician,
//! bay or vehicle already taken, which [`BookError::Taken`] reports.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use super::wire;
use crate::domain::appointment::{Appointment, AppointmentStatus, WorkOrder};
use crate::domain::booking::Slot;
use crate::domain::job::Job;

/// Why a booking did not commit.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// The slot (or its parts) went to someone else.
    #[error("{0}")]
    Taken(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What the caller asks to book.
#[derive(Debug)]
pub struct Booking<'a> {
    /// The appointment's id.
    pub id: Uuid,
    /// The job.
    pub job: &'a Job,
    /// Where and when.
    pub slot: &'a Slot,
    /// The proposal it was chosen from.
    pub proposal_id: Option<Uuid>,
    /// Who booked it.
    pub booked_by: Option<&'a str>,
    /// Booked without asking.
    pub auto_booked: bool,
}

/// Books `b` in the caller's transaction: a free bay, the parts from stock, the row.
pub async fn book(conn: &mut PgConnection, b: &Booking<'_>) -> Result<i32, BookError> {
    let bay = free_bay(conn, b.slot).await?;
    let reserved = if b.slot.parts_from_stock {
        reserve(conn, b.slot.center_id, &b.job.parts).await?;
        b.job.parts.clone()
    } else {
        BTreeMap::new()
    };
    let result = sqlx::query(
        "INSERT INTO appointments (id, job_id, org_id, vehicle_id, center_id, technician_id, bay, \
           proposal_id, starts_at, ends_at, auto_booked, parts_from_stock, reserved_parts, booked_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(b.id)
    .bind(b.job.id)
    .bind(&b.job.org_id)
    .bind(&b.job.vehicle_id)
    .bind(b.slot.center_id)
    .bind(b.slot.technician_id)
    .bind(bay)
    .bind(b.proposal_id)
    .bind(b.slot.starts_at)
    .bind(b.slot.ends_at)
    .bind(b.auto_booked)
    .bind(b.slot.parts_from_stock)
    .bind(Json(&reserved))
    .bind(b.booked_by)
    .execute(conn)
    .await;
    match result {
        Ok(_) => Ok(bay),
        Err(e) => Err(taken(e)),
    }
}

/// An exclusion or uniqueness violation as [`BookError::Taken`], naming what was taken.
pub(crate) fn taken(e: sqlx::Error) -> BookError {
    let Some(db) = e.as_database_error() else {
        return BookError::Db(e);
    };
    // Two bookings inserting overlapping rows at once each wait on the other's
    // exclusion check; PostgreSQL aborts one (40P01, deadlock detected). That one lost
    // the race for the slot as surely as after the other's commit.
    if db.code().as_deref() == Some("40P01") {
        return BookError::Taken("another booking took the slot at the same moment".to_owned());
    }
    let what = match db.constraint() {
        Some("technician_free") => "the technician is booked at that time",
        Some("bay_free") => "every bay of the center is booked at that time",
        Some("vehicle_free") => "the vehicle has another appointment at that time",
        Some("appointments_one_per_job") => "the work is booked already",
        _ => return BookError::Db(e),
    };
    BookError::Taken(what.to_owned())
}

/// The lowest bay of the slot's center free over the slot.
async fn free_bay(conn: &mut PgConnection, slot: &Slot) -> Result<i32, BookError> {
    let bay: Option<i32> = sqlx::query_scalar(
        "SELECT b FROM centers c, generate_series(1, c.bays) AS b \
         WHERE c.id = $1 AND NOT EXISTS ( \
           SELECT 1 FROM appointments a WHERE a.center_id = c.id AND a.bay = b \
             AND a.status IN ('scheduled', 'in_progress') \
             AND tstzrange(a.starts_at, a.ends_at) && tstzrange($2, $3)) \
         ORDER BY b LIMIT 1",
    )
    .bind(slot.center_id)
    .bind(slot.starts_at)
    .bind(slot.ends_at)
    .fetch_optional(conn)
    .await?;
    bay.ok_or_else(|| BookError::Taken("every bay of the center is booked at that time".into()))
}

/// Holds `parts` from the center's stock; fails naming the first part short.
pub(crate) async fn reserve(
    conn: &mut PgConnection,
    center_id: Uuid,
    parts: &BTreeMap<String, u32>,
) -> Result<(), BookError> {
    for (part, qty) in parts {
        let n = sqlx::query(
            "UPDATE stock SET reserved = reserved + $3, updated_at = now() \
             WHERE center_id = $1 AND part = $2 AND on_hand - reserved >= $3",
        )
        .bind(center_id)
        .bind(part)
        .bind(i32::try_from(*qty).unwrap_or(i32::MAX))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(BookError::Taken(format!(
                "{part} is no longer in stock at that center"
            )));
        }
    }
    Ok(())
}

/// Gives back what an appointment held from stock.
pub async fn release(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE stock s SET reserved = GREATEST(0, s.reserved - r.q::int), updated_at = now() \
         FROM appointments a, jsonb_each_text(a.reserved_parts) AS r(part, q) \
         WHERE a.id = $1 AND s.center_id = a.center_id AND s.part = r.part",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE appointments SET reserved_parts = '{}' WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets an appointment's status (and cancellation reason).
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: AppointmentStatus,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE appointments SET status = $2, cancel_reason = COALESCE($3, cancel_reason), \
           updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves an appointment to `slot` (the caller released its parts and reserves anew);
/// one more revision.
pub async fn move_to(
    conn: &mut PgConnection,
    id: Uuid,
    slot: &Slot,
    reserved: &BTreeMap<String, u32>,
) -> Result<(), BookError> {
    let bay = free_bay(conn, slot).await?;
    sqlx::query(
        "UPDATE appointments SET center_id = $2, technician_id = $3, bay = $4, starts_at = $5, \
           ends_at = $6, parts_from_stock = $7, reserved_parts = $8, sequence = sequence + 1, \
           updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(slot.center_id)
    .bind(slot.technician_id)
    .bind(bay)
    .bind(slot.starts_at)
    .bind(slot.ends_at)
    .bind(slot.parts_from_stock)
    .bind(Json(reserved))
    .execute(conn)
    .await
    .map_err(taken)?;
    Ok(())
}

#[derive(FromRow)]
struct Row {
    id: Uuid,
    job_id: Uuid,
    org_id: String,
    vehicle_id: String,
    center_id: Uuid,
    center_name: String,
    center_address: String,
    technician_id: Uuid,
    technician_name: String,
    bay: i32,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    status: String,
    kind: String,
    component: Option<String>,
    severity: String,
    title: String,
    due_at: DateTime<Utc>,
    auto_booked: bool,
    parts_from_stock: bool,
    reserved_parts: Json<BTreeMap<String, u32>>,
    sequence: i32,
    decision_id: Option<Uuid>,
    proposal_id: Option<Uuid>,
    booked_by: Option<String>,
    cancel_reason: Option<String>,
    created_at: DateTime<Utc>,
    wo_exists: bool,
    wo_technician_id: Option<Uuid>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    labour_hours: Option<f64>,
    parts_used: Option<Json<BTreeMap<String, u32>>>,
    components: Option<Vec<String>>,
    cost: Option<f64>,
    currency: Option<String>,
    notes: Option<String>,
    odometer_km: Option<f64>,
    engine_hours: Option<f64>,
}

macro_rules! select_appointments {
    () => {
        "SELECT a.id, a.job_id, a.org_id, a.vehicle_id, a.center_id, \
      c.name AS center_name, c.address AS center_address, a.technician_id, \
      t.name AS technician_name, a.bay, a.starts_at, a.ends_at, a.status, j.kind, j.component, \
      j.severity, j.title, j.due_at, a.auto_booked, a.parts_from_stock, a.reserved_parts, \
      a.sequence, j.decision_id, a.proposal_id, a.booked_by, a.cancel_reason, a.created_at, \
      w.appointment_id IS NOT NULL AS wo_exists, w.technician_id AS wo_technician_id, \
      w.started_at, w.completed_at, w.labour_hours, w.parts_used, w.components, w.cost, \
      w.currency, w.notes, w.odometer_km, w.engine_hours \
    FROM appointments a JOIN jobs j ON j.id = a.job_id JOIN centers c ON c.id = a.center_id \
      JOIN technicians t ON t.id = a.technician_id \
      LEFT JOIN work_orders w ON w.appointment_id = a.id"
    };
}

impl TryFrom<Row> for Appointment {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<Self, sqlx::Error> {
        let work_order = r.wo_exists.then(|| WorkOrder {
            technician_id: r.wo_technician_id,
            started_at: r.started_at,
            completed_at: r.completed_at,
            labour_hours: r.labour_hours,
            parts_used: r.parts_used.map(|p| p.0).unwrap_or_default(),
            components: r.components.unwrap_or_default(),
            cost: r.cost,
            currency: r.currency,
            notes: r.notes,
            odometer_km: r.odometer_km,
            engine_hours: r.engine_hours,
        });
        Ok(Self {
            id: r.id,
            job_id: r.job_id,
            org_id: r.org_id,
            vehicle_id: r.vehicle_id,
            center_id: r.center_id,
            center_name: r.center_name,
            center_address: r.center_address,
            technician_id: r.technician_id,
            technician_name: r.technician_name,
            bay: r.bay,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            status: wire(&r.status)?,
            kind: wire(&r.kind)?,
            component: r.component.as_deref().map(wire).transpose()?,
            severity: wire(&r.severity)?,
            title: r.title,
            due_at: r.due_at,
            auto_booked: r.auto_booked,
            parts_from_stock: r.parts_from_stock,
            reserved_parts: r.reserved_parts.0,
            sequence: r.sequence,
            decision_id: r.decision_id,
            proposal_id: r.proposal_id,
            booked_by: r.booked_by,
            cancel_reason: r.cancel_reason,
            created_at: r.created_at,
            work_order,
        })
    }
}

/// One appointment.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Appointment>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(concat!(select_appointments!(), " WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(Appointment::try_from).transpose()
}

/// Which appointments to list.
#[derive(Debug, Default)]
pub struct Filter {
    /// Organization (none: every one).
    pub org_id: Option<String>,
    /// Only these vehicles (none: any).
    pub vehicle_ids: Option<Vec<String>>,
    /// Only these centers (none: any).
    pub center_ids: Option<Vec<Uuid>>,
    /// Only these statuses (none: any).
    pub statuses: Option<Vec<String>>,
    /// Starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub to: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: i64,
}

/// Appointments matching `f`, by start.
pub async fn list(db: &PgPool, f: &Filter) -> Result<Vec<Appointment>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        select_appointments!(),
        " WHERE ($1::text IS NULL OR a.org_id = $1) \
           AND ($2::text[] IS NULL OR a.vehicle_id = ANY($2)) \
           AND ($3::uuid[] IS NULL OR a.center_id = ANY($3)) \
           AND ($4::text[] IS NULL OR a.status = ANY($4)) \
           AND ($5::timestamptz IS NULL OR a.starts_at >= $5) \
           AND ($6::timestamptz IS NULL OR a.starts_at < $6) \
         ORDER BY a.starts_at, a.id LIMIT $7"
    ))
    .bind(&f.org_id)
    .bind(&f.vehicle_ids)
    .bind(&f.center_ids)
    .bind(&f.statuses)
    .bind(f.from)
    .bind(f.to)
    .bind(f.limit)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(Appointment::try_from).collect()
}

/// What a technician records on finishing.
#[derive(Debug)]
pub struct Completion<'a> {
    /// Who did it.
    pub technician_id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Labour hours.
    pub labour_hours: Option<f64>,
    /// Parts used.
    pub parts_used: &'a BTreeMap<String, u32>,
    /// Components serviced.
    pub components: &'a [String],
    /// Cost and currency.
    pub cost: Option<(f64, &'a str)>,
    /// Notes.
    pub notes: Option<&'a str>,
    /// Counters at service.
    pub odometer_km: Option<f64>,
    /// Engine hours at service.
    pub engine_hours: Option<f64>,
}

/// Opens the work order of an appointment (started now by `technician_id`).
pub async fn start_work(
    conn: &mut PgConnection,
    id: Uuid,
    technician_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO work_orders (appointment_id, technician_id, started_at) VALUES ($1, $2, $3) \
         ON CONFLICT (appointment_id) DO UPDATE SET technician_id = $2, \
           started_at = COALESCE(work_orders.started_at, $3)",
    )
    .bind(id)
    .bind(technician_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Closes the work order: what was done, and the parts taken from stock.
pub async fn complete_work(
    conn: &mut PgConnection,
    a: &Appointment,
    c: &Completion<'_>,
) -> Result<(), sqlx::Error> {
    start_work(conn, a.id, c.technician_id, c.at).await?;
    sqlx::query(
        "UPDATE work_orders SET completed_at = $2, labour_hours = $3, parts_used = $4, \
           components = $5, cost = $6, currency = $7, notes = $8, odometer_km = $9, \
           engine_hours = $10 WHERE appointment_id = $1",
    )
    .bind(a.id)
    .bind(c.at)
    .bind(c.labour_hours)
    .bind(Json(c.parts_used))
    .bind(c.components)
    .bind(c.cost.map(|x| x.0))
    .bind(c.cost.map(|x| x.1))
    .bind(c.notes)
    .bind(c.odometer_km)
    .bind(c.engine_hours)
    .execute(&mut *conn)
    .await?;
    consume_stock(conn, a, c.parts_used).await
}

/// Stock after the work: what the booking held is used; parts used beyond it come off
/// what is free on the shelf (ordered parts were bought for the job, not shelved).
async fn consume_stock(
    conn: &mut PgConnection,
    a: &Appointment,
    used: &BTreeMap<String, u32>,
) -> Result<(), sqlx::Error> {
    let mut parts: BTreeMap<&str, (i32, i32)> = BTreeMap::new();
    for (p, q) in &a.reserved_parts {
        parts.entry(p).or_default().0 = i32::try_from(*q).unwrap_or(0);
    }
    if a.parts_from_stock {
        for (p, q) in used {
            parts.entry(p).or_default().1 = i32::try_from(*q).unwrap_or(0);
        }
    }
    for (part, (held, used)) in parts {
        sqlx::query(
            "UPDATE stock SET reserved = GREATEST(0, reserved - $3), \
               on_hand = GREATEST(on_hand - GREATEST($3, LEAST($4, on_hand - reserved + $3)), \
                                  reserved - $3), updated_at = now() \
             WHERE center_id = $1 AND part = $2",
        )
        .bind(a.center_id)
        .bind(part)
        .bind(held)
        .bind(used)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE appointments SET reserved_parts = '{}' WHERE id = $1")
        .bind(a.id)
        .execute(conn)
        .await?;
    Ok(())
}
