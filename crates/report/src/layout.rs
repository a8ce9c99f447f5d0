//! A small layout layer over printpdf's drawing operations, independent of what the report
//! says: A4 portrait pages with margins, a running header and a "page x of y" footer (written
//! once every page exists), text measured with the font's own advances and wrapped, tables
//! that break across pages and repeat their header, keep-together blocks, two-column flows
//! and deferred page references (the cover's contents).
//!
//! Coordinates are points from the top-left corner of the page (y grows downwards); the
//! canvas converts to PDF's bottom-left origin. Every piece of text drawn is checked against
//! the page's safe area; `Doc::finish` refuses to produce a PDF that breaks that rule.

use crate::fonts::{Face, Fonts};
use printpdf::{
    Color, FontId, Line, LineCapStyle, LineDashPattern, LineJoinStyle, LinePoint, Op, PaintMode,
    PdfFontHandle, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, TextMatrix, WindingOrder,
};

/// A4 portrait, in points.
pub const PAGE_W: f32 = 595.276;
pub const PAGE_H: f32 = 841.89;
/// Left and right margins (18 mm).
pub const MARGIN_X: f32 = 51.0;
/// Where the body starts and ends (below the header, above the footer).
pub const BODY_TOP: f32 = 68.0;
pub const BODY_BOTTOM: f32 = PAGE_H - 58.0;
pub const LEFT: f32 = MARGIN_X;
pub const RIGHT: f32 = PAGE_W - MARGIN_X;
pub const WIDTH: f32 = RIGHT - LEFT;
/// No text may come closer than this to the page's edges.
pub const SAFE: f32 = 20.0;
/// A table broken across pages carries at least this many rows onto the last page.
const WIDOW: usize = 3;

/// An RGB colour, components 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb3(pub f32, pub f32, pub f32);

impl Rgb3 {
    const fn hex(v: u32) -> Rgb3 {
        Rgb3(
            ((v >> 16) & 0xff) as f32 / 255.0,
            ((v >> 8) & 0xff) as f32 / 255.0,
            (v & 0xff) as f32 / 255.0,
        )
    }
    fn pdf(self) -> Color {
        Color::Rgb(Rgb {
            r: self.0,
            g: self.1,
            b: self.2,
            icc_profile: None,
        })
    }
    /// This colour mixed with white (`t` = 0 → self, 1 → white).
    pub fn tint(self, t: f32) -> Rgb3 {
        Rgb3(
            self.0 + (1.0 - self.0) * t,
            self.1 + (1.0 - self.1) * t,
            self.2 + (1.0 - self.2) * t,
        )
    }
}

/// The report's palette.
pub mod colour {
    use super::Rgb3;
    pub const INK: Rgb3 = Rgb3::hex(0x1f2933);
    pub const MUTED: Rgb3 = Rgb3::hex(0x5f6b7a);
    pub const FAINT: Rgb3 = Rgb3::hex(0x9aa5b1);
    pub const RULE: Rgb3 = Rgb3::hex(0xd5dbe3);
    pub const ZEBRA: Rgb3 = Rgb3::hex(0xf4f6f9);
    pub const HEAD_BG: Rgb3 = Rgb3::hex(0xe6ecf3);
    pub const BRAND: Rgb3 = Rgb3::hex(0x16425b);
    pub const ACCENT: Rgb3 = Rgb3::hex(0x2f7f8a);
    pub const RED: Rgb3 = Rgb3::hex(0xc0392b);
    pub const AMBER: Rgb3 = Rgb3::hex(0xd98c00);
    pub const GREEN: Rgb3 = Rgb3::hex(0x2e8b57);
    pub const NEUTRAL: Rgb3 = Rgb3::hex(0x7b8794);
    pub const WHITE: Rgb3 = Rgb3(1.0, 1.0, 1.0);
}

/// A text style: size in points, weight, colour and line height (× size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub size: f32,
    pub bold: bool,
    pub colour: Rgb3,
    pub leading: f32,
}

impl Style {
    pub const fn new(size: f32, bold: bool, colour: Rgb3) -> Style {
        Style {
            size,
            bold,
            colour,
            leading: 1.3,
        }
    }
    pub fn line_h(&self) -> f32 {
        self.size * self.leading
    }
    pub fn colour(self, colour: Rgb3) -> Style {
        Style { colour, ..self }
    }
    pub fn bold(self) -> Style {
        Style { bold: true, ..self }
    }
    pub fn size(self, size: f32) -> Style {
        Style { size, ..self }
    }
}

