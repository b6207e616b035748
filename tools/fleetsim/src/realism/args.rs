//! The command-line options of the realistic profile, shared by `simulate` and
//! `fleet`.

use super::assign::RealismConfig;
use super::options::RealismOptions;
use super::params::RealismParams;

/// Which profile a run uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// One calendar-driven fault per degraded vehicle, no repairs (unchanged output).
    #[default]
    Default,
    /// Every realism feature on (see `--realism`, `--without`).
    Realistic,
}

/// Realism options.
#[derive(Debug, Clone, clap::Args)]
pub struct RealismArgs {
    /// `realistic` turns every realism feature on.
    #[arg(long, value_enum, default_value_t = Profile::Default)]
    pub profile: Profile,
    /// Exactly these realism features, comma-separated (laws, usage, concurrent,
    /// repairs, pre_degraded, sensor_faults, runs_hot, climate, variants; `all`),
    /// instead of the profile's.
    #[arg(long, value_name = "LIST")]
    pub realism: Option<String>,
    /// Realism features to turn off (comma-separated), for ablations.
    #[arg(long, value_name = "LIST")]
    pub without: Option<String>,
    /// Realism distributions: `evaluation` (default), `training` (law parameters
    /// disjoint from evaluation's) or a JSON file with the same fields.
    #[arg(long, value_name = "NAME|FILE", default_value = "evaluation")]
    pub realism_params: String,
}

impl Default for RealismArgs {
    fn default() -> Self {
        Self {
            profile: Profile::Default,
            realism: None,
            without: None,
            realism_params: "evaluation".into(),
        }
    }
}

impl RealismArgs {
    /// The realism these options ask for; an unknown feature or a bad parameter file
    /// is an error naming it.
    pub fn config(&self) -> anyhow::Result<RealismConfig> {
        let mut options = match (&self.realism, self.profile) {
            (Some(list), _) => RealismOptions::parse_list(list).map_err(anyhow::Error::msg)?,
            (None, Profile::Realistic) => RealismOptions::ALL,
            (None, Profile::Default) => RealismOptions::default(),
        };
        for name in self.without.iter().flat_map(|l| l.split(',')) {
            if !name.trim().is_empty() {
                options.set(name, false).map_err(anyhow::Error::msg)?;
            }
        }
        Ok(RealismConfig {
            options,
            params: RealismParams::load(&self.realism_params)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_list_and_without_compose() {
        let realistic = RealismArgs {
            profile: Profile::Realistic,
            without: Some("sensor_faults,climate".into()),
            ..RealismArgs::default()
        };
        let o = realistic.config().expect("config").options;
        assert!(o.laws && o.repairs && !o.sensor_faults && !o.climate);
        let listed = RealismArgs {
            realism: Some("usage".into()),
            realism_params: "training".into(),
            ..RealismArgs::default()
        };
        let c = listed.config().expect("config");
        assert_eq!(c.options.names(), vec!["usage"]);
        assert_eq!(c.params.name, "training");
        assert!(
            !RealismArgs::default()
                .config()
                .expect("default")
                .options
                .any()
        );
        let bad = RealismArgs {
            without: Some("nope".into()),
            ..RealismArgs::default()
        };
        assert!(bad.config().is_err());
    }
}
