//! The board pack as one HTML page (tables, charts as inline SVG), from the same read-model as
//! the PDF renderer (`mizani_core::boardpack::BoardPack`). Used only by the benchmark, to time
//! headless Chromium printing the same content; not a product feature. Values are formatted by
//! `mizani_report::format_value`, so the numbers read exactly as in the PDF. The font is the
//! one the PDF embeds (assets/fonts), loaded from disk with @font-face.

use mizani_core::boardpack::{BoardPack, BranchBar, BranchComparison};
use mizani_core::dashboard::{IndicatorTile, TrendPoint};
use mizani_core::engine::Rag;
use mizani_core::model::{Category, Direction};
use mizani_report::{format_value, Sections};
use std::fmt::Write as _;
use std::path::Path;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn rag_colour(r: Rag) -> &'static str {
    match r {
        Rag::Red => "#b3261e",
        Rag::Amber => "#c98a1b",
        Rag::Green => "#1f6b3a",
        Rag::NoThreshold => "#5d6b64",
        Rag::Missing => "#9a9a9a",
    }
}

fn rag_label(r: Rag) -> &'static str {
    match r {
        Rag::Red => "Red",
        Rag::Amber => "Amber",
        Rag::Green => "Green",
        Rag::NoThreshold => "No threshold",
        Rag::Missing => "No data",
    }
}

