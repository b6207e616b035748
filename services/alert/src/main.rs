//! The alert service binary.

use alert::Config;

// Like the other services: allocation-heavy JSON and message rendering.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::service::main(Config::from_env, alert::build).await
}
