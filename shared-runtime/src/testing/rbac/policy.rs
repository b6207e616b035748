//! The policy table of `docs/rbac.md`, parsed: one table per service (under a `##`
//! heading naming it), one row per operation, one cell per role. The parser is strict:
//! every malformed row is reported with its line number, so a typo cannot silently
//! drop a row from the matrix.

use std::collections::BTreeMap;

use crate::auth::Role;

/// The roles, in the order of the table's columns.
pub const ROLES: [Role; 6] = [
    Role::Admin,
    Role::FleetManager,
    Role::Technician,
    Role::Owner,
    Role::Support,
    Role::Service,
];

/// The header every policy table starts with.
const HEADER: [&str; 9] = [
    "method",
    "path",
    "scope",
    "admin",
    "fleet_manager",
    "technician",
    "owner",
    "support",
    "service",
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// What an operation's request names, which decides who is in reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A vehicle or something of one (its health, an alert, a decision): owners reach
    /// only their vehicles.
    Vehicle,
    /// Something of an organization (a contact, a device key, an organization named in
    /// the request).
    Org,
    /// Something of a service center: technicians reach only their center.
    Center,
    /// Nothing in particular (a collection the caller's scope filters).
    None,
}

impl Scope {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "vehicle" => Self::Vehicle,
            "org" => Self::Org,
            "center" => Self::Center,
            "none" => Self::None,
            _ => return None,
        })
    }
}

/// One role's answer for an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `-`: the operation is not called with a user's token (a device key, a signed
    /// link); a bearer token alone must not get a 2xx.
    NotBearer,
    /// `200` (the same everywhere) or `200/404`: the status within the caller's reach,
    /// and outside it.
    Status {
        /// Within reach.
        inside: u16,
        /// Outside reach.
        outside: u16,
    },
}

impl Expect {
    fn parse(cell: &str) -> Option<Self> {
        if cell == "-" {
            return Some(Self::NotBearer);
        }
        let code = |s: &str| {
            s.parse::<u16>()
                .ok()
                .filter(|c| s.len() == 3 && (200..600).contains(c))
        };
        match cell.split_once('/') {
            None => code(cell).map(|c| Self::Status {
                inside: c,
                outside: c,
            }),
            Some((i, o)) => Some(Self::Status {
                inside: code(i)?,
                outside: code(o)?,
            }),
        }
    }
}

/// One operation's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Line in the file (1-based), for reports.
    pub line: usize,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as in the OpenAPI document.
    pub path: String,
    /// What the request names.
    pub scope: Scope,
    /// One answer per role of [`ROLES`].
    pub cells: [Expect; 6],
}

impl Row {
    /// The answer for `role`.
    pub fn expect(&self, role: Role) -> Expect {
        let i = ROLES.iter().position(|r| *r == role).unwrap_or_default();
        self.cells[i]
    }
}

/// Every service's rows, by the service's name (the heading above its table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Rows per service.
    pub services: BTreeMap<String, Vec<Row>>,
}

impl Policy {
    /// The workspace's `docs/rbac.md`; panics listing every malformed row.
    pub fn workspace() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rbac.md");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        parse(&text).unwrap_or_else(|errors| panic!("{path}:\n{}", errors.join("\n")))
    }
}

/// Cells of a Markdown table line, trimmed, without the outer pipes and with code
/// spans' backticks removed (`` `/v1/x` `` reads `/v1/x`).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner
        .split('|')
        .map(|c| c.trim().trim_matches('`').to_owned())
        .collect()
}

fn is_separator(line: &str) -> bool {
    cells(line)
        .iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
}

/// Parses the policy file: every table whose header is the policy header belongs to
/// the service of the `##` heading above it; other tables are prose. `Err` lists every
/// problem with its line number.
pub fn parse(text: &str) -> Result<Policy, Vec<String>> {
    let mut policy = Policy::default();
    let mut errors = Vec::new();
    let mut service: Option<String> = None;
    let mut in_table = false;
    let lines: Vec<&str> = text.lines().collect();
    let mut n = 0;
    while n < lines.len() {
        let line = lines[n].trim();
        n += 1;
        if let Some(heading) = line.strip_prefix("## ") {
            service = Some(heading.trim().to_owned());
            in_table = false;
        } else if !line.starts_with('|') {
            in_table = false;
        } else if in_table {
            let rows = policy
                .services
                .entry(service.clone().unwrap_or_default())
                .or_default();
            match row(n, line) {
                Ok(r)
                    if rows
                        .iter()
                        .any(|o| o.method == r.method && o.path == r.path) =>
                {
                    errors.push(format!("line {n}: {} {} is listed twice", r.method, r.path));
                }
                Ok(r) => rows.push(r),
                Err(e) => errors.push(format!("line {n}: {e}")),
            }
        } else if service.is_some() && METHODS.contains(&cells(line)[0].as_str()) {
            errors.push(format!(
                "line {n}: a row outside a policy table (a blank line or text above it ends the table)"
            ));
        } else if cells(line) == HEADER {
            if service.is_none() {
                errors.push(format!(
                    "line {n}: a policy table must follow a `## <service>` heading"
                ));
            }
            if lines.get(n).is_none_or(|l| !is_separator(l)) {
                errors.push(format!(
                    "line {}: the header must be followed by `|---|…|`",
                    n + 1
                ));
            }
            n += 1;
            in_table = true;
        }
    }
    if errors.is_empty() {
        Ok(policy)
    } else {
        Err(errors)
    }
}

