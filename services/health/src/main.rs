//! The health service binary.

use anyhow::Context;
use health::Config;

// The consumer decodes, folds and re-encodes vehicle states per batch; mimalloc keeps
// allocation off the profile like in ingestion.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::telemetry::init_logging();
    let config = Config::from_env().context("reading configuration")?;
    let shutdown = shared_runtime::shutdown::on_signal();
    health::build(config, shutdown).await?.run().await
}
