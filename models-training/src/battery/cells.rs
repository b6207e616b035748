//! The NASA Ames cells' capacity per discharge cycle.
//!
//! The files hold the discharge cycles only, one row per sample:
//! `Voltage_measured, Current_measured, Temperature_measured, Current_load, Voltage_load,
//! Time, cycle_idx`. A cycle's capacity is the charge it delivered: the integral of the
//! discharge current over time (trapezoids), in ampere-hours.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};

/// The cells of the data set, in the usual order.
pub const CELLS: [&str; 4] = ["B0005", "B0006", "B0007", "B0018"];
/// Cycles whose mean capacity is a cell's capacity when new: its own baseline, as the
/// engine learns a vehicle's healthy values from its first days.
const BASELINE_CYCLES: usize = 5;
/// Columns used: measured current, A (negative while discharging), and time, s.
const CURRENT: usize = 1;
const TIME: usize = 5;
const CYCLE: usize = 6;
const COLUMNS: usize = 7;

/// One cell's capacity fade.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The cell's name, e.g. `B0005`.
    pub name: String,
    /// Capacity of each discharge cycle, Ah; index 0 is cycle 1.
    pub capacity_ah: Vec<f64>,
}

/// The committed capacities of every cell (`data/nasa-battery/capacity.csv`, derived
/// from the raw data by `battery-bench --data-dir … --write-capacities …`), so that the
/// bench and its test run on any clone.
pub fn capacity_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/nasa-battery/capacity.csv")
}

/// Reads `cell,cycle,capacity_ah` rows (header first), cycles 1, 2, … per cell, into
/// the cells of [`CELLS`], in that order.
pub fn read_capacities(path: &Path) -> anyhow::Result<Vec<Cell>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let mut cells: Vec<Cell> = CELLS
        .iter()
        .map(|name| Cell {
            name: (*name).to_owned(),
            capacity_ah: Vec::new(),
        })
        .collect();
    for (n, line) in text.lines().enumerate().skip(1) {
        let at = || format!("{} line {}", path.display(), n + 1);
        let mut fields = line.split(',');
        let (Some(name), Some(cycle), Some(ah), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            bail!("{}: expected cell,cycle,capacity_ah", at());
        };
        let cell = cells
            .iter_mut()
            .find(|c| c.name == name)
            .with_context(|| format!("{}: unknown cell {name}", at()))?;
        let cycle: usize = cycle.parse().with_context(at)?;
        ensure!(
            cycle == cell.cycles() + 1,
            "{}: cycle {cycle} out of order",
            at()
        );
        cell.capacity_ah.push(ah.parse().with_context(at)?);
    }
    ensure!(
        cells.iter().all(|c| c.cycles() > 0),
        "{}: a cell has no cycles",
        path.display()
    );
    Ok(cells)
}

/// Writes `cells` as [`read_capacities`] reads them (every digit kept).
pub fn write_capacities(path: &Path, cells: &[Cell]) -> anyhow::Result<()> {
    let mut text = String::from("cell,cycle,capacity_ah\n");
    for c in cells {
        for (i, ah) in c.capacity_ah.iter().enumerate() {
            text.push_str(&format!("{},{},{ah}\n", c.name, i + 1));
        }
    }
    std::fs::write(path, text).with_context(|| format!("{}", path.display()))
}

impl Cell {
    /// Reads `<dir>/<name>.csv.gz`.
    pub fn load(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let path = dir.join(format!("{name}.csv.gz"));
        let file = std::fs::File::open(&path).with_context(|| format!("{}", path.display()))?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text)
            .with_context(|| format!("{}", path.display()))?;
        Self::parse(name, &text).with_context(|| format!("{}", path.display()))
    }

    /// Parses the CSV text of a cell (header first); cycles must be numbered 1, 2, …
    /// in order.
    pub fn parse(name: &str, text: &str) -> anyhow::Result<Self> {
        let mut capacity_ah: Vec<f64> = Vec::new();
        let mut cycle = Integral::default();
        for (n, line) in text.lines().enumerate().skip(1) {
            let (time, current, number) =
                sample(line).with_context(|| format!("line {}", n + 1))?;
            if number != cycle.number {
                ensure!(
                    number == cycle.number + 1,
                    "line {}: cycle {number} after {}",
                    n + 1,
                    cycle.number
                );
                if cycle.number > 0 {
                    capacity_ah.push(cycle.ah());
                }
                cycle = Integral {
                    number,
                    ..Integral::default()
                };
            }
            cycle.add(time, current);
        }
        ensure!(cycle.number > 0, "no samples");
        capacity_ah.push(cycle.ah());
        Ok(Self {
            name: name.to_owned(),
            capacity_ah,
        })
    }

    /// Cycles recorded.
    pub fn cycles(&self) -> usize {
        self.capacity_ah.len()
    }

    /// Capacity when new, Ah: the mean of the first cycles.
    pub fn initial_ah(&self) -> f64 {
        let first = &self.capacity_ah[..BASELINE_CYCLES.min(self.cycles())];
        first.iter().sum::<f64>() / first.len().max(1) as f64
    }

    /// Capacity of cycle `cycle` (1-based), Ah.
    pub fn capacity(&self, cycle: usize) -> f64 {
        self.capacity_ah[cycle - 1]
    }

    /// End of life at `threshold_ah`: the first cycle whose capacity is below it;
    /// `None` when the cell never gets there in the data.
    pub fn eol_cycle(&self, threshold_ah: f64) -> Option<usize> {
        self.capacity_ah
            .iter()
            .position(|c| *c < threshold_ah)
            .map(|i| i + 1)
    }
}

/// Time, s, measured current, A, and cycle number of a CSV line.
fn sample(line: &str) -> anyhow::Result<(f64, f64, usize)> {
    let fields: Vec<&str> = line.split(',').collect();
    ensure!(fields.len() == COLUMNS, "{} columns", fields.len());
    let number = |i: usize| -> anyhow::Result<f64> {
        let field = fields[i].trim();
        field.parse::<f64>().with_context(|| format!("`{field}`"))
    };
    let cycle = number(CYCLE)?;
    if cycle < 1.0 || cycle.fract() != 0.0 {
        bail!("cycle `{cycle}`");
    }
    Ok((number(TIME)?, number(CURRENT)?, cycle as usize))
}

/// The charge delivered so far in one cycle.
#[derive(Debug, Default)]
struct Integral {
    /// The cycle (0 before the first).
    number: usize,
    /// The previous sample: time, s, and discharge current, A.
    previous: Option<(f64, f64)>,
    /// Charge delivered, A·s.
    charge_as: f64,
}

impl Integral {
    fn add(&mut self, time: f64, current: f64) {
        // Discharging draws a negative current; a rest or charge sample adds none.
        let discharge = (-current).max(0.0);
        if let Some((t0, i0)) = self.previous {
            self.charge_as += 0.5 * (i0 + discharge) * (time - t0);
        }
        self.previous = Some((time, discharge));
    }

    fn ah(&self) -> f64 {
        self.charge_as / 3600.0
    }
}
