//! The engine crate the services link must not depend on the simulator (issue 14): a
//! model that can read fleetsim's code can end up inverting it. This walks the resolved
//! dependency graph of `cargo metadata` (every feature on, so an optional dependency a
//! feature could switch on counts too) along normal and build edges, at any depth.

use std::collections::{BTreeSet, VecDeque};
use std::process::Command;

use serde_json::Value;

const ENGINE: &str = "models";
const SIMULATOR: &str = "fleetsim";

/// The chain of package names from `root` to the first package named `forbidden`
/// reached through normal or build dependencies, if any.
fn path_to(metadata: &Value, root: &str, forbidden: &str) -> Result<Option<Vec<String>>, String> {
    let packages = metadata["packages"].as_array().ok_or("no packages")?;
    let name_of = |id: &str| {
        packages
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["name"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("package {id} not listed"))
    };
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or("no resolve")?;
    let root_id = packages
        .iter()
        .find(|p| p["name"] == root && p["source"].is_null())
        .and_then(|p| p["id"].as_str())
        .ok_or_else(|| format!("no local package {root}"))?;
    let mut seen = BTreeSet::from([root_id.to_owned()]);
    let mut queue = VecDeque::from([vec![root_id.to_owned()]]);
    while let Some(chain) = queue.pop_front() {
        let id = chain.last().ok_or("empty chain")?;
        if name_of(id)? == forbidden {
            return chain
                .iter()
                .map(|i| name_of(i))
                .collect::<Result<_, _>>()
                .map(Some);
        }
        let node = nodes
            .iter()
            .find(|n| n["id"] == id.as_str())
            .ok_or("node missing")?;
        for dep in node["deps"].as_array().into_iter().flatten() {
            let runtime = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            let Some(dep_id) = dep["pkg"].as_str() else {
                continue;
            };
            if runtime && seen.insert(dep_id.to_owned()) {
                let mut next = chain.clone();
                next.push(dep_id.to_owned());
                queue.push_back(next);
            }
        }
    }
    Ok(None)
}

#[test]
fn the_engine_does_not_depend_on_the_simulator() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // This platform's graph only: the whole one names crates of other platforms. Not
    // `--offline`: `--all-features` names crates no build of ours downloads (on a fresh
    // machine `addr2line` was missing), and the registry is reachable wherever we build.
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--filter-platform",
            &host_triple(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let path = path_to(&metadata, ENGINE, SIMULATOR).expect("metadata has a graph");
    assert_eq!(path, None, "the engine crate depends on the simulator");
    // The walk does see the simulator where it is: the training crate needs it.
    assert!(
        path_to(&metadata, "models-training", SIMULATOR)
            .expect("graph")
            .is_some()
    );
}

/// The triple of the machine the tests run on, as rustc reports it.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = Command::new(rustc).arg("-vV").output().expect("rustc runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

/// A package, its resolved node and its edges, in `cargo metadata`'s shape.
fn graph(edges: &[(&str, &str, Option<&str>)]) -> Value {
    let names: BTreeSet<&str> = edges.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    let packages: Vec<Value> = names
        .iter()
        .map(|n| serde_json::json!({"id": format!("id-{n}"), "name": n, "source": null}))
        .collect();
    let nodes: Vec<Value> = names
        .iter()
        .map(|n| {
            let deps: Vec<Value> = edges
                .iter()
                .filter(|(from, _, _)| from == n)
                .map(|(_, to, kind)| {
                    serde_json::json!({"pkg": format!("id-{to}"), "dep_kinds": [{"kind": kind}]})
                })
                .collect();
            serde_json::json!({"id": format!("id-{n}"), "deps": deps})
        })
        .collect();
    serde_json::json!({"packages": packages, "resolve": {"nodes": nodes}})
}

#[test]
fn transitive_and_build_dependencies_are_caught_and_dev_ones_are_not() {
    let transitive = graph(&[
        ("models", "a", None),
        ("a", "b", None),
        ("b", SIMULATOR, None),
    ]);
    assert_eq!(
        path_to(&transitive, ENGINE, SIMULATOR).expect("graph"),
        Some(vec![
            "models".to_owned(),
            "a".to_owned(),
            "b".to_owned(),
            SIMULATOR.to_owned()
        ])
    );
    let build = graph(&[("models", "a", Some("build")), ("a", SIMULATOR, None)]);
    assert!(path_to(&build, ENGINE, SIMULATOR).expect("graph").is_some());
    let dev = graph(&[("models", SIMULATOR, Some("dev")), ("models", "a", None)]);
    assert_eq!(path_to(&dev, ENGINE, SIMULATOR).expect("graph"), None);
}
