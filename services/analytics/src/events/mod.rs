//! Consumers of the platform's streams.
