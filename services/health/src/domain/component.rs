//! Component names as they appear in URLs and query strings.

use shared_schemas::events::Component;

/// The wire names of every component, comma-separated (for error messages).
pub fn valid_names() -> String {
    Component::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a component wire name; the error names the valid ones.
pub fn parse(name: &str) -> Result<Component, String> {
    Component::ALL
        .into_iter()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| {
            format!(
                "unknown component {name:?}; valid components: {}",
                valid_names()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wire_names_and_names_the_valid_ones() {
        assert_eq!(parse("scr_def"), Ok(Component::ScrDef));
        let err = parse("flux").unwrap_err();
        assert!(err.contains("\"flux\""), "{err}");
        assert!(err.contains("engine_oil") && err.contains("tires"), "{err}");
    }
}
