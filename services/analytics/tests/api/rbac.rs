//! The RBAC matrix (docs/rbac.md, `## analytics`): every operation, every role, from
//! inside and outside its reach. Its callers are real accounts (one per role,
//! organization, vehicles and centers), so "one's own" account, sessions and report
//! schedules are called for real. acme has two vehicles with health, alerts and audit
//! entries (the owner's, and one no token names), globex a vehicle of its own; the
//! owner has a report schedule.

use std::time::Duration;

use analytics::db;
use analytics::domain::account::User;
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::TestClient;
use shared_runtime::testing::rbac::{
    self, Caller, Case, Matrix, Param, ROLES, Request, World, role_name,
};
use shared_schemas::events::{AlertSeverity, Component};
use shared_schemas::{Event, EventEnvelope};
use uuid::Uuid;

use crate::helpers::{JWT_SECRET, ORG, TestApp, spawn_app};
use crate::story;

const OTHER: &str = "globex";
const ACME_VEHICLE: &str = "ACME-TRUCK-0042";
/// A vehicle of acme's that no token names (foreign tokens name `ACME_VEHICLE`, like a
/// stale token, and `/v1/auth/me` shows a token's claims): only acme's fleet-wide
/// callers may see it.
const ACME_FLEET_VEHICLE: &str = "ACME-TRUCK-0099";
const GLOBEX_VEHICLE: &str = "GLOBEX-TRUCK-0007";
/// The owner's body of `POST /v1/report-schedules`.
const WEEKLY: &str = r#"{"kind": "fleet_health", "frequency": "weekly"}"#;

/// The account of a matrix caller: the same claims always name the same account.
fn account_id(c: &Caller) -> Uuid {
    let key = format!(
        "{}|{}|{}|{}",
        role_name(c.role),
        c.org,
        c.vehicle_ids.join(","),
        c.center_ids.join(",")
    );
    Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes())
}

/// Signs a caller's token (development HMAC secret) with its account's id as the
/// subject; a service keeps its name (it is not an account).
fn minter() -> impl Fn(&Caller) -> String + Send + Sync {
    let sign = rbac::hmac_minter(JWT_SECRET);
    move |c: &Caller| {
        let mut c = c.clone();
        if c.role != Role::Service {
            c.sub = account_id(&c).to_string();
        }
        sign(&c)
    }
}

/// The account every matrix caller of a user role stands for.
fn account(c: &Caller) -> User {
    let id = account_id(c);
    let role = role_name(c.role);
    User {
        id,
        email: format!("{role}.{}@rbac.test", id.simple()),
        name: format!("Matrix {role}"),
        role: c.role,
        org_id: c.org.clone(),
        vehicle_ids: if c.role == Role::Owner {
            c.vehicle_ids.clone()
        } else {
            Vec::new()
        },
        center_ids: if c.role == Role::Technician {
            c.center_ids.clone()
        } else {
            Vec::new()
        },
        disabled: false,
        has_password: false,
        created_at: Utc::now(),
    }
}

/// acme and globex, and the accounts of every caller the matrix makes; returns the
/// own owner's account.
async fn accounts(app: &TestApp, world: &World) -> User {
    db::orgs::insert(&app.db, ORG, "Acme Haulage")
        .await
        .unwrap();
    db::orgs::insert(&app.db, OTHER, "Globex Freight")
        .await
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    for role in ROLES.into_iter().filter(|r| *r != Role::Service) {
        for case in [Case::Own, Case::Other, Case::Foreign] {
            let user = account(&Caller::of(world, role, case));
            assert!(db::users::insert(&mut tx, &user, None).await.unwrap());
        }
    }
    tx.commit().await.unwrap();
    account(&Caller::of(world, Role::Owner, Case::Own))
}

fn env<P: Event>(payload: P) -> EventEnvelope<P> {
    EventEnvelope::new("test", Uuid::now_v7(), payload)
}

