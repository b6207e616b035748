//! The ingestion service binary.

use ingestion::Config;

// Ingestion allocates per reading (parsing, envelopes); glibc malloc was a third of its
// CPU profile under batch load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::service::main(Config::from_env, ingestion::build).await
}
