//! Remaining-useful-life regression on the NASA C-MAPSS turbofan data.
//!
//! Pipeline: [`data`] parses the text files; [`conditions`] standardises sensors per
//! operating condition; [`features`] turns each unit's history into windowed features;
//! [`learners`] fits gradient-boosted trees and ridge regression; [`model`] ties them into
//! a [`RulModel`] that is trained, saved as a versioned JSON artifact, loaded, and asked
//! for the RUL of a unit from its cycle history; [`cv`] estimates accuracy on the
//! training units only; [`bench`] is the benchmark used by the `cmapss-bench` binary.
//!
//! ```no_run
//! use models_training::cmapss::{RulModel, read_series};
//! # fn main() -> Result<(), models_training::cmapss::CmapssError> {
//! let model = RulModel::load(std::path::Path::new("models-training/artifacts/cmapss-fd001-v2.json"))?;
//! let units = read_series(std::path::Path::new("models-training/data/cmapss/test_FD001.txt"))?;
//! let rul_cycles = model.predict_rul(&units[0].cycles)?;
//! # let _ = rul_cycles; Ok(()) }
//! ```

pub mod bench;
pub mod conditions;
pub mod cv;
pub mod data;
pub mod error;
pub mod features;
pub mod intervals;
pub mod learners;
pub mod model;
pub mod trees;
pub mod tune;

pub use data::{CycleRecord, UnitSeries, read_rul, read_series};
pub use error::{CmapssError, Result};
pub use model::{RulModel, TrainConfig};
