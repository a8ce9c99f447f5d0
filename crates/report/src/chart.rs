//! Vector charts drawn with lines, rectangles and polygons: sparklines, trend charts with a
//! dashed target line, horizontal bar charts, progress bars and status marks. A missing
//! value is a gap (or a "missing" label), never drawn as 0.

use crate::layout::{colour, style, Align, Canvas, Rect, Rgb3, Style};
use mizani_core::engine::Rag;

/// The colour of a RAG status.
pub fn rag_colour(r: Rag) -> Rgb3 {
    match r {
        Rag::Red => colour::RED,
        Rag::Amber => colour::AMBER,
        Rag::Green => colour::GREEN,
        Rag::NoThreshold => colour::NEUTRAL,
        Rag::Missing => colour::FAINT,
    }
}

/// A status dot centred at (cx, cy).
pub fn dot(c: &mut Canvas, cx: f32, cy: f32, r: f32, rag: Rag) {
    c.disc(cx, cy, r, rag_colour(rag));
    if rag == Rag::Missing {
        c.disc(cx, cy, r * 0.55, colour::WHITE);
    }
}

/// A coloured pill with a label (status, outlook); returns its width.
pub fn chip(c: &mut Canvas, x: f32, top: f32, label: &str, bg: Rgb3) -> f32 {
    let st = style::TINY.bold().colour(colour::WHITE);
    let w = c.measure().width(st, label) + 8.0;
    let h = st.line_h() + 1.5;
    c.round_rect(Rect::new(x, top, w, h), h / 2.0, bg);
    c.text(x + 4.0, top + 0.75, st, label);
    w
}

/// A small triangle pointing up (`up`) or down, centred at (cx, cy).
pub fn arrow(c: &mut Canvas, cx: f32, cy: f32, size: f32, up: bool, col: Rgb3) {
    let h = size * 0.9;
    let pts = if up {
        [
            (cx - size / 2.0, cy + h / 2.0),
            (cx + size / 2.0, cy + h / 2.0),
            (cx, cy - h / 2.0),
        ]
    } else {
        [
            (cx - size / 2.0, cy - h / 2.0),
            (cx + size / 2.0, cy - h / 2.0),
            (cx, cy + h / 2.0),
        ]
    };
    c.polygon(&pts, col);
}

fn finite(v: &[Option<f64>]) -> impl Iterator<Item = f64> + '_ {
    v.iter().flatten().copied().filter(|x| x.is_finite())
}

