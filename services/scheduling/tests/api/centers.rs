//! Centers, technicians and stock over REST: create, list, replace; the 400s naming the
//! field; organizations kept apart; technicians and owners limited to what they may see.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared_runtime::auth::{Claims, Jwt, Role};
use shared_runtime::config::Secret;

use crate::helpers::{JWT_SECRET, ORG, TestApp, spawn_app, token};

fn manager() -> String {
    token(Role::FleetManager, ORG, &[])
}

/// A technician's token for `centers` of `org`.
fn technician_token(org: &str, centers: &[&str]) -> String {
    let mut claims = Claims::new("tech-1", Role::Technician, org, chrono::Duration::hours(1));
    claims.center_ids = centers.iter().map(|c| (*c).to_owned()).collect();
    Jwt::new(&Secret::new(JWT_SECRET))
        .issue(&claims)
        .expect("a technician token")
}

/// Weekdays 07:00-19:00, Saturday 08:00-12:30, Sunday closed.
fn center_body(name: &str) -> Value {
    let weekday = json!({"open": "07:00", "close": "19:00"});
    json!({
        "name": name,
        "address": "1 Depot Road",
        "lat": 52.52,
        "lon": 13.405,
        "bays": 3,
        "hours": [weekday, weekday, weekday, weekday, weekday,
                  {"open": "08:00", "close": "12:30"}, null],
        "specializations": ["engine", "aftertreatment"],
        "emergency": true,
        "rating": 4.5
    })
}

fn technician_body(center_id: &str) -> Value {
    json!({
        "center_id": center_id,
        "name": "Tess Tech",
        "email": "tess@acme.test",
        "user_id": "user-tess",
        "skills": ["engine", "brakes"],
        "shifts": [
            {"weekday": 0, "start": "07:00", "end": "15:00"},
            {"weekday": 4, "start": "22:00", "end": "24:00"},
            {"weekday": 5, "start": "00:00", "end": "06:00"}
        ],
        "days_off": ["2026-12-24"]
    })
}

async fn json_of(response: reqwest::Response, expected: StatusCode) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, expected, "{body}");
    body
}

async fn create_center(app: &TestApp, token: &str, body: &Value) -> Value {
    json_of(
        app.post_as("/v1/centers", token, body).await,
        StatusCode::CREATED,
    )
    .await
}

/// The 400's message for `body` posted to `path`.
async fn refused(app: &TestApp, method: reqwest::Method, path: &str, body: &Value) -> String {
    let request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(manager());
    let response = request.json(body).send().await.expect("an answer");
    let body = json_of(response, StatusCode::BAD_REQUEST).await;
    body["message"].as_str().expect("a message").to_owned()
}

