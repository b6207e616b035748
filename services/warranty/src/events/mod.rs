//! Consuming events.