/// Runs of consecutive present values, as (index, value) lists: a gap splits the line.
fn runs(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v.filter(|x| x.is_finite()) {
            Some(x) => cur.push((i, x)),
            None if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
            None => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A sparkline of `values` in `r`, with an optional faint target line; the last point is a
/// dot in `last`.
pub fn sparkline(c: &mut Canvas, r: Rect, values: &[Option<f64>], target: Option<f64>, last: Rgb3) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for x in finite(values).chain(target) {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if !lo.is_finite() || values.len() < 2 {
        return;
    }
    if (hi - lo).abs() < 1e-9 {
        hi += 1.0;
        lo -= 1.0;
    }
    let n = values.len();
    let px = |i: usize| r.x + r.w * i as f32 / (n - 1) as f32;
    let py = |v: f64| r.bottom() - (r.h as f64 * (v - lo) / (hi - lo)) as f32;
    if let Some(t) = target {
        c.line(
            &[(r.x, py(t)), (r.right(), py(t))],
            colour::FAINT,
            0.5,
            Some(&[1.5, 1.5]),
        );
    }
    for run in runs(values) {
        let pts: Vec<(f32, f32)> = run.iter().map(|&(i, v)| (px(i), py(v))).collect();
        if pts.len() == 1 {
            c.disc(pts[0].0, pts[0].1, 0.9, colour::MUTED);
        }
        c.line(&pts, colour::MUTED, 0.9, None);
    }
    if let Some(Some(v)) = values.last() {
        c.disc(px(n - 1), py(*v), 1.8, last);
    }
}

/// "Nice" axis ticks covering [lo, hi]: about `n` round steps.
pub fn ticks(lo: f64, hi: f64, n: usize) -> (f64, f64, f64) {
    let span = (hi - lo).abs().max(1e-9);
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

/// Decimals needed to print ticks of `step`.
pub fn step_decimals(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    }
}

/// What a trend chart shows.
pub struct Trend<'a> {
    /// Axis labels of each point: (label, year shown under it when it changes).
    pub labels: &'a [(String, String)],
    /// The values; `None` is a gap.
    pub values: &'a [Option<f64>],
    /// Index of the points beyond the actual series (the forecast); its value.
    pub forecast: Option<(usize, f64)>,
    pub target: Option<f64>,
    pub target_label: String,
    pub baseline: Option<f64>,
    pub status: Rag,
    /// Formats an axis value with the given decimals.
    pub fmt: &'a dyn Fn(f64, usize) -> String,
}

/// A trend chart: y axis with round ticks, x labels per period, the series as a line with
/// gaps, a dashed target line, and the forecast as a dotted extension.
pub fn trend(c: &mut Canvas, r: Rect, t: &Trend<'_>) {
    let axis = style::TINY;
    let n = t.labels.len().max(2);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for x in finite(t.values)
        .chain(t.target)
        .chain(t.baseline)
        .chain(t.forecast.map(|f| f.1))
    {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let plot_left = r.x + 34.0;
    let plot = Rect::new(
        plot_left,
        r.y + 4.0,
        r.right() - plot_left - 4.0,
        r.h - 4.0 - 2.0 * axis.line_h() - 2.0,
    );
    c.fill_rect(plot, colour::WHITE);
    c.stroke_rect(plot, colour::RULE, 0.5);
    if !lo.is_finite() {
        let st = style::SMALL;
        c.text_in(
            plot.x,
            plot.y + plot.h / 2.0 - st.line_h() / 2.0,
            plot.w,
            st,
            &(t.fmt)(f64::NAN, 0),
            Align::Center,
        );
        return;
    }
    if (hi - lo).abs() < 1e-9 {
        hi += hi.abs().max(1.0) * 0.1;
        lo -= lo.abs().max(1.0) * 0.1;
    }
    let pad = (hi - lo) * 0.08;
    let (y0, y1, step) = ticks(lo - pad, hi + pad, 4);
    let dec = step_decimals(step);
    let px = |i: usize| plot.x + 6.0 + (plot.w - 12.0) * i as f32 / (n - 1) as f32;
    let py = |v: f64| plot.bottom() - (plot.h as f64 * (v - y0) / (y1 - y0)) as f32;
    // Horizontal grid and y labels.
    let mut v = y0;
    let mut guard = 0;
    while v <= y1 + step * 0.5 && guard < 20 {
        let y = py(v);
        if v > y0 + step * 0.5 && v < y1 - step * 0.5 {
            c.hline(plot.x, plot.right(), y, colour::RULE.tint(0.45), 0.3);
        }
        c.text_in(
            r.x,
            y - axis.line_h() / 2.0,
            31.0,
            axis,
            &(t.fmt)(v, dec),
            Align::Right,
        );
        v += step;
        guard += 1;
    }
    // X labels: the period, and the year under the first point and wherever it changes.
    let lw = (plot.w - 12.0) / (n - 1) as f32;
    let every = if lw < 14.0 { 2 } else { 1 };
    // The year goes under the first point of each year, and under the very first point only
    // when its year's run is long enough for the label not to collide with the next one.
    let mut shown: Vec<(usize, &str)> = Vec::new();
    for (i, (_, year)) in t.labels.iter().enumerate() {
        if year.is_empty() || shown.last().is_some_and(|(_, y)| *y == year) {
            continue;
        }
        if i > 0 && t.labels[i - 1].1 == *year {
            continue;
        }
        shown.push((i, year));
    }
    let yst = axis.colour(colour::FAINT);
    for (k, (i, year)) in shown.iter().enumerate() {
        let x = px(*i);
        let yw = c.measure().width(yst, year);
        if let Some((j, _)) = shown.get(k + 1) {
            if j - i < 2 || px(*j) - x < yw + 4.0 {
                continue;
            }
        }
        let xx = (x - yw / 2.0).clamp(plot.x, plot.right() - yw);
        c.text(xx, plot.bottom() + 1.0 + axis.line_h(), yst, year);
    }
    for (i, (lab, _)) in t.labels.iter().enumerate() {
        let x = px(i);
        if i % every == 0 || i + 1 == t.labels.len() {
            c.text_in(
                x - lw,
                plot.bottom() + 1.0,
                2.0 * lw,
                axis,
                lab,
                Align::Center,
            );
        }
    }
    if let Some(b) = t.baseline {
        c.line(
            &[(plot.x, py(b)), (plot.right(), py(b))],
            colour::FAINT,
            0.6,
            Some(&[0.8, 1.6]),
        );
    }
    if let Some(tv) = t.target {
        let y = py(tv);
        c.line(
            &[(plot.x, y), (plot.right(), y)],
            colour::ACCENT,
            0.9,
            Some(&[4.0, 2.5]),
        );
    }
    let line_col = colour::BRAND;
    for run in runs(t.values) {
        let pts: Vec<(f32, f32)> = run.iter().map(|&(i, v)| (px(i), py(v))).collect();
        c.line(&pts, line_col, 1.4, None);
        for &(x, y) in &pts {
            c.disc(x, y, 1.3, line_col);
        }
    }
    // Missing points: a hollow mark on the axis, so that a gap reads as "not reported".
    for (i, v) in t.values.iter().enumerate() {
        if v.is_none() {
            let x = px(i);
            c.disc(x, plot.bottom() - 3.0, 1.6, colour::FAINT);
            c.disc(x, plot.bottom() - 3.0, 0.9, colour::WHITE);
        }
    }
    if let Some((fi, fv)) = t.forecast {
        let last = t
            .values
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, v)| v.map(|x| (i, x)));
        if let Some((li, lv)) = last {
            c.line(
                &[(px(li), py(lv)), (px(fi), py(fv))],
                colour::MUTED,
                0.9,
                Some(&[1.2, 1.8]),
            );
            c.disc(px(fi), py(fv), 1.8, colour::WHITE);
            c.disc(px(fi), py(fv), 1.2, colour::MUTED);
        }
    }
    // The target's label, where it covers the fewest points: left or right end, above or
    // below the line.
    if let Some(tv) = t.target {
        let y = py(tv);
        let st = axis.colour(colour::ACCENT).bold();
        let w = c.measure().width(st, &t.target_label) + 2.0;
        let h = st.line_h();
        // The series' points and points along its segments (a label must not sit on a line).
        let mut pts: Vec<(f32, f32)> = Vec::new();
        for run in runs(t.values) {
            for w2 in run.windows(2) {
                let (a, b) = ((px(w2[0].0), py(w2[0].1)), (px(w2[1].0), py(w2[1].1)));
                for k in 0..6 {
                    let f = k as f32 / 6.0;
                    pts.push((a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f));
                }
            }
            if let Some(&(i, v)) = run.last() {
                pts.push((px(i), py(v)));
            }
        }
        pts.extend(t.forecast.map(|(i, v)| (px(i), py(v))));
        let mut best: Option<(f32, f32, f32)> = None;
        let span = plot.w - w - 4.0;
        for x in [0.0, 1.0, 0.5, 0.25, 0.75].map(|f| plot.x + 2.0 + span * f) {
            for top in [y - h - 0.5, y + 0.5] {
                if top < plot.y || top + h > plot.bottom() {
                    continue;
                }
                let clearance = pts
                    .iter()
                    .filter(|(px, _)| *px >= x - 3.0 && *px <= x + w + 3.0)
                    .map(|(_, py)| {
                        if *py < top {
                            top - py
                        } else if *py > top + h {
                            py - top - h
                        } else {
                            0.0
                        }
                    })
                    .fold(f32::INFINITY, f32::min);
                if best.is_none_or(|(_, _, b)| clearance > b + 0.5) {
                    best = Some((x, top, clearance));
                }
            }
        }
        if let Some((x, top, _)) = best {
            c.fill_rect(Rect::new(x, top + 1.0, w, h - 2.0), colour::WHITE);
            c.text(x + 1.0, top, st, &t.target_label);
        }
    }
    if let Some((i, v)) = t
        .values
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, v)| v.map(|x| (i, x)))
    {
        c.disc(px(i), py(v), 2.4, rag_colour(t.status));
    }
}

