//! The async runtime of a command.

use anyhow::Context;

/// A runtime with `threads` worker threads; with one (or zero), everything runs on
/// the calling thread, leaving the other cores to the services under test.
pub(crate) fn build(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .context("starting the async runtime")
}
