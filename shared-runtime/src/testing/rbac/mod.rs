//! The RBAC matrix: every operation of a service's OpenAPI document, called by every
//! role from inside and outside its reach, must answer what `docs/rbac.md` says.
//!
//! Each service's `tests/api/rbac.rs` builds a fixture (resources of one organization,
//! the world's ids, request bodies) and calls [`check`]. For every role the driver
//! calls each operation as
//! - **own**: a caller of the resources' organization (an owner of the vehicle, a
//!   technician of the center);
//! - **other**: for owners (vehicle and collection operations) and technicians (center
//!   operations), a caller of the same organization whose token lists another vehicle
//!   or center;
//! - **foreign**: a caller of another organization (whose token still names the
//!   vehicle and center, like a stale token would);
//! - **unknown**: the foreign caller with unknown ids, which must get exactly the
//!   foreign answer (status and body) whenever that answer is not a success: no
//!   existence leaks.
//!
//! The own case expects the cell's first status, other and foreign its second. A
//! success outside one's reach (a collection filtered to the caller) must not contain
//! any of the fixture's private strings (except for admins and services, who reach
//! every organization). Every mismatch is collected and reported at once; so are
//! operations without a policy row, rows without an operation and fixtures for no
//! operation.

mod coverage;
pub mod policy;
mod run;

use std::future::Future;

use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::Value;

pub use self::policy::{Expect, Policy, ROLES, Row, Scope};
use super::client::TestClient;
use crate::auth::{Claims, Jwt, Role};
use crate::config::Secret;

/// Makes fresh path values before each call of an operation that consumes its resource
/// (a delete, a transfer, a registration): `(parameter name, value)` pairs that replace
/// the fixture's own values.
pub type Renew = Box<dyn Fn() -> BoxFuture<'static, Vec<(String, String)>> + Send + Sync>;

/// Who is who in a fixture.
#[derive(Debug, Clone)]
pub struct World {
    /// The organization holding the fixture's resources.
    pub org: String,
    /// Another organization.
    pub foreign_org: String,
    /// The vehicle the fixture's vehicle resources belong to; the own owner's vehicle.
    pub vehicle: String,
    /// Another vehicle of `org`: the one the "other" owner owns.
    pub other_vehicle: String,
    /// The service center of the fixture's center resources.
    pub center: String,
    /// Another center of `org`.
    pub other_center: String,
}

impl World {
    /// A world with centers `center-1` (the fixture's) and `center-2`.
    pub fn new(org: &str, foreign_org: &str, vehicle: &str, other_vehicle: &str) -> Self {
        Self {
            org: org.to_owned(),
            foreign_org: foreign_org.to_owned(),
            vehicle: vehicle.to_owned(),
            other_vehicle: other_vehicle.to_owned(),
            center: "center-1".to_owned(),
            other_center: "center-2".to_owned(),
        }
    }
}

/// How a call relates its caller to the fixture's resources (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Same organization, the owner's vehicle, the technician's center.
    Own,
    /// Same organization, another vehicle or center in the token.
    Other,
    /// Another organization.
    Foreign,
    /// Another organization, unknown ids.
    Unknown,
}

/// The claims of one call's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// [`Caller::sub_of`] the role.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Organization.
    pub org: String,
    /// Vehicles (meaningful for owners).
    pub vehicle_ids: Vec<String>,
    /// Service centers (meaningful for technicians).
    pub center_ids: Vec<String>,
}

impl Caller {
    /// The subject of every token of `role` (`rbac-fleet_manager`…), so a fixture can
    /// make a resource the caller's own (a contact whose user is the owner).
    pub fn sub_of(role: Role) -> String {
        format!("rbac-{}", role_name(role))
    }

    /// The caller of `role` in `case`.
    pub fn of(world: &World, role: Role, case: Case) -> Self {
        let (org, vehicle, center) = match case {
            Case::Own => (&world.org, &world.vehicle, &world.center),
            Case::Other => (&world.org, &world.other_vehicle, &world.other_center),
            Case::Foreign | Case::Unknown => (&world.foreign_org, &world.vehicle, &world.center),
        };
        Self {
            sub: Self::sub_of(role),
            role,
            org: org.clone(),
            vehicle_ids: vec![vehicle.clone()],
            center_ids: vec![center.clone()],
        }
    }
}