/// One bar of a horizontal bar chart.
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub colour: Rgb3,
    /// Printed in place of a missing bar (e.g. "missing: glp, par30_balance").
    pub note: String,
}

/// What a horizontal bar chart shows besides its bars.
pub struct Bars<'a> {
    pub bars: &'a [Bar],
    /// The whole scope's value, drawn as a dashed reference line.
    pub reference: Option<f64>,
    /// Green and red thresholds, drawn as faint dotted lines.
    pub thresholds: [Option<f64>; 2],
    /// Formats a value for the bar's end (`None`: no value labels) and for the scale.
    pub fmt: Option<&'a dyn Fn(f64) -> String>,
    pub scale: &'a dyn Fn(f64, usize) -> String,
    pub label_w: f32,
    pub row_h: f32,
}

/// A horizontal bar chart: a label and a bar per row, a scale under the bars; a missing
/// value prints its note, never a bar of 0. Returns the height used.
pub fn hbars(c: &mut Canvas, r: Rect, b: &Bars<'_>) -> f32 {
    let st = style::SMALL.size(7.0).colour(colour::INK);
    let val_w = if b.fmt.is_some() { 48.0 } else { 6.0 };
    let x0 = r.x + b.label_w;
    let bar_w = (r.w - b.label_w - val_w).max(10.0);
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    for v in b
        .bars
        .iter()
        .filter_map(|b| b.value)
        .chain(b.reference)
        .chain(b.thresholds.iter().flatten().copied())
    {
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if (hi - lo).abs() < 1e-9 {
        hi = lo + 1.0;
    }
    let (lo, hi, step) = ticks(lo, hi, 4);
    let sx = |v: f64| x0 + (bar_w as f64 * (v - lo) / (hi - lo)) as f32;
    let top = r.y;
    let bottom = r.y + b.row_h * b.bars.len() as f32;
    // Scale: ticks and labels under the bars.
    let dec = step_decimals(step);
    let axis = style::TINY;
    let mut v = lo;
    let mut guard = 0;
    while v <= hi + step * 0.5 && guard < 20 {
        let x = sx(v);
        c.vline(x, top, bottom, colour::RULE.tint(0.3), 0.3, None);
        c.text_in(
            x - 20.0,
            bottom + 2.0,
            40.0,
            axis,
            &(b.scale)(v, dec),
            Align::Center,
        );
        v += step;
        guard += 1;
    }
    for (k, t) in b.thresholds.iter().enumerate() {
        if let Some(t) = t {
            let col = if k == 0 { colour::GREEN } else { colour::RED };
            c.vline(sx(*t), top, bottom, col.tint(0.2), 0.8, Some(&[1.0, 1.5]));
        }
    }
    for (i, bar) in b.bars.iter().enumerate() {
        let y = top + b.row_h * i as f32;
        let ty = y + (b.row_h - st.line_h()) / 2.0;
        c.text_in(r.x, ty, b.label_w - 4.0, st, &bar.label, Align::Left);
        match bar.value.filter(|v| v.is_finite()) {
            Some(v) => {
                let (a, z) = if v >= 0.0 {
                    (sx(0.0), sx(v))
                } else {
                    (sx(v), sx(0.0))
                };
                let bh = b.row_h * 0.6;
                c.fill_rect(
                    Rect::new(a, y + (b.row_h - bh) / 2.0, (z - a).max(0.6), bh),
                    bar.colour,
                );
                if let Some(f) = b.fmt {
                    c.text_in(z.max(a) + 3.0, ty, val_w - 4.0, st, &f(v), Align::Left);
                }
            }
            None => {
                c.text_in(
                    sx(0.0) + 3.0,
                    ty,
                    bar_w + val_w - 6.0,
                    st.colour(colour::MUTED),
                    &bar.note,
                    Align::Left,
                );
            }
        }
    }
    c.vline(sx(0.0), top, bottom, colour::MUTED, 0.6, None);
    if let Some(v) = b.reference {
        let x = sx(v);
        c.vline(
            x,
            top - 2.0,
            bottom + 1.0,
            colour::INK,
            0.9,
            Some(&[3.0, 2.0]),
        );
    }
    bottom - top + axis.line_h() + 2.0
}

/// A progress bar: `pct` (0–100, clamped for drawing) filled in `col`; none when missing.
pub fn progress(c: &mut Canvas, r: Rect, pct: Option<f64>, col: Rgb3) {
    c.round_rect(r, r.h / 2.0, colour::RULE.tint(0.3));
    if let Some(p) = pct.filter(|p| p.is_finite()) {
        let f = (p.clamp(0.0, 100.0) / 100.0) as f32;
        if f > 0.0 {
            c.round_rect(Rect::new(r.x, r.y, (r.w * f).max(r.h), r.h), r.h / 2.0, col);
        }
    }
}

/// Two thin bars compared on one scale (a branch and its institution), from a common zero
/// line so that a negative value reads as negative.
pub fn pair(c: &mut Canvas, r: Rect, a: Option<f64>, b: Option<f64>, col_a: Rgb3, col_b: Rgb3) {
    let vals: Vec<f64> = [a, b]
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let lo = vals.iter().copied().fold(0.0f64, f64::min);
    let hi = vals.iter().copied().fold(0.0f64, f64::max);
    if hi - lo <= 0.0 {
        return;
    }
    let sx = |v: f64| r.x + (r.w as f64 * (v - lo) / (hi - lo)) as f32;
    let h = (r.h - 1.5) / 2.0;
    for (k, (v, col)) in [(a, col_a), (b, col_b)].into_iter().enumerate() {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            let (x0, x1) = if v >= 0.0 {
                (sx(0.0), sx(v))
            } else {
                (sx(v), sx(0.0))
            };
            c.fill_rect(
                Rect::new(x0, r.y + k as f32 * (h + 1.5), (x1 - x0).max(0.6), h),
                col,
            );
        }
    }
    if lo < 0.0 {
        c.vline(
            sx(0.0),
            r.y - 0.5,
            r.bottom() + 0.5,
            colour::MUTED,
            0.5,
            None,
        );
    }
}

