//! Parsing of the C-MAPSS text files.
//!
//! A series file (`train_FD00x.txt`, `test_FD00x.txt`) has one row per engine cycle with 26
//! space-separated numbers: unit, cycle, 3 operational settings, 21 sensors. A RUL file
//! (`RUL_FD00x.txt`) has one number per test unit, in unit order.

use std::path::Path;

use super::error::{CmapssError, Result};

/// Number of operational-setting columns.
pub const N_SETTINGS: usize = 3;
/// Number of sensor columns.
pub const N_SENSORS: usize = 21;
/// Number of columns of a series row.
pub const N_COLUMNS: usize = 2 + N_SETTINGS + N_SENSORS;

/// One row: the state of one engine at one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleRecord {
    /// Cycle number (1-based, increasing within a unit).
    pub cycle: u32,
    /// Operational settings 1..=3.
    pub settings: [f64; N_SETTINGS],
    /// Sensor measurements 1..=21 (index 0 is sensor 1).
    pub sensors: [f64; N_SENSORS],
}

/// The cycle history of one engine, in cycle order.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSeries {
    /// Unit number as in the file.
    pub unit: u32,
    /// Rows in increasing cycle order.
    pub cycles: Vec<CycleRecord>,
}

impl UnitSeries {
    /// The first `n` cycles (the whole series if shorter): the history seen if the
    /// observation stopped after cycle `n`.
    pub fn truncated(&self, n: usize) -> UnitSeries {
        UnitSeries {
            unit: self.unit,
            cycles: self.cycles[..n.min(self.cycles.len())].to_vec(),
        }
    }
}

/// Reads a text file, decompressing it if its name ends in `.gz` (the project keeps the
/// larger subsets compressed).
fn read_text(path: &Path) -> Result<String> {
    let io_error = |error| CmapssError::Io {
        path: path.to_path_buf(),
        error,
    };
    if path.extension().is_some_and(|e| e == "gz") {
        let file = std::fs::File::open(path).map_err(io_error)?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text)
            .map_err(io_error)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(io_error)
    }
}

/// Reads a series file; errors name the file and line.
pub fn read_series(path: &Path) -> Result<Vec<UnitSeries>> {
    parse_series(&read_text(path)?, &path.display().to_string())
}

/// Reads a RUL file (one value per test unit); errors name the file and line.
pub fn read_rul(path: &Path) -> Result<Vec<f64>> {
    parse_rul(&read_text(path)?, &path.display().to_string())
}

fn parse_error(source_name: &str, line: usize, message: String) -> CmapssError {
    CmapssError::Parse {
        source_name: source_name.to_owned(),
        line,
        message,
    }
}

fn parse_number(token: &str, column: usize, source_name: &str, line: usize) -> Result<f64> {
    let value: f64 = token.parse().map_err(|_| {
        parse_error(
            source_name,
            line,
            format!("column {column}: `{token}` is not a number"),
        )
    })?;
    if !value.is_finite() {
        return Err(parse_error(
            source_name,
            line,
            format!("column {column}: `{token}` is not finite"),
        ));
    }
    Ok(value)
}

fn parse_index(token: &str, column: usize, source_name: &str, line: usize) -> Result<u32> {
    let value = parse_number(token, column, source_name, line)?;
    if value < 1.0 || value.fract() != 0.0 || value > f64::from(u32::MAX) {
        return Err(parse_error(
            source_name,
            line,
            format!("column {column}: `{token}` is not a positive integer"),
        ));
    }
    // Exact: checked integral and in range above.
    Ok(value as u32)
}

/// Parses the text of a series file. `source_name` is used in error messages.
///
/// Blank lines are skipped. Rows of a unit must be contiguous with strictly increasing
/// cycles, because the features are computed over each unit's history in order.
pub fn parse_series(text: &str, source_name: &str) -> Result<Vec<UnitSeries>> {
    let mut units: Vec<UnitSeries> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let tokens: Vec<&str> = raw.split_whitespace().collect();
        if tokens.is_empty() {
            continue;
        }
        if tokens.len() != N_COLUMNS {
            return Err(parse_error(
                source_name,
                line,
                format!("expected {N_COLUMNS} columns, found {}", tokens.len()),
            ));
        }
        let unit = parse_index(tokens[0], 1, source_name, line)?;
        let cycle = parse_index(tokens[1], 2, source_name, line)?;
        let mut settings = [0.0; N_SETTINGS];
        for (i, slot) in settings.iter_mut().enumerate() {
            *slot = parse_number(tokens[2 + i], 3 + i, source_name, line)?;
        }
        let mut sensors = [0.0; N_SENSORS];
        for (i, slot) in sensors.iter_mut().enumerate() {
            *slot = parse_number(
                tokens[2 + N_SETTINGS + i],
                3 + N_SETTINGS + i,
                source_name,
                line,
            )?;
        }
        let record = CycleRecord {
            cycle,
            settings,
            sensors,
        };
        match units.last_mut() {
            Some(current) if current.unit == unit => {
                let previous = current.cycles.last().map_or(0, |r| r.cycle);
                if cycle <= previous {
                    return Err(parse_error(
                        source_name,
                        line,
                        format!("unit {unit}: cycle {cycle} does not follow cycle {previous}"),
                    ));
                }
                current.cycles.push(record);
            }
            _ => {
                if units.iter().any(|u| u.unit == unit) {
                    return Err(parse_error(
                        source_name,
                        line,
                        format!("unit {unit} appears again after other units"),
                    ));
                }
                units.push(UnitSeries {
                    unit,
                    cycles: vec![record],
                });
            }
        }
    }
    if units.is_empty() {
        return Err(CmapssError::InvalidData(format!(
            "{source_name}: no data rows"
        )));
    }
    Ok(units)
}

