//! A small SMTP server (RFC 5321 without relaying, TLS or real authentication): enough
//! for any client, lettre included, to hand it messages, which it parses and keeps.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use mail_parser::{MessageParser, MessagePart, MimeHeaders};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::store::{Attachment, Item, Store};

/// Largest message accepted.
const MAX_SIZE: usize = 10 * 1024 * 1024;
/// Longest command line.
const MAX_LINE: usize = 4096;

pub(crate) async fn serve(listener: TcpListener, store: Arc<Store>, shutdown: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    if let Err(e) = session(stream, &store).await {
                        tracing::debug!(%peer, error = %e, "SMTP session ended");
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "SMTP accept failed"),
        }
    }
}

async fn reply(w: &mut (impl AsyncWriteExt + Unpin), text: &str) -> std::io::Result<()> {
    w.write_all(text.as_bytes()).await?;
    w.write_all(b"\r\n").await?;
    w.flush().await
}

/// Reads one line (without CRLF), or `None` at end of stream.
async fn line(
    r: &mut (impl AsyncBufReadExt + Unpin),
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    buf.clear();
    let n = r.read_until(b'\n', buf).await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "line too long",
        ));
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(buf.clone()))
}

fn arg_address(arg: &str) -> String {
    let a = arg.trim();
    let a = a.split_once(':').map_or(a, |(_, rest)| rest).trim();
    let a = a.split_whitespace().next().unwrap_or_default();
    a.trim_start_matches('<').trim_end_matches('>').to_owned()
}