/// A small legend entry: a swatch drawn by `swatch` then a label; returns the width used.
pub fn legend(
    c: &mut Canvas,
    x: f32,
    top: f32,
    st: Style,
    label: &str,
    swatch: impl FnOnce(&mut Canvas, f32, f32),
) -> f32 {
    let cy = top + st.line_h() / 2.0;
    swatch(c, x, cy);
    let w = c.measure().width(st, label);
    c.text(x + 14.0, top, st, label);
    14.0 + w + 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let (lo, hi, step) = ticks(2.6, 3.6, 4);
        assert!(lo <= 2.6 && hi >= 3.6, "ticks cover the data: {lo}..{hi}");
        assert!((step - 0.25).abs() < 1e-9, "a round step: {step}");
        assert_eq!(
            step_decimals(0.25),
            1,
            "0.25 needs decimals to print; 1 keeps axes short"
        );
        assert_eq!(step_decimals(5.0), 0, "whole steps need none");
    }

    #[test]
    fn gaps_split_the_line_and_are_never_zero() {
        let r = runs(&[Some(1.0), None, Some(2.0), Some(3.0), None]);
        assert_eq!(
            r,
            vec![vec![(0, 1.0)], vec![(2, 2.0), (3, 3.0)]],
            "a missing value splits the series, not a 0"
        );
    }
}
