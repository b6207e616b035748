//! How each component fails: slowly (wear, clogging, ageing: telemetry sees it coming
//! for weeks) or suddenly (a burst hose or a seized water pump gives no warning).
//!
//! A claim for a slow-failing component whose health never declined is suspicious; the
//! same for a sudden-failure component is ordinary. The factor scales the
//! no-prior-degradation signal.

use shared_schemas::events::Component;

/// How strongly a healthy history before the failure argues against the claim (0: the
/// component fails without warning; 1: it always degrades visibly first), and why.
pub fn slow_failure(component: Component) -> (f64, &'static str) {
    match component {
        Component::Dpf => (
            1.0,
            "a DPF clogs over weeks: soot load and differential pressure rise first",
        ),
        Component::Brakes => (1.0, "brake pads wear down over thousands of km"),
        Component::ScrDef => (
            0.9,
            "SCR conversion and DEF quality decline over days to weeks",
        ),
        Component::EngineOil => (
            0.9,
            "oil level and pressure fall gradually with a leak or wear",
        ),
        Component::Transmission => (
            0.9,
            "transmission faults show as rising oil temperature and slip first",
        ),
        Component::Battery => (
            0.8,
            "a battery sulphates over months (resting voltage drops), though a cell can short",
        ),
        Component::Tires => (
            0.8,
            "tires wear or leak slowly; a puncture is sudden but not a warranty defect",
        ),
        Component::Cooling => (
            0.25,
            "cooling parts (water pump, hoses, thermostat) can fail suddenly without a trend",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooling_fails_suddenly_and_dpf_slowly() {
        assert!(slow_failure(Component::Cooling).0 < 0.5);
        assert!(slow_failure(Component::Dpf).0 > 0.9);
        for c in Component::ALL {
            let (f, why) = slow_failure(c);
            assert!((0.0..=1.0).contains(&f) && !why.is_empty());
        }
    }
}
