//! A batch of canonical readings: its request, the verdicts sorted for the hand-off,
//! and the per-reading answer.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use shared_schemas::events::telemetry::Problem;
use shared_schemas::telemetry::TelemetryReading;
use utoipa::ToSchema;

use super::judge::{Incoming, Verdict};
use crate::domain::parse;
use crate::error::ApiError;
use crate::pipeline::{Accepted, Refused, Status};

/// A batch of canonical readings.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// The device's name for this batch (1-128 printable characters), sent again
    /// unchanged when the batch is retried. When present, readings are deduplicated
    /// within the batch rather than each under its own key, which costs ingestion less
    /// (ADR 0027): a reading already accepted in this batch is a `duplicate`, but one
    /// resent in another batch or alone is appended again.
    #[serde(default, deserialize_with = "named_batch_id")]
    #[schema(max_length = 128, min_length = 1)]
    pub batch_id: Option<String>,
    /// Up to `INGESTION_MAX_BATCH` (default 10,000) readings; each is judged on its own.
    #[schema(value_type = Vec<TelemetryReading>)]
    pub readings: Vec<Box<RawValue>>,
}

/// Per-reading results of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// Readings appended now.
    pub accepted: usize,
    /// Readings already accepted earlier under the same key.
    pub duplicates: usize,
    /// Readings refused.
    pub rejected: usize,
    /// Backfill not taken because too many older readings wait to be processed: send
    /// them again after `Retry-After` (ADR 0020).
    pub deferred: usize,
    /// One result per reading, in request order.
    pub results: Vec<BatchItem>,
}

/// The result of one reading of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    /// Position in the request.
    pub index: usize,
    /// Idempotency key, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading_id: Option<String>,
    /// What happened.
    pub status: Status,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// What was ignored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Problem>,
}

impl BatchRequest {
    /// Parses a batch body of at most `max` readings.
    pub(crate) fn read(body: &[u8], max: usize) -> Result<Self, ApiError> {
        let batch: Self = serde_json::from_slice(body).map_err(|e| {
            ApiError::BadRequest(format!("body is not a batch {{\"readings\": [...]}}: {e}"))
        })?;
        if batch.readings.is_empty() {
            return Err(ApiError::BadRequest("`readings` is empty".to_owned()));
        }
        if let Some(id) = &batch.batch_id {
            check_batch_id(id)?;
        }
        if batch.readings.len() > max {
            return Err(ApiError::TooLarge(format!(
                "{} readings in one batch; at most {max} allowed",
                batch.readings.len(),
            )));
        }
        Ok(batch)
    }

    /// Each reading parsed (or why not), in order.
    pub(crate) fn incoming(&self) -> Vec<Incoming> {
        self.readings
            .iter()
            .map(|raw| Incoming {
                parsed: parse::reading(raw.get()),
                raw: None,
            })
            .collect()
    }
}

/// A `batch_id` of the wrong type, named in the error (serde's says only where).
fn named_batch_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
        .map_err(|e| serde::de::Error::custom(format!("`batch_id`: {e}")))
}

/// Longest `batch_id`.
const MAX_BATCH_ID: usize = 128;

fn check_batch_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.chars().count() > MAX_BATCH_ID {
        return Err(ApiError::BadRequest(format!(
            "`batch_id` must be 1 to {MAX_BATCH_ID} characters, got {}",
            id.chars().count()
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "`batch_id` holds a control character".to_owned(),
        ));
    }
    Ok(())
}

/// Where one reading of a batch went.
#[derive(Clone, Copy)]
enum Slot {
    /// Index into `accepted`.
    Taken(usize),
    /// Index into `refused`.
    Refused(usize),
    /// Backfill deferred; index into `accepted_ids`.
    Deferred(usize),
}

