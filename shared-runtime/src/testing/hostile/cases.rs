//! Part of the hostile-input probe (see the parent module).

use super::*;

/// One request to send and what its answer must be.
pub(super) struct Case {
    /// Index of the operation in the list.
    pub(super) op: usize,
    pub(super) label: String,
    pub(super) url: String,
    pub(super) body: Option<Vec<u8>>,
    pub(super) expect: Expect,
}

/// What an answer must be (never a 5xx, whatever the case).
pub(super) enum Expect {
    /// Anything but a 5xx.
    NotServerError,
    /// A 4xx.
    ClientError,
    /// A 4xx whose body names one of these (any 4xx when empty).
    Naming(Vec<String>),
}

/// The valid-looking request every case of an operation starts from.
pub(super) struct Baseline {
    /// Path parameters, percent-encoded.
    pub(super) path: Vec<(String, String)>,
    /// Required query parameters, percent-encoded.
    pub(super) query: Vec<(String, String)>,
    /// Example body and where its mutable parts are.
    pub(super) body: Option<(Value, Vec<Site>)>,
}

impl Baseline {
    fn new(target: &Target<'_>, op: &Operation<'_>) -> Self {
        let doc = target.openapi;
        let path = op
            .path_params
            .iter()
            .map(|p| {
                let given = target.path_values.iter().find(|(n, _)| *n == p.name);
                let text = given.map_or_else(|| example_text(doc, p.schema), |(_, v)| v.clone());
                (p.name.clone(), encode(&text))
            })
            .collect();
        let query = op
            .query_params
            .iter()
            .filter(|p| p.required)
            .map(|p| (p.name.clone(), encode(&example_text(doc, p.schema))))
            .collect();
        let body = op.body.map(|schema| {
            let mut builder = Builder {
                doc,
                sites: Vec::new(),
            };
            let example = builder.build(schema, &mut Vec::new(), 0);
            (example, builder.sites)
        });
        Self { path, query, body }
    }

    /// The URL with `path_override` (name, encoded value) in place of a path parameter
    /// and `query_override` set (replacing a required one of the same name).
    fn url(
        &self,
        base: &str,
        op: &Operation<'_>,
        path_override: Option<(&str, &str)>,
        query_override: Option<(&str, &str)>,
    ) -> String {
        let mut path = op.path.clone();
        for (name, value) in &self.path {
            let value = match path_override {
                Some((n, v)) if n == name => v,
                _ => value,
            };
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let mut query: Vec<String> = self
            .query
            .iter()
            .filter(|(name, _)| query_override.is_none_or(|(n, _)| n != name))
            .map(|(name, value)| format!("{}={value}", encode(name)))
            .collect();
        if let Some((name, value)) = query_override {
            query.push(format!("{}={value}", encode(name)));
        }
        if query.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{}", query.join("&"))
        }
    }

    /// The example body, serialized (none when the operation takes none).
    fn body_bytes(&self) -> Option<Vec<u8>> {
        self.body
            .as_ref()
            .map(|(example, _)| serde_json::to_vec(example).expect("a JSON value serializes"))
    }
}

/// Every case of operation `index`: the example request, then hostile path parameters,
/// query parameters and bodies.
pub(super) fn cases(
    target: &Target<'_>,
    index: usize,
    op: &Operation<'_>,
    base: &str,
) -> Vec<Case> {
    let baseline = Baseline::new(target, op);
    let mut out = Vec::new();
    // A DELETE of the example would remove what `path_values` names for other cases.
    if op.method != Method::DELETE {
        out.push(Case {
            op: index,
            label: "the example request".to_owned(),
            url: baseline.url(base, op, None, None),
            body: baseline.body_bytes(),
            expect: Expect::NotServerError,
        });
    }
    out.extend(path_cases(index, op, &baseline, base));
    out.extend(query_cases(target.openapi, index, op, &baseline, base));
    if let Some((example, sites)) = &baseline.body {
        let url = baseline.url(base, op, None, None);
        let mut body = site_cases(example, sites);
        body.extend(whole_body_cases(example, sites, op.body));
        out.extend(body.into_iter().map(|(label, bytes, expect)| Case {
            op: index,
            label,
            url: url.clone(),
            body: Some(bytes),
            expect,
        }));
    }
    out
}

/// Hostile texts for a URL component: label, percent-encoded value, whether it holds a
/// control character (which must be refused naming the parameter).
pub(super) fn url_texts() -> Vec<(&'static str, String, bool)> {
    vec![
        ("NUL", encode("a\u{0}b"), true),
        ("ESC", encode("a\u{1b}b"), true),
        ("invalid UTF-8", "%FF%FE".to_owned(), false),
        ("100,000 chars", "x".repeat(100_000), false),
    ]
}

/// Each path parameter replaced by hostile text.
pub(super) fn path_cases(
    index: usize,
    op: &Operation<'_>,
    baseline: &Baseline,
    base: &str,
) -> Vec<Case> {
    let mut texts = url_texts();
    texts.push(("10,000 chars", "x".repeat(10_000), false));
    let mut out = Vec::new();
    for param in &op.path_params {
        for (label, value, control) in &texts {
            out.push(Case {
                op: index,
                label: format!("path parameter `{}` = {label}", param.name),
                url: baseline.url(base, op, Some((&param.name, value)), None),
                body: baseline.body_bytes(),
                expect: naming_if(*control, &param.name),
            });
        }
    }
    out
}

/// Each query parameter set to hostile text (and numeric parameters to numbers out of
/// range).
pub(super) fn query_cases(
    doc: &Value,
    index: usize,
    op: &Operation<'_>,
    baseline: &Baseline,
    base: &str,
) -> Vec<Case> {
    let mut out = Vec::new();
    for param in &op.query_params {
        let mut texts = url_texts();
        if matches!(
            primary_type(resolve(doc, param.schema)),
            "integer" | "number"
        ) {
            for n in ["1e400", "-1", "99999999999999999999999"] {
                texts.push((n, n.to_owned(), false));
            }
        }
        for (label, value, control) in &texts {
            out.push(Case {
                op: index,
                label: format!("query parameter `{}` = {label}", param.name),
                url: baseline.url(base, op, None, Some((&param.name, value))),
                body: baseline.body_bytes(),
                expect: naming_if(*control, &param.name),
            });
        }
    }
    out
}

/// A 4xx naming `name` for a control character, else anything but a 5xx.
pub(super) fn naming_if(control: bool, name: &str) -> Expect {
    if control {
        Expect::Naming(vec![name.to_owned()])
    } else {
        Expect::NotServerError
    }
}

/// Percent-encodes `text` for a path segment or query component.
pub(super) fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}
