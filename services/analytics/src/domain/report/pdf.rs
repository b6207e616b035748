//! PDF of a report (printpdf, built-in Helvetica, A4 portrait): title and period,
//! headline figures, a stacked bar chart drawn as vector paths (bars are filled
//! rectangles, axes and grid are lines), notes, then the table over as many pages as
//! it needs (header repeated), each page numbered.

use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};

use super::{Chart, Report, Table};

/// Most table rows in a PDF (the CSV has them all).
pub const MAX_ROWS: usize = 400;

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 40.0;
const ROW_H: f32 = 11.0;
const TABLE_FONT: f32 = 7.5;
const BOTTOM: f32 = MARGIN + 20.0;
const CHART_H: f32 = 170.0;
/// Width between the margins.
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Lowest top a table may start at on a page (room for its header and 3 rows).
const TABLE_MIN_TOP: f32 = BOTTOM + 4.0 * ROW_H;

/// The report as PDF bytes.
pub fn render(report: &Report) -> Vec<u8> {
    let mut pages = vec![Vec::new()];
    let mut y = header(&mut pages[0], report);
    y = chart(&mut pages[0], &report.chart, y - 14.0);
    y = notes(&mut pages[0], report, y - 10.0);
    table(&mut pages, &report.table, y - 16.0);
    let total = pages.len();
    let pages: Vec<PdfPage> = pages
        .into_iter()
        .enumerate()
        .map(|(i, mut ops)| {
            let footer = format!(
                "{} - {} - generated {} UTC - page {} of {total}",
                report.kind.title(),
                report.scope,
                report.generated_at.format("%Y-%m-%d %H:%M"),
                i + 1
            );
            text(&mut ops, MARGIN, MARGIN, 7.0, false, GREY, &footer);
            PdfPage::new(
                printpdf::Mm::from(Pt(PAGE_W)),
                printpdf::Mm::from(Pt(PAGE_H)),
                ops,
            )
        })
        .collect();
    let mut doc = PdfDocument::new(report.kind.title());
    doc.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new())
}

const BLACK: [f32; 3] = [0.0, 0.0, 0.0];
const GREY: [f32; 3] = [0.45, 0.45, 0.45];
const LIGHT: [f32; 3] = [0.85, 0.85, 0.85];

fn rgb(c: [f32; 3]) -> Color {
    Color::Rgb(Rgb {
        r: c[0],
        g: c[1],
        b: c[2],
        icc_profile: None,
    })
}

/// Printable ASCII only (the built-in fonts' safe range); anything else becomes `?`.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn text(ops: &mut Vec<Op>, x: f32, y: f32, size: f32, bold: bool, color: [f32; 3], s: &str) {
    let font = if bold {
        BuiltinFont::HelveticaBold
    } else {
        BuiltinFont::Helvetica
    };
    ops.extend([
        Op::StartTextSection,
        Op::SetFont {
            font: PdfFontHandle::Builtin(font),
            size: Pt(size),
        },
        Op::SetTextCursor {
            pos: Point { x: Pt(x), y: Pt(y) },
        },
        Op::SetFillColor { col: rgb(color) },
        Op::ShowText {
            items: vec![TextItem::Text(ascii(s))],
        },
        Op::EndTextSection,
    ]);
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

/// A filled rectangle (a closed path, `re`/`f` in the content stream).
fn rect(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, color: [f32; 3]) {
    ops.push(Op::SetFillColor { col: rgb(color) });
    ops.push(Op::DrawPolygon {
        polygon: Polygon {
            rings: vec![PolygonRing {
                points: vec![
                    point(x, y),
                    point(x + w, y),
                    point(x + w, y + h),
                    point(x, y + h),
                ],
            }],
            mode: PaintMode::Fill,
            winding_order: WindingOrder::NonZero,
        },
    });
}

fn line(ops: &mut Vec<Op>, from: (f32, f32), to: (f32, f32), color: [f32; 3], width: f32) {
    ops.push(Op::SetOutlineColor { col: rgb(color) });
    ops.push(Op::SetOutlineThickness { pt: Pt(width) });
    ops.push(Op::DrawLine {
        line: Line {
            points: vec![point(from.0, from.1), point(to.0, to.1)],
            is_closed: false,
        },
    });
}

