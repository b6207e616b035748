//! Verifying a chain: walk its entries in order, recompute each hash, check each link
//! and the numbering, then compare the last entry with the recorded head. The first
//! broken link is reported; what follows it is not checked (it no longer proves
//! anything).

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Entry, Head};

/// What is wrong at a broken link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The entry's content does not hash to its stored hash (it was modified).
    Content,
    /// The entry's `prev_hash` is not the previous entry's hash (an entry was replaced
    /// or inserted before it).
    Link,
    /// The entry's number is not the next one (entries before it were deleted).
    Sequence,
    /// The chain's recorded head is not its last entry (entries at the end were
    /// deleted, or the head was altered).
    Head,
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BrokenLink {
    /// The chain (organization).
    pub org_id: String,
    /// Where: the entry's number (for `head`, the recorded head's).
    pub seq: i64,
    /// The entry (absent for `head` when the chain has no entry there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<Uuid>,
    /// What is wrong.
    pub problem: Problem,
    /// What the chain says it should be: a hash (hex) for `content`, `link` and `head`,
    /// a number for `sequence`.
    pub expected: String,
    /// What is stored.
    pub found: String,
}

/// The verdict on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChainReport {
    /// The chain (organization).
    pub org_id: String,
    /// Entries checked (up to and including a broken one).
    pub checked: u64,
    /// The recorded head: the number of entries appended.
    pub head_seq: i64,
    /// The recorded head's hash (hex): note it to check later that the past did not
    /// change.
    pub head_hash: String,
    /// The first broken link, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<BrokenLink>,
}

/// Walks one chain's entries, in order.
#[derive(Debug)]
pub struct ChainCheck {
    org_id: String,
    last: Head,
    last_entry: Option<Uuid>,
    checked: u64,
    broken: Option<BrokenLink>,
}

impl ChainCheck {
    /// A check of `org_id`'s chain, from its first entry.
    pub fn new(org_id: &str) -> Self {
        Self {
            org_id: org_id.to_owned(),
            last: Head::EMPTY,
            last_entry: None,
            checked: 0,
            broken: None,
        }
    }

    /// Whether a link is already broken (the rest need not be read).
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Checks the next entry; `false` once the chain is broken.
    pub fn check(&mut self, entry: &Entry) -> bool {
        if self.broken.is_some() {
            return false;
        }
        self.checked += 1;
        let c = &entry.content;
        let expected_seq = self.last.seq + 1;
        let recomputed = c.hash(&entry.prev_hash);
        let problem = if c.seq != expected_seq {
            Some((
                Problem::Sequence,
                expected_seq.to_string(),
                c.seq.to_string(),
            ))
        } else if entry.prev_hash != self.last.hash {
            Some((
                Problem::Link,
                hex::encode(self.last.hash),
                hex::encode(entry.prev_hash),
            ))
        } else if recomputed != entry.hash {
            Some((
                Problem::Content,
                hex::encode(recomputed),
                hex::encode(entry.hash),
            ))
        } else {
            None
        };
        if let Some((problem, expected, found)) = problem {
            self.broken = Some(BrokenLink {
                org_id: self.org_id.clone(),
                seq: c.seq,
                entry_id: Some(c.entry_id),
                problem,
                expected,
                found,
            });
            return false;
        }
        self.last = Head {
            seq: c.seq,
            hash: entry.hash,
        };
        self.last_entry = Some(c.entry_id);
        true
    }

