//! Trouble code meanings: a curated table of generic SAE J2012 codes and the J1939
//! SPNs/FMIs the agent needs (`data/*.tsv`, compiled into the binary). Each code names
//! the component it points at and a hint the rule-based diagnoser reads (`hot`, `cold`,
//! `leak`, `def_quality`…).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;
use shared_schemas::telemetry::Dtc;

const J2012: &str = include_str!("../../data/dtc_j2012.tsv");
const J1939: &str = include_str!("../../data/j1939.tsv");

/// What a code means.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meaning {
    /// Display form: `P0217`, or `SPN 110 FMI 0`.
    pub code: String,
    /// The component (`cooling`, `dpf`…) or system (`engine`, `network`) it points at.
    pub component: String,
    /// Failure-mode hint (empty when none).
    pub hint: String,
    /// What it means.
    pub description: String,
    /// Whether the code is in the table (an unknown code still gets a generic meaning).
    pub known: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    component: &'static str,
    hint: &'static str,
    description: &'static str,
}

#[derive(Debug, Default)]
struct Table {
    obd: HashMap<&'static str, Entry>,
    spn: HashMap<u32, Entry>,
    fmi: HashMap<u8, &'static str>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table::default();
        for line in J2012
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let mut f = line.split('\t');
            if let (Some(code), Some(component), Some(hint), Some(description)) =
                (f.next(), f.next(), f.next(), f.next())
            {
                t.obd.insert(
                    code,
                    Entry {
                        component,
                        hint,
                        description,
                    },
                );
            }
        }
        for line in J1939
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let f: Vec<&'static str> = line.split('\t').collect();
            match f.as_slice() {
                ["spn", n, component, hint, description] => {
                    if let Ok(n) = n.parse() {
                        t.spn.insert(
                            n,
                            Entry {
                                component,
                                hint,
                                description,
                            },
                        );
                    }
                }
                ["fmi", n, description] => {
                    if let Ok(n) = n.parse() {
                        t.fmi.insert(n, *description);
                    }
                }
                _ => {}
            }
        }
        t
    })
}

/// Number of J2012 codes and J1939 SPNs in the table.
pub fn size() -> (usize, usize) {
    let t = table();
    (t.obd.len(), t.spn.len())
}

/// The display form of a code.
pub fn display(dtc: &Dtc) -> String {
    match dtc {
        Dtc::Obd { code } => code.trim().to_ascii_uppercase(),
        Dtc::J1939 { spn, fmi, .. } => format!("SPN {spn} FMI {fmi}"),
    }
}

/// The meaning of `dtc`.
pub fn explain(dtc: &Dtc) -> Meaning {
    let t = table();
    match dtc {
        Dtc::Obd { code } => {
            let code = code.trim().to_ascii_uppercase();
            match t.obd.get(code.as_str()) {
                Some(e) => Meaning {
                    code,
                    component: e.component.to_owned(),
                    hint: e.hint.to_owned(),
                    description: e.description.to_owned(),
                    known: true,
                },
                None => Meaning {
                    description: generic_obd(&code),
                    code,
                    component: "unknown".to_owned(),
                    hint: String::new(),
                    known: false,
                },
            }
        }
        Dtc::J1939 { spn, fmi, .. } => {
            let fmi_text = t
                .fmi
                .get(fmi)
                .copied()
                .unwrap_or("failure mode reserved or unknown");
            let code = format!("SPN {spn} FMI {fmi}");
            match t.spn.get(spn) {
                Some(e) => Meaning {
                    code,
                    component: e.component.to_owned(),
                    hint: j1939_hint(e.hint, *fmi),
                    description: format!("{}: {fmi_text}", e.description),
                    known: true,
                },
                None => Meaning {
                    code,
                    component: "unknown".to_owned(),
                    hint: String::new(),
                    description: format!("Parameter {spn} (not in the table): {fmi_text}"),
                    known: false,
                },
            }
        }
    }
}