/// Title, scope and period, figures in two columns; returns the y below them.
fn header(ops: &mut Vec<Op>, r: &Report) -> f32 {
    let mut y = PAGE_H - MARGIN - 10.0;
    text(ops, MARGIN, y, 18.0, true, BLACK, r.kind.title());
    y -= 18.0;
    let period = format!("{} - {} to {} (UTC)", r.scope, r.from, r.to);
    text(ops, MARGIN, y, 10.0, false, GREY, &period);
    y -= 22.0;
    let col_w = CONTENT_W / 2.0;
    for (i, f) in r.figures.iter().enumerate() {
        let x = MARGIN + col_w * (i % 2) as f32;
        let row_y = 14.0f32.mul_add(-((i / 2) as f32), y);
        text(ops, x, row_y, 9.0, false, GREY, &f.label);
        text(ops, x + col_w * 0.62, row_y, 9.0, true, BLACK, &f.value);
    }
    14.0f32.mul_add(-(r.figures.len().div_ceil(2) as f32), y)
}

/// The chart's top at `top`; returns the y below its legend.
fn chart(ops: &mut Vec<Op>, c: &Chart, top: f32) -> f32 {
    text(ops, MARGIN, top, 11.0, true, BLACK, &c.title);
    let (x0, y0) = (MARGIN + 30.0, top - 18.0 - CHART_H);
    let w = PAGE_W - MARGIN - x0;
    let (step, steps) = axis(c.max_total());
    let max = step * f64::from(steps);
    for i in 0..=steps {
        let v = step * f64::from(i);
        let y = y0 + CHART_H * i as f32 / steps as f32;
        line(ops, (x0, y), (x0 + w, y), LIGHT, 0.5);
        text(ops, MARGIN, y - 2.5, 7.0, false, GREY, &format!("{v:.0}"));
    }
    let n = c.labels.len().max(1);
    let slot = w / n as f32;
    let every = n.div_ceil(10);
    for (i, label) in c.labels.iter().enumerate() {
        let x = x0 + slot * i as f32 + slot * 0.15;
        let mut base = y0;
        for s in &c.series {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            if v > 0.0 {
                let h = (v / max) as f32 * CHART_H;
                rect(ops, x, base, slot * 0.7, h, s.color);
                base += h;
            }
        }
        if i % every == 0 {
            text(ops, x, y0 - 10.0, 6.5, false, GREY, label);
        }
    }
    line(ops, (x0, y0), (x0 + w, y0), BLACK, 0.8);
    line(ops, (x0, y0), (x0, y0 + CHART_H), BLACK, 0.8);
    let legend_y = y0 - 26.0;
    for (i, s) in c.series.iter().enumerate() {
        let x = 90.0f32.mul_add(i as f32, x0);
        rect(ops, x, legend_y, 8.0, 8.0, s.color);
        text(ops, x + 11.0, legend_y + 1.0, 7.5, false, BLACK, &s.name);
    }
    legend_y - 6.0
}

/// The value axis: a step of 1, 2 or 5 times a power of ten, at most 5 steps high and
/// reaching `total`; returns (step, steps).
fn axis(total: f64) -> (f64, u32) {
    let raw = (total / 5.0).max(1.0);
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    (step, ((total / step).ceil() as u32).max(1))
}

/// Notes, wrapped; returns the y below them.
fn notes(ops: &mut Vec<Op>, r: &Report, mut y: f32) -> f32 {
    for note in &r.notes {
        for l in wrap(note, 120) {
            y -= 10.0;
            text(ops, MARGIN, y, 7.5, false, GREY, &l);
        }
    }
    y
}

/// Words of `s` in lines of at most `width` characters.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in s.split_whitespace() {
        let last = lines.last_mut().map_or(0, |l| l.len());
        if last > 0 && last + 1 + word.len() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    lines
}

/// Column widths in proportion to each column's longest text (capped at 18 characters,
/// so a long id does not starve the others), and how many characters fit in each.
fn column_widths(t: &Table, shown: usize) -> Vec<(f32, usize)> {
    let longest: Vec<usize> = (0..t.columns.len())
        .map(|i| {
            t.rows
                .iter()
                .take(shown)
                .filter_map(|r| r.get(i))
                .chain(std::iter::once(&t.columns[i]))
                .map(|c| c.chars().count().clamp(3, 18))
                .max()
                .unwrap_or(3)
        })
        .collect();
    let total: usize = longest.iter().sum::<usize>().max(1);
    longest
        .iter()
        .map(|n| {
            let w = CONTENT_W * *n as f32 / total as f32;
            (w, ((w / (TABLE_FONT * 0.55)) as usize).max(3))
        })
        .collect()
}

/// `s` cut to `max` characters (a `~` marks the cut).
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!(
            "{}~",
            s.chars().take(max.saturating_sub(1)).collect::<String>()
        )
    } else {
        s.to_owned()
    }
}

