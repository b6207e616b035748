//! The ingestion service binary.

use anyhow::Context;
use ingestion::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::telemetry::init_logging();
    let config = Config::from_env().context("reading configuration")?;
    let shutdown = shared_runtime::shutdown::on_signal();
    Application::build(config, shutdown).await?.run().await
}
