//! `devinbox`: local development receivers for the alert service's channels, in the
//! spirit of Mailpit. One process runs
//!
//! - an SMTP server (`DEVINBOX_SMTP_ADDR`, default `127.0.0.1:1025`) that keeps every
//!   message it accepts;
//! - HTTP endpoints (`DEVINBOX_HTTP_ADDR`, default `127.0.0.1:8025`) implementing the
//!   Twilio Messages API (`POST /twilio/2010-04-01/Accounts/{sid}/Messages.json`), the
//!   FCM HTTP v1 send API (`POST /fcm/v1/projects/{project}/messages:send`) and a webhook
//!   sink (`POST /webhook/{name}`), far enough for the alert service;
//! - a web page listing what arrived (`/`, `/messages/{id}`) and a JSON API
//!   (`GET /api/messages?kind=&q=&after=`, `GET /api/messages/{id}`,
//!   `DELETE /api/messages`) for tests and tools.
//!
//! Everything is kept in memory (the newest `DEVINBOX_MAX`, default 10,000). SMS and
//! push requests with an idempotency key seen before are answered as before and not
//! stored again, like Twilio does.

mod smtp;
mod store;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn addr(name: &str, default: &str) -> anyhow::Result<SocketAddr> {
    let v = std::env::var(name).unwrap_or_else(|_| default.to_owned());
    v.parse()
        .with_context(|| format!("{name}={v:?} is not an address like 127.0.0.1:1025"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared_runtime::telemetry::init_logging();
    let smtp_addr = addr("DEVINBOX_SMTP_ADDR", "127.0.0.1:1025")?;
    let http_addr = addr("DEVINBOX_HTTP_ADDR", "127.0.0.1:8025")?;
    let max: usize = match std::env::var("DEVINBOX_MAX") {
        Ok(v) => v
            .parse()
            .with_context(|| format!("DEVINBOX_MAX={v:?} is not a count"))?,
        Err(_) => 10_000,
    };
    let store = Arc::new(store::Store::new(max.max(1)));
    let smtp = tokio::net::TcpListener::bind(smtp_addr)
        .await
        .with_context(|| format!("binding SMTP {smtp_addr}"))?;
    let http = tokio::net::TcpListener::bind(http_addr)
        .await
        .with_context(|| format!("binding HTTP {http_addr}"))?;
    // Tests bind port 0: say where we are on stdout, one line each.
    println!("smtp {}", smtp.local_addr()?);
    println!("http {}", http.local_addr()?);
    tracing::info!(smtp = %smtp.local_addr()?, http = %http.local_addr()?, "devinbox listening");
    let shutdown = shared_runtime::shutdown::on_signal();
    let smtp_task = tokio::spawn(smtp::serve(smtp, Arc::clone(&store), shutdown.clone()));
    shared_runtime::http::serve(http, web::router(store), shutdown).await?;
    smtp_task.abort();
    Ok(())
}