/// The table from `top` on the last page, continuing on new pages.
fn table(pages: &mut Vec<Vec<Op>>, t: &Table, top: f32) {
    let shown = t.rows.len().min(MAX_ROWS);
    let widths = column_widths(t, shown);
    let row = |ops: &mut Vec<Op>, cells: &[String], y: f32, bold: bool| {
        let mut x = MARGIN;
        for (c, (w, max)) in cells.iter().zip(&widths) {
            text(ops, x, y, TABLE_FONT, bold, BLACK, &fit(c, *max));
            x += w;
        }
    };
    let mut y = top;
    if y < TABLE_MIN_TOP {
        pages.push(Vec::new());
        y = PAGE_H - MARGIN;
    }
    for (i, cells) in t.rows.iter().take(shown).enumerate() {
        if i == 0 || y < BOTTOM {
            if y < BOTTOM {
                pages.push(Vec::new());
                y = PAGE_H - MARGIN;
            }
            let Some(ops) = pages.last_mut() else { return };
            row(ops, &t.columns, y, true);
            line(
                ops,
                (MARGIN, y - 3.0),
                (PAGE_W - MARGIN, y - 3.0),
                GREY,
                0.5,
            );
            y -= ROW_H + 2.0;
        }
        let Some(ops) = pages.last_mut() else { return };
        row(ops, cells, y, false);
        y -= ROW_H;
    }
    if let Some(ops) = pages.last_mut() {
        let tail = if t.rows.is_empty() {
            "No rows in this period.".to_owned()
        } else if shown < t.rows.len() {
            format!(
                "First {shown} of {} rows; the CSV has them all.",
                t.rows.len()
            )
        } else {
            format!("{} rows.", t.rows.len())
        };
        text(ops, MARGIN, y - 4.0, 7.5, false, GREY, &tail);
    }
}

#[cfg(test)]
mod tests {
    use printpdf::{PdfParseOptions, TextItem};

    use super::*;
    use crate::domain::report::tests::sample;

    fn parse(bytes: &[u8]) -> PdfDocument {
        PdfDocument::parse(bytes, &PdfParseOptions::default(), &mut Vec::new())
            .expect("the PDF parses back")
    }

    fn texts(doc: &PdfDocument) -> String {
        let mut all = String::new();
        for page in &doc.pages {
            for op in &page.ops {
                if let Op::ShowText { items } = op {
                    for item in items {
                        if let TextItem::Text(t) = item {
                            all.push_str(t);
                            all.push('\n');
                        }
                    }
                }
            }
        }
        all
    }

    #[test]
    fn a_short_report_is_one_page_with_the_chart_as_paths() {
        let bytes = render(&sample(3));
        assert!(bytes.starts_with(b"%PDF-"));
        let doc = parse(&bytes);
        assert_eq!(doc.pages.len(), 1);
        let ops = &doc.pages[0].ops;
        let filled = ops
            .iter()
            .filter(|o| matches!(o, Op::DrawPolygon { .. }))
            .count();
        // 4 non-zero segments + 2 legend boxes.
        assert_eq!(filled, 6, "{ops:?}");
        let lines = ops
            .iter()
            .filter(|o| matches!(o, Op::DrawLine { .. }))
            .count();
        assert!(
            lines >= 6,
            "grid (4 for a tallest bar of 3), axes (2), the table rule"
        );
        let t = texts(&doc);
        for needle in [
            "Fleet health report",
            "Uptime",
            "75.0 %",
            "Vehicles per band",
            "v2",
            "page 1 of 1",
        ] {
            assert!(t.contains(needle), "{needle} missing from {t}");
        }
    }

    #[test]
    fn a_long_table_continues_on_numbered_pages_up_to_the_limit() {
        let doc = parse(&render(&sample(200)));
        assert!(doc.pages.len() >= 3, "{} pages", doc.pages.len());
        let t = texts(&doc);
        assert!(t.contains(&format!("page {} of {}", doc.pages.len(), doc.pages.len())));
        assert!(t.contains("v199") && t.contains("200 rows."));
        let capped = texts(&parse(&render(&sample(MAX_ROWS + 5))));
        assert!(capped.contains(&format!("First {MAX_ROWS} of {} rows", MAX_ROWS + 5)));
        assert!(!capped.contains(&format!("v{MAX_ROWS}\n")));
    }

    #[test]
    fn the_value_axis_ends_on_a_round_number() {
        assert_eq!(axis(43.0), (10.0, 5));
        assert_eq!(axis(3.0), (1.0, 3));
        assert_eq!(axis(200.0), (50.0, 4));
        assert_eq!(axis(0.0), (1.0, 1));
    }

    #[test]
    fn text_is_kept_to_what_the_builtin_font_draws_and_wrapped() {
        assert_eq!(ascii("Zürich\tbay"), "Z?rich?bay");
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
    }
}