#[tokio::test]
async fn centers_are_created_listed_read_and_replaced() {
    let app = spawn_app().await;
    let created = create_center(&app, &manager(), &center_body("North")).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    let uuid: uuid::Uuid = id.parse().expect("a UUID");
    assert_eq!(uuid.get_version_num(), 7);
    assert_eq!(created["org_id"], ORG);
    assert_eq!(
        created["hours"][5],
        json!({"open": "08:00", "close": "12:30"})
    );
    assert_eq!(created["hours"][6], Value::Null);
    assert_eq!(created["active"], true);

    let stored: Value = sqlx::query_scalar("SELECT hours FROM centers WHERE id = $1")
        .bind(uuid)
        .fetch_one(&app.db)
        .await
        .expect("the stored hours");
    let day = json!([420, 1140]);
    assert_eq!(stored, json!([day, day, day, day, day, [480, 750], null]));

    let mut quiet = center_body("South");
    quiet["emergency"] = json!(false);
    create_center(&app, &manager(), &quiet).await;
    let all = json_of(app.get_as("/v1/centers", &manager()).await, StatusCode::OK).await;
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["North", "South"]);
    let emergency = json_of(
        app.get_as("/v1/centers?emergency=true", &manager()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(emergency.as_array().unwrap().len(), 1);
    assert_eq!(emergency[0]["id"], id.as_str());

    let path = format!("/v1/centers/{id}");
    assert_eq!(
        json_of(app.get_as(&path, &manager()).await, StatusCode::OK).await,
        created
    );

    let mut replaced = center_body("North (retired)");
    replaced["active"] = json!(false);
    replaced["hours"][6] = json!({"open": "10:00", "close": "24:00"});
    replaced["specializations"] = json!([]);
    let after = json_of(
        app.put_as(&path, &manager(), &replaced).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["id"], id.as_str());
    assert_eq!(after["active"], false);
    assert_eq!(after["name"], "North (retired)");
    assert_eq!(
        after["hours"][6],
        json!({"open": "10:00", "close": "24:00"})
    );
    assert_eq!(after["specializations"], json!([]));
    assert_eq!(after["created_at"], created["created_at"]);
    assert_eq!(
        json_of(app.get_as(&path, &manager()).await, StatusCode::OK).await,
        after
    );
}

#[tokio::test]
async fn admins_name_the_organization_and_others_keep_to_theirs() {
    let app = spawn_app().await;
    let admin = token(Role::Admin, "platform", &[]);
    let message = refused_as(&app, &admin, &center_body("X")).await;
    assert!(message.contains("org_id"), "{message}");
    let mut body = center_body("Globex depot");
    body["org_id"] = json!("globex");
    let created = create_center(&app, &admin, &body).await;
    assert_eq!(created["org_id"], "globex");

    let response = app.post_as("/v1/centers", &manager(), &body).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let support = token(Role::Support, ORG, &[]);
    let response = app
        .post_as("/v1/centers", &support, &center_body("Y"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn refused_as(app: &TestApp, token: &str, body: &Value) -> String {
    let body = json_of(
        app.post_as("/v1/centers", token, body).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    body["message"].as_str().expect("a message").to_owned()
}

#[tokio::test]
async fn bad_centers_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let post = reqwest::Method::POST;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("hours", json!(vec![Value::Null; 6]), "7 entries"),
        (
            "hours",
            json!([{"open": "19:00", "close": "07:00"}, null, null, null, null, null, null]),
            "before",
        ),
        (
            "hours",
            json!([{"open": "07:00", "close": "07:00"}, null, null, null, null, null, null]),
            "before",
        ),
        (
            "hours",
            json!([null, {"open": "07:15", "close": "19:00"}, null, null, null, null, null]),
            "grid",
        ),
        (
            "hours",
            json!([null, {"open": "7am", "close": "19:00"}, null, null, null, null, null]),
            "hours[1]",
        ),
        ("specializations", json!(["welding"]), "specializations[0]"),
        ("lat", json!(91.0), "lat"),
        ("lon", json!(-181.0), "lon"),
        ("bays", json!(0), "bays"),
        ("rating", json!(5.5), "rating"),
        ("name", json!(" "), "name"),
        ("colour", json!("red"), "colour"),
    ];
    for (field, value, expected) in cases {
        let mut body = center_body("Bad");
        body[field] = value;
        let message = refused(&app, post.clone(), "/v1/centers", &body).await;
        assert!(message.contains(expected), "{field}: {message}");
    }
    let listed = json_of(app.get_as("/v1/centers", &manager()).await, StatusCode::OK).await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn another_organization_sees_nothing_of_a_center() {
    let app = spawn_app().await;
    let center = create_center(&app, &manager(), &center_body("Acme north")).await;
    let id = center["id"].as_str().unwrap();
    let other = token(Role::FleetManager, "globex", &[]);

    let listed = json_of(app.get_as("/v1/centers", &other).await, StatusCode::OK).await;
    assert_eq!(listed, json!([]));
    for path in [
        format!("/v1/centers/{id}"),
        format!("/v1/centers/{id}/stock"),
    ] {
        let response = app.get_as(&path, &other).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = app
        .put_as(&format!("/v1/centers/{id}"), &other, &center_body("Mine"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .put_as(
            &format!("/v1/centers/{id}/stock/oil"),
            &other,
            &json!({"on_hand": 1}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .post_as("/v1/technicians", &other, &technician_body(id))
        .await;
    let body = json_of(response, StatusCode::BAD_REQUEST).await;
    assert!(
        body["message"].as_str().unwrap().contains("center_id"),
        "{body}"
    );
    let response = app.get_as("/v1/centers?org_id=acme", &other).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let unknown = uuid::Uuid::now_v7();
    let response = app
        .get_as(&format!("/v1/centers/{unknown}"), &manager())
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn technicians_are_created_listed_and_replaced() {
    let app = spawn_app().await;
    let north = create_center(&app, &manager(), &center_body("North")).await;
    let south = create_center(&app, &manager(), &center_body("South")).await;
    let north_id = north["id"].as_str().unwrap();
    let south_id = south["id"].as_str().unwrap();

    let tess = json_of(
        app.post_as("/v1/technicians", &manager(), &technician_body(north_id))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(tess["org_id"], ORG);
    assert_eq!(tess["center_id"], north_id);
    assert_eq!(tess["days_off"], json!(["2026-12-24"]));
    assert_eq!(
        tess["shifts"][1],
        json!({"weekday": 4, "start": "22:00", "end": "24:00"})
    );
    let tess_id: uuid::Uuid = tess["id"].as_str().unwrap().parse().unwrap();
    let stored: Value = sqlx::query_scalar("SELECT shifts FROM technicians WHERE id = $1")
        .bind(tess_id)
        .fetch_one(&app.db)
        .await
        .expect("the stored shifts");
    assert_eq!(
        stored,
        json!([
            {"weekday": 0, "start_minute": 420, "end_minute": 900},
            {"weekday": 4, "start_minute": 1320, "end_minute": 1440},
            {"weekday": 5, "start_minute": 0, "end_minute": 360}
        ])
    );

    let mut sam = technician_body(south_id);
    sam["name"] = json!("Sam");
    sam["email"] = Value::Null;
    json_of(
        app.post_as("/v1/technicians", &manager(), &sam).await,
        StatusCode::CREATED,
    )
    .await;
    let all = json_of(
        app.get_as("/v1/technicians", &manager()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let at_north = json_of(
        app.get_as(&format!("/v1/technicians?center_id={north_id}"), &manager())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(at_north, json!([tess.clone()]));

    let mut moved = technician_body(south_id);
    moved["skills"] = json!(["electrical"]);
    moved["active"] = json!(false);
    let path = format!("/v1/technicians/{tess_id}");
    let after = json_of(app.put_as(&path, &manager(), &moved).await, StatusCode::OK).await;
    assert_eq!(after["center_id"], south_id);
    assert_eq!(after["skills"], json!(["electrical"]));
    assert_eq!(after["active"], false);
    assert_eq!(
        json_of(app.get_as(&path, &manager()).await, StatusCode::OK).await,
        after
    );
}

#[tokio::test]
async fn bad_technicians_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let center = create_center(&app, &manager(), &center_body("North")).await;
    let id = center["id"].as_str().unwrap();
    let shift = |d: u8, s: &str, e: &str| json!({"weekday": d, "start": s, "end": e});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "shifts",
            json!([shift(0, "07:00", "15:00"), shift(0, "14:30", "20:00")]),
            "overlap",
        ),
        ("shifts", json!([shift(0, "07:10", "15:00")]), "grid"),
        ("shifts", json!([shift(0, "22:00", "06:00")]), "shifts[0]"),
        ("shifts", json!([shift(7, "07:00", "15:00")]), "weekday"),
        ("skills", json!(["welding"]), "skills[0]"),
        ("skills", json!([]), "skills"),
        ("days_off", json!(["2026-13-01"]), "days_off[0]"),
        ("email", json!("not-an-email"), "email"),
        ("center_id", json!(uuid::Uuid::now_v7()), "center_id"),
        ("center_id", json!("north"), "center_id"),
        ("pay", json!(10), "pay"),
    ];
    for (field, value, expected) in cases {
        let mut body = technician_body(id);
        body[field] = value;
        let message = refused(&app, reqwest::Method::POST, "/v1/technicians", &body).await;
        assert!(message.contains(expected), "{field}: {message}");
    }
}

/// Two centers of acme, `Mine` and `Theirs`, each with a technician and oil filters.
async fn two_staffed_centers(app: &TestApp) -> (String, String) {
    let mut ids = Vec::new();
    for name in ["Mine", "Theirs"] {
        let center = create_center(app, &manager(), &center_body(name)).await;
        let id = center["id"].as_str().expect("an id").to_owned();
        let response = app
            .post_as("/v1/technicians", &manager(), &technician_body(&id))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let path = format!("/v1/centers/{id}/stock/oil_filter");
        let level = json!({"on_hand": 4, "lead_time_hours": 24});
        let response = app.put_as(&path, &manager(), &level).await;
        assert_eq!(response.status(), StatusCode::OK);
        ids.push(id);
    }
    let theirs = ids.pop().expect("two centers");
    (ids.pop().expect("two centers"), theirs)
}

#[tokio::test]
async fn technicians_see_only_their_own_centers_and_change_nothing() {
    let app = spawn_app().await;
    let (mine, theirs) = two_staffed_centers(&app).await;
    let tech = technician_token(ORG, &[&mine]);
    let centers = json_of(app.get_as("/v1/centers", &tech).await, StatusCode::OK).await;
    assert_eq!(centers.as_array().unwrap().len(), 1);
    assert_eq!(centers[0]["id"], mine.as_str());
    let techs = json_of(app.get_as("/v1/technicians", &tech).await, StatusCode::OK).await;
    assert_eq!(techs.as_array().unwrap().len(), 1);
    assert_eq!(techs[0]["center_id"], mine.as_str());
    let stock = json_of(
        app.get_as(&format!("/v1/centers/{mine}/stock"), &tech)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stock[0]["part"], "oil_filter");
    for path in [
        format!("/v1/centers/{theirs}"),
        format!("/v1/centers/{theirs}/stock"),
    ] {
        assert_eq!(
            app.get_as(&path, &tech).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let response = app
        .post_as("/v1/centers", &tech, &center_body("Nope"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let path = format!("/v1/centers/{mine}/stock/oil_filter");
    let response = app.put_as(&path, &tech, &json!({"on_hand": 9})).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The same center ids in another organization's token open nothing.
    let foreign = technician_token("globex", &[&mine]);
    let response = app.get_as(&format!("/v1/centers/{mine}"), &foreign).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn owners_see_centers_only_and_support_reads_everything() {
    let app = spawn_app().await;
    let (mine, theirs) = two_staffed_centers(&app).await;
    let owner = token(Role::Owner, ORG, &["V1"]);
    let centers = json_of(app.get_as("/v1/centers", &owner).await, StatusCode::OK).await;
    assert_eq!(centers.as_array().unwrap().len(), 2);
    let response = app.get_as(&format!("/v1/centers/{theirs}"), &owner).await;
    assert_eq!(response.status(), StatusCode::OK);
    for path in [
        "/v1/technicians".to_owned(),
        format!("/v1/centers/{mine}/stock"),
    ] {
        assert_eq!(
            app.get_as(&path, &owner).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let support = token(Role::Support, ORG, &[]);
    let techs = json_of(
        app.get_as("/v1/technicians", &support).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(techs.as_array().unwrap().len(), 2);
    let response = app
        .get_as(&format!("/v1/centers/{theirs}/stock"), &support)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .put_as(&format!("/v1/centers/{mine}"), &support, &center_body("X"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn stock_is_set_listed_and_kept_above_what_bookings_hold() {
    let app = spawn_app().await;
    let center = create_center(&app, &manager(), &center_body("North")).await;
    let id = center["id"].as_str().unwrap();
    let path = |part: &str| format!("/v1/centers/{id}/stock/{part}");

    let dpf = json_of(
        app.put_as(
            &path("dpf_filter"),
            &manager(),
            &json!({"on_hand": 3, "lead_time_hours": 48.0}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        dpf,
        json!({"part": "dpf_filter", "on_hand": 3, "reserved": 0, "available": 3, "lead_time_hours": 48.0})
    );
    let oil = json!({"on_hand": 0, "lead_time_hours": null});
    json_of(
        app.put_as(&path("brake-pads"), &manager(), &oil).await,
        StatusCode::OK,
    )
    .await;
    let listed = json_of(
        app.get_as(&format!("/v1/centers/{id}/stock"), &manager())
            .await,
        StatusCode::OK,
    )
    .await;
    let parts: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["brake-pads", "dpf_filter"]);
    assert_eq!(listed[0]["lead_time_hours"], Value::Null);

    let center_id: uuid::Uuid = id.parse().unwrap();
    sqlx::query("UPDATE stock SET reserved = 2 WHERE center_id = $1 AND part = 'dpf_filter'")
        .bind(center_id)
        .execute(&app.db)
        .await
        .expect("reserve two");
    let response = app
        .put_as(
            &path("dpf_filter"),
            &manager(),
            &json!({"on_hand": 1, "lead_time_hours": 48.0}),
        )
        .await;
    let body = json_of(response, StatusCode::CONFLICT).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("2 of part dpf_filter are reserved"),
        "{body}"
    );
    let kept = json_of(
        app.put_as(
            &path("dpf_filter"),
            &manager(),
            &json!({"on_hand": 2, "lead_time_hours": 12.5}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["available"], 0);
    assert_eq!(kept["reserved"], 2);
    assert_eq!(kept["lead_time_hours"], 12.5);
}

#[tokio::test]
async fn bad_stock_levels_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let center = create_center(&app, &manager(), &center_body("North")).await;
    let id = center["id"].as_str().expect("an id");
    let path = |part: &str| format!("/v1/centers/{id}/stock/{part}");
    let put = reqwest::Method::PUT;
    for (part, body, expected) in [
        ("DPF", json!({"on_hand": 1}), "part"),
        ("dpf", json!({"on_hand": -1}), "on_hand"),
        (
            "dpf",
            json!({"on_hand": 1, "lead_time_hours": -2}),
            "lead_time_hours",
        ),
        ("dpf", json!({"on_hand": 1, "price": 3}), "price"),
    ] {
        let message = refused(&app, put.clone(), &path(part), &body).await;
        assert!(message.contains(expected), "{part} {body}: {message}");
    }
    let listed = json_of(
        app.get_as(&format!("/v1/centers/{id}/stock"), &manager())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed, json!([]));
}
