//! `spawn_app()` and tokens.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use shared_runtime::auth::Role;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;
use warranty::Config;
use warranty::pipeline::claims::Decide;

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
        retry_after: Duration::from_secs(60),
        retry_max_attempts: 5,
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

/// A warranty app whose claims `decide` analyses, on a fresh database and Redis prefix
/// with a tweaked configuration; the configuration too, for [`replica`].
#[allow(dead_code)]
pub(crate) async fn spawn_deciding(
    decide: Arc<dyn Decide>,
    tweak: impl FnOnce(&mut Config),
) -> (TestApp, Config) {
    let database_url = testing::fresh_database("warranty").await;
    let prefix = testing::unique_prefix("warranty");
    let mut config = test_config(&database_url, &prefix);
    tweak(&mut config);
    let app = replica(config.clone(), decide).await;
    (app, config)
}

/// Another replica of the app of `config` (same database and Redis prefix).
#[allow(dead_code)]
pub(crate) async fn replica(config: Config, decide: Arc<dyn Decide>) -> TestApp {
    let common = config.common.clone();
    TestApp(TestService::start(&common, |s| warranty::app::build_with(config, decide, s)).await)
}

/// A warranty app with the test configuration.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// The JSON body of `GET path` as `tok`.
#[allow(dead_code)]
pub(crate) async fn get_json(app: &TestService, path: &str, tok: &str) -> serde_json::Value {
    app.get_as(path, tok).await.json().await.unwrap()
}

/// The statuses a claim (as served) moved through, oldest first.
#[allow(dead_code)]
pub(crate) fn moves(claim: &serde_json::Value) -> Vec<&str> {
    claim["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to_status"].as_str().unwrap())
        .collect()
}

/// A token for `role` in organization `org`.
#[allow(dead_code)]
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, "tester", role, org, vehicles)
}
