//! Part of the hostile-input probe (see the parent module).

use super::*;

/// A step into a JSON value.
#[derive(Debug, Clone)]
pub(super) enum Seg {
    /// A declared property.
    Key(String),
    /// An entry of a map (`additionalProperties`).
    Entry(String),
    /// An array item.
    Index(usize),
}

/// What can be mutated at a place in the example body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Integer,
    Number,
    Array,
    Map,
}

/// A mutable place in the example body.
#[derive(Debug, Clone)]
pub(super) struct Site {
    pub(super) path: Vec<Seg>,
    pub(super) kind: Kind,
}

/// Builds a valid-looking example of a schema, noting every place worth mutating.
pub(super) struct Builder<'d> {
    pub(super) doc: &'d Value,
    pub(super) sites: Vec<Site>,
}

impl Builder<'_> {
    /// An example of `schema` at `path`: every property (required or not), one array
    /// item, one map entry, the first enum value or branch, non-null when nullable.
    pub(super) fn build(&mut self, schema: &Value, path: &mut Vec<Seg>, depth: usize) -> Value {
        let schema = resolve(self.doc, schema);
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let fixed = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.iter().find(|v| !v.is_null()))
            .or_else(|| schema.get("const"));
        if let Some(value) = fixed {
            if value.is_string() {
                self.note(path, Kind::Text);
            }
            return value.clone();
        }
        if let Some(branch) = first_branch(self.doc, schema) {
            return self.build(branch, path, depth + 1);
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in parts {
                if let Value::Object(fields) = self.build(part, path, depth + 1) {
                    merged.extend(fields);
                }
            }
            return Value::Object(merged);
        }
        match primary_type(schema) {
            "string" => {
                self.note(path, Kind::Text);
                Value::String(text_example(schema))
            }
            "integer" => {
                self.note(path, Kind::Integer);
                json!(1)
            }
            "number" => {
                self.note(path, Kind::Number);
                json!(1.0)
            }
            "boolean" => Value::Bool(true),
            "array" => self.array(schema, path, depth),
            "object" => self.object(schema, path, depth),
            _ => Value::Null,
        }
    }

    /// An array of one example item.
    fn array(&mut self, schema: &Value, path: &mut Vec<Seg>, depth: usize) -> Value {
        self.note(path, Kind::Array);
        let items = schema.get("items").unwrap_or(&Value::Null);
        path.push(Seg::Index(0));
        let item = self.build(items, path, depth + 1);
        path.pop();
        Value::Array(vec![item])
    }

    /// An object with every declared property, and one [`MAP_KEY`] entry when it is a
    /// map (`additionalProperties` is a schema).
    fn object(&mut self, schema: &Value, path: &mut Vec<Seg>, depth: usize) -> Value {
        let mut fields = Map::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                path.push(Seg::Key(name.clone()));
                fields.insert(name.clone(), self.build(property, path, depth + 1));
                path.pop();
            }
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            self.note(path, Kind::Map);
            path.push(Seg::Entry(MAP_KEY.to_owned()));
            fields.insert(MAP_KEY.to_owned(), self.build(values, path, depth + 1));
            path.pop();
        }
        Value::Object(fields)
    }

    fn note(&mut self, path: &[Seg], kind: Kind) {
        self.sites.push(Site {
            path: path.to_vec(),
            kind,
        });
    }
}

