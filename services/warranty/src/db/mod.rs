//! SQL of the service's tables (bound parameters only).
