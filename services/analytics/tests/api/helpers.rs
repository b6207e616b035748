//! `spawn_app()`, tokens and the configuration a test app runs with.

use std::ops::Deref;

use analytics::Config;
use analytics::config::IdentityConfig;
use shared_runtime::auth::Role;
use shared_runtime::config::Secret;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;

pub(crate) const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
#[allow(dead_code)]
pub(crate) const ORG: &str = "acme";
/// A fixed Ed25519 seed (base64) for tests: tokens are signed with it.
pub(crate) const SIGNING_KEY: &str = "qjTBwOVZJXzpO6ZD3wLJwyg9vlf2V7v3KsW2Q3I0ZZ4=";
pub(crate) const ADMIN_EMAIL: &str = "admin@example.test";
pub(crate) const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub(crate) const AGENT_SECRET: &str = "agent-client-secret-0123456789";

/// A running analytics app.
pub(crate) struct TestApp(TestService);

impl Deref for TestApp {
    type Target = TestService;
    fn deref(&self) -> &TestService {
        &self.0
    }
}

/// The configuration a test app runs with.
pub(crate) fn test_config(database_url: &str, prefix: &str) -> Config {
    Config {
        common: testing::common_config(database_url, prefix, JWT_SECRET),
        identity: IdentityConfig {
            bootstrap_admin: Some((ADMIN_EMAIL.to_owned(), Secret::new(ADMIN_PASSWORD))),
            service_clients: Secret::new(format!("agent={AGENT_SECRET}")),
            ..IdentityConfig::with_signing_key(Secret::new(SIGNING_KEY))
        },
        smtp_url: None,
        mail_from: "fleet-platform@example.test".to_owned(),
        public_url: "http://localhost:8007".to_owned(),
        audit_yields_to: vec!["health".to_owned()],
        dashboard: analytics::config::DashboardConfig::default(),
    }
}

/// An analytics app on a fresh database and Redis prefix.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// An analytics app on a fresh database and Redis prefix, with a tweaked configuration.
pub(crate) async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = testing::fresh_database("analytics").await;
    let prefix = testing::unique_prefix("analytics");
    let mut config = test_config(&database_url, &prefix);
    tweak(&mut config);
    let common = config.common.clone();
    TestApp(TestService::start(&common, |shutdown| analytics::build(config, shutdown)).await)
}

/// A development (HMAC) token for `role` in organization `org`.
#[allow(dead_code)]
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, "tester", role, org, vehicles)
}
