//! The platform's identifiers that cross services: vehicle ids (what devices report
//! under) and organization ids (tenants). Every service checks them with these rules,
//! so an id accepted by one is accepted by all, and none is too long for an index.

/// Longest vehicle id.
pub const MAX_VEHICLE_ID_LEN: usize = 64;
/// Longest organization id.
pub const MAX_ORG_ID_LEN: usize = 64;

/// Checks a vehicle id: 1 to 64 letters, digits and `. _ : -`. The error says what is
/// wrong (without the field name).
pub fn check_vehicle_id(id: &str) -> Result<(), String> {
    check_id(id, MAX_VEHICLE_ID_LEN)
}

/// Checks an organization id: 1 to 64 letters, digits and `. _ : -`.
pub fn check_org_id(id: &str) -> Result<(), String> {
    check_id(id, MAX_ORG_ID_LEN)
}

fn check_id(id: &str, max: usize) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
    if let Some((i, c)) = id.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        let what = match c {
            ' ' => "a space".to_owned(),
            c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
            c => format!("`{c}`"),
        };
        return Err(format!(
            "contains {what} at position {}; only letters, digits and . _ : - are allowed",
            i + 1
        ));
    }
    if id.len() > max {
        return Err(format!(
            "is {} characters long; at most {max} are allowed",
            id.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_rules() {
        for ok in ["VH-000001", "truck.42", "a:b_c", "acme"] {
            assert_eq!(check_vehicle_id(ok), Ok(()));
            assert_eq!(check_org_id(ok), Ok(()));
        }
        assert!(check_vehicle_id("").is_err());
        assert!(
            check_vehicle_id("a b")
                .unwrap_err()
                .contains("a space at position 2")
        );
        assert!(check_org_id("a\0b").unwrap_err().contains("U+0000"));
        assert!(
            check_org_id(&"x".repeat(65))
                .unwrap_err()
                .contains("65 characters")
        );
    }
}