/// A batch's verdicts sorted for the hand-off: what to append, what to record as
/// refused, and where each reading went.
pub(super) struct Sorted {
    pub(super) accepted: Vec<Accepted>,
    pub(super) refused: Vec<Refused>,
    /// Where each reading went.
    slots: Vec<Slot>,
    warnings: Vec<Vec<Problem>>,
    /// Per taken reading (original numbering): its idempotency key.
    accepted_ids: Vec<String>,
    /// Per taken reading (original numbering): its index in what was handed off, once
    /// backfill was deferred.
    taken_index: Vec<Option<usize>>,
}

impl From<Vec<Verdict>> for Sorted {
    fn from(verdicts: Vec<Verdict>) -> Self {
        let mut sorted = Self {
            accepted: Vec::with_capacity(verdicts.len()),
            refused: Vec::new(),
            slots: Vec::with_capacity(verdicts.len()),
            warnings: Vec::with_capacity(verdicts.len()),
            accepted_ids: Vec::with_capacity(verdicts.len()),
            taken_index: Vec::new(),
        };
        for verdict in verdicts {
            match verdict {
                Verdict::Take { accepted, warnings } => {
                    sorted.slots.push(Slot::Taken(sorted.accepted.len()));
                    sorted.accepted_ids.push(accepted.reading_id.clone());
                    sorted.accepted.push(accepted);
                    sorted.warnings.push(warnings);
                }
                Verdict::Refuse(refused) => {
                    sorted.slots.push(Slot::Refused(sorted.refused.len()));
                    sorted.refused.push(refused);
                    sorted.warnings.push(Vec::new());
                }
            }
        }
        sorted
    }
}

impl Sorted {
    /// Takes the backfill readings out of the hand-off (the backlog is too long);
    /// returns how many.
    pub(super) fn defer_backfill(&mut self) -> usize {
        // Old index in `accepted` -> new one, or None when deferred.
        let mut kept = 0;
        let renumber: Vec<Option<usize>> = self
            .accepted
            .iter()
            .map(|a| {
                (!a.backfill).then(|| {
                    kept += 1;
                    kept - 1
                })
            })
            .collect();
        let deferred = self.accepted.len() - kept;
        if deferred == 0 {
            return 0;
        }
        self.accepted.retain(|a| !a.backfill);
        for slot in &mut self.slots {
            // `accepted_ids` keeps the original numbering.
            if let Slot::Taken(i) = *slot
                && renumber[i].is_none()
            {
                *slot = Slot::Deferred(i);
            }
        }
        self.taken_index = renumber;
        deferred
    }

    /// The answer, given the hand-off's status of each accepted reading.
    pub(super) fn answer(mut self, statuses: &[Status]) -> BatchResponse {
        let mut response = BatchResponse {
            accepted: 0,
            duplicates: 0,
            rejected: self.refused.len(),
            deferred: 0,
            results: Vec::with_capacity(self.slots.len()),
        };
        for (index, (slot, warnings)) in self.slots.into_iter().zip(self.warnings).enumerate() {
            let item = match slot {
                Slot::Taken(i) => {
                    let handed_off = self.taken_index.get(i).copied().flatten().unwrap_or(i);
                    let status = statuses
                        .get(handed_off)
                        .copied()
                        .unwrap_or(Status::Duplicate);
                    match status {
                        Status::Accepted => response.accepted += 1,
                        _ => response.duplicates += 1,
                    }
                    BatchItem {
                        index,
                        reading_id: Some(std::mem::take(&mut self.accepted_ids[i])),
                        status,
                        problems: Vec::new(),
                        warnings,
                    }
                }
                Slot::Deferred(i) => {
                    response.deferred += 1;
                    BatchItem {
                        index,
                        reading_id: Some(std::mem::take(&mut self.accepted_ids[i])),
                        status: Status::Deferred,
                        problems: Vec::new(),
                        warnings,
                    }
                }
                Slot::Refused(i) => BatchItem {
                    index,
                    reading_id: self.refused[i].reading_id.clone(),
                    status: Status::Rejected,
                    problems: std::mem::take(&mut self.refused[i].problems),
                    warnings,
                },
            };
            response.results.push(item);
        }
        response
    }
}
