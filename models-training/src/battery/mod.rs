//! The NASA Ames Li-ion ageing cells (B0005, B0006, B0007, B0018; Saha & Goebel,
//! NASA Prognostics Data Repository, 2007) as a real run-to-failure benchmark of the
//! health engine's learning: the growth laws of `health::growth`, chosen by the
//! training code of `training::growth`, and the split-conformal RUL intervals of
//! `health::interval`, learned leave-one-cell-out on capacity fade and scored by the
//! error of the predicted end of life (`battery-bench`).

pub mod baseline;
pub mod cells;
pub mod folds;
pub mod learn;
pub mod score;

pub use cells::{CELLS, Cell, capacity_file, read_capacities, write_capacities};
pub use folds::{Fold, Prediction, fold, leave_one_cell_out};
pub use learn::{Learned, Setup};
