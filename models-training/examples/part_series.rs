//! Prints the damage series, trend features and assessment of one component of one
//! vehicle of a realistic evaluation-parameter fleet at one instant: what to look at
//! after `false_alarms` names a decision. Use tuning seeds, not the benches' seeds.
//!
//! `cargo run --release -p models-training --example part_series -- SEED VEHICLE DAY [COMPONENT]`

use anyhow::Context;
use fleetsim::simulate::VehicleSim;
use models::health::engine::{part_features, screen};
use models::health::{Engine, RulModel, VehicleState};
use models_training::decisions::RealisticSpec;
use shared_schemas::events::Component;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [seed, id, day, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: part_series SEED VEHICLE DAY [COMPONENT]");
    };
    let component: Component = serde_json::from_value(serde_json::Value::String(
        rest.first()
            .map_or("transmission", String::as_str)
            .to_owned(),
    ))
    .context("unknown component")?;
    let spec = RealisticSpec::realistic(seed.parse()?, 200, 180)?;
    let vehicle = spec
        .vehicles()
        .into_iter()
        .find(|v| &v.id == id)
        .with_context(|| format!("no vehicle {id}"))?;
    let cfg = spec.fleet.sim_config();
    let until = cfg.start + (day.parse::<f64>()? * 86_400.0) as i64;
    let mut state = VehicleState::new();
    let mut newest = cfg.start;
    for sample in VehicleSim::new(vehicle.clone(), cfg).take_while(|s| s.t <= until) {
        state.apply(&sample.to_reading(&vehicle, cfg.seed));
        newest = sample.t;
    }
    let model = RulModel::bundled()?;
    let screen = screen(&state).context("no reading")?;
    for part in models::health::damage::parts(component) {
        if let Some(series) = part_features(&state, &screen, part, newest, &model.normalization) {
            println!("{}: {:?}", part.name, series.features);
            for p in &series.points {
                println!("  t {:7.2} damage {:6.3} weight {:4.1}", p.t, p.y, p.w);
            }
        }
    }
    if let Some(a) = Engine::new(model).assess(&state)
        && let Some(h) = a.component(component)
    {
        println!("{}", serde_json::to_string_pretty(h)?);
    }
    Ok(())
}
