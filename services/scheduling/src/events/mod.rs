//! Consuming events: agent decisions become jobs to book.

pub mod decisions;
