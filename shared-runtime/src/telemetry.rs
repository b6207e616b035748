//! Structured JSON logs.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs JSON logging filtered by `RUST_LOG` (default `info`). Each line carries the
/// current span's fields, so request and event spans put the correlation id on every
/// line. Calling it twice is harmless (tests start several apps in one process).
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false),
        )
        .try_init();
}
