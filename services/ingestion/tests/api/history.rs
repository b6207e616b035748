//! Latest reading and history, scoped by the caller's token.

use serde_json::Value;
use shared_runtime::auth::Role;

use crate::helpers::{ORG, reading, spawn_app, token};

#[tokio::test]
async fn latest_is_scoped_to_the_callers_vehicles() {
    let app = spawn_app().await;
    for (i, ago) in [30, 10, 20].iter().enumerate() {
        let r = app
            .post_device("/v1/telemetry", &reading("VH-7", &format!("h-{i}"), *ago))
            .await;
        assert_eq!(r.status(), 202);
    }
    app.wait_audited(3).await;
    let path = "/v1/vehicles/VH-7/telemetry/latest";

    let manager = app.get_as(path, &token(Role::FleetManager, ORG, &[])).await;
    assert_eq!(manager.status(), 200);
    let body: Value = manager.json().await.unwrap();
    assert_eq!(
        body["reading"]["reading_id"], "h-1",
        "newest by recorded_at"
    );
    assert_eq!(
        body["reading"]["signals"]["coolant_temp_c"], 88.0,
        "signals by name, though stored as the stream's codes"
    );

    let owner = app.get_as(path, &token(Role::Owner, ORG, &["VH-7"])).await;
    assert_eq!(owner.status(), 200);
    let other_owner = app.get_as(path, &token(Role::Owner, ORG, &["VH-8"])).await;
    assert_eq!(other_owner.status(), 404);
    let other_org = app
        .get_as(path, &token(Role::FleetManager, "globex", &[]))
        .await;
    assert_eq!(other_org.status(), 404);
    let anonymous = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let unknown = app
        .get_as(
            "/v1/vehicles/NOPE/telemetry/latest",
            &token(Role::Admin, "x", &[]),
        )
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn history_pages_in_time_order() {
    let app = spawn_app().await;
    for i in 0..5 {
        let r = app
            .post_device(
                "/v1/telemetry",
                &reading("VH-9", &format!("p-{i}"), 100 - i * 10),
            )
            .await;
        assert_eq!(r.status(), 202);
    }
    app.wait_audited(5).await;
    let admin = token(Role::Admin, "root", &[]);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/v1/vehicles/VH-9/telemetry?limit=2".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app.get_as(&path, &admin).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["reading"]["reading_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["p-0", "p-1", "p-2", "p-3", "p-4"]);

    let bad_cursor = app
        .get_as("/v1/vehicles/VH-9/telemetry?cursor=zzz", &admin)
        .await;
    assert_eq!(bad_cursor.status(), 400);
    let bad_range = app
        .get_as(
            "/v1/vehicles/VH-9/telemetry?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
            &admin,
        )
        .await;
    assert_eq!(bad_range.status(), 400);
    let bad_limit = app
        .get_as("/v1/vehicles/VH-9/telemetry?limit=0", &admin)
        .await;
    assert_eq!(bad_limit.status(), 400);
    let bad_time = app
        .get_as("/v1/vehicles/VH-9/telemetry?from=yesterday", &admin)
        .await;
    assert_eq!(bad_time.status(), 400);
    assert_eq!(
        bad_time.json::<Value>().await.unwrap()["code"],
        "bad_request"
    );
}

#[tokio::test]
async fn daily_use_sums_km_per_day_and_shows_days_off_the_road() {
    let app = spawn_app().await;
    let today = chrono::Utc::now().date_naive();
    let at = |days_ago: i64, hour: u32| {
        (today - chrono::Duration::days(days_ago))
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_utc()
    };
    // Day -5: 1,000 → 1,250 km; day -4 silent; day -3: 1,480; days -2 and -1 parked.
    let points = [
        (5, 6, 1_000.0),
        (5, 18, 1_250.0),
        (3, 9, 1_400.0),
        (3, 17, 1_480.0),
        (2, 12, 1_480.0),
        (1, 12, 1_480.0),
    ];
    for (i, (ago, hour, km)) in points.iter().enumerate() {
        let mut r = reading("VH-4", &format!("d-{i}"), 0);
        r["recorded_at"] = at(*ago, *hour).to_rfc3339().into();
        r["odometer_km"] = (*km).into();
        assert_eq!(app.post_device("/v1/telemetry", &r).await.status(), 202);
    }
    app.wait_audited(points.len() as i64).await;
    let from = today - chrono::Duration::days(4);
    let path = format!("/v1/vehicles/VH-4/telemetry/daily?from={from}&to={today}");
    let manager = token(Role::FleetManager, ORG, &[]);
    let days: Value = app.get_as(&path, &manager).await.json().await.unwrap();
    let got: Vec<(i64, f64)> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let day: chrono::NaiveDate = d["day"].as_str().unwrap().parse().unwrap();
            ((today - day).num_days(), d["distance_km"].as_f64().unwrap())
        })
        .collect();
    // Day -3's distance runs from day -5's last odometer (day -5 is before `from`).
    assert_eq!(got, [(3, 230.0), (2, 0.0), (1, 0.0)]);
    assert_eq!(days[0]["readings"], 2);

    let other_owner = app.get_as(&path, &token(Role::Owner, ORG, &["VH-8"])).await;
    assert_eq!(other_owner.status(), 404);
    let other_org = app
        .get_as(&path, &token(Role::FleetManager, "globex", &[]))
        .await;
    assert_eq!(other_org.status(), 404);
    let backwards = format!("/v1/vehicles/VH-4/telemetry/daily?from={today}&to={from}");
    assert_eq!(app.get_as(&backwards, &manager).await.status(), 400);
    let too_long = "/v1/vehicles/VH-4/telemetry/daily?from=2020-01-01&to=2026-01-01";
    assert_eq!(app.get_as(too_long, &manager).await.status(), 400);
}
