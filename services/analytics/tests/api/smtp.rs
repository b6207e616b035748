//! A minimal SMTP receiver for tests: accepts every message and keeps its raw text.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Messages received, raw (headers and body, dot-unstuffed).
#[derive(Clone, Default)]
pub(crate) struct Received(Arc<Mutex<Vec<String>>>);

impl Received {
    /// Waits until `n` messages arrived (fails after 20 s) and returns them.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let got = self.0.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} mails, got {}", self.0.lock().unwrap().len());
    }

    /// What arrived so far.
    pub(crate) fn now(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Starts a receiver on a free port: its `smtp://` URL and the messages.
pub(crate) async fn start() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let received = Received::default();
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(session(socket, store.clone()));
        }
    });
    (url, received)
}

async fn session(socket: tokio::net::TcpStream, store: Received) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 test ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 test\r\n",
            "DATA" => {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                let mut message = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    message.push_str(l.strip_prefix('.').unwrap_or(&l));
                    message.push('\n');
                }
                store
                    .0
                    .lock()
                    .unwrap()
                    .push(unfold_quoted_printable(&message));
                b"250 queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"250 ok\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Undoes quoted-printable's soft line breaks and `=3D` (enough to read links back).
fn unfold_quoted_printable(text: &str) -> String {
    text.replace("=\n", "").replace("=3D", "=")
}
