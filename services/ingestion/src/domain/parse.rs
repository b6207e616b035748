//! Parsing a canonical reading so that a malformed one is answered with every schema
//! problem at once, not only the first one serde meets.

use serde::de::DeserializeOwned;
use serde_json::Value;
use shared_schemas::events::telemetry::Problem;
use shared_schemas::telemetry::{Dtc, GeoPoint, TelemetryReading};

const REQUIRED: &[&str] = &["vehicle_id", "recorded_at"];

/// Parses a canonical reading; returns it with a warning per ignored unknown field.
/// The fast path is plain serde; only when it fails is the input walked field by field
/// to name every problem.
pub fn reading(json: &str) -> Result<(TelemetryReading, Vec<Problem>), Vec<Problem>> {
    let mut warnings = Vec::new();
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = serde_ignored::deserialize(&mut de, |path| {
        warnings.push(Problem::new(field_path(&path), "unknown field ignored"));
    })
    .and_then(|r| de.end().map(|()| r));
    // An ignored field is only echoed back, but a name with control characters is
    // garbage, not a field from a newer sender.
    if let Some(bad) = warnings
        .iter()
        .find(|w| w.field.chars().any(char::is_control))
    {
        return Err(vec![Problem::new(
            bad.field.clone(),
            "a field name contains a control character",
        )]);
    }
    match parsed {
        Ok(r) => Ok((r, warnings)),
        // The slow path, for refused readings only: a control character anywhere is
        // named first (it is why the rest did not parse, e.g. an enum tag), then every
        // schema problem.
        Err(first) => Err(match shared_runtime::http::check_json(json.as_bytes()) {
            Err(text) if !text.field.is_empty() => vec![Problem::new(text.field, text.message)],
            _ => match serde_json::from_str::<Value>(json) {
                Err(_) => vec![Problem::new("", format!("not valid JSON: {first}"))],
                Ok(value) => problems(&value, &first),
            },
        }),
    }
}

/// Every schema problem of a parsed JSON value that should be a reading.
fn problems(value: &Value, first: &serde_json::Error) -> Vec<Problem> {
    let Some(obj) = value.as_object() else {
        return vec![Problem::new("", "a reading must be a JSON object")];
    };
    let mut out = Vec::new();
    for name in REQUIRED.iter().filter(|n| !obj.contains_key(**n)) {
        out.push(Problem::new(*name, "required field is missing"));
    }
    let mut check = |field: &str, ok: Result<(), String>| {
        if let Err(message) = ok {
            out.push(Problem::new(field, message));
        }
    };
    for (key, v) in obj {
        match key.as_str() {
            "reading_id" | "vin" => check(key, typed::<Option<String>>(v)),
            "vehicle_id" => check(key, typed::<String>(v)),
            "recorded_at" => check(key, typed::<chrono::DateTime<chrono::Utc>>(v)),
            "odometer_km" | "engine_hours" => check(key, typed::<Option<f64>>(v)),
            "location" => check(key, typed::<Option<GeoPoint>>(v)),
            "signals" => match v.as_object() {
                None => check(
                    key,
                    Err("must be an object of signal name to number".to_owned()),
                ),
                Some(signals) => {
                    for (name, s) in signals {
                        if !s.is_number() {
                            check(
                                &format!("signals.{name}"),
                                Err(format!("must be a number, got {s}")),
                            );
                        }
                    }
                }
            },
            "dtcs" => match v.as_array() {
                None => check(key, Err("must be an array of trouble codes".to_owned())),
                Some(dtcs) => {
                    for (i, d) in dtcs.iter().enumerate() {
                        check(&format!("dtcs[{i}]"), typed::<Dtc>(d));
                    }
                }
            },
            _ => {}
        }
    }
    if out.is_empty() {
        // Walked everything and found nothing: report what serde said.
        out.push(Problem::new("", first.to_string()));
    }
    out
}

/// `location.alt`, `dtcs[1].x`: the JSON path, without serde_ignored's `?` for options.
fn field_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        Path::Map { parent, key } => match field_path(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => field_path(parent),
    }
}

fn typed<T: DeserializeOwned>(v: &Value) -> Result<(), String> {
    T::deserialize(v).map(drop).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_reading_parses() {
        let (r, warnings) = reading(
            r#"{"vehicle_id":"V1","recorded_at":"2026-01-01T00:00:00Z","signals":{"engine_rpm":900},"colour":"red","location":{"lat":1,"lon":2,"alt":3}}"#,
        )
        .unwrap();
        assert_eq!(r.vehicle_id, "V1");
        assert_eq!(r.signals.get("engine_rpm"), Some(&900.0));
        let fields: Vec<&str> = warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["colour", "location.alt"]);
    }

    #[test]
    fn every_problem_is_named() {
        let p = reading(
            r#"{"recorded_at":"yesterday","odometer_km":"far","signals":{"engine_rpm":"fast"},"dtcs":[{"kind":"obd"}],"colour":"red"}"#,
        )
        .unwrap_err();
        let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
        for f in [
            "vehicle_id",
            "recorded_at",
            "odometer_km",
            "signals.engine_rpm",
            "dtcs[0]",
        ] {
            assert!(fields.contains(&f), "{f} not reported in {p:?}");
        }
    }

    #[test]
    fn not_json_and_not_object() {
        assert_eq!(reading("{nope").unwrap_err()[0].field, "");
        assert!(reading("[1]").unwrap_err()[0].message.contains("object"));
    }
}
