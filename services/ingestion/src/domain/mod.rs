//! The pure domain of ingestion: protocol adapters that turn what devices send into the
//! canonical [`TelemetryReading`](shared_schemas::telemetry::TelemetryReading), and the
//! validation every reading goes through before it is accepted.
//!
//! Nothing here does I/O. Adapters report what they cannot *decode* (bad hex, wrong
//! data length, a missing vehicle id) with paths into the request the device sent;
//! [`validate()`] then checks the canonical reading (ranges, formats, clock skew) with
//! paths into the canonical form. Both collect every problem instead of stopping at
//! the first, so an integrator fixes a payload in one round trip.

pub mod generic;
pub mod j1939;
pub mod obd2;
pub mod parse;
pub mod validate;
pub mod vin;

pub use generic::normalize;
pub use j1939::{CanFrame, J1939Request};
pub use obd2::Obd2Request;
pub use validate::{Checked, Limits, derive_reading_id, validate};
pub use vin::check_vin;

/// Bytes from a hex string such as `"1A F8"` or `"0x1af8"`: whitespace anywhere and a
/// leading `0x` are tolerated because loggers and hand-written payloads use both.
fn parse_hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = strip_hex_prefix(&digits);
    if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("`{bad}` is not a hexadecimal digit"));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!(
            "has an odd number of hex digits ({}); each byte needs two",
            digits.len()
        ));
    }
    hex::decode(digits).map_err(|e| e.to_string())
}

fn strip_hex_prefix(text: &str) -> &str {
    text.strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_bytes_tolerate_spaces_and_prefix() {
        assert_eq!(parse_hex_bytes("1A F8"), Ok(vec![0x1A, 0xF8]));
        assert_eq!(parse_hex_bytes("0x1af8"), Ok(vec![0x1A, 0xF8]));
        assert_eq!(parse_hex_bytes(""), Ok(vec![]));
        assert!(parse_hex_bytes("1AF").is_err());
        assert!(parse_hex_bytes("1G").is_err());
    }
}
