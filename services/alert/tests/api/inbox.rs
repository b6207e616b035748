//! The `devinbox` receivers as a child process.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running devinbox.
pub(crate) struct Inbox {
    pub(crate) smtp: String,
    pub(crate) http: String,
    _child: Child,
    client: reqwest::Client,
}

impl Inbox {
    /// Starts one on free ports.
    pub(crate) async fn start() -> Self {
        Self::start_on("127.0.0.1:0").await
    }

    /// Starts one with its SMTP server on `smtp_addr`.
    pub(crate) async fn start_on(smtp_addr: &str) -> Self {
        alert::install_crypto();
        let mut child = Command::new(env!("CARGO_BIN_EXE_devinbox"))
            .env("DEVINBOX_SMTP_ADDR", smtp_addr)
            .env("DEVINBOX_HTTP_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start devinbox");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut smtp, mut http) = (String::new(), String::new());
        while smtp.is_empty() || http.is_empty() {
            let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
                .await
                .expect("devinbox starts within 20 s")
                .unwrap()
                .expect("devinbox printed its addresses");
            if let Some(a) = line.strip_prefix("smtp ") {
                smtp = a.to_owned();
            } else if let Some(a) = line.strip_prefix("http ") {
                http = format!("http://{a}");
            }
        }
        Self {
            smtp,
            http,
            _child: child,
            client: reqwest::Client::new(),
        }
    }

    /// Messages of `kind` (all kinds when `None`).
    pub(crate) async fn messages(&self, kind: Option<&str>) -> Vec<Value> {
        let mut url = format!("{}/api/messages?limit=10000", self.http);
        if let Some(k) = kind {
            url.push_str(&format!("&kind={k}"));
        }
        let v: Value = self
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["messages"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until at least `n` messages of `kind` match `pred` (fails after `secs`).
    pub(crate) async fn wait_for(
        &self,
        kind: &str,
        n: usize,
        secs: u64,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let found: Vec<Value> = self
                .messages(Some(kind))
                .await
                .into_iter()
                .filter(|m| pred(m))
                .collect();
            if found.len() >= n {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} {kind} message(s) within {secs} s, got {}: {found:#?}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
