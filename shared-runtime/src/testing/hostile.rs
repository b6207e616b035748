//! Hostile input against every operation of a service's OpenAPI document (placeholder;
//! being written).
