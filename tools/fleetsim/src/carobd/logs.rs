//! Reading the carOBD logs: one gzipped CSV per engine run, 27 PIDs a row.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The PIDs of one row the replay uses (the rest are fuel trims, throttle and
/// catalyst readings the health engine has no use for).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// Run time since engine start (PID 1F), s.
    pub run_s: f64,
    /// Engine speed (PID 0C), rpm.
    pub rpm: f64,
    /// Vehicle speed (PID 0D), km/h.
    pub speed_kph: f64,
    /// Calculated engine load (PID 04), %.
    pub load_pct: f64,
    /// Coolant temperature (PID 05), °C.
    pub coolant_c: f64,
    /// Intake manifold absolute pressure (PID 0B), kPa.
    pub map_kpa: f64,
    /// Barometric pressure (PID 33), kPa.
    pub baro_kpa: f64,
    /// Control module voltage (PID 42), V.
    pub volts: f64,
}

/// One log: an engine run from key-on to stop.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    /// The file's name without extension, e.g. `drive5`.
    pub name: String,
    /// Its rows, in order.
    pub rows: Vec<Row>,
}

impl Trip {
    /// Its length by the ECU's run-time counter, s.
    pub fn duration_s(&self) -> f64 {
        self.rows.last().map_or(0.0, |r| r.run_s)
    }

    /// Whether the car stood with the engine running (an `idle*` log).
    pub fn is_idle(&self) -> bool {
        self.name.starts_with("idle")
    }
}

/// The logs bundled with fleetsim (a subset of the dataset).
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/carobd")
}

/// Every `*.csv` or `*.csv.gz` log in `dir`, by name.
pub fn load_dir(dir: &Path) -> anyhow::Result<Vec<Trip>> {
    let mut trips = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(name) = file
            .strip_suffix(".csv.gz")
            .or_else(|| file.strip_suffix(".csv"))
        else {
            continue;
        };
        let text = read_text(&path)?;
        let rows = parse(&text).with_context(|| format!("parsing {}", path.display()))?;
        trips.push(Trip {
            name: name.to_owned(),
            rows,
        });
    }
    if trips.is_empty() {
        bail!("no carOBD logs (*.csv, *.csv.gz) in {}", dir.display());
    }
    trips.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(trips)
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .with_context(|| format!("decompressing {}", path.display()))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))
    }
}

/// The columns the replay reads, by the header's names (`ENGINE_RUN_TINE` is the
/// dataset's spelling).
const COLUMNS: [&str; 8] = [
    "ENGINE_RUN_TINE",
    "ENGINE_RPM",
    "VEHICLE_SPEED",
    "ENGINE_LOAD",
    "COOLANT_TEMPERATURE",
    "INTAKE_MANIFOLD_PRESSURE",
    "ABSOLUTE_BAROMETRIC_PRESSURE",
    "CONTROL_MODULE_VOLTAGE",
];

fn parse(text: &str) -> anyhow::Result<Vec<Row>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .context("empty file")?
        .split(',')
        .map(|h| h.split_whitespace().next().unwrap_or(""))
        .collect();
    let mut at = [0usize; COLUMNS.len()];
    for (k, name) in COLUMNS.iter().enumerate() {
        at[k] = header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("no {name} column"))?;
    }
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let mut v = [0.0; COLUMNS.len()];
        for (k, &col) in at.iter().enumerate() {
            let cell = cells.get(col).copied().unwrap_or("");
            v[k] = cell
                .parse()
                .with_context(|| format!("line {}: {} is `{cell}`", n + 2, COLUMNS[k]))?;
        }
        rows.push(Row {
            run_s: v[0],
            rpm: v[1],
            speed_kph: v[2],
            load_pct: v[3],
            coolant_c: v[4],
            map_kpa: v[5],
            baro_kpa: v[6],
            volts: v[7],
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_logs_parse_with_their_cranking_dips() {
        let trips = load_dir(&bundled_dir()).expect("bundled logs");
        assert_eq!(trips.len(), 12);
        let long10 = trips.iter().find(|t| t.name == "long10").expect("long10");
        assert_eq!(long10.rows.len(), 5035);
        assert_eq!(long10.duration_s(), 2474.0);
        let lowest = long10.rows.iter().map(|r| r.volts).fold(f64::MAX, f64::min);
        assert!((lowest - 7.558).abs() < 1e-9, "{lowest}");
        assert!(trips.iter().any(Trip::is_idle));
    }

    #[test]
    fn a_missing_column_is_named() {
        let err = parse("ENGINE_RPM (),VEHICLE_SPEED ()\n800, 0,\n").unwrap_err();
        assert!(err.to_string().contains("ENGINE_RUN_TINE"), "{err}");
    }
}
