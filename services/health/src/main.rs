//! The health service binary.

use health::Config;

// The consumer decodes, folds and re-encodes vehicle states per batch; mimalloc keeps
// allocation off the profile like in ingestion.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::service::main(Config::from_env, health::build).await
}
