//! The RBAC matrix (docs/rbac.md, `## scheduling`): every operation, every role, from
//! inside and outside its reach, with acme's two centers (the hub is the matrix's
//! center, the depot the "other" one), an appointment and a proposal of acme's
//! `truck-1`, a maintenance plan and a batch plan. Operations that consume what they
//! act on (cancel, no-show, start, complete, approve, commit) get a fresh one per call;
//! bookings take fresh slots, far beyond anything the proposals offer.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::testing::TestClient;
use shared_runtime::testing::app::{publish, wait_until};
use shared_runtime::testing::rbac::{self, Matrix, Param, Request, World};
use shared_schemas::events::{Component, Severity};
use uuid::Uuid;

use crate::helpers::{JWT_SECRET, ORG, TestApp, decision, manager, seed, spawn_app};

pub(crate) const OTHER: &str = "globex";
pub(crate) const VEHICLE: &str = "truck-1";

/// Hands out 30-minute slots at the hub, one after another, two weeks from now.
#[derive(Clone)]
pub(crate) struct Slots {
    base: DateTime<Utc>,
    next: Arc<AtomicI64>,
}

impl Slots {
    pub(crate) fn new() -> Self {
        let base = (Utc::now() + TimeDelta::days(14))
            .duration_trunc(TimeDelta::minutes(30))
            .unwrap();
        Self {
            base,
            next: Arc::new(AtomicI64::new(0)),
        }
    }

    pub(crate) fn take(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        (self.base + TimeDelta::minutes(30 * n)).to_rfc3339()
    }
}

/// A general check of `vehicle` at `center`, booked by acme's fleet manager at the next
/// free slot; returns the appointment id.
pub(crate) async fn book(api: &TestClient, slots: &Slots, vehicle: &str, center: Uuid) -> String {
    book_at(api, &slots.take(), vehicle, center).await
}

/// [`book`] at `starts_at`.
pub(crate) async fn book_at(
    api: &TestClient,
    starts_at: &str,
    vehicle: &str,
    center: Uuid,
) -> String {
    let body = json!({
        "vehicle_id": vehicle, "center_id": center, "starts_at": starts_at,
        "skill": "general", "duration_minutes": 30, "title": "Walk-around check",
    });
    let made = api.post_as("/v1/appointments", &manager(), &body).await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body["id"].as_str().unwrap().to_owned()
}

/// What a fresh proposal needs: the bus to publish a decision on, the database to see
/// its proposal in.
#[derive(Clone)]
struct Proposer {
    redis: shared_runtime::redis_conn::RedisConn,
    keys: shared_runtime::bus::Keys,
    db: sqlx::PgPool,
}

impl Proposer {
    fn of(app: &TestApp) -> Self {
        Self {
            redis: app.redis.clone(),
            keys: app.keys.clone(),
            db: app.db.clone(),
        }
    }

    /// Publishes a medium brakes decision for `truck-1` and returns its proposal's id.
    /// The earlier brakes work still open is settled first (closed), as a repeated
    /// decision about open work proposes nothing new.
    async fn propose(&self) -> String {
        sqlx::query(
            "UPDATE jobs SET status = 'cancelled' WHERE vehicle_id = $1 AND component = 'brakes' \
             AND status IN ('pending', 'proposed', 'booked')",
        )
        .bind(VEHICLE)
        .execute(&self.db)
        .await
        .unwrap();
        let d = decision(VEHICLE, Component::Brakes, Severity::Medium, 10);
        let decision_id = d.payload.decision_id;
        publish(&self.redis, &self.keys, &[d]).await;
        let id: Uuid = wait_until(Duration::from_secs(20), "a proposal", || async {
            sqlx::query_scalar(
                "SELECT p.id FROM proposals p JOIN jobs j ON j.id = p.job_id WHERE j.decision_id = $1",
            )
            .bind(decision_id)
            .fetch_optional(&self.db)
            .await
            .unwrap()
        })
        .await;
        id.to_string()
    }
}

