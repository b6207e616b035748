//! Part of the hostile-input probe (see the parent module).

use super::*;

/// One documented operation, with the credential it is called with.
pub(super) struct Operation<'d> {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) path_params: Vec<Param<'d>>,
    pub(super) query_params: Vec<Param<'d>>,
    /// The `application/json` request body's schema.
    pub(super) body: Option<&'d Value>,
    pub(super) who: Credential,
    /// Answers 2xx with a verdict per item ([`Target::per_item`]).
    pub(super) per_item: bool,
}

/// A path or query parameter.
pub(super) struct Param<'d> {
    pub(super) name: String,
    pub(super) schema: &'d Value,
    pub(super) required: bool,
}

/// Every operation of the document that can be called, and those that cannot (or must
/// not) be, with the reason.
pub(super) fn operations<'d>(target: &Target<'d>) -> (Vec<Operation<'d>>, Vec<String>) {
    let doc = target.openapi;
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return (found, vec!["the document has no `paths`".to_owned()]);
    };
    for (path, item) in paths {
        for (name, method) in METHODS {
            let Some(op) = item.get(*name).filter(|op| op.is_object()) else {
                continue;
            };
            let label = format!("{method} {path}");
            if target
                .skip
                .iter()
                .any(|(m, p)| m.eq_ignore_ascii_case(name) && p == path)
            {
                skipped.push(format!("{label} (skip list)"));
                continue;
            }
            let who = match credential(target, op) {
                Ok(who) => who,
                Err(why) => {
                    skipped.push(format!("{label} ({why})"));
                    continue;
                }
            };
            let (path_params, query_params) = parameters(doc, path, item, op);
            let body = op
                .pointer("/requestBody/content/application~1json/schema")
                .map(|s| resolve(doc, s));
            let per_item = target
                .per_item
                .iter()
                .any(|(m, p)| m.eq_ignore_ascii_case(name) && p == path);
            found.push(Operation {
                method: method.clone(),
                path: path.clone(),
                path_params,
                query_params,
                body,
                who,
                per_item,
            });
        }
    }
    (found, skipped)
}

/// The HTTP methods an OpenAPI path item may hold, as named there.
pub(super) const METHODS: &[(&str, Method)] = &[
    ("get", Method::GET),
    ("put", Method::PUT),
    ("post", Method::POST),
    ("delete", Method::DELETE),
    ("patch", Method::PATCH),
];

/// The credential to call `op` with: anonymous without security requirements (own or
/// the document's), else the first requirement whose scheme has a credential; `Err`
/// names the schemes lacking one.
pub(super) fn credential(target: &Target<'_>, op: &Value) -> Result<Credential, String> {
    let requirements = op
        .get("security")
        .or_else(|| target.openapi.get("security"))
        .and_then(Value::as_array);
    let Some(requirements) = requirements.filter(|r| !r.is_empty()) else {
        return Ok(Credential::Anonymous);
    };
    let mut wanted = Vec::new();
    for requirement in requirements {
        let Some(schemes) = requirement.as_object() else {
            continue;
        };
        let Some(scheme) = schemes.keys().next() else {
            return Ok(Credential::Anonymous);
        };
        match target.credentials.iter().find(|(name, _)| name == scheme) {
            Some((_, who)) => return Ok(who.clone()),
            None => wanted.push(scheme.as_str()),
        }
    }
    Err(format!("no credential for {}", wanted.join(" or ")))
}

/// The path and query parameters of `op` (and of its path item). A parameter declared
/// `in: path` whose name is not in the template is a query parameter (utoipa declares an
/// `IntoParams` struct's fields that way unless told otherwise).
pub(super) fn parameters<'d>(
    doc: &'d Value,
    path: &str,
    item: &'d Value,
    op: &'d Value,
) -> (Vec<Param<'d>>, Vec<Param<'d>>) {
    let declared = [item, op]
        .into_iter()
        .filter_map(|o| o.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|p| resolve(doc, p));
    let (mut in_path, mut in_query) = (Vec::new(), Vec::new());
    for param in declared {
        let Some(name) = param.get("name").and_then(Value::as_str) else {
            continue;
        };
        let param_in = param.get("in").and_then(Value::as_str).unwrap_or("");
        let templated = path.contains(&format!("{{{name}}}"));
        let entry = Param {
            name: name.to_owned(),
            schema: param
                .get("schema")
                .map_or(&Value::Null, |s| resolve(doc, s)),
            required: param.get("required").and_then(Value::as_bool) == Some(true),
        };
        match param_in {
            "path" if templated => in_path.push(entry),
            "path" | "query" => in_query.push(entry),
            _ => {}
        }
    }
    (in_path, in_query)
}
