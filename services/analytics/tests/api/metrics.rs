//! `GET /v1/metrics/...`: events published -> the figures match what was published, per
//! role scope.

use serde_json::Value;
use shared_runtime::auth::Role;

use crate::helpers::{spawn_app, token};
use crate::story;

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

#[tokio::test]
async fn the_summary_counts_what_the_events_said() {
    let app = spawn_app().await;
    story::publish(&app).await;
    let fm = token(Role::FleetManager, "acme", &[]);
    let r = app.get_as("/v1/metrics/summary?days=7", &fm).await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["org"], "acme");
    let fleet = &s["fleet"];
    assert_eq!(fleet["vehicles"], 3);
    assert_eq!(fleet["needing_attention"], 2);
    assert!(close(&fleet["mean_score"], 0.5), "{fleet}");
    let bands: Vec<i64> = fleet["by_band"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["vehicles"].as_i64().unwrap())
        .collect();
    assert_eq!(bands, vec![1, 0, 1, 0, 1]);
    assert_eq!(s["uptime"]["observed_vehicle_days"], 4);
    assert_eq!(s["uptime"]["critical_vehicle_days"], 1);
    assert!(close(&s["uptime"]["ratio"], 0.75));

    let a = &s["alerts"];
    assert_eq!(
        (
            a["created"].as_i64(),
            a["critical"].as_i64(),
            a["warning"].as_i64(),
            a["info"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(1))
    );
    assert_eq!(
        (
            a["acknowledged"].as_i64(),
            a["open"].as_i64(),
            a["escalated"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert!(close(&a["ack_p50_s"], 5400.0), "{a}");
    assert!(close(&a["ack_mean_s"], 5400.0));
    assert!(close(&a["ack_p90_s"], 6840.0));

    let d = &s["decisions"];
    assert_eq!(
        (
            d["total"].as_i64(),
            d["high"].as_i64(),
            d["critical"].as_i64(),
            d["low"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(1))
    );
    assert_eq!(
        (d["fallback_used"].as_i64(), d["escalations"].as_i64()),
        (Some(1), Some(1))
    );
    assert!(close(&d["fallback_rate"], 1.0 / 3.0));

    let p = &s["predictions"];
    assert_eq!(p["predicted"], 4);
    assert_eq!(
        (
            p["failed_as_predicted"].as_i64(),
            p["failed_unpredicted"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            p["avoided"].as_i64(),
            p["recovered"].as_i64(),
            p["open"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert!(close(&p["lead_time_p50_days"], 4.0), "{p}");
    assert!(p["rul_abs_error_p50_days"].as_f64().unwrap().abs() < 1e-3);

    let c = &s["cost_avoided"];
    assert_eq!(c["failures_avoided"], 1);
    assert_eq!(c["repair_estimates"][0]["currency"], "USD");
    assert!(close(&c["repair_estimates"][0]["repair_estimate"], 300.0));
    assert!(c["value"].is_null());
    assert!(c["missing"].as_str().unwrap().contains("breakdown"));

    let v = &s["service"];
    assert_eq!(
        (
            v["proposed"].as_i64(),
            v["scheduled"].as_i64(),
            v["cancelled"].as_i64(),
            v["completed"].as_i64()
        ),
        (Some(1), Some(2), Some(1), Some(1))
    );
    assert!(close(&v["shop_hours"], 3.0), "{v}");
    assert_eq!(
        (
            v["claims_submitted"].as_i64(),
            v["claims_approved"].as_i64(),
            v["claims_rejected"].as_i64(),
            v["claims_flagged"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(1))
    );
    assert!(close(&v["claim_approval_rate"], 0.5));
    assert!(close(&v["approved_amount"], 500.0));

    // The same assessments again change nothing (newest-wins states, recounted rollup);
    // another window, so the answer is not the one served from memory.
    story::republish_health(&app).await;
    let again: Value = app
        .get_as("/v1/metrics/summary?days=9", &fm)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["uptime"], s["uptime"]);
    assert_eq!(again["fleet"], s["fleet"]);
}

#[tokio::test]
async fn each_role_sees_its_scope_and_another_organization_is_not_found() {
    let app = spawn_app().await;
    story::publish(&app).await;
    let summary = |t: String, q: &'static str| {
        let app = &app;
        async move {
            let r = app.get_as(&format!("/v1/metrics/summary{q}"), &t).await;
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (st, all) = summary(token(Role::Admin, "platform", &[]), "").await;
    assert_eq!(st, 200);
    assert_eq!(all["fleet"]["vehicles"], 4);
    assert_eq!(all["alerts"]["created"], 4);
    let (_, globex) = summary(token(Role::Admin, "platform", &[]), "?org=globex").await;
    assert_eq!(
        (
            globex["fleet"]["vehicles"].as_i64(),
            globex["alerts"]["created"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let (_, owner) = summary(token(Role::Owner, "acme", &["v1"]), "?days=7").await;
    assert_eq!(owner["fleet"]["vehicles"], 1);
    assert_eq!(owner["alerts"]["created"], 1);
    assert_eq!(owner["uptime"]["observed_vehicle_days"], 2);
    assert_eq!(owner["predictions"]["failed_unpredicted"], 1);
    for role in [Role::Technician, Role::Support] {
        let (st, s) = summary(token(role, "acme", &[]), "").await;
        assert_eq!((st, s["fleet"]["vehicles"].as_i64()), (200, Some(3)));
    }
    let (foreign, f) = summary(token(Role::FleetManager, "acme", &[]), "?org=globex").await;
    let (unknown, u) = summary(token(Role::FleetManager, "acme", &[]), "?org=nowhere").await;
    assert_eq!((foreign, unknown), (404, 404));
    assert_eq!(f["code"], u["code"]);
    let (bad, b) = summary(token(Role::FleetManager, "acme", &[]), "?days=0").await;
    assert_eq!(bad, 400);
    assert!(b["message"].as_str().unwrap().contains("days"));
    let (extra, _) = summary(token(Role::FleetManager, "acme", &[]), "?colour=red").await;
    assert_eq!(extra, 400);
    let r = app
        .client
        .get(app.url("/v1/metrics/summary"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn series_and_attention_list_follow_the_events() {
    let app = spawn_app().await;
    story::publish(&app).await;
    let fm = token(Role::FleetManager, "acme", &[]);
    let h: Value = app
        .get_as("/v1/metrics/health?days=2", &fm)
        .await
        .json()
        .await
        .unwrap();
    let days = h["days"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    let today = &days[1];
    assert_eq!(
        (
            today["excellent"].as_i64(),
            today["fair"].as_i64(),
            today["critical"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(days[0]["poor"], 1, "v1 was poor yesterday: {h}");

    let a: Value = app
        .get_as("/v1/metrics/alerts?days=2", &fm)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["totals"]["created"], 3);
    let per_day: i64 = a["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            ["info", "warning", "critical", "emergency"]
                .iter()
                .map(|k| d[*k].as_i64().unwrap())
                .sum::<i64>()
        })
        .sum();
    assert_eq!(per_day, 3);

    let list: Value = app
        .get_as("/v1/metrics/attention", &fm)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["vehicles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vehicle_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["v3", "v2"]);
    assert_eq!(list["vehicles"][0]["worst_component"], "brakes");
    let owner: Value = app
        .get_as(
            "/v1/metrics/attention",
            &token(Role::Owner, "acme", &["v2"]),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(owner["vehicles"].as_array().unwrap().len(), 1);
    let r = app.get_as("/v1/metrics/attention?limit=0", &fm).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn per_day_rows_older_than_any_window_are_pruned() {
    let app = spawn_app().await;
    story::publish(&app).await;
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT count(*) FROM metric_vehicle_days) + (SELECT count(*) FROM metric_band_days)",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    let before = count().await;
    assert!(before > 0);
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let kept_old =
        analytics::db::metrics::record::prune_days(&app.db, yesterday - chrono::Duration::days(1))
            .await
            .unwrap();
    assert_eq!(kept_old, 0, "nothing that old");
    let pruned =
        analytics::db::metrics::record::prune_days(&app.db, chrono::Utc::now().date_naive())
            .await
            .unwrap();
    assert!(pruned > 0 && count().await == before - i64::try_from(pruned).unwrap());
    let today: i64 = sqlx::query_scalar("SELECT count(*) FROM metric_vehicle_days")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(today, 4, "today's rows stay (v1, v2, v3, g1)");
}
