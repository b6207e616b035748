//! The audit consumer: group `analytics-audit` reads every stream of the catalog
//! (request audit events included) and appends each batch to the log in one
//! transaction, acknowledged after the commit. Redeliveries are no-ops: an event is
//! recorded once per chain (`(source_id, org_id)` is unique and checked first).

use std::sync::Arc;

use shared_runtime::consumer::{BatchHandler, ConsumerConfig, Delivery, HandlerError};

use crate::domain::audit::draft::Draft;
use crate::pipeline::audit::Auditor;

/// Consumer group of the audit.
pub const GROUP: &str = "analytics-audit";

/// Entries read per stream and call.
pub const BATCH: usize = 1_000;

/// Every event type the audit records: the whole catalog.
pub fn event_types() -> Vec<String> {
    shared_schemas::catalog()
        .into_iter()
        .map(|i| i.event_type.to_owned())
        .collect()
}

/// The audit consumer's settings.
pub fn consumer_config() -> ConsumerConfig {
    ConsumerConfig::new(GROUP, event_types()).batch_size(BATCH)
}

/// Appends batches of events to the audit log.
#[derive(Debug, Clone)]
pub struct AuditRecorder {
    auditor: Auditor,
}

impl AuditRecorder {
    /// A recorder into `auditor`.
    pub fn new(auditor: Auditor) -> Arc<Self> {
        Arc::new(Self { auditor })
    }
}

#[async_trait::async_trait]
impl BatchHandler for AuditRecorder {
    async fn handle_batch(&self, batch: &[Delivery]) -> Vec<Result<(), HandlerError>> {
        let drafts: Vec<Draft> = batch.iter().map(|d| Draft::of(&d.envelope)).collect();
        match self.auditor.record(&drafts).await {
            Ok(_) => return drafts.iter().map(|_| Ok(())).collect(),
            Err(e) if drafts.len() == 1 => return vec![Err(HandlerError::transient(e))],
            Err(e) => {
                tracing::warn!(error = %e, size = drafts.len(), "audit batch failed; recording its events one by one");
            }
        }
        // One by one, so an event Postgres refuses does not hold its neighbours back.
        let mut results = Vec::with_capacity(drafts.len());
        for draft in &drafts {
            let result = self.auditor.record(std::slice::from_ref(draft)).await;
            results.push(result.map(|_| ()).map_err(HandlerError::transient));
        }
        results
    }
}
