//! A top-down page flow over printpdf (A4 portrait, built-in Helvetica): headings,
//! wrapped paragraphs, tables whose cells wrap, and vector shapes, with a new page
//! whenever the next piece no longer fits and a numbered footer on each. The content of a
//! pack is open-ended (any number of alerts, signals, similar claims), so layout code
//! asks for room instead of counting pages. Generic: nothing here knows about claims.

use printpdf::{
    BuiltinFont, Color, Line, LineDashPattern, LinePoint, Op, PaintMode, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, TextItem,
    WindingOrder,
};

pub(super) const PAGE_W: f32 = 595.28;
pub(super) const PAGE_H: f32 = 841.89;
pub(super) const MARGIN: f32 = 40.0;
/// Width between the margins.
pub(super) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Lowest baseline of content (the footer sits below).
const BOTTOM: f32 = MARGIN + 18.0;
const TOP: f32 = PAGE_H - MARGIN;
/// Table and body text size.
pub(super) const BODY: f32 = 8.0;
/// Most lines one table cell shows (a runaway text must not fill pages).
const MAX_CELL_LINES: usize = 12;

pub(super) const BLACK: [f32; 3] = [0.0, 0.0, 0.0];
pub(super) const GREY: [f32; 3] = [0.42, 0.42, 0.42];
pub(super) const LIGHT: [f32; 3] = [0.86, 0.86, 0.86];
pub(super) const RED: [f32; 3] = [0.78, 0.1, 0.1];
pub(super) const ORANGE: [f32; 3] = [0.93, 0.5, 0.05];
pub(super) const BLUE: [f32; 3] = [0.1, 0.3, 0.65];

/// Pages drawn so far and the baseline the next piece goes under.
#[derive(Debug)]
pub(super) struct Canvas {
    done: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Current position, points from the bottom of the page.
    pub(super) y: f32,
}

impl Canvas {
    pub(super) fn new() -> Self {
        Self {
            done: Vec::new(),
            ops: Vec::new(),
            y: TOP,
        }
    }

    /// The current page's operations.
    pub(super) fn ops(&mut self) -> &mut Vec<Op> {
        &mut self.ops
    }

