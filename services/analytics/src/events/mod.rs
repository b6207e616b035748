//! Consumers of the platform's streams: the audit log's and the metrics read models'.

pub mod audit;
pub mod metrics;
