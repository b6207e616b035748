//! A minimal SMTP sink on a free port: accepts every message (no TLS, no auth) and
//! keeps it raw, for tests that check what the service mails.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A running sink.
pub(crate) struct Sink {
    /// `host:port`.
    pub(crate) addr: String,
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Sink {
    /// Starts one on 127.0.0.1 (it stops with the test's runtime).
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, kept.clone()));
            }
        });
        Self { addr, messages }
    }

    /// The messages received so far, raw.
    pub(crate) fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits until `n` messages arrived (fails after 20 s).
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        shared_runtime::testing::app::wait_until(
            Duration::from_secs(20),
            &format!("{n} mail(s)"),
            || async {
                let m = self.messages();
                (m.len() >= n).then_some(m)
            },
        )
        .await
    }
}

async fn session(stream: TcpStream, kept: Arc<Mutex<Vec<Vec<u8>>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
            "DATA" => {
                write.write_all(b"354 go on\r\n").await?;
                let message = data(&mut lines).await?;
                kept.lock().unwrap().push(message);
                b"250 kept\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"250 OK\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The message up to the lone `.`, dot-unstuffed.
async fn data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<Vec<u8>> {
    let mut message = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 || line == b".\r\n" {
            return Ok(message);
        }
        let start = usize::from(line.starts_with(b".."));
        message.extend_from_slice(&line[start..]);
    }
}
