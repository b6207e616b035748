//! Vehicle identification number checks (ISO 3779, with the FMVSS 115 / 49 CFR 565
//! check digit).
//!
//! Only North-American VINs (world manufacturer identifier starting with `1`–`5`) are
//! required to carry a check digit in position 9; elsewhere that position is free, so
//! other VINs get the format check only.

/// Weight of each position in the check-digit sum (position 9 is the digit itself).
const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// Checks a VIN: 17 characters from `0-9` and `A-Z` without `I`, `O`, `Q` (letters are
/// accepted in either case; store the uppercase form), and for North-American VINs the
/// check digit. The error is a sentence for a device integrator.
pub fn check_vin(vin: &str) -> Result<(), String> {
    let count = vin.chars().count();
    if count != 17 {
        return Err(format!("must be 17 characters long, got {count}"));
    }
    let upper = vin.to_ascii_uppercase();
    let mut values = [0u32; 17];
    for (i, c) in upper.chars().enumerate() {
        values[i] = transliterate(c).ok_or_else(|| match c {
            'I' | 'O' | 'Q' => format!(
                "contains `{c}` at position {}; VINs never use I, O or Q (did you mean 1 or 0?)",
                i + 1
            ),
            _ => format!(
                "contains `{c}` at position {}; only digits and letters are allowed",
                i + 1
            ),
        })?;
    }
    if !upper.starts_with(['1', '2', '3', '4', '5']) {
        return Ok(());
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let expected = match sum % 11 {
        10 => 'X',
        // `sum % 11` is below 10 here, so the digit always exists.
        n => char::from_digit(n, 10).unwrap_or('X'),
    };
    let actual = upper.chars().nth(8).unwrap_or(' ');
    if actual != expected {
        return Err(format!(
            "check digit (9th character) is `{actual}` but the other characters require \
             `{expected}`; the VIN probably has a typo"
        ));
    }
    Ok(())
}

/// The numeric value of a VIN character, `None` when the character is not allowed.
fn transliterate(c: char) -> Option<u32> {
    Some(match c {
        '0'..='9' => c.to_digit(10)?,
        'A' | 'J' => 1,
        'B' | 'K' | 'S' => 2,
        'C' | 'L' | 'T' => 3,
        'D' | 'M' | 'U' => 4,
        'E' | 'N' | 'V' => 5,
        'F' | 'W' => 6,
        'G' | 'P' | 'X' => 7,
        'H' | 'Y' => 8,
        'R' | 'Z' => 9,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_north_american_vins() {
        for vin in [
            "1M8GDM9AXKP042788",
            "11111111111111111",
            "1HGCM82633A004352",
            "1hgcm82633a004352",
        ] {
            assert_eq!(check_vin(vin), Ok(()), "{vin}");
        }
    }

    #[test]
    fn rejects_a_wrong_check_digit() {
        let err = check_vin("1HGCM82643A004352").unwrap_err();
        assert!(err.contains("`4`") && err.contains("`3`"), "{err}");
        assert!(check_vin("1M8GDM9A1KP042788").is_err());
    }

    #[test]
    fn other_regions_are_format_checked_only() {
        // A European VIN (WMI `W`) whose 9th character is not a valid check digit.
        assert_eq!(check_vin("WDB9634031L123456"), Ok(()));
        assert_eq!(check_vin("JH4KA7650MC000000"), Ok(()));
    }

    #[test]
    fn rejects_bad_length_and_characters() {
        assert!(
            check_vin("1HGCM82633A00435")
                .unwrap_err()
                .contains("got 16")
        );
        assert!(check_vin("").unwrap_err().contains("got 0"));
        let err = check_vin("1HGCM8263OA004352").unwrap_err();
        assert!(err.contains("`O` at position 10"), "{err}");
        assert!(
            check_vin("1HGCM82633A00435-")
                .unwrap_err()
                .contains("position 17")
        );
        assert!(check_vin("1HGCM82633A00435é").is_err());
    }
}
