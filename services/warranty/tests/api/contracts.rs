//! Contracts: managers set them, owners read their vehicle's, others see nothing.

use serde_json::{Value, json};
use shared_runtime::auth::Role;

use crate::helpers::{ORG, spawn_app, token};

pub(crate) const VIN: &str = "1HGCM82633A004352";

/// A contract body starting `days_ago` days ago at 1,000 km.
pub(crate) fn contract_body(days_ago: i64) -> Value {
    let start = chrono::Utc::now().date_naive() - chrono::Duration::days(days_ago);
    json!({"vin": VIN, "start_date": start, "start_odometer_km": 1000.0,
           "deductible": 100.0, "currency": "USD"})
}

#[tokio::test]
async fn managers_set_contracts_owners_read_their_own() {
    let app = spawn_app().await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let mut body = contract_body(30);
    body["extensions"] = json!([{"coverage": "extended", "months": 96, "km": 200000.0,
                                 "components": ["brakes"]}]);
    let r = app.put_as("/v1/contracts/truck-1", &manager, &body).await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["org_id"], ORG);
    let coverages: Vec<&str> = c["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["coverage"].as_str().unwrap())
        .collect();
    assert_eq!(coverages, ["basic", "powertrain", "corrosion", "extended"]);

    let owner = token(Role::Owner, ORG, &["truck-1"]);
    let r = app.get_as("/v1/contracts/truck-1", &owner).await;
    assert_eq!(r.status(), 200);
    let stranger = token(Role::Owner, ORG, &["truck-2"]);
    assert_eq!(
        app.get_as("/v1/contracts/truck-1", &stranger)
            .await
            .status(),
        404
    );
    let list: Value = app
        .get_as("/v1/contracts", &stranger)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    let other_org = token(Role::FleetManager, "globex", &[]);
    assert_eq!(
        app.get_as("/v1/contracts/truck-1", &other_org)
            .await
            .status(),
        404
    );
    let list: Value = app
        .get_as("/v1/contracts", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Another organization cannot take the vehicle's contract over.
    assert_eq!(
        app.put_as("/v1/contracts/truck-1", &other_org, &body)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.put_as("/v1/contracts/truck-1", &owner, &body)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn a_bad_contract_names_each_problem() {
    let app = spawn_app().await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let mut body = contract_body(30);
    body["vin"] = json!("1HGCM82633A00435Q");
    body["currency"] = json!("dollars");
    body["extensions"] = json!([{"coverage": "extended", "months": 0, "components": []}]);
    let r = app.put_as("/v1/contracts/truck-1", &manager, &body).await;
    assert_eq!(r.status(), 400);
    let msg = r.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    for want in [
        "`vin`",
        "`currency`",
        "`extensions[0].months`",
        "`extensions[0].components`",
    ] {
        assert!(msg.contains(want), "{want} not in {msg}");
    }
    let admin = token(Role::Admin, "platform", &[]);
    let r = app
        .put_as("/v1/contracts/truck-1", &admin, &contract_body(30))
        .await;
    assert_eq!(r.status(), 400, "an admin must name the organization");
}
