//! `fleetsim replay-obd`: the carOBD month as OBD-II requests, written as JSON lines
//! or posted to ingestion's `POST /v1/telemetry/obd2`.