/// The typographic scale: title, headings, body, small.
pub mod style {
    use super::{colour, Style};
    pub const TITLE: Style = Style::new(26.0, true, colour::BRAND);
    pub const H1: Style = Style::new(16.0, true, colour::BRAND);
    pub const H2: Style = Style::new(11.5, true, colour::INK);
    pub const H3: Style = Style::new(9.5, true, colour::INK);
    pub const BODY: Style = Style::new(9.0, false, colour::INK);
    pub const SMALL: Style = Style::new(7.5, false, colour::MUTED);
    pub const TINY: Style = Style::new(6.5, false, colour::MUTED);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// A rectangle in page coordinates (top-left origin).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect { x, y, w, h }
    }
    pub fn right(&self) -> f32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }
    /// The rectangle shrunk by `d` on every side.
    pub fn inset(&self, dx: f32, dy: f32) -> Rect {
        Rect {
            x: self.x + dx,
            y: self.y + dy,
            w: (self.w - 2.0 * dx).max(0.0),
            h: (self.h - 2.0 * dy).max(0.0),
        }
    }
}

/// Measures and wraps text with the embedded fonts.
#[derive(Clone, Copy)]
pub struct Measure {
    fonts: &'static Fonts,
}

impl Measure {
    pub fn new(fonts: &'static Fonts) -> Measure {
        Measure { fonts }
    }
    pub fn face(&self, bold: bool) -> &'static Face {
        if bold {
            &self.fonts.bold
        } else {
            &self.fonts.regular
        }
    }
    /// Width of `s` in `st`, in points.
    pub fn width(&self, st: Style, s: &str) -> f32 {
        self.face(st.bold).width(s, st.size)
    }

    /// Breaks `s` into lines no wider than `w` (at spaces; a word longer than a line is cut
    /// between characters). Explicit newlines start a new line.
    pub fn wrap(&self, st: Style, s: &str, w: f32) -> Vec<String> {
        let face = self.face(st.bold);
        let space = face.advance(' ') * st.size;
        let mut lines = Vec::new();
        for para in s.split('\n') {
            let mut line = String::new();
            let mut lw = 0.0f32;
            for word in para.split(' ').filter(|w| !w.is_empty()) {
                let ww = face.width(word, st.size);
                let need = if line.is_empty() { ww } else { lw + space + ww };
                if need <= w + 0.01 {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                    lw = need;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    lw = 0.0;
                }
                if ww <= w + 0.01 {
                    line.push_str(word);
                    lw = ww;
                } else {
                    // Cut the long word between characters.
                    for c in word.chars() {
                        let cw = face.advance(c) * st.size;
                        if lw + cw > w + 0.01 && !line.is_empty() {
                            lines.push(std::mem::take(&mut line));
                            lw = 0.0;
                        }
                        line.push(c);
                        lw += cw;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }

    /// `s` cut with an ellipsis so that it fits in `w`.
    pub fn fit(&self, st: Style, s: &str, w: f32) -> String {
        if self.width(st, s) <= w + 0.01 {
            return s.to_string();
        }
        let face = self.face(st.bold);
        let ell = face.advance('…') * st.size;
        let mut out = String::new();
        let mut lw = 0.0;
        for c in s.chars() {
            let cw = face.advance(c) * st.size;
            if lw + cw + ell > w {
                break;
            }
            out.push(c);
            lw += cw;
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('…');
        out
    }
}

/// One page being drawn: its operations and the problems found while drawing.
pub struct Canvas {
    ops: Vec<Op>,
    m: Measure,
    ids: [FontId; 2],
    fill: Option<Rgb3>,
    stroke: Option<Rgb3>,
    thickness: f32,
    dashed: bool,
    page: usize,
    violations: Vec<String>,
    texts: usize,
}

fn pt(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(x),
            y: Pt(PAGE_H - y),
        },
        bezier: false,
    }
}

fn ctrl(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(x),
            y: Pt(PAGE_H - y),
        },
        bezier: true,
    }
}

impl Canvas {
    fn new(m: Measure, ids: [FontId; 2], page: usize) -> Canvas {
        let ops = vec![
            Op::SetLineCapStyle {
                cap: LineCapStyle::Round,
            },
            Op::SetLineJoinStyle {
                join: LineJoinStyle::Round,
            },
        ];
        Canvas {
            ops,
            m,
            ids,
            fill: None,
            stroke: None,
            thickness: -1.0,
            dashed: false,
            page,
            violations: Vec::new(),
            texts: 0,
        }
    }

    pub fn measure(&self) -> Measure {
        self.m
    }

    fn set_fill(&mut self, c: Rgb3) {
        if self.fill != Some(c) {
            self.ops.push(Op::SetFillColor { col: c.pdf() });
            self.fill = Some(c);
        }
    }

    fn set_stroke(&mut self, c: Rgb3, width: f32, dash: Option<&[f32]>) {
        if self.stroke != Some(c) {
            self.ops.push(Op::SetOutlineColor { col: c.pdf() });
            self.stroke = Some(c);
        }
        if (self.thickness - width).abs() > 0.001 {
            self.ops.push(Op::SetOutlineThickness { pt: Pt(width) });
            self.thickness = width;
        }
        match dash {
            Some(d) => {
                self.ops.push(Op::SetLineDashPattern {
                    dash: LineDashPattern::new(0.0, d),
                });
                self.dashed = true;
            }
            None if self.dashed => {
                self.ops.push(Op::SetLineDashPattern {
                    dash: LineDashPattern::solid(),
                });
                self.dashed = false;
            }
            None => {}
        }
    }

