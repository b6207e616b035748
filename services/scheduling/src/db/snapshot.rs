//! The state the booking engine plans on: an organization's active centers with their
//! technicians' concrete shifts and the stock still free, and every active booking
//! that holds a technician, a bay or one of the organization's vehicles.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

use crate::domain::booking::{Busy, CenterSnapshot, Snapshot, TechnicianSnapshot};
use crate::domain::shifts::{self, WeeklyShift};

/// How far ahead shifts are made concrete (the engine's horizon is shorter).
const DAYS_AHEAD: u32 = 42;

#[derive(FromRow)]
struct CenterRow {
    id: Uuid,
    name: String,
    lat: f64,
    lon: f64,
    bays: i32,
    hours: Json<Vec<Option<[i64; 2]>>>,
    emergency: bool,
    rating: f64,
}

#[derive(FromRow)]
struct TechnicianRow {
    id: Uuid,
    center_id: Uuid,
    skills: Vec<String>,
    shifts: Json<Vec<WeeklyShift>>,
    days_off: Vec<chrono::NaiveDate>,
}

#[derive(FromRow)]
struct StockRow {
    center_id: Uuid,
    part: String,
    available: i32,
    lead_time_hours: Option<f64>,
}

#[derive(FromRow)]
struct BusyRow {
    center_id: Uuid,
    technician_id: Uuid,
    vehicle_id: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

/// The snapshot of `org_id` at `now`; `except` leaves one appointment out (the one
/// being rescheduled).
pub async fn load(
    db: &PgPool,
    org_id: &str,
    now: DateTime<Utc>,
    except: Option<Uuid>,
) -> Result<Snapshot, sqlx::Error> {
    let centers: Vec<CenterRow> = sqlx::query_as(
        "SELECT id, name, lat, lon, bays, hours, emergency, rating FROM centers \
         WHERE org_id = $1 AND active ORDER BY name, id",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?;
    let ids: Vec<Uuid> = centers.iter().map(|c| c.id).collect();
    let technicians: Vec<TechnicianRow> = sqlx::query_as(
        "SELECT id, center_id, skills, shifts, days_off FROM technicians \
         WHERE center_id = ANY($1) AND active ORDER BY name, id",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    let stock: Vec<StockRow> = sqlx::query_as(
        "SELECT center_id, part, on_hand - reserved AS available, lead_time_hours FROM stock \
         WHERE center_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    let busy: Vec<BusyRow> = sqlx::query_as(
        "SELECT center_id, technician_id, vehicle_id, starts_at, ends_at FROM appointments \
         WHERE (center_id = ANY($1) OR org_id = $2) AND status IN ('scheduled', 'in_progress') \
           AND ends_at > $3 AND ($4::uuid IS NULL OR id <> $4)",
    )
    .bind(&ids)
    .bind(org_id)
    .bind(now - Duration::days(1))
    .bind(except)
    .fetch_all(db)
    .await?;
    Ok(assemble(now, centers, technicians, stock, busy))
}

fn assemble(
    now: DateTime<Utc>,
    centers: Vec<CenterRow>,
    technicians: Vec<TechnicianRow>,
    stock: Vec<StockRow>,
    busy: Vec<BusyRow>,
) -> Snapshot {
    let from = (now - Duration::days(1)).date_naive();
    let centers = centers
        .into_iter()
        .map(|c| {
            let mut hours = [None; 7];
            for (d, h) in c.hours.0.iter().enumerate().take(7) {
                hours[d] = h.map(|[open, close]| (open, close));
            }
            let mine = stock.iter().filter(|s| s.center_id == c.id);
            CenterSnapshot {
                id: c.id,
                name: c.name,
                lat: c.lat,
                lon: c.lon,
                bays: u32::try_from(c.bays).unwrap_or(1),
                hours,
                emergency: c.emergency,
                rating: c.rating,
                technicians: technicians
                    .iter()
                    .filter(|t| t.center_id == c.id)
                    .map(|t| TechnicianSnapshot {
                        id: t.id,
                        skills: t.skills.clone(),
                        shifts: shifts::concrete(&t.shifts.0, &t.days_off, from, DAYS_AHEAD),
                    })
                    .collect(),
                stock: mine
                    .clone()
                    .map(|s| (s.part.clone(), u32::try_from(s.available).unwrap_or(0)))
                    .collect::<BTreeMap<_, _>>(),
                lead_time_hours: mine
                    .filter_map(|s| s.lead_time_hours.map(|h| (s.part.clone(), h)))
                    .collect(),
            }
        })
        .collect();
    Snapshot {
        now,
        centers,
        busy: busy
            .into_iter()
            .map(|b| Busy {
                center_id: b.center_id,
                technician_id: b.technician_id,
                vehicle_id: b.vehicle_id,
                starts_at: b.starts_at,
                ends_at: b.ends_at,
            })
            .collect(),
    }
}
