//! The booking engine on a hand-made snapshot: a week from Monday 2026-03-02.

mod fixture;
mod options_tests;
mod plan_tests;
