//! The warranty service binary.

use warranty::Config;

// Like the other services: allocation-heavy JSON.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::service::main(Config::from_env, warranty::build).await
}