/// One row of a policy table.
fn row(line_no: usize, line: &str) -> Result<Row, String> {
    let c = cells(line);
    if c.len() != HEADER.len() {
        return Err(format!(
            "{} cells, expected {} ({})",
            c.len(),
            HEADER.len(),
            HEADER.join(" | ")
        ));
    }
    if !METHODS.contains(&c[0].as_str()) {
        return Err(format!(
            "method {:?} is not one of {}",
            c[0],
            METHODS.join(", ")
        ));
    }
    if !c[1].starts_with('/') || c[1].contains(char::is_whitespace) {
        return Err(format!(
            "path {:?} must start with `/` and hold no spaces",
            c[1]
        ));
    }
    let scope = Scope::parse(&c[2])
        .ok_or_else(|| format!("scope {:?} is not vehicle, org, center or none", c[2]))?;
    let mut out = [Expect::NotBearer; 6];
    for (i, cell) in c[3..].iter().enumerate() {
        out[i] = Expect::parse(cell).ok_or_else(|| {
            format!(
                "{} cell {cell:?} is not `-`, a status like `200` or `200/404`",
                HEADER[i + 3]
            )
        })?;
    }
    let bearer = out.iter().filter(|e| **e != Expect::NotBearer).count();
    if bearer != 0 && bearer != out.len() {
        return Err("`-` (not called with a user's token) must fill every role's cell".to_owned());
    }
    Ok(Row {
        line: line_no,
        method: c[0].clone(),
        path: c[1].clone(),
        scope,
        cells: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "| method | path | scope | admin | fleet_manager | technician | owner | support | service |\n|---|---|---|---|---|---|---|---|---|\n";

    #[test]
    fn parses_rows_under_their_service() {
        let text = format!(
            "# Policy\n\n| legend | x |\n|---|---|\n| own | y |\n\n## health\n\n{HEAD}| GET | `/v1/vehicles/{{vehicle_id}}/health` | vehicle | 200 | 200/404 | 200/404 | 200/404 | 200/404 | 200 |\n| POST | /v1/health/recompute | none | 200 | 403 | 403 | 403 | 403 | 403 |\n\n## ingestion\n\n{HEAD}| POST | /v1/telemetry | vehicle | - | - | - | - | - | - |\n"
        );
        let policy = parse(&text).unwrap();
        let health = &policy.services["health"];
        assert_eq!(health.len(), 2);
        assert_eq!(health[0].line, 11);
        assert_eq!(health[0].path, "/v1/vehicles/{vehicle_id}/health");
        assert_eq!(health[0].scope, Scope::Vehicle);
        assert_eq!(
            health[0].expect(Role::Owner),
            Expect::Status {
                inside: 200,
                outside: 404
            }
        );
        assert_eq!(
            health[1].expect(Role::Admin),
            Expect::Status {
                inside: 200,
                outside: 200
            }
        );
        assert_eq!(
            policy.services["ingestion"][0].expect(Role::Service),
            Expect::NotBearer
        );
        assert!(!policy.services.contains_key("Policy"));
    }

    #[test]
    fn every_malformed_row_is_reported_with_its_line() {
        let text = format!(
            "## alert\n\n{HEAD}| GET | /v1/a | vehicle | 200 | 200 | 200 | 200 | 200 |\n| FETCH | /v1/b | none | 200 | 200 | 200 | 200 | 200 | 200 |\n| GET | /v1/c | fleet | 200 | 200 | 200 | 200 | 200 | 200 |\n| GET | /v1/d | none | 200 | ok | 200 | 200 | 200 | 200 |\n| GET | /v1/e | none | 200 | - | 200 | 200 | 200 | 200 |\n| GET | /v1/f | none | 200 | 2000 | 200 | 200 | 200 | 200 |\n| GET | /v1/g | none | 200 | 200 | 200 | 200 | 200 | 200 |\n| GET | /v1/g | none | 200 | 200 | 200 | 200 | 200 | 200 |\n\n| GET | /v1/h | none | 200 | 200 | 200 | 200 | 200 | 200 |\n"
        );
        let errors = parse(&text).unwrap_err();
        let lines: Vec<&str> = errors
            .iter()
            .map(|e| e.split(':').next().unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "line 5", "line 6", "line 7", "line 8", "line 9", "line 10", "line 12", "line 14"
            ],
            "{errors:#?}"
        );
        assert!(errors[0].contains("8 cells, expected 9"), "{errors:?}");
        assert!(
            errors[3].contains("fleet_manager cell \"ok\""),
            "{errors:?}"
        );
        assert!(errors[6].contains("listed twice"), "{errors:?}");
    }

    #[test]
    fn a_table_needs_a_service_heading_and_a_separator() {
        let text = "| method | path | scope | admin | fleet_manager | technician | owner | support | service |\n| GET | /v1/a | none | 200 | 200 | 200 | 200 | 200 | 200 |\n";
        let errors = parse(text).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("line 1:"), "{errors:?}");
        assert!(errors[1].starts_with("line 2:"), "{errors:?}");
    }

    #[test]
    fn the_workspace_policy_parses() {
        let policy = Policy::workspace();
        for service in [
            "ingestion",
            "health",
            "agent",
            "alert",
            "analytics",
            "scheduling",
            "warranty",
        ] {
            assert!(
                policy.services.get(service).is_some_and(|r| !r.is_empty()),
                "docs/rbac.md has no rows for {service}"
            );
        }
    }
}