/// A trend line of 12 periods with the target as a dashed line (an SVG of `w`×`h` px).
fn trend_svg(trend: &[TrendPoint], target: Option<f64>, w: f64, h: f64) -> String {
    let vals: Vec<f64> = trend.iter().filter_map(|p| p.value).chain(target).collect();
    if vals.is_empty() {
        return String::new();
    }
    let (mut lo, mut hi) = vals
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    if (hi - lo).abs() < 1e-9 {
        lo -= 1.0;
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.1;
    let (lo, hi) = (lo - pad, hi + pad);
    let (left, bottom) = (34.0, 16.0);
    let x = |i: usize| left + (w - left - 6.0) * i as f64 / (trend.len().max(2) - 1) as f64;
    let y = |v: f64| 4.0 + (h - bottom - 4.0) * (1.0 - (v - lo) / (hi - lo));
    let mut s = format!(
        r##"<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg"><rect x="{left}" y="4" width="{}" height="{}" fill="#f6f4ef"/>"##,
        w - left - 6.0,
        h - bottom - 4.0
    );
    for v in [lo + pad, hi - pad] {
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" font-size="8" text-anchor="end" fill="#5d6b64">{:.1}</text>"##,
            left - 3.0,
            y(v) + 3.0,
            v
        );
    }
    if let Some(t) = target {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#c98a1b" stroke-dasharray="4 3"/>"##,
            w - 6.0,
            y(t),
            y(t)
        );
    }
    let mut path = String::new();
    for (i, p) in trend.iter().enumerate() {
        match p.value {
            Some(v) => {
                let cmd = if path.is_empty() || path.ends_with(' ') {
                    "M"
                } else {
                    "L"
                };
                let _ = write!(path, "{cmd}{:.1},{:.1}", x(i), y(v));
            }
            None => path.push(' '),
        }
    }
    let _ = write!(
        s,
        r##"<path d="{}" fill="none" stroke="#0f5c4d" stroke-width="1.6"/>"##,
        path.trim()
    );
    for (i, p) in trend.iter().enumerate() {
        if let Some(v) = p.value {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="1.8" fill="#0f5c4d"/>"##,
                x(i),
                y(v)
            );
        }
        if i % 3 == 0 || i + 1 == trend.len() {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{}" font-size="7" text-anchor="middle" fill="#5d6b64">{}</text>"##,
                x(i),
                h - 4.0,
                p.period
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// As in the PDF: every branch, or with many branches the 10 highest and the 10 lowest.
const MAX_BARS: usize = 24;
const EDGE: usize = 10;

/// Horizontal bars, one per branch shown (missing ones marked, never drawn as 0), with the
/// scope's value and the thresholds as vertical lines.
fn bars_svg(c: &BranchComparison, w: f64) -> String {
    let valued: Vec<&BranchBar> = c.bars.iter().filter(|b| b.value.is_some()).collect();
    let bars: Vec<&BranchBar> = if c.bars.len() <= MAX_BARS {
        c.bars.iter().collect()
    } else if valued.len() <= MAX_BARS {
        valued
    } else {
        let n = valued.len();
        valued[..EDGE]
            .iter()
            .chain(&valued[n - EDGE..])
            .copied()
            .collect()
    };
    let row = 9.0;
    let h = 20.0 + row * bars.len() as f64;
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .chain(c.scope_value)
        .chain(c.red)
        .chain(c.green)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let left = 110.0;
    let x = |v: f64| left + (w - left - 10.0) * (v / max).max(0.0);
    let mut s = format!(
        r##"<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg">"##
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" font-size="7" text-anchor="end">{} {}</text>"##,
            left - 4.0,
            y + 6.5,
            esc(&b.branch),
            esc(&b.name)
        );
        match b.value {
            Some(v) => {
                let bad = match (c.direction, c.red) {
                    (Direction::Lower, Some(r)) => v > r,
                    (Direction::Higher, Some(r)) => v < r,
                    _ => false,
                };
                let _ = write!(
                    s,
                    r##"<rect x="{left}" y="{:.1}" width="{:.1}" height="{}" fill="{}"/>"##,
                    y,
                    x(v) - left,
                    row - 2.0,
                    if bad { "#b3261e" } else { "#0f5c4d" }
                );
            }
            None => {
                let _ = write!(
                    s,
                    r##"<text x="{}" y="{:.1}" font-size="7" fill="#9a9a9a">missing: {}</text>"##,
                    left + 2.0,
                    y + 6.5,
                    esc(&b.missing.join(", "))
                );
            }
        }
    }
    let bottom = h - 14.0;
    for (v, colour, dash) in [
        (c.scope_value, "#1d2621", ""),
        (c.red, "#b3261e", "3 2"),
        (c.green, "#1f6b3a", "3 2"),
    ] {
        if let Some(v) = v {
            let _ = write!(
                s,
                r##"<line x1="{:.1}" x2="{:.1}" y1="2" y2="{bottom}" stroke="{colour}" stroke-dasharray="{dash}"/>"##,
                x(v),
                x(v)
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn tile_row(s: &mut String, t: &IndicatorTile, currency: &str, bp: &BoardPack) {
    let v = &t.current;
    let _ = write!(
        s,
        r##"<tr><td><span class="dot" style="background:{}"></span>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td><td class="num">{}/{}</td><td>{}</td></tr>"##,
        rag_colour(v.status),
        esc(&v.name),
        esc(&format_value(v.value, &v.unit, currency, bp.lang)),
        esc(&format_value(t.target, &v.unit, currency, bp.lang)),
        rag_label(v.status),
        v.reported,
        v.expected,
        trend_svg(&t.trend, t.target, 120.0, 34.0)
    );
}

/// The whole board pack as an HTML document (A4 pages, sections starting on a new page).
pub fn board_pack_html(bp: &BoardPack, sections: &Sections, font_dir: &Path) -> String {
    let cur = bp.org.currency.as_str();
    let font = |f: &str| format!("file://{}", font_dir.join(f).display());
    let mut s = String::with_capacity(256 * 1024);
    let _ = write!(
        s,
        r##"<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8"><title>{} — {}</title><style>
@font-face {{ font-family: "Noto Sans"; src: url("{}"); font-weight: 400; }}
@font-face {{ font-family: "Noto Sans"; src: url("{}"); font-weight: 700; }}
@page {{ size: A4; margin: 16mm 14mm; }}
body {{ font-family: "Noto Sans"; font-size: 9pt; color: #1d2621; margin: 0; }}
h1 {{ font-size: 22pt; color: #0f5c4d; margin: 60mm 0 4mm; }}
h2 {{ font-size: 14pt; color: #0f5c4d; margin: 0 0 3mm; }}
h3 {{ font-size: 11pt; margin: 4mm 0 2mm; }}
section {{ break-before: page; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 3mm; }}
th, td {{ text-align: left; padding: 1mm 1.5mm; border-bottom: 0.3pt solid #dcd8cf; vertical-align: middle; }}
th {{ font-size: 7.5pt; color: #5d6b64; }}
td.num, th.num {{ text-align: right; }}
tr {{ break-inside: avoid; }}
.dot {{ display: inline-block; width: 7pt; height: 7pt; border-radius: 50%; margin-right: 4pt; }}
.cols {{ display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; }}
.chart {{ break-inside: avoid; margin-bottom: 4mm; }}
.muted {{ color: #5d6b64; }}
</style></head><body>"##,
        bp.lang,
        esc(&bp.org.name),
        bp.period,
        font("NotoSans-Regular.ttf"),
        font("NotoSans-Bold.ttf"),
    );
    // Cover.
    let _ = write!(
        s,
        r##"<div class="cover"><h1>{}</h1><p style="font-size:16pt">Board pack — {}</p><p>{} · generated on {}</p><p class="muted">{}</p></div>"##,
        esc(&bp.org.name),
        bp.period,
        esc(&bp.scope_label),
        bp.generated_on,
        esc(&bp.org.mission)
    );
    if sections.summary {
        s.push_str("<section><h2>Summary</h2><h3>Key figures</h3><table><tr><th>Indicator</th><th class=\"num\">Value</th><th class=\"num\">Target</th><th>Status</th><th class=\"num\">Reported</th><th>Trend</th></tr>");
        for t in &bp.key_figures {
            tile_row(&mut s, t, cur, bp);
        }
        s.push_str("</table><h3>What changed</h3><ul>");
        for f in &bp.narrative {
            let _ = write!(
                s,
                "<li>{} went from {} ({}) to {}{}{}.</li>",
                esc(&f.name),
                esc(&format_value(f.previous, &f.unit, cur, bp.lang)),
                f.previous_period,
                esc(&format_value(f.current, &f.unit, cur, bp.lang)),
                f.threshold
                    .map(|t| format!(
                        ", threshold {}",
                        format_value(Some(t), &f.unit, cur, bp.lang)
                    ))
                    .unwrap_or_default(),
                f.driver
                    .as_ref()
                    .map(|d| format!(", driven by the {} region", esc(&d.region)))
                    .unwrap_or_default()
            );
        }
        s.push_str("</ul></section>");
    }
    if sections.dual {
        s.push_str("<section><h2>Social and financial performance</h2><div class=\"cols\">");
        for (title, social) in [("Social", true), ("Financial", false)] {
            let _ = write!(
                s,
                "<div><h3>{title}</h3><table><tr><th>Indicator</th><th class=\"num\">Value</th><th class=\"num\">Target</th><th>Status</th><th class=\"num\">Reported</th><th>Trend</th></tr>"
            );
            for t in bp
                .tiles
                .iter()
                .filter(|t| (t.current.category == Category::Financial) != social)
            {
                tile_row(&mut s, t, cur, bp);
            }
            s.push_str("</table></div>");
        }
        s.push_str("</div></section>");
    }
    if sections.objectives {
        for o in &bp.objectives {
            let _ = write!(
                s,
                r##"<section><h2><span class="dot" style="background:{}"></span>{}</h2><p class="muted">Practice {} · {} · owner {} · {} to {} · outlook {}</p>"##,
                rag_colour(o.status),
                esc(&o.title),
                o.practice,
                o.dimension,
                esc(&o.owner),
                o.start_date,
                o.end_date,
                o.outlook.as_str()
            );
            for i in &o.indicators {
                let v = &i.current;
                let f = |x: Option<f64>| esc(&format_value(x, &v.unit, cur, bp.lang));
                let _ = write!(
                    s,
                    r##"<div class="chart"><h3>{}</h3><table><tr><th>Baseline</th><th>Value</th><th>Next target</th><th>Final target</th><th>Progress</th><th>Forecast</th><th>Outlook</th></tr><tr><td>{} {}</td><td>{}</td><td>{} {}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>{}</div>"##,
                    esc(&v.name),
                    f(i.baseline_value),
                    esc(i.baseline_period.as_deref().unwrap_or("")),
                    f(v.value),
                    f(i.target),
                    esc(i.target_period.as_deref().unwrap_or("")),
                    f(i.final_target),
                    esc(i.final_target_period.as_deref().unwrap_or("")),
                    i.progress
                        .map(|p| format!("{p:.0} %"))
                        .unwrap_or_else(|| "—".into()),
                    f(i.forecast),
                    i.outlook.as_str(),
                    trend_svg(&i.trend, i.final_target, 480.0, 150.0)
                );
            }
            s.push_str("</section>");
        }
    }
    if sections.branches {
        s.push_str("<section><h2>Branch comparison</h2>");
        for c in &bp.comparisons {
            let _ = write!(
                s,
                r##"<div class="chart"><h3>{} — {}</h3>{}</div>"##,
                esc(&c.name),
                esc(&format_value(c.scope_value, &c.unit, cur, bp.lang)),
                bars_svg(c, 640.0)
            );
        }
        // Every branch × the compared indicators.
        if let Some(first) = bp.comparisons.first() {
            s.push_str("<h3>Every branch</h3><table><tr><th>Branch</th><th>Region</th>");
            for c in &bp.comparisons {
                let _ = write!(s, "<th class=\"num\">{}</th>", esc(&c.name));
            }
            s.push_str("</tr>");
            let mut branches: Vec<&BranchBar> = first.bars.iter().collect();
            branches.sort_by(|a, b| a.branch.cmp(&b.branch));
            for b in branches {
                let _ = write!(
                    s,
                    "<tr><td>{} {}</td><td>{}</td>",
                    esc(&b.branch),
                    esc(&b.name),
                    esc(b.region.as_deref().unwrap_or(""))
                );
                for c in &bp.comparisons {
                    let v = c
                        .bars
                        .iter()
                        .find(|x| x.branch == b.branch)
                        .and_then(|x| x.value);
                    let _ = write!(
                        s,
                        "<td class=\"num\">{}</td>",
                        esc(&format_value(v, &c.unit, "", bp.lang))
                    );
                }
                s.push_str("</tr>");
            }
            s.push_str("</table>");
        }
        let _ = write!(
            s,
            "<h3>Data received ({} data elements per branch and month)</h3><table><tr><th>Branch</th><th>Region</th>",
            bp.completeness.elements
        );
        for m in &bp.completeness.months {
            let _ = write!(s, "<th class=\"num\">{m}</th>");
        }
        s.push_str("<th class=\"num\">Total</th></tr>");
        for r in &bp.completeness.rows {
            let _ = write!(
                s,
                "<tr><td>{} {}</td><td>{}</td>",
                esc(&r.branch),
                esc(&r.name),
                esc(r.region.as_deref().unwrap_or(""))
            );
            for c in &r.counts {
                let _ = write!(s, "<td class=\"num\">{c}</td>");
            }
            let _ = write!(
                s,
                "<td class=\"num\">{}</td></tr>",
                r.counts.iter().sum::<u32>()
            );
        }
        s.push_str("</table></section>");
    }
    if sections.appendix {
        s.push_str("<section><h2>Appendix: formulas and data</h2><h3>Formulas</h3><table><tr><th>Indicator</th><th>Category</th><th>Formula</th><th>Thresholds</th><th class=\"num\">Version</th></tr>");
        for i in &bp.indicators {
            let _ = write!(
                s,
                r##"<tr><td>{}</td><td>{}</td><td>{} / {} × {}{}</td><td>green {} · red {} ({} is better)</td><td class="num">v{}</td></tr>"##,
                esc(i.name.get(bp.lang)),
                i.category,
                esc(&i.numerator),
                esc(&i.denominator),
                i.factor,
                if i.annualise { ", annualised" } else { "" },
                esc(&format_value(i.green, &i.unit, cur, bp.lang)),
                esc(&format_value(i.red, &i.unit, cur, bp.lang)),
                i.direction,
                i.formula_version
            );
        }
        s.push_str("</table><h3>Completeness of each indicator</h3><table><tr><th>Indicator</th><th class=\"num\">Value</th><th class=\"num\">Branches</th><th>Missing branches</th></tr>");
        for t in &bp.tiles {
            let v = &t.current;
            let missing = if v.missing_branches.is_empty() {
                match &v.reason {
                    Some(r) if v.value.is_none() => r.clone(),
                    _ => "—".to_string(),
                }
            } else {
                v.missing_branches.join(", ")
            };
            let _ = write!(
                s,
                r##"<tr><td>{}</td><td class="num">{}</td><td class="num">{}/{}</td><td>{}</td></tr>"##,
                esc(&v.name),
                esc(&format_value(v.value, &v.unit, cur, bp.lang)),
                v.reported,
                v.expected,
                esc(&missing)
            );
        }
        s.push_str("</table>");
        if !bp.comments.is_empty() {
            s.push_str("<h3>Comments</h3><table><tr><th>Branch</th><th>Month</th><th>Data</th><th class=\"num\">Value</th><th>Comment</th><th>By</th></tr>");
            for c in &bp.comments {
                let _ = write!(
                    s,
                    r##"<tr><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td>{}</td><td>{}</td></tr>"##,
                    esc(&c.branch),
                    c.month,
                    esc(&c.element_name),
                    c.value,
                    esc(&c.comment),
                    esc(&c.entered_by)
                );
            }
            s.push_str("</table>");
        }
        s.push_str("</section>");
    }
    s.push_str("</body></html>");
    s
}

/// Number of charts in the HTML (to say the comparison draws as many as the PDF).
pub fn chart_count(html: &str) -> usize {
    html.matches("<svg").count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizani_core::boardpack::board_pack;
    use mizani_core::engine::Scope;
    use mizani_core::model::Language;
    use mizani_core::period::Period;
    use mizani_core::{demo, Store};

    #[test]
    fn the_html_pack_has_the_pdfs_content_and_charts() {
        let mut s = Store::open_in_memory().expect("store");
        demo::load_demo(&mut s).expect("demo");
        let p = Period::parse("2026-Q3").expect("period");
        let bp = board_pack(&s, p, &Scope::Org, Language::Fr).expect("board pack");
        let html = board_pack_html(&bp, &Sections::default(), Path::new("/fonts"));
        assert!(
            html.contains("Kora Microfinance (demo)"),
            "the institution is named"
        );
        let par = bp
            .tiles
            .iter()
            .find(|t| t.current.code == "par30")
            .expect("par30");
        let v = format_value(par.current.value, "%", "XOF", Language::Fr);
        assert!(
            html.contains(&v),
            "values are formatted as in the PDF ({v})"
        );
        let trends: usize = bp.objectives.iter().map(|o| o.indicators.len()).sum();
        assert_eq!(
            chart_count(&html),
            bp.key_figures.len() + bp.tiles.len() + trends + bp.comparisons.len(),
            "a sparkline per key figure and per indicator, a trend per objective indicator, a bar chart per comparison"
        );
        assert_eq!(
            html.matches("<section>").count(),
            4 + bp.objectives.len(),
            "summary, social and financial, one page per objective, branches, appendix"
        );
        assert!(
            html.contains("url(\"file:///fonts/NotoSans-Regular.ttf\")"),
            "the PDF's font"
        );
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