    /// Makes sure `height` points fit below the current position, else starts a page.
    pub(super) fn reserve(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.done.push(std::mem::take(&mut self.ops));
            self.y = TOP;
        }
    }

    /// A bold line of `size` (titles), no wrapping.
    pub(super) fn title(&mut self, s: &str, size: f32) {
        self.reserve(size * 1.3);
        self.y -= size * 1.3;
        text(&mut self.ops, MARGIN, self.y, size, true, BLACK, s);
    }

    /// A section heading with a rule under it (kept with a few lines of what follows).
    pub(super) fn heading(&mut self, s: &str) {
        self.reserve(60.0);
        self.y -= 20.0;
        text(&mut self.ops, MARGIN, self.y, 11.5, true, BLACK, s);
        let y = self.y - 4.0;
        line(&mut self.ops, (MARGIN, y), (PAGE_W - MARGIN, y), GREY, 0.5);
        self.y -= 6.0;
    }

    /// `s` wrapped to the content width, each line on the page it fits.
    pub(super) fn paragraph(&mut self, s: &str, size: f32, color: [f32; 3]) {
        self.indented(MARGIN, s, size, color);
    }

    /// Each item as a bullet with its text wrapped under it.
    pub(super) fn bullets(&mut self, items: &[String]) {
        for item in items {
            self.reserve(BODY * 1.4);
            let y = BODY.mul_add(-1.4, self.y);
            text(&mut self.ops, MARGIN + 4.0, y, BODY, false, BLACK, "-");
            self.indented(MARGIN + 14.0, item, BODY, BLACK);
        }
    }

    fn indented(&mut self, x: f32, s: &str, size: f32, color: [f32; 3]) {
        let lh = size * 1.4;
        for l in wrap(s, PAGE_W - MARGIN - x, size) {
            self.reserve(lh);
            self.y -= lh;
            text(&mut self.ops, x, self.y, size, false, color, &l);
        }
    }

    /// Label/value pairs in two columns.
    pub(super) fn pairs(&mut self, pairs: &[(&str, String)]) {
        let lh = BODY * 1.5;
        let col = CONTENT_W / 2.0;
        for row in pairs.chunks(2) {
            self.reserve(lh);
            self.y -= lh;
            for (i, (label, value)) in row.iter().enumerate() {
                let x = col.mul_add(i as f32, MARGIN);
                text(&mut self.ops, x, self.y, BODY, false, GREY, label);
                let value = fit(value, col * 0.62 - 4.0, BODY);
                text(
                    &mut self.ops,
                    x + col * 0.38,
                    self.y,
                    BODY,
                    true,
                    BLACK,
                    &value,
                );
            }
        }
    }

    /// A table: `columns` are (title, share of the width); cells wrap within their
    /// column; the header is repeated on every page the table reaches.
    pub(super) fn table(&mut self, columns: &[(&str, f32)], rows: &[Vec<String>]) {
        let total: f32 = columns.iter().map(|c| c.1).sum::<f32>().max(f32::EPSILON);
        let widths: Vec<f32> = columns.iter().map(|c| CONTENT_W * c.1 / total).collect();
        let header: Vec<String> = columns.iter().map(|c| c.0.to_owned()).collect();
        let lh = BODY * 1.35;
        self.table_row(&widths, &header, true);
        for cells in rows {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| {
                    let mut lines = wrap(c, w - 6.0, BODY);
                    if lines.len() > MAX_CELL_LINES {
                        lines.truncate(MAX_CELL_LINES);
                        if let Some(last) = lines.last_mut() {
                            last.push('~');
                        }
                    }
                    lines
                })
                .collect();
            let tallest = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
            let height = tallest.mul_add(lh, 2.0);
            if self.y - height < BOTTOM {
                self.reserve(height);
                self.table_row(&widths, &header, true);
            }
            let top = self.y;
            for (lines, x) in wrapped.iter().zip(column_starts(&widths)) {
                for (i, l) in lines.iter().enumerate() {
                    let y = lh.mul_add(-((i + 1) as f32), top);
                    text(&mut self.ops, x, y, BODY, false, BLACK, l);
                }
            }
            self.y -= height;
        }
    }

    fn table_row(&mut self, widths: &[f32], cells: &[String], bold: bool) {
        self.reserve(BODY * 5.0);
        self.y -= BODY * 1.4;
        for (c, (x, w)) in cells.iter().zip(column_starts(widths).zip(widths)) {
            let c = fit(c, w - 6.0, BODY);
            text(&mut self.ops, x, self.y, BODY, bold, BLACK, &c);
        }
        let y = self.y - 3.0;
        line(&mut self.ops, (MARGIN, y), (PAGE_W - MARGIN, y), GREY, 0.4);
        self.y -= 3.0;
    }

    /// The document: every page with `footer` and its number.
    pub(super) fn finish(mut self, title: &str, footer: &str) -> Vec<u8> {
        self.done.push(self.ops);
        let total = self.done.len();
        let pages: Vec<PdfPage> = self
            .done
            .into_iter()
            .enumerate()
            .map(|(i, mut ops)| {
                let s = format!("{footer} - page {} of {total}", i + 1);
                text(&mut ops, MARGIN, MARGIN, 7.0, false, GREY, &s);
                let mm = |pt| printpdf::Mm::from(Pt(pt));
                PdfPage::new(mm(PAGE_W), mm(PAGE_H), ops)
            })
            .collect();
        PdfDocument::new(&ascii(title))
            .with_pages(pages)
            .save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}

/// Left edges of columns of `widths` starting at the margin (3 pt padding).
fn column_starts(widths: &[f32]) -> impl Iterator<Item = f32> + '_ {
    widths.iter().scan(MARGIN + 3.0, |x, w| {
        let start = *x;
        *x += w;
        Some(start)
    })
}

pub(super) fn rgb(c: [f32; 3]) -> Color {
    Color::Rgb(Rgb {
        r: c[0],
        g: c[1],
        b: c[2],
        icc_profile: None,
    })
}

/// Printable ASCII only (what the built-in fonts draw without an encoding table).
pub(super) fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' ' => ' ',
            '\u{2013}' | '\u{2014}' => '-',
            c if c.is_ascii_graphic() => c,
            _ => '?',
        })
        .collect()
}

/// Width of `s` in Helvetica at `size`, from coarse per-class advances (close enough to
/// wrap by; a line errs a little wide rather than overflowing).
pub(super) fn width(s: &str, size: f32) -> f32 {
    let em: f32 = s
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.25,
            ' ' | 'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '/' | '-' | 'I' => 0.36,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 0.86,
            c if c.is_ascii_uppercase() => 0.7,
            _ => 0.56,
        })
        .sum();
    em * size
}