async fn session(stream: TcpStream, store: &Store) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut buf = Vec::new();
    reply(&mut w, "220 devinbox ESMTP ready").await?;
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    while let Some(raw) = line(&mut r, &mut buf, MAX_LINE).await? {
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (verb, arg) = text.split_once(' ').unwrap_or((&text, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                reply(
                    &mut w,
                    "250-devinbox greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-SIZE 10485760\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES",
                )
                .await?;
            }
            "HELO" => reply(&mut w, "250 devinbox").await?,
            "MAIL" => {
                from = arg_address(arg);
                to.clear();
                reply(&mut w, "250 2.1.0 OK").await?;
            }
            "RCPT" => {
                if to.len() >= 100 {
                    reply(&mut w, "452 4.5.3 Too many recipients").await?;
                } else {
                    to.push(arg_address(arg));
                    reply(&mut w, "250 2.1.5 OK").await?;
                }
            }
            "DATA" => {
                if to.is_empty() {
                    reply(&mut w, "503 5.5.1 RCPT first").await?;
                    continue;
                }
                reply(&mut w, "354 End data with <CR><LF>.<CR><LF>").await?;
                match message_data(&mut r, &mut buf).await? {
                    Data::Closed => return Ok(()),
                    Data::TooBig => reply(&mut w, "552 5.3.4 Message too big").await?,
                    Data::Complete(data) => {
                        let id = keep(store, &from, &to, &data);
                        reply(&mut w, &format!("250 2.0.0 OK queued as {id}")).await?;
                    }
                }
                to.clear();
            }
            "AUTH" => {
                if !authenticate(&mut r, &mut w, &mut buf, arg).await? {
                    return Ok(());
                }
            }
            "RSET" => {
                from.clear();
                to.clear();
                reply(&mut w, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(&mut w, "250 2.0.0 OK").await?,
            "VRFY" => reply(&mut w, "252 2.5.0 Cannot verify").await?,
            "STARTTLS" => reply(&mut w, "454 4.7.0 TLS not available").await?,
            "QUIT" => {
                reply(&mut w, "221 2.0.0 Bye").await?;
                return Ok(());
            }
            _ => reply(&mut w, "502 5.5.2 Command not recognized").await?,
        }
    }
    Ok(())
}

/// A message's data as the client sent it.
enum Data {
    /// The data, dot-stuffing undone, lines ending in CRLF.
    Complete(Vec<u8>),
    /// Larger than [`MAX_SIZE`] (read to its end and dropped).
    TooBig,
    /// The client went away before the end.
    Closed,
}

/// Reads a message's data up to the line holding a lone `.`.
async fn message_data(
    r: &mut (impl AsyncBufReadExt + Unpin),
    buf: &mut Vec<u8>,
) -> std::io::Result<Data> {
    let mut data: Vec<u8> = Vec::new();
    let mut too_big = false;
    loop {
        let Some(l) = line(r, buf, MAX_SIZE).await? else {
            return Ok(Data::Closed);
        };
        if l == b"." {
            break;
        }
        let l = if l.first() == Some(&b'.') {
            &l[1..]
        } else {
            &l[..]
        };
        if data.len() + l.len() > MAX_SIZE {
            too_big = true;
            continue;
        }
        data.extend_from_slice(l);
        data.extend_from_slice(b"\r\n");
    }
    Ok(if too_big {
        Data::TooBig
    } else {
        Data::Complete(data)
    })
}

/// Answers `AUTH` (`arg`: its mechanism and initial response), asking for the user
/// name and password of `LOGIN`; `false` when the client went away meanwhile.
async fn authenticate(
    r: &mut (impl AsyncBufReadExt + Unpin),
    w: &mut (impl AsyncWriteExt + Unpin),
    buf: &mut Vec<u8>,
    arg: &str,
) -> std::io::Result<bool> {
    if arg.to_ascii_uppercase().starts_with("LOGIN") && arg.split_whitespace().count() == 1 {
        reply(w, "334 VXNlcm5hbWU6").await?;
        if line(r, buf, MAX_LINE).await?.is_none() {
            return Ok(false);
        }
        reply(w, "334 UGFzc3dvcmQ6").await?;
        if line(r, buf, MAX_LINE).await?.is_none() {
            return Ok(false);
        }
    }
    // Any credentials will do: this is a development sink.
    reply(w, "235 2.7.0 Authentication successful").await?;
    Ok(true)
}

fn keep(store: &Store, from: &str, to: &[String], data: &[u8]) -> u64 {
    let parsed = MessageParser::default().parse(data);
    let mut headers = HashMap::new();
    let attachments = parsed
        .as_ref()
        .map(|m| m.attachments().map(attachment).collect())
        .unwrap_or_default();
    let (subject, text, html, message_id) = match &parsed {
        Some(m) => {
            for h in m.headers() {
                let name = h.name();
                if name.to_ascii_lowercase().starts_with("x-")
                    && let Some(v) = m.header_raw(name)
                {
                    headers.insert(name.to_owned(), v.trim().to_owned());
                }
            }
            (
                m.subject().unwrap_or_default().to_owned(),
                m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                m.body_html(0).map(|t| t.into_owned()),
                m.message_id().map(|id| format!("<{id}>")),
            )
        }
        None => (
            String::new(),
            String::from_utf8_lossy(data).into_owned(),
            None,
            None,
        ),
    };
    let item = Item {
        id: 0,
        kind: "email",
        received_at: Utc::now(),
        from: from.to_owned(),
        to: to.to_vec(),
        subject,
        text,
        html,
        message_id,
        headers,
        data: None,
        size: data.len(),
        attachments,
    };
    tracing::info!(from, to = ?to, subject = %item.subject, "email received");
    store.add(item, None).0
}

/// An attachment as kept: name, full content type, content.
fn attachment(part: &MessagePart<'_>) -> Attachment {
    let content_type = part.content_type().map_or_else(
        || "application/octet-stream".to_owned(),
        |ct| {
            let mut s = match ct.subtype() {
                Some(sub) => format!("{}/{sub}", ct.ctype()),
                None => ct.ctype().to_owned(),
            };
            for a in ct.attributes().unwrap_or_default() {
                s.push_str(&format!("; {}={}", a.name, a.value));
            }
            s
        },
    );
    Attachment {
        filename: part.attachment_name().map(str::to_owned),
        content_type,
        content: String::from_utf8_lossy(part.contents()).into_owned(),
    }
}