/// acme's two vehicles and globex's one, each assessed poor (needing attention) and
/// with an alert; waits until the metrics and the audit have them.
async fn fleet(app: &TestApp) {
    let now = Utc::now();
    let vehicles = [
        (ORG, ACME_VEHICLE),
        (ORG, ACME_FLEET_VEHICLE),
        (OTHER, GLOBEX_VEHICLE),
    ];
    let assessed: Vec<_> = vehicles
        .iter()
        .map(|(org, v)| env(story::computed(org, v, now, &[(Component::Dpf, 0.3)])))
        .collect();
    app.publish(&assessed).await;
    let alerts: Vec<_> = vehicles
        .iter()
        .map(|(org, v)| env(story::alert(org, v, AlertSeverity::Critical, now)))
        .collect();
    app.publish(&alerts).await;
    let mut metrics: Vec<&str> = analytics::events::metrics::EVENT_TYPES.to_vec();
    metrics.push(analytics::events::metrics::HEALTH_TYPE);
    let wait = Duration::from_secs(30);
    app.wait_caught_up(story::GROUP, &metrics, wait).await;
    let audit = analytics::events::audit::event_types();
    app.wait_caught_up(analytics::events::audit::GROUP, &audit, wait)
        .await;
}

/// A fresh report schedule of the own owner's (a deletion consumes one).
async fn schedule(api: TestClient, owner: String) -> Vec<(String, String)> {
    let body: Value = serde_json::from_str(WEEKLY).unwrap();
    let created = api.post_as("/v1/report-schedules", &owner, &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    vec![("id".to_owned(), id)]
}

/// A renewal: `name` is a fresh value made by `make` from a new UUID (an email, an
/// organization id), as a creation consumes its value.
fn fresh(
    name: &'static str,
    make: fn(&str) -> String,
) -> impl Fn() -> std::future::Ready<Vec<(String, String)>> + Send + Sync + 'static {
    move || {
        let value = make(&Uuid::now_v7().simple().to_string());
        std::future::ready(vec![(name.to_owned(), value)])
    }
}

/// The queries, bodies and renewals of the operations that need them.
fn requests(api: &TestClient, owner: &str) -> Vec<Request> {
    let (api, owner) = (api.clone(), owner.to_owned());
    vec![
        Request::new(Method::POST, "/v1/orgs")
            .body(json!({"id": "{new_org}", "name": "Initech Logistics"}))
            .renew(fresh("new_org", |u| format!("org-{u}"))),
        Request::new(Method::POST, "/v1/report-schedules")
            .body(serde_json::from_str(WEEKLY).unwrap()),
        Request::new(Method::DELETE, "/v1/report-schedules/{id}")
            .renew(move || schedule(api.clone(), owner.clone())),
        Request::new(Method::GET, "/v1/reports/{kind}").query("format=csv"),
        Request::new(Method::POST, "/v1/users")
            .body(json!({
                "email": "{email}", "name": "Nina New", "role": "support", "org_id": "{org_id}",
            }))
            .renew(fresh("email", |u| format!("nina.{u}@acme.test"))),
        Request::new(Method::PATCH, "/v1/users/{user_id}").body(json!({"name": "Olivia Owner"})),
    ]
}

#[tokio::test]
async fn every_role_gets_what_the_policy_says() {
    let app = spawn_app().await;
    let world = World::new(ORG, OTHER, ACME_VEHICLE, "ACME-TRUCK-0043");
    let owner = accounts(&app, &world).await;
    fleet(&app).await;
    let api = TestClient::new(app.address.clone());
    let mint = minter();
    let owner_token = mint(&Caller::of(&world, Role::Owner, Case::Own));
    let first = schedule(api.clone(), owner_token.clone()).await;
    // The fixture is there to be hidden: acme's own callers see it.
    let manager = mint(&Caller::of(&world, Role::FleetManager, Case::Own));
    for path in ["/v1/metrics/attention", "/v1/audit"] {
        let seen = api.get_as(path, &manager).await;
        assert!(
            seen.body.to_string().contains(ACME_FLEET_VEHICLE),
            "{path}: {}",
            seen.body
        );
    }

    let openapi: Value = serde_json::from_str(&analytics::openapi::json()).unwrap();
    let matrix = Matrix {
        service: "analytics",
        client: &api,
        openapi: &openapi,
        mint: &mint,
        world,
        params: vec![
            Param::new("user_id", owner.id.to_string(), Uuid::new_v4().to_string()),
            Param::new("id", &first[0].1, Uuid::new_v4().to_string()),
            Param::new("kind", "fleet_health", "fleet_health"),
            Param::new("org_id", ORG, "nowhere-org"),
        ],
        requests: requests(&api, &owner_token),
        private: vec![
            ACME_FLEET_VEHICLE.to_owned(),
            owner.id.to_string(),
            owner.email.clone(),
            first[0].1.clone(),
        ],
    };
    let report = rbac::check(&matrix).await;
    assert_eq!(report.operations, 27, "{report:?}");
}