    fn check_box(&mut self, x: f32, top: f32, w: f32, h: f32, s: &str) {
        let ok = x >= SAFE - 0.01
            && x + w <= PAGE_W - SAFE + 0.01
            && top >= SAFE - 0.01
            && top + h <= PAGE_H - SAFE + 0.01;
        if !ok {
            self.violations.push(format!(
                "page {}: text {:?} at ({x:.1}, {top:.1}) size {w:.1}×{h:.1} leaves the page's safe area",
                self.page + 1,
                s.chars().take(40).collect::<String>()
            ));
        }
    }

    /// Records a layout problem (the layer's own assertions).
    pub fn violation(&mut self, what: String) {
        self.violations
            .push(format!("page {}: {what}", self.page + 1));
    }

    /// Draws one line of text whose line box starts at `top`, with its left edge at `x`.
    pub fn text(&mut self, x: f32, top: f32, st: Style, s: &str) {
        if s.is_empty() {
            return;
        }
        let w = self.m.width(st, s);
        self.check_box(x, top, w, st.line_h(), s);
        if let Some(ch) = self.m.face(st.bold).first_missing(s) {
            self.violation(format!(
                "the font has no glyph for {ch:?} (U+{:04X}) in {s:?}",
                ch as u32
            ));
        }
        self.texts += 1;
        // Baseline: the middle of the line box plus a third of the size, so that text sits
        // optically centred in its line.
        let baseline = top + st.line_h() / 2.0 + 0.35 * st.size;
        self.set_fill(st.colour);
        let font = PdfFontHandle::External(self.ids[usize::from(st.bold)].clone());
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFont {
            font,
            size: Pt(st.size),
        });
        self.ops.push(Op::SetTextCursor {
            pos: Point {
                x: Pt(x),
                y: Pt(PAGE_H - baseline),
            },
        });
        self.ops.push(Op::ShowText {
            items: vec![TextItem::Text(s.to_string())],
        });
        self.ops.push(Op::EndTextSection);
    }

    /// One line of text running upwards: its line box starts at `left` and the text starts at
    /// `bottom` (page coordinates, top-left origin).
    pub fn text_up(&mut self, left: f32, bottom: f32, st: Style, s: &str) {
        if s.is_empty() {
            return;
        }
        let w = self.m.width(st, s);
        self.check_box(left, bottom - w, st.line_h(), w, s);
        if let Some(ch) = self.m.face(st.bold).first_missing(s) {
            self.violation(format!(
                "the font has no glyph for {ch:?} (U+{:04X}) in {s:?}",
                ch as u32
            ));
        }
        self.texts += 1;
        // The baseline is a vertical line, `0.35 size` right of the line box's middle.
        let baseline = left + st.line_h() / 2.0 + 0.35 * st.size;
        self.set_fill(st.colour);
        let font = PdfFontHandle::External(self.ids[usize::from(st.bold)].clone());
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFont {
            font,
            size: Pt(st.size),
        });
        self.ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Raw([0.0, 1.0, -1.0, 0.0, baseline, PAGE_H - bottom]),
        });
        self.ops.push(Op::ShowText {
            items: vec![TextItem::Text(s.to_string())],
        });
        self.ops.push(Op::EndTextSection);
    }

    /// One line of text aligned in a box of width `w` starting at `x`; cut with an ellipsis
    /// if it does not fit. Returns the width drawn.
    pub fn text_in(&mut self, x: f32, top: f32, w: f32, st: Style, s: &str, align: Align) -> f32 {
        let fitted;
        let mut s = s;
        let mut tw = self.m.width(st, s);
        if tw > w + 0.01 {
            fitted = self.m.fit(st, s, w);
            s = &fitted;
            tw = self.m.width(st, s);
        }
        let dx = match align {
            Align::Left => 0.0,
            Align::Right => w - tw,
            Align::Center => (w - tw) / 2.0,
        };
        self.text(x + dx, top, st, s);
        tw
    }

    /// Wrapped text in a box of width `w`; returns the height used.
    pub fn paragraph(&mut self, x: f32, top: f32, w: f32, st: Style, s: &str, align: Align) -> f32 {
        let lines = self.m.wrap(st, s, w);
        let mut y = top;
        for l in &lines {
            self.text_in(x, y, w, st, l, align);
            y += st.line_h();
        }
        y - top
    }

    pub fn fill_rect(&mut self, r: Rect, c: Rgb3) {
        self.set_fill(c);
        self.ops.push(Op::DrawRectangle {
            rectangle: printpdf::Rect {
                x: Pt(r.x),
                y: Pt(PAGE_H - r.y - r.h),
                width: Pt(r.w),
                height: Pt(r.h),
                mode: Some(PaintMode::Fill),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    pub fn stroke_rect(&mut self, r: Rect, c: Rgb3, width: f32) {
        self.set_stroke(c, width, None);
        self.ops.push(Op::DrawRectangle {
            rectangle: printpdf::Rect {
                x: Pt(r.x),
                y: Pt(PAGE_H - r.y - r.h),
                width: Pt(r.w),
                height: Pt(r.h),
                mode: Some(PaintMode::Stroke),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    /// A polyline through `points`; `dash` = on/off lengths in points.
    pub fn line(&mut self, points: &[(f32, f32)], c: Rgb3, width: f32, dash: Option<&[f32]>) {
        if points.len() < 2 {
            return;
        }
        self.set_stroke(c, width, dash);
        self.ops.push(Op::DrawLine {
            line: Line {
                points: points.iter().map(|&(x, y)| pt(x, y)).collect(),
                is_closed: false,
            },
        });
    }

    pub fn hline(&mut self, x1: f32, x2: f32, y: f32, c: Rgb3, width: f32) {
        self.line(&[(x1, y), (x2, y)], c, width, None);
    }

    pub fn vline(&mut self, x: f32, y1: f32, y2: f32, c: Rgb3, width: f32, dash: Option<&[f32]>) {
        self.line(&[(x, y1), (x, y2)], c, width, dash);
    }

    /// A filled polygon.
    pub fn polygon(&mut self, points: &[(f32, f32)], c: Rgb3) {
        if points.len() < 3 {
            return;
        }
        self.set_fill(c);
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing {
                    points: points.iter().map(|&(x, y)| pt(x, y)).collect(),
                }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// A filled disc (four Bézier arcs).
    pub fn disc(&mut self, cx: f32, cy: f32, r: f32, c: Rgb3) {
        const K: f32 = 0.552_284_8;
        let k = K * r;
        let points = vec![
            pt(cx + r, cy),
            ctrl(cx + r, cy + k),
            ctrl(cx + k, cy + r),
            pt(cx, cy + r),
            ctrl(cx - k, cy + r),
            ctrl(cx - r, cy + k),
            pt(cx - r, cy),
            ctrl(cx - r, cy - k),
            ctrl(cx - k, cy - r),
            pt(cx, cy - r),
            ctrl(cx + k, cy - r),
            ctrl(cx + r, cy - k),
            pt(cx + r, cy),
        ];
        self.set_fill(c);
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing { points }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// A rectangle with rounded corners, filled.
    pub fn round_rect(&mut self, r: Rect, radius: f32, c: Rgb3) {
        let rad = radius.min(r.h / 2.0).min(r.w / 2.0);
        let k = 0.552_284_8 * rad;
        let (x0, y0, x1, y1) = (r.x, r.y, r.right(), r.bottom());
        let points = vec![
            pt(x0 + rad, y0),
            pt(x1 - rad, y0),
            ctrl(x1 - rad + k, y0),
            ctrl(x1, y0 + rad - k),
            pt(x1, y0 + rad),
            pt(x1, y1 - rad),
            ctrl(x1, y1 - rad + k),
            ctrl(x1 - rad + k, y1),
            pt(x1 - rad, y1),
            pt(x0 + rad, y1),
            ctrl(x0 + rad - k, y1),
            ctrl(x0, y1 - rad + k),
            pt(x0, y1 - rad),
            pt(x0, y0 + rad),
            ctrl(x0, y0 + rad - k),
            ctrl(x0 + rad - k, y0),
            pt(x0 + rad, y0),
        ];
        self.set_fill(c);
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing { points }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }
}

/// A table column: title, width in points, alignment.
pub struct Col {
    pub title: String,
    pub w: f32,
    pub align: Align,
    /// The title runs upwards (narrow columns with long titles, e.g. a matrix).
    pub rotate: bool,
}

impl Col {
    pub fn new(title: impl Into<String>, w: f32, align: Align) -> Col {
        Col {
            title: title.into(),
            w,
            align,
            rotate: false,
        }
    }
    /// A column whose title runs upwards.
    pub fn rotated(title: impl Into<String>, w: f32, align: Align) -> Col {
        Col {
            rotate: true,
            ..Col::new(title, w, align)
        }
    }
}

/// Something drawn in a rectangle (a chart in a cell, a block).
pub type Draw<'a> = Box<dyn FnOnce(&mut Canvas, Rect) + 'a>;

/// A table cell.
pub enum Cell<'a> {
    Text(String),
    /// Text in its own style.
    Styled(String, Style),
    /// A drawing (sparkline, bar, status dot) given the cell's inner rectangle.
    Draw(Draw<'a>),
    Empty,
}

impl Cell<'_> {
    pub fn text(s: impl Into<String>) -> Cell<'static> {
        Cell::Text(s.into())
    }
}

/// A table row; `min_h` is the least height (for drawings).
pub struct Row<'a> {
    pub cells: Vec<Cell<'a>>,
    pub min_h: f32,
}

impl<'a> Row<'a> {
    pub fn new(cells: Vec<Cell<'a>>) -> Row<'a> {
        Row { cells, min_h: 0.0 }
    }
    pub fn min_h(mut self, h: f32) -> Row<'a> {
        self.min_h = h;
        self
    }
}

/// How a table looks.
#[derive(Clone, Copy)]
pub struct TableStyle {
    pub body: Style,
    pub head: Style,
    pub pad_x: f32,
    pub pad_y: f32,
    pub zebra: bool,
}

impl Default for TableStyle {
    fn default() -> Self {
        TableStyle {
            body: style::BODY.size(8.0),
            head: style::SMALL.bold().colour(colour::BRAND),
            pad_x: 4.0,
            pad_y: 3.0,
            zebra: true,
        }
    }
}

/// An item of a column flow: its height and how to draw it.
pub struct Item<'a> {
    pub h: f32,
    pub draw: Draw<'a>,
}

struct Deferred {
    page: usize,
    x: f32,
    top: f32,
    w: f32,
    st: Style,
    mark: String,
}

/// The page furniture written on every page but the first.
pub struct Furniture {
    pub header_left: String,
    pub header_right: String,
    pub footer_left: String,
    /// Builds "Page x of y".
    pub page_label: Box<dyn Fn(usize, usize) -> String>,
    /// Whether the first page has them too (not on a cover).
    pub first_page: bool,
}

/// A document being laid out: pages, the cursor of the body flow, marks for page references.
pub struct Doc {
    m: Measure,
    ids: [FontId; 2],
    pages: Vec<Canvas>,
    /// The body cursor on the current page.
    pub y: f32,
    marks: Vec<(String, usize)>,
    deferred: Vec<Deferred>,
}

impl Doc {
    pub fn new(m: Measure, ids: [FontId; 2]) -> Doc {
        let mut d = Doc {
            m,
            ids,
            pages: Vec::new(),
            y: BODY_TOP,
            marks: Vec::new(),
            deferred: Vec::new(),
        };
        d.new_page();
        d
    }

    pub fn measure(&self) -> Measure {
        self.m
    }

    /// Starts a new page; the body cursor goes to its top.
    pub fn new_page(&mut self) {
        let n = self.pages.len();
        self.pages.push(Canvas::new(self.m, self.ids.clone(), n));
        self.y = BODY_TOP;
    }

    /// Index of the current page (0-based).
    pub fn page(&self) -> usize {
        self.pages.len() - 1
    }

    pub fn canvas(&mut self) -> &mut Canvas {
        let i = self.pages.len() - 1;
        &mut self.pages[i]
    }

    /// Space left on the current page's body.
    pub fn left(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    fn at_top(&self) -> bool {
        self.y <= BODY_TOP + 0.5
    }

    /// Makes sure `h` points fit on the current page, starting a new one if not
    /// (keep-together).
    pub fn ensure(&mut self, h: f32) {
        if h > self.left() + 0.01 && !self.at_top() {
            self.new_page();
        }
    }

    /// Vertical space; nothing is carried to the next page.
    pub fn gap(&mut self, h: f32) {
        self.y = (self.y + h).min(BODY_BOTTOM);
    }

    /// Records that `name` starts on the current page (for page references).
    pub fn mark(&mut self, name: &str) {
        let p = self.page();
        self.marks.push((name.to_string(), p));
    }

    /// The page number of mark `name` is written at (x, top) in a box of width `w`, once
    /// every page exists.
    pub fn page_ref(&mut self, page: usize, x: f32, top: f32, w: f32, st: Style, mark: &str) {
        self.deferred.push(Deferred {
            page,
            x,
            top,
            w,
            st,
            mark: mark.to_string(),
        });
    }

    /// A heading kept with at least `keep` points of what follows.
    pub fn heading(&mut self, st: Style, s: &str, keep: f32) {
        let lines = self.m.wrap(st, s, WIDTH);
        let h = lines.len() as f32 * st.line_h();
        self.ensure(h + keep);
        let y = self.y;
        let c = self.canvas();
        let mut yy = y;
        for l in &lines {
            c.text(LEFT, yy, st, l);
            yy += st.line_h();
        }
        self.y = yy;
    }

    /// Wrapped text across the body width, breaking pages between lines.
    pub fn paragraph(&mut self, st: Style, s: &str) {
        self.paragraph_at(LEFT, WIDTH, st, s);
    }

    /// Wrapped text in a column of the body, breaking pages between lines.
    pub fn paragraph_at(&mut self, x: f32, w: f32, st: Style, s: &str) {
        for l in self.m.wrap(st, s, w) {
            self.ensure(st.line_h());
            let y = self.y;
            self.canvas().text_in(x, y, w, st, &l, Align::Left);
            self.y += st.line_h();
        }
    }

    /// A block of height `h` kept on one page, drawn by `f` in the body's rectangle.
    pub fn block(&mut self, h: f32, f: impl FnOnce(&mut Canvas, Rect)) {
        self.ensure(h);
        let r = Rect::new(LEFT, self.y, WIDTH, h.min(BODY_BOTTOM - BODY_TOP));
        if r.bottom() > BODY_BOTTOM + 0.5 {
            self.canvas()
                .violation(format!("a block of {h:.0} pt is taller than the page body"));
        }
        f(self.canvas(), r);
        self.y += h;
    }

    fn row_height(&self, cols: &[Col], cells: &[Cell<'_>], ts: &TableStyle, min_h: f32) -> f32 {
        let mut lines = 1usize;
        for (c, cell) in cols.iter().zip(cells) {
            let w = c.w - 2.0 * ts.pad_x;
            let n = match cell {
                Cell::Text(s) => self.m.wrap(ts.body, s, w).len(),
                Cell::Styled(s, st) => {
                    let n = self.m.wrap(*st, s, w).len();
                    ((n as f32 * st.line_h()) / ts.body.line_h()).ceil() as usize
                }
                _ => 1,
            };
            lines = lines.max(n);
        }
        (lines as f32 * ts.body.line_h() + 2.0 * ts.pad_y).max(min_h)
    }

    /// The lines of a column's title and the height they need.
    fn head_lines(&self, col: &Col, ts: &TableStyle) -> (Vec<String>, f32) {
        let inner = col.w - 2.0 * ts.pad_x;
        if !col.rotate {
            let lines = self.m.wrap(ts.head, &col.title, inner);
            let h = lines.len() as f32 * ts.head.line_h();
            return (lines, h);
        }
        // Upwards: as few side-by-side lines as fit the column's width, each as short as
        // that allows.
        let fit = ((inner / ts.head.line_h()).floor() as usize).max(1);
        // Never shorter than the longest word: a title is not cut inside a word.
        let longest = col
            .title
            .split(' ')
            .map(|w| self.m.width(ts.head, w))
            .fold(0.0, f32::max);
        let mut len = longest.max(40.0);
        let mut lines = self.m.wrap(ts.head, &col.title, len);
        while lines.len() > fit && len < 200.0 {
            len += 10.0;
            lines = self.m.wrap(ts.head, &col.title, len);
        }
        // A little air above: glyphs' side bearings are not in their advances.
        let h = lines
            .iter()
            .map(|l| self.m.width(ts.head, l))
            .fold(0.0, f32::max)
            + 3.0;
        (lines, h)
    }

    fn head_height(&self, cols: &[Col], ts: &TableStyle) -> f32 {
        let h = cols
            .iter()
            .map(|c| self.head_lines(c, ts).1)
            .fold(ts.head.line_h(), f32::max);
        h + 2.0 * ts.pad_y
    }

    fn table_head(&mut self, cols: &[Col], ts: &TableStyle) -> f32 {
        let heads: Vec<(Vec<String>, f32)> = cols.iter().map(|c| self.head_lines(c, ts)).collect();
        let h = self.head_height(cols, ts);
        let y = self.y;
        let total: f32 = cols.iter().map(|c| c.w).sum();
        let lh = ts.head.line_h();
        let c = self.canvas();
        c.fill_rect(Rect::new(LEFT, y, total, h), colour::HEAD_BG);
        let mut x = LEFT;
        for (col, (ls, _)) in cols.iter().zip(&heads) {
            let inner = col.w - 2.0 * ts.pad_x;
            if col.rotate {
                // Side by side, right-aligned like the numbers under them, read bottom-up.
                let block = ls.len() as f32 * lh;
                let x0 = match col.align {
                    Align::Left => x + ts.pad_x,
                    Align::Center => x + (col.w - block) / 2.0,
                    Align::Right => x + col.w - ts.pad_x - block,
                };
                for (k, l) in ls.iter().enumerate() {
                    c.text_up(x0 + k as f32 * lh, y + h - ts.pad_y, ts.head, l);
                }
            } else {
                // Sit on the header's bottom edge, next to any upward title.
                let mut yy = y + h - ts.pad_y - ls.len() as f32 * lh;
                for l in ls {
                    c.text_in(x + ts.pad_x, yy, inner, ts.head, l, col.align);
                    yy += lh;
                }
            }
            x += col.w;
        }
        self.y += h;
        h
    }

    /// A table that breaks across pages, repeating its header; a row is never split.
    pub fn table(&mut self, cols: &[Col], rows: Vec<Row<'_>>, ts: TableStyle) {
        let total: f32 = cols.iter().map(|c| c.w).sum();
        if total > WIDTH + 0.5 {
            self.canvas().violation(format!(
                "a table of {total:.0} pt is wider than the body ({WIDTH:.0} pt)"
            ));
        }
        let head_h = self.head_height(cols, &ts);
        let first_h = rows
            .first()
            .map(|r| self.row_height(cols, &r.cells, &ts, r.min_h))
            .unwrap_or(0.0);
        self.ensure(head_h + first_h);
        self.table_head(cols, &ts);
        let heights: Vec<f32> = rows
            .iter()
            .map(|r| self.row_height(cols, &r.cells, &ts, r.min_h))
            .collect();
        let n = heights.len();
        for (i, row) in rows.into_iter().enumerate() {
            let h = heights[i];
            // Widow control: when the last rows will not all fit, the last WIDOW of them go
            // to the next page together rather than one or two alone.
            let rest: f32 = heights[i..].iter().sum();
            let widow = i > 0 && n - i == WIDOW && rest > self.left() + 0.01;
            if h > self.left() + 0.01 || widow {
                self.new_page();
                self.table_head(cols, &ts);
            }
            let y = self.y;
            let m = self.m;
            let c = self.canvas();
            if ts.zebra && i % 2 == 1 {
                c.fill_rect(Rect::new(LEFT, y, total, h), colour::ZEBRA);
            }
            let mut x = LEFT;
            for (col, cell) in cols.iter().zip(row.cells) {
                let inner = Rect::new(
                    x + ts.pad_x,
                    y + ts.pad_y,
                    col.w - 2.0 * ts.pad_x,
                    h - 2.0 * ts.pad_y,
                );
                match cell {
                    Cell::Text(s) => {
                        let mut yy = inner.y;
                        for l in m.wrap(ts.body, &s, inner.w) {
                            c.text_in(inner.x, yy, inner.w, ts.body, &l, col.align);
                            yy += ts.body.line_h();
                        }
                    }
                    Cell::Styled(s, st) => {
                        let mut yy = inner.y;
                        for l in m.wrap(st, &s, inner.w) {
                            c.text_in(inner.x, yy, inner.w, st, &l, col.align);
                            yy += st.line_h();
                        }
                    }
                    Cell::Draw(f) => f(c, inner),
                    Cell::Empty => {}
                }
                x += col.w;
            }
            c.hline(LEFT, LEFT + total, y + h, colour::RULE, 0.4);
            self.y += h;
        }
    }

    /// Columns that flow side by side: each column takes its items in order, a new page
    /// starts when an item of any column no longer fits, and every column goes on there.
    pub fn columns(&mut self, xs: &[(f32, f32)], cols: Vec<Vec<Item<'_>>>) {
        let mut queues: Vec<std::collections::VecDeque<Item<'_>>> =
            cols.into_iter().map(Into::into).collect();
        let mut end = self.y;
        loop {
            let start = self.y;
            let mut ys = vec![start; queues.len()];
            for (k, q) in queues.iter_mut().enumerate() {
                while let Some(it) = q.front() {
                    let fits = ys[k] + it.h <= BODY_BOTTOM + 0.01;
                    let alone = (ys[k] - BODY_TOP).abs() < 0.5;
                    if !fits && !alone {
                        break;
                    }
                    let Some(it) = q.pop_front() else { break };
                    let (x, w) = xs[k];
                    let r = Rect::new(x, ys[k], w, it.h);
                    let i = self.pages.len() - 1;
                    (it.draw)(&mut self.pages[i], r);
                    ys[k] += it.h;
                }
            }
            end = ys.iter().copied().fold(end, f32::max);
            if queues.iter().all(|q| q.is_empty()) {
                break;
            }
            self.new_page();
            end = self.y;
        }
        self.y = end;
    }

    /// Writes the header and footer of every page but the first and the deferred page
    /// references; returns the pages' operations, or every layout rule broken.
    pub fn finish(mut self, f: &Furniture) -> Result<Vec<Vec<Op>>, Vec<String>> {
        let total = self.pages.len();
        let head = style::SMALL;
        let foot = style::TINY;
        for d in std::mem::take(&mut self.deferred) {
            let n = self
                .marks
                .iter()
                .find(|(m, _)| *m == d.mark)
                .map(|(_, p)| p + 1);
            if let (Some(n), Some(c)) = (n, self.pages.get_mut(d.page)) {
                c.text_in(d.x, d.top, d.w, d.st, &n.to_string(), Align::Right);
            }
        }
        let mut violations = Vec::new();
        for (i, c) in self.pages.iter_mut().enumerate() {
            if i > 0 || f.first_page {
                let w = WIDTH * 0.62;
                c.text_in(
                    LEFT,
                    34.0,
                    w,
                    head.bold().colour(colour::BRAND),
                    &f.header_left,
                    Align::Left,
                );
                c.text_in(
                    LEFT + w,
                    34.0,
                    WIDTH - w,
                    head,
                    &f.header_right,
                    Align::Right,
                );
                c.hline(LEFT, RIGHT, 50.0, colour::RULE, 0.6);
                let fy = PAGE_H - 42.0;
                c.hline(LEFT, RIGHT, fy - 6.0, colour::RULE, 0.6);
                c.text_in(LEFT, fy, WIDTH * 0.7, foot, &f.footer_left, Align::Left);
                c.text_in(
                    LEFT + WIDTH * 0.7,
                    fy,
                    WIDTH * 0.3,
                    foot,
                    &(f.page_label)(i + 1, total),
                    Align::Right,
                );
            }
            if c.texts == 0 {
                violations.push(format!("page {} is blank", i + 1));
            }
            violations.append(&mut c.violations);
        }
        if !violations.is_empty() {
            return Err(violations);
        }
        Ok(self.pages.into_iter().map(|c| c.ops).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::fonts;

    fn doc() -> Doc {
        let f = fonts().expect("fonts");
        Doc::new(Measure::new(f), [FontId("F1".into()), FontId("F2".into())])
    }

    fn furniture() -> Furniture {
        Furniture {
            header_left: "Header".into(),
            header_right: "Right".into(),
            footer_left: "Footer".into(),
            page_label: Box::new(|p, n| format!("Page {p} of {n}")),
            first_page: false,
        }
    }

    #[test]
    fn wrapping_keeps_every_line_within_its_width() {
        let m = Measure::new(fonts().expect("fonts"));
        let s = "Le portefeuille à risque a augmenté de 3,10 % à 5,40 %, au-dessus du seuil, principalement dans la région Nord; Anticonstitutionnellementextraordinaire";
        for w in [40.0, 80.0, 150.0, 300.0] {
            let lines = m.wrap(style::BODY, s, w);
            for l in &lines {
                assert!(
                    m.width(style::BODY, l) <= w + 0.01,
                    "line {l:?} is wider than {w}"
                );
            }
            let joined: String = lines.concat().split_whitespace().collect();
            let orig: String = s.split_whitespace().collect();
            assert_eq!(joined, orig, "wrapping loses no character at width {w}");
        }
        let fitted = m.fit(style::BODY, s, 60.0);
        assert!(
            m.width(style::BODY, &fitted) <= 60.0 && fitted.ends_with('…'),
            "fit cuts with an ellipsis"
        );
    }

    #[test]
    fn long_tables_break_across_pages_and_repeat_their_header() {
        let mut d = doc();
        d.paragraph(style::BODY, "Intro");
        let cols = vec![
            Col::new("Name", 200.0, Align::Left),
            Col::new("Value", 100.0, Align::Right),
        ];
        let rows: Vec<Row<'_>> = (0..150)
            .map(|i| {
                Row::new(vec![
                    Cell::text(format!("Row {i}")),
                    Cell::text(i.to_string()),
                ])
            })
            .collect();
        d.table(&cols, rows, TableStyle::default());
        assert!(
            d.pages.len() >= 3,
            "150 rows need several pages: {}",
            d.pages.len()
        );
        let heads = d
            .pages
            .iter()
            .map(|p| p.ops.iter().filter(|o| matches!(o, Op::ShowText { items } if matches!(&items[0], TextItem::Text(t) if t == "Name"))).count())
            .collect::<Vec<_>>();
        assert!(
            heads.iter().all(|&n| n == 1),
            "every page repeats the header once: {heads:?}"
        );
        let ops = d.finish(&furniture()).expect("no layout violation");
        assert!(ops.len() >= 3, "pages come back");
    }

    #[test]
    fn blocks_are_kept_together_and_text_off_the_page_is_refused() {
        let mut d = doc();
        d.gap(BODY_BOTTOM - BODY_TOP - 50.0);
        d.block(100.0, |c, r| c.text(r.x, r.y, style::BODY, "kept"));
        assert_eq!(
            d.page(),
            1,
            "a block that does not fit goes to the next page whole"
        );
        assert!(
            (d.y - (BODY_TOP + 100.0)).abs() < 0.01,
            "the cursor moves past the block"
        );
        d.canvas()
            .text(PAGE_W - 10.0, 100.0, style::BODY, "outside");
        let e = d
            .finish(&furniture())
            .expect_err("text outside the page is refused");
        assert!(
            e.iter().any(|v| v.contains("outside")),
            "the violation names the text: {e:?}"
        );
    }

    #[test]
    fn columns_flow_onto_new_pages_together() {
        let mut d = doc();
        let items = |n: usize| -> Vec<Item<'static>> {
            (0..n)
                .map(|i| Item {
                    h: 100.0,
                    draw: Box::new(move |c, r| c.text(r.x, r.y, style::BODY, &format!("i{i}"))),
                })
                .collect()
        };
        d.columns(
            &[(LEFT, 200.0), (LEFT + 220.0, 200.0)],
            vec![items(12), items(3)],
        );
        assert_eq!(d.page(), 1, "12 items of 100 pt need two pages");
        assert!(d.y > BODY_TOP, "the cursor is below the last item");
    }
}
