//! The alert service binary.

use alert::Config;
use anyhow::Context;

// Like the other services: allocation-heavy JSON and message rendering.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::telemetry::init_logging();
    let config = Config::from_env().context("reading configuration")?;
    let shutdown = shared_runtime::shutdown::on_signal();
    alert::build(config, shutdown).await?.run().await
}
