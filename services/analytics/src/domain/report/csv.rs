//! CSV of a report's table (RFC 4180: comma-separated, CRLF, quoted when needed).
//! Cells a spreadsheet would run as a formula are prefixed with `'`.

use super::Report;

/// The table as CSV, header first.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    line(&mut out, &report.table.columns);
    for row in &report.table.rows {
        line(&mut out, row);
    }
    out
}

fn line(out: &mut String, cells: &[String]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&cell(c));
    }
    out.push_str("\r\n");
}

/// One cell, defused and quoted as needed.
fn cell(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '@', '\t', '\r'])
        || (text.starts_with('-') && text.parse::<f64>().is_err());
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::tests::sample;

    #[test]
    fn the_table_becomes_quoted_crlf_lines() {
        let csv = render(&sample(2));
        assert_eq!(
            csv,
            "vehicle,note\r\nv0,\"a, \"\"quoted\"\" note\"\r\nv1,\"a, \"\"quoted\"\" note\"\r\n"
        );
    }

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("@SUM"), "'@SUM");
        assert_eq!(cell("-1.5"), "-1.5");
        assert_eq!(cell("-cmd"), "'-cmd");
    }
}