/// A fresh batch plan of acme's.
async fn fresh_plan(api: TestClient) -> Vec<(String, String)> {
    let made = api
        .post_as("/v1/plans/optimize", &manager(), &json!({}))
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    vec![(
        "id".to_owned(),
        made.body["id"].as_str().unwrap().to_owned(),
    )]
}

/// The hub's own fields, as `seed` made them (a PUT keeps it as it is).
fn hub_input() -> Value {
    let all_day: Vec<_> = (0..7)
        .map(|_| json!({"open": "00:00", "close": "24:00"}))
        .collect();
    json!({
        "name": "Hub 24/7", "address": "1 Hub Road", "lat": 41.88, "lon": -87.63,
        "bays": 2, "hours": all_day, "specializations": ["brakes", "aftertreatment"],
        "emergency": true, "rating": 4.6,
    })
}

/// Ana, the hub's brakes technician, as `seed` made her.
fn ana_input() -> Value {
    let round_the_clock: Vec<_> = (0..7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    json!({
        "center_id": "{center_id}", "name": "Ana Brakes", "skills": ["brakes", "general", "tires"],
        "user_id": "user-Ana Brakes", "shifts": round_the_clock,
    })
}

/// `renew` values: `id` is `value`.
fn id_is(value: &str) -> impl Fn() -> std::future::Ready<Vec<(String, String)>> + use<> {
    let value = value.to_owned();
    move || std::future::ready(vec![("id".to_owned(), value.clone())])
}

/// The requests of the matrix: bodies, and fresh slots, appointments, proposals and
/// plans where a call consumes them.
fn requests(api: &TestClient, slots: &Slots, p: &Proposer, hub: Uuid, ids: &Ids) -> Vec<Request> {
    let slot = |s: Slots| move || std::future::ready(vec![("starts_at".to_owned(), s.take())]);
    let fresh = |api: TestClient, s: Slots| {
        move || {
            let (api, s) = (api.clone(), s.clone());
            async move { vec![("id".to_owned(), book(&api, &s, VEHICLE, hub).await)] }
        }
    };
    let reason = json!({"reason": "the driver is on leave"});
    let proposer = p.clone();
    let planner = api.clone();
    vec![
        Request::new(Method::POST, "/v1/appointments")
            .body(json!({
                "org_id": ORG, "vehicle_id": "{vehicle_id}", "center_id": "{center_id}",
                "starts_at": "{starts_at}", "skill": "general", "duration_minutes": 30,
                "title": "Walk-around check",
            }))
            .renew(slot(slots.clone())),
        Request::new(Method::POST, "/v1/appointments/{id}/reschedule")
            .body(json!({"starts_at": "{starts_at}"}))
            .renew(slot(slots.clone())),
        Request::new(Method::POST, "/v1/appointments/{id}/cancel")
            .body(reason.clone())
            .renew(fresh(api.clone(), slots.clone())),
        Request::new(Method::POST, "/v1/appointments/{id}/no-show")
            .body(reason)
            .renew(fresh(api.clone(), slots.clone())),
        Request::new(Method::POST, "/v1/appointments/{id}/start")
            .renew(fresh(api.clone(), slots.clone())),
        Request::new(Method::POST, "/v1/appointments/{id}/complete")
            .body(json!({"labour_hours": 0.5, "notes": "all fine"}))
            .renew(fresh(api.clone(), slots.clone())),
        Request::new(Method::POST, "/v1/appointments/{id}/assign")
            .body(json!({"technician_id": "{technician_id}"})),
        Request::new(Method::GET, "/v1/proposals/{id}").renew(id_is(&ids.proposal)),
        Request::new(Method::POST, "/v1/proposals/{id}/approve")
            .body(json!({"option": 0}))
            .renew(move || {
                let p = proposer.clone();
                async move { vec![("id".to_owned(), p.propose().await)] }
            }),
        Request::new(Method::POST, "/v1/maintenance-plans").body(json!({
            "org_id": ORG, "vehicle_ids": ["{vehicle_id}"], "title": "Oil and filter change",
            "skill": "general", "duration_minutes": 60, "every_days": 90,
        })),
        Request::new(Method::POST, "/v1/maintenance-plans/check").body(json!({"org_id": ORG})),
        Request::new(Method::POST, "/v1/plans/optimize").body(json!({"org_id": ORG})),
        Request::new(Method::GET, "/v1/plans/{id}").renew(id_is(&ids.plan)),
        Request::new(Method::POST, "/v1/plans/{id}/commit")
            .renew(move || fresh_plan(planner.clone())),
        Request::new(Method::POST, "/v1/centers").body(
            json!({"org_id": ORG, "name": "Pop-up bay", "lat": 41.9, "lon": -87.6,
                "bays": 1, "hours": [null, null, null, null, null, null, null]}),
        ),
        Request::new(Method::PUT, "/v1/centers/{center_id}").body(hub_input()),
        Request::new(Method::POST, "/v1/technicians").body(json!({
            "center_id": "{center_id}", "name": "Tia Tires", "skills": ["tires"], "shifts": [],
        })),
        Request::new(Method::PUT, "/v1/technicians/{technician_id}").body(ana_input()),
        Request::new(Method::GET, "/v1/vehicles/{vehicle_id}/booking-options")
            .query(&format!("component=brakes&org_id={ORG}")),
        Request::new(Method::PUT, "/v1/centers/{center_id}/stock/{part}")
            .body(json!({"on_hand": 40, "lead_time_hours": 24.0})),
    ]
}

/// The fixture's ids.
struct Ids {
    appointment: String,
    proposal: String,
    plan: String,
}

#[tokio::test]
async fn every_role_gets_what_the_policy_says() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let api = TestClient::new(app.address.clone());
    let slots = Slots::new();
    let proposer = Proposer::of(&app);
    let plan = fresh_plan(api.clone()).await.remove(0).1;
    let ids = Ids {
        appointment: book(&api, &slots, VEHICLE, s.hub).await,
        proposal: proposer.propose().await,
        plan,
    };
    let made = api
        .post_as(
            "/v1/maintenance-plans",
            &manager(),
            &json!({"vehicle_ids": [VEHICLE], "title": "Inspection", "skill": "general",
                "duration_minutes": 60, "every_days": 180}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let maintenance = made.body[0]["id"].as_str().unwrap().to_owned();

    let first_slot = slots.take();
    let openapi: Value = serde_json::from_str(&scheduling::openapi::json()).unwrap();
    let mint = rbac::hmac_minter(JWT_SECRET);
    let mut world = World::new(ORG, OTHER, VEHICLE, "truck-2");
    world.center = s.hub.to_string();
    world.other_center = s.depot.to_string();
    let matrix = Matrix {
        service: "scheduling",
        client: &api,
        openapi: &openapi,
        mint: &mint,
        world,
        params: vec![
            Param::new("id", &ids.appointment, Uuid::now_v7().to_string()),
            Param::new("vehicle_id", VEHICLE, "NOPE-1"),
            Param::new("center_id", s.hub.to_string(), Uuid::now_v7().to_string()),
            Param::new(
                "technician_id",
                s.hub_techs[0].to_string(),
                Uuid::now_v7().to_string(),
            ),
            Param::new("part", "brake_pad_set", "brake_pad_set"),
            // Not an id: the unknown case keeps the slot (renewed per call anyway).
            Param::new("starts_at", &first_slot, &first_slot),
        ],
        requests: requests(&api, &slots, &proposer, s.hub, &ids),
        private: vec![
            VEHICLE.to_owned(),
            ids.appointment.clone(),
            ids.proposal.clone(),
            ids.plan.clone(),
            maintenance,
        ],
    };
    let report = rbac::check(&matrix).await;
    assert_eq!(report.operations, 33, "{report:?}");
}
