//! Part of the hostile-input probe (see the parent module).

use super::*;

/// `schema` with `$ref`s to `#/components/...` followed (at most 32 hops, against
/// cycles).
pub(super) fn resolve<'d>(doc: &'d Value, mut schema: &'d Value) -> &'d Value {
    for _ in 0..32 {
        let Some(target) = schema.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match target.strip_prefix('#').and_then(|p| doc.pointer(p)) {
            Some(next) => schema = next,
            None => break,
        }
    }
    schema
}

/// The first non-null branch of a `oneOf`/`anyOf`.
pub(super) fn first_branch<'d>(doc: &'d Value, schema: &'d Value) -> Option<&'d Value> {
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find(|branch| primary_type(resolve(doc, branch)) != "null")
}

/// The schema's type, the non-null one when nullable (`[T, "null"]`); inferred from
/// `properties`/`items` when absent, `""` when unknown.
pub(super) fn primary_type(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(types)) => {
            let mut names = types.iter().filter_map(Value::as_str);
            let first = names.clone().next().unwrap_or("");
            names.find(|t| *t != "null").unwrap_or(first)
        }
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "",
    }
}

/// Whether `null` is a valid value of the schema.
pub(super) fn nullable(schema: &Value) -> bool {
    let typed = schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|v| v == "null"));
    let branch = ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .any(|b| primary_type(b) == "null");
    typed || branch
}

/// A valid-looking text for a string schema, by `format`.
pub(super) fn text_example(schema: &Value) -> String {
    match schema.get("format").and_then(Value::as_str).unwrap_or("") {
        "uuid" => uuid::Uuid::new_v4().to_string(),
        "date-time" => chrono::Utc::now().to_rfc3339(),
        "date" => chrono::Utc::now().format("%Y-%m-%d").to_string(),
        "email" => "a@example.com".to_owned(),
        "uri" | "url" => "https://example.com/x".to_owned(),
        _ => "X-1".to_owned(),
    }
}

/// A valid-looking value of a parameter's schema, as text.
pub(super) fn example_text(doc: &Value, schema: &Value) -> String {
    let mut builder = Builder {
        doc,
        sites: Vec::new(),
    };
    match builder.build(schema, &mut Vec::new(), 0) {
        Value::String(text) => text,
        Value::Null => "X-1".to_owned(),
        other => other.to_string(),
    }
}