    /// The verdict, given the chain's recorded head (`None`: no head row).
    pub fn finish(mut self, head: Option<Head>) -> ChainReport {
        let head = head.unwrap_or(Head::EMPTY);
        if self.broken.is_none() && head != self.last {
            self.broken = Some(BrokenLink {
                org_id: self.org_id.clone(),
                seq: head.seq,
                entry_id: (head.seq == self.last.seq)
                    .then_some(self.last_entry)
                    .flatten(),
                problem: Problem::Head,
                expected: hex::encode(self.last.hash),
                found: hex::encode(head.hash),
            });
        }
        ChainReport {
            org_id: self.org_id,
            checked: self.checked,
            head_seq: head.seq,
            head_hash: hex::encode(head.hash),
            broken: self.broken,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::audit::{Content, GENESIS};

    fn content(n: u32) -> Content {
        Content {
            org_id: "acme".to_owned(),
            seq: 0,
            entry_id: Uuid::from_u128(u128::from(n)),
            source_id: Uuid::from_u128(1_000 + u128::from(n)),
            kind: "event".to_owned(),
            event_type: "alert.created".to_owned(),
            producer: "alert".to_owned(),
            actor: None,
            actor_role: None,
            vehicle_id: Some("truck-1".to_owned()),
            occurred_at: Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap(),
            recorded_at: Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 1).unwrap(),
            summary: format!("entry {n}"),
            payload: format!(r#"{{"n":{n}}}"#),
        }
    }

    fn chain(n: u32) -> (Vec<Entry>, Head) {
        let mut head = Head::EMPTY;
        let entries = (1..=n).map(|i| head.link(content(i))).collect();
        (entries, head)
    }

    fn verify(entries: &[Entry], head: Head) -> ChainReport {
        let mut check = ChainCheck::new("acme");
        for e in entries {
            if !check.check(e) {
                break;
            }
        }
        check.finish(Some(head))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (entries, head) = chain(5);
        assert_eq!(entries[0].prev_hash, GENESIS);
        assert_eq!(entries[3].prev_hash, entries[2].hash);
        assert_eq!(entries[4].content.seq, 5);
        let report = verify(&entries, head);
        assert_eq!((report.checked, report.head_seq), (5, 5));
        assert_eq!(report.broken, None);
        assert_eq!(report.head_hash, hex::encode(entries[4].hash));
        assert_eq!(verify(&[], Head::EMPTY).broken, None);
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = content(1);
        let hash = base.hash(&GENESIS);
        let mut changed: Vec<Content> = Vec::new();
        let edits: [fn(&mut Content); 14] = [
            |c| c.org_id.push('x'),
            |c| c.seq += 1,
            |c| c.entry_id = Uuid::nil(),
            |c| c.source_id = Uuid::nil(),
            |c| c.kind = "request".to_owned(),
            |c| c.event_type.push('x'),
            |c| c.producer.push('x'),
            |c| c.actor = Some(String::new()),
            |c| c.actor_role = Some("admin".to_owned()),
            |c| c.vehicle_id = None,
            |c| c.occurred_at += chrono::Duration::microseconds(1),
            |c| c.recorded_at += chrono::Duration::microseconds(1),
            |c| c.summary.push(' '),
            |c| c.payload = r#"{"n": 1}"#.to_owned(),
        ];
        for edit in edits {
            let mut c = base.clone();
            edit(&mut c);
            changed.push(c);
        }
        for c in &changed {
            assert_ne!(c.hash(&GENESIS), hash, "{c:?}");
        }
        assert_ne!(base.hash(&[1; 32]), hash, "the link is covered");
        // Moving bytes from one field to the next changes the hash (length prefixes).
        let mut shifted = base.clone();
        shifted.summary = "entry".to_owned();
        shifted.payload = format!(" 1{}", base.payload);
        assert_ne!(shifted.hash(&GENESIS), hash);
    }

    #[test]
    fn a_modified_entry_is_the_broken_link() {
        let (mut entries, head) = chain(5);
        entries[2].content.payload = r#"{"n":99}"#.to_owned();
        let report = verify(&entries, head);
        let broken = report.broken.unwrap();
        assert_eq!((broken.seq, broken.problem), (3, Problem::Content));
        assert_eq!(broken.entry_id, Some(entries[2].content.entry_id));
        assert_eq!(broken.found, hex::encode(entries[2].hash));
        assert_eq!(
            broken.expected,
            hex::encode(entries[2].content.hash(&entries[2].prev_hash))
        );
        assert_eq!(report.checked, 3);
    }

    #[test]
    fn a_rehashed_entry_breaks_the_next_link() {
        let (mut entries, head) = chain(4);
        entries[1].content.summary = "forged".to_owned();
        entries[1].hash = entries[1].content.hash(&entries[1].prev_hash);
        let broken = verify(&entries, head).broken.unwrap();
        assert_eq!((broken.seq, broken.problem), (3, Problem::Link));
        assert_eq!(broken.expected, hex::encode(entries[1].hash));
    }

    #[test]
    fn deleted_entries_break_the_sequence_or_the_head() {
        let (mut entries, head) = chain(5);
        let middle = entries.remove(2);
        let broken = verify(&entries, head).broken.unwrap();
        assert_eq!((broken.seq, broken.problem), (4, Problem::Sequence));
        assert_eq!(
            (broken.expected.as_str(), broken.found.as_str()),
            ("3", "4")
        );
        entries.insert(2, middle);

        entries.pop();
        let broken = verify(&entries, head).broken.unwrap();
        assert_eq!((broken.seq, broken.problem), (5, Problem::Head));
        assert_eq!(broken.expected, hex::encode(entries[3].hash));
        assert_eq!(broken.entry_id, None);
        let no_head = {
            let mut check = ChainCheck::new("acme");
            check.check(&entries[0]);
            check.finish(None)
        };
        assert_eq!(no_head.broken.unwrap().problem, Problem::Head);
    }
}
