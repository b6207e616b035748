//! JSON Schema export and drift check: the schema of every event's envelope must match
//! the committed file `docs/events/<event_type>.v<version>.schema.json`.
//!
//! Run `UPDATE_SCHEMAS=1 cargo test -p shared-schemas` to (re)write the files after an
//! intended change, then review the diff.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use shared_schemas::events::catalog;

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/events")
}

fn updating() -> bool {
    std::env::var("UPDATE_SCHEMAS").is_ok_and(|v| v == "1")
}

#[test]
fn committed_schemas_match_the_code() {
    let dir = docs_dir();
    let update = updating();
    if update {
        fs::create_dir_all(&dir).unwrap();
    }
    let mut problems = Vec::new();
    let mut expected_files = BTreeSet::new();
    for info in catalog() {
        let name = info.schema_file_name();
        let path = dir.join(&name);
        let generated = serde_json::to_value(&info.schema).unwrap();
        let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
        expected_files.insert(name.clone());
        if update {
            if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                fs::write(&path, &text).unwrap();
                eprintln!("wrote {}", path.display());
            }
            continue;
        }
        // Compare values, not text, so key order (serde_json's `preserve_order` may be
        // switched on by another crate of the workspace) does not matter.
        match fs::read_to_string(&path) {
            Err(e) => problems.push(format!("{name}: cannot read ({e})")),
            Ok(committed) => match serde_json::from_str::<serde_json::Value>(&committed) {
                Err(e) => problems.push(format!("{name}: not valid JSON ({e})")),
                Ok(value) if value != generated => {
                    problems.push(format!("{name}: differs from the generated schema"));
                }
                Ok(_) => {}
            },
        }
    }

    // A schema file whose event type left the catalog (or changed version) is stale.
    for entry in fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".schema.json") && !expected_files.contains(&name) {
            if update {
                fs::remove_file(dir.join(&name)).unwrap();
                eprintln!("removed stale {name}");
            } else {
                problems.push(format!("{name}: no such event type/version in the catalog"));
            }
        }
    }

    assert!(
        problems.is_empty(),
        "event schemas in docs/events are out of date:\n  {}\nRun `UPDATE_SCHEMAS=1 cargo test -p shared-schemas` and review the diff \
         (a breaking change to a payload must also bump its VERSION).",
        problems.join("\n  ")
    );
}

#[test]
fn readme_lists_every_event() {
    let readme = fs::read_to_string(docs_dir().join("README.md")).unwrap();
    for info in catalog() {
        let row = format!("| `{}` | {} |", info.event_type, info.version);
        assert!(
            readme.contains(&row),
            "docs/events/README.md has no row starting `{row}`"
        );
        assert!(
            readme.contains(&info.schema_file_name()),
            "docs/events/README.md does not link {}",
            info.schema_file_name()
        );
    }
}
