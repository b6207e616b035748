//! The ingestion service binary.

use anyhow::Context;
use ingestion::Config;

// Ingestion allocates per reading (parsing, envelopes); glibc malloc was a third of its
// CPU profile under batch load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::telemetry::init_logging();
    let config = Config::from_env().context("reading configuration")?;
    let shutdown = shared_runtime::shutdown::on_signal();
    ingestion::build(config, shutdown).await?.run().await
}
