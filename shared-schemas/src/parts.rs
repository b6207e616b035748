//! The catalog of parts: the ways a component wears or fails that the health engine
//! tracks one by one (a component's damage is its worst part's). A `Factor`'s `part`
//! and every rule about a part use these names, so no crate spells one twice.

use crate::events::Component;

macro_rules! parts {
    ($($variant:ident = ($wire:literal, $component:ident, $desc:literal);)*) => {
        /// One tracked part of a component.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Part {
            $(#[doc = $desc] $variant,)*
        }

        impl Part {
            /// Every part, in catalog order (components in catalog order).
            pub const ALL: &'static [Part] = &[$(Part::$variant,)*];

            /// The wire name, e.g. `pad_wear` (a `Factor`'s `part`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Part::$variant => $wire,)*
                }
            }

            /// The component the part belongs to.
            pub const fn component(self) -> Component {
                match self {
                    $(Part::$variant => Component::$component,)*
                }
            }
        }
    };
}

parts! {
    DpfRestriction = ("dpf_restriction", Dpf, "Soot restricting the DPF (differential pressure).");
    ScrConversion = ("scr_conversion", ScrDef, "The SCR catalyst converting less NOx.");
    DefQuality = ("def_quality", ScrDef, "Diluted or contaminated DEF.");
    OilPressure = ("oil_pressure", EngineOil, "Oil pressure at idle falling (leak, wear).");
    CoolantHot = ("coolant_hot", Cooling, "Coolant running hot while driving.");
    CoolantCold = ("coolant_cold", Cooling, "Coolant running cold while driving (thermostat stuck open).");
    PadWear = ("pad_wear", Brakes, "Brake pad wear.");
    BatteryRest = ("battery_rest", Battery, "Battery voltage at rest falling (ageing).");
    TransHot = ("trans_hot", Transmission, "Transmission oil running hot.");
    TireFl = ("tire_fl", Tires, "Front-left tire losing pressure.");
    TireFr = ("tire_fr", Tires, "Front-right tire losing pressure.");
    TireRl = ("tire_rl", Tires, "Rear-left tire losing pressure.");
    TireRr = ("tire_rr", Tires, "Rear-right tire losing pressure.");
}

impl Part {
    /// The part of that wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// The parts of `component`, in catalog order.
    pub fn of(component: Component) -> impl Iterator<Item = Part> {
        Self::ALL
            .iter()
            .copied()
            .filter(move |p| p.component() == component)
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for p in Part::ALL {
            assert_eq!(Part::from_name(p.name()), Some(*p));
        }
        let mut names: Vec<_> = Part::ALL.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Part::ALL.len());
        assert_eq!(Part::from_name("flux_capacitor"), None);
    }

    #[test]
    fn every_component_has_a_part() {
        for c in Component::ALL {
            assert!(Part::of(c).next().is_some(), "{c:?} has no part");
        }
        let tires: Vec<_> = Part::of(Component::Tires).collect();
        assert_eq!(
            tires,
            [Part::TireFl, Part::TireFr, Part::TireRl, Part::TireRr]
        );
    }
}
