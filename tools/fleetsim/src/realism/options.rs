//! Which realism features a run turns on (`--profile realistic`, `--realism a,b`,
//! `--no-<feature>`): each is a switch of its own so ablations can isolate it.

use serde::Serialize;

/// The realism switches. All off is the default profile, whose output is unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RealismOptions {
    /// Per-vehicle law family (linear, power, exponential, sigmoid, step-then-drift),
    /// onset→failure span and onset drawn from the parameters' distributions (off: the
    /// mode's own curve and the default profile's span and onset).
    pub laws: bool,
    /// Wear accrues with use (km, engine hours × load, idling, ambient; parked time
    /// barely counts) instead of calendar time.
    pub usage: bool,
    /// Some degraded vehicles get a second (and third) concurrent fault.
    pub concurrent: bool,
    /// Corrective repairs after failures, routine services that reset components,
    /// and faults found and fixed at a service before they fail.
    pub repairs: bool,
    /// Some faults started before the run: the vehicle enters the fleet degraded.
    pub pre_degraded: bool,
    /// Sensor faults that are not component faults: stuck, drift, dropout, noisy
    /// CAN, wrong units from one gateway.
    pub sensor_faults: bool,
    /// Some healthy heavy-duty trucks run hot (coolant and transmission) all the time.
    pub runs_hot: bool,
    /// Stronger or weaker seasons, heat waves and cold snaps, and routes at altitude.
    pub climate: bool,
    /// Several vehicle models per kind, each with its own baseline.
    pub variants: bool,
}

/// Every switch's command-line name, in the order of [`RealismOptions`].
pub const FEATURES: [&str; 9] = [
    "laws",
    "usage",
    "concurrent",
    "repairs",
    "pre_degraded",
    "sensor_faults",
    "runs_hot",
    "climate",
    "variants",
];

impl RealismOptions {
    /// Every feature on: `--profile realistic`.
    pub const ALL: Self = Self {
        laws: true,
        usage: true,
        concurrent: true,
        repairs: true,
        pre_degraded: true,
        sensor_faults: true,
        runs_hot: true,
        climate: true,
        variants: true,
    };

    fn slot(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name.trim().replace('-', "_").as_str() {
            "laws" => &mut self.laws,
            "usage" => &mut self.usage,
            "concurrent" => &mut self.concurrent,
            "repairs" => &mut self.repairs,
            "pre_degraded" => &mut self.pre_degraded,
            "sensor_faults" => &mut self.sensor_faults,
            "runs_hot" => &mut self.runs_hot,
            "climate" => &mut self.climate,
            "variants" => &mut self.variants,
            _ => return None,
        })
    }

    /// Turns the named feature on or off; an unknown name is an error naming the
    /// known ones.
    pub fn set(&mut self, name: &str, on: bool) -> Result<(), String> {
        let slot = self.slot(name).ok_or_else(|| {
            format!(
                "unknown realism feature {name:?} (known: {})",
                FEATURES.join(", ")
            )
        })?;
        *slot = on;
        Ok(())
    }

    /// The options of a comma-separated feature list (`all` for every one).
    pub fn parse_list(list: &str) -> Result<Self, String> {
        let mut out = Self::default();
        for name in list.split(',').filter(|n| !n.trim().is_empty()) {
            if name.trim() == "all" {
                out = Self::ALL;
            } else {
                out.set(name, true)?;
            }
        }
        Ok(out)
    }

    /// Whether any switch is on.
    pub fn any(&self) -> bool {
        *self != Self::default()
    }

    /// Whether the component faults are the realistic kind (any fault switch on).
    pub fn realistic_faults(&self) -> bool {
        self.laws || self.usage || self.concurrent || self.repairs || self.pre_degraded
    }

    /// The names of the switches that are on.
    pub fn names(&self) -> Vec<&'static str> {
        let mut copy = *self;
        FEATURES
            .into_iter()
            .filter(|n| copy.slot(n).is_some_and(|s| *s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_to_switches_and_unknown_names_are_refused() {
        let o = RealismOptions::parse_list("laws, sensor-faults").expect("list");
        assert!(o.laws && o.sensor_faults && !o.usage);
        assert_eq!(o.names(), vec!["laws", "sensor_faults"]);
        assert_eq!(
            RealismOptions::parse_list("all").expect("all"),
            RealismOptions::ALL
        );
        assert_eq!(RealismOptions::ALL.names().len(), FEATURES.len());
        let err = RealismOptions::parse_list("laws,warp").expect_err("unknown");
        assert!(err.contains("warp") && err.contains("usage"), "{err}");
        assert!(!RealismOptions::default().any());
    }
}
