//! The agent service binary.

use agent::Config;
use anyhow::Context;

// Decisions allocate many small strings (prompts, JSON); mimalloc keeps allocation off
// the profile like in the other services.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::telemetry::init_logging();
    let config = Config::from_env().context("reading configuration")?;
    let shutdown = shared_runtime::shutdown::on_signal();
    agent::build(config, shutdown).await?.run().await
}
