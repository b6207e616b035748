//! The agent service binary.

use agent::Config;

// Decisions allocate many small strings (prompts, JSON); mimalloc keeps allocation off
// the profile like in the other services.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::service::main(Config::from_env, agent::build).await
}
