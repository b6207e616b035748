//! The RBAC matrix (docs/rbac.md, `## agent`): every operation, every role, from
//! inside and outside its reach, with the real health service assessing a vehicle of
//! acme's and one of globex's.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::bus::Keys;
use shared_runtime::redis_conn::RedisConn;
use shared_runtime::testing::TestClient;
use shared_runtime::testing::app::{publish, wait_until};
use shared_runtime::testing::rbac::{self, Matrix, Param, Request, World};
use shared_schemas::events::Component;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{JWT_SECRET, ORG, bare_degraded, envelope, token};
use crate::tenancy::{ACME_VEHICLE, GLOBEX_VEHICLE, OTHER, orchestrate, two_fleets};

/// A new escalated decision about acme's vehicle (weak evidence), with its open review:
/// `("decision_id", id)`.
async fn escalated(redis: RedisConn, keys: Keys, db: PgPool) -> Vec<(String, String)> {
    let e = envelope(bare_degraded(ACME_VEHICLE, Component::Brakes));
    publish(&redis, &keys, std::slice::from_ref(&e)).await;
    let id: Uuid = wait_until(Duration::from_secs(20), "an escalated decision", || async {
        sqlx::query_scalar(
            "SELECT r.decision_id FROM reviews r JOIN decisions d USING (decision_id)
             WHERE d.trigger_event_id = $1",
        )
        .bind(e.event_id)
        .fetch_optional(&db)
        .await
        .unwrap()
    })
    .await;
    vec![("decision_id".to_owned(), id.to_string())]
}

#[tokio::test]
async fn every_role_gets_what_the_policy_says() {
    let (app, _health) = two_fleets().await;
    let api = TestClient::new(app.address.clone());
    let acme = token(Role::FleetManager, ORG, &[]);
    let decided = api
        .post_as("/v1/orchestrate", &acme, &orchestrate(ACME_VEHICLE, None))
        .await;
    assert_eq!(decided.status, 201, "{}", decided.body);
    // The decisions' operations take any decision; the reviews' need an escalated one,
    // and confirming or overriding closes it: a new one for each call.
    let (redis, keys, db) = (app.redis.clone(), app.keys.clone(), app.db.clone());
    let fresh = move || escalated(redis.clone(), keys.clone(), db.clone());
    let decision_id = fresh().await.remove(0).1;

    let openapi: Value = serde_json::from_str(&agent::openapi::json()).unwrap();
    let mint = rbac::hmac_minter(JWT_SECRET);
    let matrix = Matrix {
        service: "agent",
        client: &api,
        openapi: &openapi,
        mint: &mint,
        world: World::new(ORG, OTHER, ACME_VEHICLE, "VH-000003"),
        params: vec![
            Param::new("vehicle_id", ACME_VEHICLE, "NOPE-1"),
            Param::new("decision_id", &decision_id, Uuid::now_v7().to_string()),
        ],
        // With `rul_days`, which only a health service that is down makes the agent
        // use: it must not turn a foreign or unknown vehicle into a decision.
        requests: vec![
            Request::new(Method::POST, "/v1/orchestrate").body(
                json!({"vehicle_id": "{vehicle_id}", "component": "brakes", "rul_days": 10.0}),
            ),
            Request::new(Method::POST, "/v1/reviews/{decision_id}/confirm")
                .body(json!({"note": "seen it"}))
                .renew(fresh.clone()),
            Request::new(Method::POST, "/v1/reviews/{decision_id}/override")
                .body(json!({"severity": "critical", "note": "pads gone"}))
                .renew(fresh),
        ],
        private: vec![ACME_VEHICLE.to_owned(), decision_id],
    };
    let report = rbac::check(&matrix).await;
    assert_eq!(report.operations, 10, "{report:?}");
    // Nothing was decided under globex about acme's vehicle or the unknown one.
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM decisions WHERE org_id = $1 AND vehicle_id <> $2")
            .bind(OTHER)
            .bind(GLOBEX_VEHICLE)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(count, 0);
}