/// A J1939 hint sharpened by the FMI: a temperature SPN reading high is `hot`, low is
/// `cold`; an electrical FMI (3–6) is a `sensor` problem whatever the parameter.
fn j1939_hint(hint: &str, fmi: u8) -> String {
    match fmi {
        3..=6 | 8 | 9 | 12 | 13 | 19 => "sensor".to_owned(),
        _ if hint == "hot" && matches!(fmi, 1 | 17 | 18 | 21) => "cold".to_owned(),
        _ => hint.to_owned(),
    }
}

/// A meaning from the code's structure alone (J2012 letter and first digits).
fn generic_obd(code: &str) -> String {
    let mut chars = code.chars();
    let system = match chars.next() {
        Some('P') => "powertrain",
        Some('C') => "chassis",
        Some('B') => "body",
        Some('U') => "network",
        _ => return "not a J2012 trouble code".to_owned(),
    };
    let kind = match chars.next() {
        Some('0' | '2') => "generic",
        Some('1' | '3') => "manufacturer-specific",
        _ => "unclassified",
    };
    format!("{kind} {system} code, not in the agent's table: look it up in the service manual")
}

/// Parses a code as a user or a model writes it: `P0217`, `p0217`, `SPN 110 FMI 0`,
/// `110/0`, `spn110-fmi0`.
pub fn parse(text: &str) -> Option<Dtc> {
    let s = text.trim();
    let upper = s.to_ascii_uppercase();
    if upper.len() == 5
        && upper.starts_with(['P', 'C', 'B', 'U'])
        && upper[1..].chars().all(|c| c.is_ascii_hexdigit())
    {
        return Some(Dtc::Obd { code: upper });
    }
    let digits: Vec<u32> = upper
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    match digits.as_slice() {
        [spn, fmi] if *spn < 524_288 && *fmi < 32 => Some(Dtc::J1939 {
            spn: *spn,
            fmi: *fmi as u8,
            occurrences: None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obd(code: &str) -> Dtc {
        Dtc::Obd {
            code: code.to_owned(),
        }
    }

    #[test]
    fn table_is_large_and_well_formed() {
        let (obd_n, spn_n) = size();
        assert!(obd_n >= 300, "{obd_n} J2012 codes");
        assert!(spn_n >= 50, "{spn_n} SPNs");
        let m = explain(&obd("p0217"));
        assert!(m.known);
        assert_eq!((m.component.as_str(), m.hint.as_str()), ("cooling", "hot"));
        assert_eq!(m.code, "P0217");
    }

    #[test]
    fn every_code_the_simulator_raises_is_known() {
        for code in [
            "P2463", "P20EE", "P207F", "P0524", "P250F", "P0217", "P0128", "P0562", "P0218",
        ] {
            assert!(explain(&obd(code)).known, "{code}");
        }
        let brake = explain(&Dtc::J1939 {
            spn: 1099,
            fmi: 1,
            occurrences: None,
        });
        assert!(brake.known);
        assert_eq!(brake.component, "brakes");
        assert!(brake.description.contains("below the normal"), "{brake:?}");
    }

    #[test]
    fn fmi_sharpens_the_hint_and_unknown_codes_still_explain() {
        let hot = explain(&Dtc::J1939 {
            spn: 110,
            fmi: 0,
            occurrences: None,
        });
        assert_eq!(hot.hint, "hot");
        let cold = explain(&Dtc::J1939 {
            spn: 110,
            fmi: 1,
            occurrences: None,
        });
        assert_eq!(cold.hint, "cold");
        let wiring = explain(&Dtc::J1939 {
            spn: 110,
            fmi: 4,
            occurrences: None,
        });
        assert_eq!(wiring.hint, "sensor");
        let unknown = explain(&obd("P1234"));
        assert!(!unknown.known);
        assert!(unknown.description.contains("manufacturer-specific"));
    }

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(parse(" p20ee "), Some(obd("P20EE")));
        let spn = Some(Dtc::J1939 {
            spn: 3364,
            fmi: 18,
            occurrences: None,
        });
        assert_eq!(parse("SPN 3364 FMI 18"), spn);
        assert_eq!(parse("3364/18"), spn);
        assert_eq!(parse("hello"), None);
    }
}
