//! What arrived, in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One message received on any channel.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Item {
    /// Sequence number (1, 2, …).
    pub(crate) id: u64,
    /// `email`, `sms`, `push` or `webhook`.
    pub(crate) kind: &'static str,
    /// When it arrived.
    pub(crate) received_at: DateTime<Utc>,
    /// Sender (email from, SMS From).
    pub(crate) from: String,
    /// Recipients (email to, SMS To, push token, webhook path).
    pub(crate) to: Vec<String>,
    /// Email subject, push title.
    pub(crate) subject: String,
    /// Email text part, SMS body, push body, webhook body.
    pub(crate) text: String,
    /// Email HTML part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) html: Option<String>,
    /// Email Message-ID, SMS/push idempotency key, webhook X-Fleet-Delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_id: Option<String>,
    /// Selected headers (X-Fleet-*, signatures, authorization scheme).
    pub(crate) headers: HashMap<String, String>,
    /// Push data, webhook JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data: Option<serde_json::Value>,
    /// Size in bytes as received.
    pub(crate) size: usize,
    /// Email attachments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) attachments: Vec<Attachment>,
}

/// A file attached to an email.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Attachment {
    /// Its file name, if it has one.
    pub(crate) filename: Option<String>,
    /// Its content type with its parameters, e.g. `text/calendar; charset=utf-8;
    /// method=REQUEST`.
    pub(crate) content_type: String,
    /// Its decoded content as text (invalid UTF-8 replaced).
    pub(crate) content: String,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    items: VecDeque<Item>,
    /// Idempotency key → the id stored for it.
    keys: HashMap<String, u64>,
}

/// The bounded store.
#[derive(Debug)]
pub(crate) struct Store {
    max: usize,
    inner: Mutex<Inner>,
}

impl Store {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            inner: Mutex::new(Inner {
                next: 1,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores `item` (its id assigned); with an idempotency `key` seen before, returns
    /// the earlier id and stores nothing (`false`).
    pub(crate) fn add(&self, mut item: Item, key: Option<&str>) -> (u64, bool) {
        let mut inner = self.lock();
        if let Some(k) = key
            && let Some(&id) = inner.keys.get(k)
        {
            return (id, false);
        }
        let id = inner.next;
        inner.next += 1;
        item.id = id;
        if let Some(k) = key {
            if inner.keys.len() >= self.max * 2 {
                inner.keys.clear();
            }
            inner.keys.insert(k.to_owned(), id);
        }
        if inner.items.len() >= self.max {
            inner.items.pop_front();
        }
        inner.items.push_back(item);
        (id, true)
    }

    /// Items after `after`, of `kind`, containing `q` (subject, text, recipients),
    /// oldest first, at most `limit`.
    pub(crate) fn list(
        &self,
        kind: Option<&str>,
        q: Option<&str>,
        after: u64,
        limit: usize,
    ) -> Vec<Item> {
        let inner = self.lock();
        inner
            .items
            .iter()
            .filter(|i| i.id > after)
            .filter(|i| kind.is_none_or(|k| i.kind == k))
            .filter(|i| {
                q.is_none_or(|q| {
                    i.subject.contains(q)
                        || i.text.contains(q)
                        || i.to.iter().any(|t| t.contains(q))
                })
            })
            .take(limit)
            .cloned()
            .collect()
    }

    pub(crate) fn get(&self, id: u64) -> Option<Item> {
        self.lock().items.iter().find(|i| i.id == id).cloned()
    }

    pub(crate) fn clear(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.items.len();
        inner.items.clear();
        inner.keys.clear();
        n
    }

    pub(crate) fn counts(&self) -> HashMap<&'static str, usize> {
        let mut out = HashMap::new();
        for i in &self.lock().items {
            *out.entry(i.kind).or_default() += 1;
        }
        out
    }
}