/// Parses the text of a RUL file: one non-negative number per non-blank line.
pub fn parse_rul(text: &str, source_name: &str) -> Result<Vec<f64>> {
    let mut values = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let tokens: Vec<&str> = raw.split_whitespace().collect();
        match tokens.as_slice() {
            [] => {}
            [token] => {
                let value = parse_number(token, 1, source_name, line)?;
                if value < 0.0 {
                    return Err(parse_error(
                        source_name,
                        line,
                        format!("RUL `{token}` is negative"),
                    ));
                }
                values.push(value);
            }
            _ => {
                return Err(parse_error(
                    source_name,
                    line,
                    format!("expected 1 column, found {}", tokens.len()),
                ));
            }
        }
    }
    if values.is_empty() {
        return Err(CmapssError::InvalidData(format!(
            "{source_name}: no RUL values"
        )));
    }
    Ok(values)
}

/// The subset name (`FD001`..`FD004`, or any `FD` + digits) found in a file name such as
/// `train_FD002.txt`; `None` if the name has none.
pub fn subset_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let upper = stem.to_ascii_uppercase();
    let start = upper.find("FD")?;
    let digits: String = upper[start + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        None
    } else {
        Some(format!("FD{digits}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: u32, cycle: u32, base: f64) -> String {
        let mut cols = vec![unit.to_string(), cycle.to_string()];
        cols.extend((0..N_SETTINGS + N_SENSORS).map(|i| format!("{}", base + i as f64)));
        cols.join(" ") + " "
    }

    #[test]
    fn parses_units_in_order() {
        let text = [
            row(1, 1, 0.5),
            row(1, 2, 1.5),
            String::new(),
            row(2, 1, 2.5),
        ]
        .join("\n");
        let units = parse_series(&text, "t.txt").expect("valid text");
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].unit, 1);
        assert_eq!(units[0].cycles.len(), 2);
        assert_eq!(units[0].cycles[1].cycle, 2);
        assert_eq!(units[0].cycles[1].settings, [1.5, 2.5, 3.5]);
        assert_eq!(units[0].cycles[1].sensors[0], 4.5);
        assert_eq!(units[0].cycles[1].sensors[20], 24.5);
        assert_eq!(units[1].cycles[0].cycle, 1);
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let mut bad = row(1, 2, 0.0);
        bad = bad.replacen("5", "x5", 1);
        let text = [row(1, 1, 0.0), bad].join("\n");
        let err = parse_series(&text, "train_FD001.txt").expect_err("must fail");
        let msg = err.to_string();
        assert!(msg.starts_with("train_FD001.txt:2:"), "{msg}");
        assert!(msg.contains("not a number"), "{msg}");

        let short = "1 1 0.0 0.0";
        let msg = parse_series(short, "f.txt").expect_err("short").to_string();
        assert!(
            msg.contains("f.txt:1: expected 26 columns, found 4"),
            "{msg}"
        );
    }

    #[test]
    fn rejects_out_of_order_cycles_and_split_units() {
        let text = [row(1, 2, 0.0), row(1, 2, 0.0)].join("\n");
        assert!(parse_series(&text, "f").is_err());
        let text = [row(1, 1, 0.0), row(2, 1, 0.0), row(1, 2, 0.0)].join("\n");
        let msg = parse_series(&text, "f").expect_err("split").to_string();
        assert!(msg.contains("f:3:"), "{msg}");
        assert!(parse_series("\n\n", "f").is_err());
    }

    #[test]
    fn parses_rul_and_rejects_bad_values() {
        assert_eq!(
            parse_rul("112 \n98\n\n69\n", "r").expect("valid"),
            vec![112.0, 98.0, 69.0]
        );
        let msg = parse_rul("1\n-3\n", "RUL_FD001.txt")
            .expect_err("negative")
            .to_string();
        assert!(msg.starts_with("RUL_FD001.txt:2:"), "{msg}");
        assert!(parse_rul("1 2\n", "r").is_err());
        assert!(parse_rul("abc\n", "r").is_err());
    }

    #[test]
    fn subset_name_from_file_name() {
        assert_eq!(
            subset_name(Path::new("a/train_FD001.txt")).as_deref(),
            Some("FD001")
        );
        assert_eq!(
            subset_name(Path::new("test_fd004.txt")).as_deref(),
            Some("FD004")
        );
        assert_eq!(subset_name(Path::new("train.txt")), None);
    }

    #[test]
    fn truncation_keeps_the_first_cycles() {
        let text = [row(3, 1, 0.0), row(3, 2, 0.0), row(3, 3, 0.0)].join("\n");
        let units = parse_series(&text, "f").expect("valid");
        assert_eq!(units[0].truncated(2).cycles.len(), 2);
        assert_eq!(units[0].truncated(10).cycles.len(), 3);
    }
}
