//! `spawn_app()`, tokens and requests.

use std::ops::Deref;
use std::time::Duration;

use scheduling::Config;
use shared_runtime::auth::Role;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;

pub(crate) const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
pub(crate) const ORG: &str = "acme";

/// A running scheduling app.
pub(crate) struct TestApp(pub(crate) TestService);

impl Deref for TestApp {
    type Target = TestService;
    fn deref(&self) -> &TestService {
        &self.0
    }
}

/// The configuration a test app runs with (no health service: positions unknown).
pub(crate) fn test_config(database_url: &str, prefix: &str) -> Config {
    Config {
        common: testing::common_config(database_url, prefix, JWT_SECRET),
        health_url: None,
        health_timeout: Duration::from_millis(500),
        optimize_budget: Duration::from_millis(300),
        plans_every: Duration::from_secs(3600),
        inbox_retention_days: 14,
    }
}

/// A scheduling app on a fresh database and Redis prefix, with a tweaked configuration.
pub(crate) async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = testing::fresh_database("scheduling").await;
    let prefix = testing::unique_prefix("scheduling");
    let mut config = test_config(&database_url, &prefix);
    tweak(&mut config);
    let common = config.common.clone();
    TestApp(TestService::start(&common, |shutdown| scheduling::build(config, shutdown)).await)
}

/// A scheduling app with the test configuration.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// A token for `role` in organization `org`.
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, "tester", role, org, vehicles)
}
