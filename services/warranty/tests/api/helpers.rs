//! `spawn_app()` and tokens.

use std::ops::Deref;
use std::time::Duration;

use shared_runtime::auth::Role;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;
use warranty::Config;

pub(crate) const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
#[allow(dead_code)]
pub(crate) const ORG: &str = "acme";

/// A running warranty app.
pub(crate) struct TestApp(pub(crate) TestService);

impl Deref for TestApp {
    type Target = TestService;
    fn deref(&self) -> &TestService {
        &self.0
    }
}

/// The configuration a test app runs with: its own data folder, no other service.
pub(crate) fn test_config(database_url: &str, prefix: &str) -> Config {
    let data_dir = std::env::temp_dir().join(format!("warranty-{}", prefix.trim_end_matches(':')));
    Config {
        common: testing::common_config(database_url, prefix, JWT_SECRET),
        data_dir,
        health_url: None,
        ingestion_url: None,
        alert_url: None,
        scheduling_url: None,
        lookup_timeout: Duration::from_millis(500),
        max_attachment_bytes: 1 << 20,
        qdrant_url: None,
        inbox_retention_days: 14,
    }
}

/// A warranty app on a fresh database and Redis prefix, with a tweaked configuration.
pub(crate) async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = testing::fresh_database("warranty").await;
    let prefix = testing::unique_prefix("warranty");
    let mut config = test_config(&database_url, &prefix);
    tweak(&mut config);
    let common = config.common.clone();
    TestApp(TestService::start(&common, |shutdown| warranty::build(config, shutdown)).await)
}

/// A warranty app with the test configuration.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// A token for `role` in organization `org`.
#[allow(dead_code)]
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, "tester", role, org, vehicles)
}