/// Words of `s` in lines no wider than `max` points; a word wider than a line is cut.
pub(super) fn wrap(s: &str, max: f32, size: f32) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in ascii(s).split_whitespace() {
        let mut word = word.to_owned();
        loop {
            let last = lines.last().map_or("", String::as_str);
            let joined = if last.is_empty() {
                word.clone()
            } else {
                format!("{last} {word}")
            };
            if width(&joined, size) <= max {
                if let Some(l) = lines.last_mut() {
                    *l = joined;
                }
                break;
            }
            if !last.is_empty() {
                lines.push(String::new());
                continue;
            }
            let cut = fit_len(&word, max, size).max(1);
            let rest = word.split_off(cut.min(word.len()));
            if let Some(l) = lines.last_mut() {
                *l = word;
            }
            lines.push(String::new());
            if rest.is_empty() {
                break;
            }
            word = rest;
        }
    }
    if lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// How many leading characters of the (ASCII) `s` fit in `max` points.
fn fit_len(s: &str, max: f32, size: f32) -> usize {
    (1..=s.len())
        .take_while(|n| width(&s[..*n], size) <= max)
        .last()
        .unwrap_or(0)
}

/// `s` on one line of `max` points, cut with `~` when longer.
pub(super) fn fit(s: &str, max: f32, size: f32) -> String {
    let s = ascii(s);
    if width(&s, size) <= max {
        return s;
    }
    let n = fit_len(&s, max - width("~", size), size);
    format!("{}~", &s[..n])
}

pub(super) fn text(ops: &mut Vec<Op>, x: f32, y: f32, size: f32, bold: bool, c: [f32; 3], s: &str) {
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
        Op::SetFillColor { col: rgb(c) },
        Op::ShowText {
            items: vec![TextItem::Text(ascii(s))],
        },
        Op::EndTextSection,
    ]);
}

fn point((x, y): (f32, f32)) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

/// A filled axis-aligned rectangle.
pub(super) fn rect(ops: &mut Vec<Op>, (x, y): (f32, f32), (w, h): (f32, f32), c: [f32; 3]) {
    ops.push(Op::SetFillColor { col: rgb(c) });
    ops.push(Op::DrawPolygon {
        polygon: Polygon {
            rings: vec![PolygonRing {
                points: [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
                    .into_iter()
                    .map(point)
                    .collect(),
            }],
            mode: PaintMode::Fill,
            winding_order: WindingOrder::NonZero,
        },
    });
}

/// A straight solid line.
pub(super) fn line(ops: &mut Vec<Op>, from: (f32, f32), to: (f32, f32), c: [f32; 3], w: f32) {
    polyline(ops, &[from, to], c, w);
}

/// An open path through `points` (nothing for fewer than two).
pub(super) fn polyline(ops: &mut Vec<Op>, points: &[(f32, f32)], c: [f32; 3], w: f32) {
    if points.len() < 2 {
        return;
    }
    ops.push(Op::SetOutlineColor { col: rgb(c) });
    ops.push(Op::SetOutlineThickness { pt: Pt(w) });
    ops.push(Op::DrawLine {
        line: Line {
            points: points.iter().copied().map(point).collect(),
            is_closed: false,
        },
    });
}

/// A dashed straight line (markers on charts).
pub(super) fn dashed(ops: &mut Vec<Op>, from: (f32, f32), to: (f32, f32), c: [f32; 3]) {
    ops.push(Op::SetLineDashPattern {
        dash: LineDashPattern::new(0.0, &[3.0, 2.0]),
    });
    line(ops, from, to, c, 0.9);
    ops.push(Op::SetLineDashPattern {
        dash: LineDashPattern::solid(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_within_the_width_and_long_words_are_cut() {
        let lines = wrap("alpha beta gamma delta", width("gamma delta", 8.0), 8.0);
        assert_eq!(lines, vec!["alpha beta", "gamma delta"]);
        let long = "x".repeat(60);
        let lines = wrap(&long, width("xxxxxxxxxx", 8.0), 8.0);
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert!(lines.iter().all(|l| l.len() == 10));
        assert_eq!(wrap("", 100.0, 8.0), vec![String::new()]);
    }

    #[test]
    fn fitted_text_is_cut_with_a_mark_and_non_ascii_replaced() {
        assert_eq!(fit("short", 100.0, 8.0), "short");
        let cut = fit(&"y".repeat(100), 50.0, 8.0);
        assert!(cut.ends_with('~') && width(&cut, 8.0) <= 50.0, "{cut}");
        assert_eq!(ascii("Zürich – bay"), "Z?rich - bay");
    }

    #[test]
    fn a_table_longer_than_a_page_continues_on_the_next() {
        let mut c = Canvas::new();
        let rows: Vec<Vec<String>> = (0..120).map(|i| vec![format!("row {i}")]).collect();
        c.table(&[("only", 1.0)], &rows);
        assert!(!c.done.is_empty(), "a second page was started");
        assert!(c.y >= BOTTOM);
    }
}
