//! Scheduling service: repair jobs booked into real capacity (centers, technicians, bays,
//! parts). For now it holds the batch optimizer of `shared/scheduling/SPEC.md`
//! (`domain::optimizer`), which the `schedule-bench` binary runs.

pub mod domain;