/// `fleet_manager` for [`Role::FleetManager`]: the name in tokens and in the table.
pub fn role_name(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Signs callers' tokens with the development HMAC secret every service accepts.
pub fn hmac_minter(secret: &str) -> impl Fn(&Caller) -> String + Send + Sync + use<> {
    let jwt = Jwt::new(&Secret::new(secret));
    move |c: &Caller| {
        let mut claims = Claims::new(&c.sub, c.role, &c.org, chrono::Duration::hours(1));
        claims.vehicle_ids.clone_from(&c.vehicle_ids);
        claims.center_ids.clone_from(&c.center_ids);
        jwt.issue(&claims).expect("sign a test token")
    }
}

/// A path parameter's value for the own cases, and an id nobody holds for the unknown
/// case (the same value when the parameter is not an id, e.g. a component).
#[derive(Debug, Clone)]
pub struct Param {
    /// Name, as in the path template (`{vehicle_id}`) and in body placeholders.
    pub name: String,
    /// An id of the fixture's organization.
    pub own: String,
    /// An id that does not exist.
    pub unknown: String,
}

impl Param {
    /// `name` is `own`, or `unknown` in the unknown case.
    pub fn new(name: &str, own: impl Into<String>, unknown: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            own: own.into(),
            unknown: unknown.into(),
        }
    }
}

/// What one operation needs beyond its path: a query string and a JSON body (`{name}`
/// in either is replaced by parameter `name`'s value), and fresh values per call.
pub struct Request {
    /// Method.
    pub method: Method,
    /// Path, as in the OpenAPI document.
    pub path: &'static str,
    /// Query string without `?`.
    pub query: Option<String>,
    /// JSON body.
    pub body: Option<Value>,
    /// Fresh parameter values before each call.
    pub renew: Option<Renew>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Request({} {})", self.method, self.path)
    }
}

impl Request {
    /// `method path` with nothing more.
    pub fn new(method: Method, path: &'static str) -> Self {
        Self {
            method,
            path,
            query: None,
            body: None,
            renew: None,
        }
    }

    /// With a JSON body.
    #[must_use]
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// With a query string.
    #[must_use]
    pub fn query(mut self, query: &str) -> Self {
        self.query = Some(query.to_owned());
        self
    }

    /// With fresh parameter values before each call.
    #[must_use]
    pub fn renew<F, Fut>(mut self, make: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<(String, String)>> + Send + 'static,
    {
        self.renew = Some(Box::new(move || Box::pin(make())));
        self
    }
}

/// A running service and its fixture.
pub struct Matrix<'a> {
    /// The service's name: the `##` heading of its table in `docs/rbac.md`.
    pub service: &'a str,
    /// The running service.
    pub client: &'a TestClient,
    /// Its OpenAPI document.
    pub openapi: &'a Value,
    /// Signs a caller's token.
    pub mint: &'a (dyn Fn(&Caller) -> String + Send + Sync),
    /// Who is who.
    pub world: World,
    /// Path (and body placeholder) values.
    pub params: Vec<Param>,
    /// Queries, bodies and fresh values of operations that need them.
    pub requests: Vec<Request>,
    /// Text only callers reaching the fixture's resources may see (their ids).
    pub private: Vec<String>,
}

impl std::fmt::Debug for Matrix<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matrix")
            .field("service", &self.service)
            .field("world", &self.world)
            .field("params", &self.params)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

/// What a passing [`check`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Operations checked.
    pub operations: usize,
    /// Requests sent.
    pub requests: usize,
}

/// Checks the service against its rows of the workspace's `docs/rbac.md`; panics
/// listing every mismatch and every coverage problem.
pub async fn check(matrix: &Matrix<'_>) -> Report {
    check_against(matrix, &Policy::workspace()).await
}

/// [`check`] against `policy`.
pub async fn check_against(matrix: &Matrix<'_>, policy: &Policy) -> Report {
    let no_rows = Vec::new();
    let rows = policy.services.get(matrix.service).unwrap_or(&no_rows);
    let (plan, mut problems) = coverage::plan(matrix, rows);
    if rows.is_empty() {
        problems.push(format!(
            "docs/rbac.md has no table under `## {}`",
            matrix.service
        ));
    }
    let mut runner = run::Runner::new(matrix);
    for op in &plan {
        runner.operation(op).await;
    }
    problems.append(&mut runner.problems);
    assert!(
        problems.is_empty(),
        "RBAC matrix of {}: {} problem(s) (policy: docs/rbac.md):\n{}",
        matrix.service,
        problems.len(),
        problems
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:>4}. {p}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Report {
        operations: plan.len(),
        requests: runner.requests,
    }
}