/// What replaces a site's value.
pub(super) enum Replacement {
    Value(Value),
    /// JSON text `serde_json::Value` cannot hold (`1e400`, `18446744073709551616`).
    Raw(&'static str),
}

/// The mutations of every site of the example: label, body, expectation.
pub(super) fn site_cases(example: &Value, sites: &[Site]) -> Vec<(String, Vec<u8>, Expect)> {
    let mut out = Vec::new();
    for site in sites {
        let at = display(&site.path);
        let mut add = |what: &str, replacement: Replacement, expect: Expect| {
            let body = mutated(example, &site.path, replacement);
            out.push((format!("body `{at}` = {what}"), body, expect));
        };
        match site.kind {
            Kind::Text => {
                for (what, text) in [("NUL", "a\u{0}b"), ("ESC", "a\u{1b}b")] {
                    let value = Replacement::Value(Value::String(text.to_owned()));
                    add(what, value, Expect::Naming(names(&site.path)));
                }
                for n in [10_000, 100_000] {
                    let value = Replacement::Value(Value::String("x".repeat(n)));
                    add(&format!("{n} chars"), value, Expect::NotServerError);
                }
            }
            Kind::Integer | Kind::Number => {
                let mut literals = vec!["1e308", "-1e308", "18446744073709551616", "1e400"];
                if site.kind == Kind::Integer {
                    literals.push("1.5");
                }
                for literal in literals {
                    add(literal, Replacement::Raw(literal), Expect::NotServerError);
                }
            }
            Kind::Array => {
                let item = lookup(example, &site.path).and_then(|a| a.get(0)).cloned();
                let items = vec![item.unwrap_or(Value::Null); 10_000];
                let value = Replacement::Value(Value::Array(items));
                add("10,000 items", value, Expect::NotServerError);
            }
            Kind::Map => {
                let mut map = lookup(example, &site.path).cloned().unwrap_or(json!({}));
                if let Value::Object(entries) = &mut map {
                    let value = entries.get(MAP_KEY).cloned().unwrap_or(Value::Null);
                    entries.insert("a\u{0}b".to_owned(), value);
                }
                let expect = Expect::Naming(names(&site.path));
                add("a key with NUL", Replacement::Value(map), expect);
            }
        }
    }
    out
}

/// Malformed bodies, each to be refused with a 4xx.
pub(super) fn whole_body_cases(
    example: &Value,
    sites: &[Site],
    schema: Option<&Value>,
) -> Vec<(String, Vec<u8>, Expect)> {
    let root_type = schema.map_or("", primary_type);
    let mut bodies: Vec<(&str, Vec<u8>)> = vec![
        ("invalid UTF-8", b"\xFF\xFE{}".to_vec()),
        ("not JSON", b"this is not JSON".to_vec()),
        ("nested 10,000 deep", nested(10_000)),
        ("empty", Vec::new()),
    ];
    if root_type != "array" {
        bodies.push(("[]", b"[]".to_vec()));
    }
    if !schema.is_some_and(nullable) {
        bodies.push(("null", b"null".to_vec()));
    }
    if let Some(site) = sites.iter().find(|s| s.kind == Kind::Text) {
        let mut text = mutated(example, &site.path, Replacement::Raw("\"\u{1}\""));
        // The control character stands in for invalid bytes inside the string.
        if let Some(at) = text.iter().position(|b| *b == 1) {
            text.splice(at..=at, [0xFF, 0xFE]);
        }
        bodies.push(("invalid UTF-8 in a string", text));
    }
    if let Some((key, value)) = example.as_object().and_then(|o| o.iter().next()) {
        let text = serde_json::to_string(example).expect("a JSON value serializes");
        let first = serde_json::to_string(&json!({ key: value })).expect("serializes");
        let duplicated = format!("{},{}", first.trim_end_matches('}'), &text[1..]);
        bodies.push(("a duplicate key", duplicated.into_bytes()));
    }
    bodies
        .into_iter()
        .map(|(what, bytes)| (format!("body {what}"), bytes, Expect::ClientError))
        .collect()
}

/// `[[[…]]]`, `depth` levels deep.
pub(super) fn nested(depth: usize) -> Vec<u8> {
    let mut text = "[".repeat(depth).into_bytes();
    text.extend(std::iter::repeat_n(b']', depth));
    text
}

/// The example with the value at `path` replaced, as JSON text.
pub(super) fn mutated(example: &Value, path: &[Seg], replacement: Replacement) -> Vec<u8> {
    let mut value = example.clone();
    let (new, raw) = match replacement {
        Replacement::Value(v) => (v, None),
        Replacement::Raw(literal) => (Value::String(RAW.to_owned()), Some(literal)),
    };
    if let Some(slot) = value.pointer_mut(&pointer(path)) {
        *slot = new;
    }
    let text = serde_json::to_string(&value).expect("a JSON value serializes");
    match raw {
        Some(literal) => text
            .replacen(&format!("\"{RAW}\""), literal, 1)
            .into_bytes(),
        None => text.into_bytes(),
    }
}

pub(super) fn lookup<'v>(example: &'v Value, path: &[Seg]) -> Option<&'v Value> {
    example.pointer(&pointer(path))
}

/// `path` as a JSON pointer (RFC 6901).
pub(super) fn pointer(path: &[Seg]) -> String {
    path.iter()
        .map(|seg| match seg {
            Seg::Key(k) | Seg::Entry(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => format!("/{i}"),
        })
        .collect()
}

/// `path` as the services name fields: `readings[0].dtcs[0].code`, `body` for the root.
pub(super) fn display(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) | Seg::Entry(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) | Seg::Entry(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "body".to_owned()
    } else {
        out
    }
}

/// The names an error about the value at `path` may use: the last property or map key
/// (the array's name for an item), and for a map entry also the map's name. Empty for
/// the root.
pub(super) fn names(path: &[Seg]) -> Vec<String> {
    let mut named = path.iter().rev().filter_map(|seg| match seg {
        Seg::Key(k) => Some((k, false)),
        Seg::Entry(k) => Some((k, true)),
        Seg::Index(_) => None,
    });
    let mut out = Vec::new();
    if let Some((name, entry)) = named.next() {
        out.push(name.clone());
        if entry && let Some((outer, _)) = named.next() {
            out.push(outer.clone());
        }
    }
    out
}
