//! Branch comparison of the key indicators: per indicator a bar chart with the branches'
//! values, regions and statuses beside it (the weakest and strongest branches when there are
//! many), the branches that did not report listed with what they lack; then one table of
//! every branch × key indicator, and the completeness of reporting (branch × month).

use super::{rag_label, scope_label, Ctx, Section};
use crate::chart::{self, Bar, Bars};
use crate::i18n::{self, tr, trf};
use crate::layout::{
    colour, style, Align, Canvas, Cell, Col, Measure, Rect, Row, TableStyle, WIDTH,
};
use mizani_core::boardpack::{BoardPack, BranchBar, BranchComparison};
use mizani_core::engine::rag;
use mizani_core::entry::Completeness;
use mizani_core::model::Language;

const ROW_H: f32 = 12.5;
const LABEL_W: f32 = 100.0;
const CHART_W: f32 = 282.0;
const VALUE_W: f32 = 64.0;
const REGION_W: f32 = 62.0;
/// Up to this many branches, a chart shows them all; beyond, the first and last `EDGE` by value.
const MAX_BARS: usize = 24;
const EDGE: usize = 10;

/// The rows a chart shows: a branch, or the line standing for the branches left out.
enum Shown<'a> {
    Branch(&'a BranchBar),
    More(usize),
}

/// Every branch (the read-model sorts them by value, highest first, missing last) or, when
/// there are many, the `EDGE` highest and lowest; the missing ones are then only listed under
/// the chart (and in the table of every branch).
fn shown(cmp: &BranchComparison) -> Vec<Shown<'_>> {
    if cmp.bars.len() <= MAX_BARS {
        return cmp.bars.iter().map(Shown::Branch).collect();
    }
    let valued: Vec<&BranchBar> = cmp.bars.iter().filter(|b| b.value.is_some()).collect();
    if valued.len() <= MAX_BARS {
        return valued.into_iter().map(Shown::Branch).collect();
    }
    let n = valued.len();
    let mut out: Vec<Shown<'_>> = valued[..EDGE].iter().map(|b| Shown::Branch(b)).collect();
    out.push(Shown::More(n - 2 * EDGE));
    out.extend(valued[n - EDGE..].iter().map(|b| Shown::Branch(b)));
    out
}

/// "N04 Dounko did not report glp, par30_balance": branches grouped by what they lack,
/// wrapped to the body's width.
fn missing_notes(cmp: &BranchComparison, lang: Language, m: Measure) -> Vec<String> {
    let mut groups: Vec<(&[String], Vec<String>)> = Vec::new();
    for b in cmp.bars.iter().filter(|b| b.value.is_none()) {
        let name = format!("{} {}", b.branch, b.name);
        match groups.iter_mut().find(|(k, _)| *k == b.missing.as_slice()) {
            Some((_, v)) => v.push(name),
            None => groups.push((b.missing.as_slice(), vec![name])),
        }
    }
    groups
        .into_iter()
        .flat_map(|(missing, branches)| {
            let who = branches.join(", ");
            let s = if missing.is_empty() {
                trf(lang, "branches.no_value", &[("branch", &who)])
            } else {
                trf(
                    lang,
                    "branches.did_not_report",
                    &[("branch", &who), ("elements", &missing.join(", "))],
                )
            };
            m.wrap(style::TINY, &s, WIDTH)
        })
        .collect()
}

fn comparison_height(rows: usize, notes: usize) -> f32 {
    18.0 + 13.0 + ROW_H * rows as f32 + 12.0 + 10.0 + style::TINY.line_h() * notes as f32 + 16.0
}

fn comparison(
    c: &mut Canvas,
    r: Rect,
    cmp: &BranchComparison,
    scope: &str,
    f: &super::Fmt,
    notes: &[String],
) {
    let lang = f.lang;
    let unit = cmp.unit.as_str();
    let rows = shown(cmp);
    let mut y = r.y;
    c.text_in(
        r.x,
        y,
        r.w,
        style::H2.colour(colour::BRAND),
        &cmp.name,
        Align::Left,
    );
    y += 18.0;
    // Column heads.
    let head = style::TINY.bold().colour(colour::BRAND);
    let xv = r.x + CHART_W;
    let xs = xv + VALUE_W + REGION_W + 4.0;
    c.fill_rect(Rect::new(r.x, y, r.w, 12.0), colour::HEAD_BG);
    c.text_in(
        r.x + 3.0,
        y + 1.5,
        LABEL_W,
        head,
        tr(lang, "col.branch"),
        Align::Left,
    );
    c.text_in(
        xv,
        y + 1.5,
        VALUE_W - 4.0,
        head,
        tr(lang, "col.value"),
        Align::Right,
    );
    c.text_in(
        xv + VALUE_W + 6.0,
        y + 1.5,
        REGION_W - 6.0,
        head,
        tr(lang, "col.region"),
        Align::Left,
    );
    c.text_in(
        xs,
        y + 1.5,
        r.right() - xs,
        head,
        tr(lang, "col.status"),
        Align::Left,
    );
    y += 13.0;
    let mut bars = Vec::with_capacity(rows.len());
    let mut more = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let ry = y + ROW_H * i as f32;
        if i % 2 == 1 {
            c.fill_rect(Rect::new(r.x, ry, r.w, ROW_H), colour::ZEBRA);
        }
        let st = style::SMALL.size(7.0).colour(colour::INK);
        let ty = ry + (ROW_H - st.line_h()) / 2.0;
        match row {
            Shown::Branch(b) => {
                let status = rag(b.value, cmp.direction, cmp.green, cmp.red);
                c.text_in(
                    xv,
                    ty,
                    VALUE_W - 4.0,
                    st.bold(),
                    &f.v(b.value, unit),
                    Align::Right,
                );
                let region = b.region.as_deref().unwrap_or("");
                c.text_in(
                    xv + VALUE_W + 6.0,
                    ty,
                    REGION_W - 6.0,
                    st,
                    region,
                    Align::Left,
                );
                chart::dot(c, xs + 3.0, ry + ROW_H / 2.0, 2.8, status);
                c.text_in(
                    xs + 9.0,
                    ty,
                    r.right() - xs - 9.0,
                    st,
                    rag_label(lang, status),
                    Align::Left,
                );
                bars.push(Bar {
                    label: format!("{} {}", b.branch, b.name),
                    value: b.value,
                    colour: chart::rag_colour(status),
                    note: tr(lang, "branches.missing").to_string(),
                });
            }
            Shown::More(n) => {
                more.push((i, ty, trf(lang, "branches.more", &[("n", &n.to_string())])));
                bars.push(Bar {
                    label: String::new(),
                    value: None,
                    colour: colour::FAINT,
                    note: String::new(),
                });
            }
        }
    }
    let currency = f.currency.clone();
    let scale = move |v: f64, d: usize| i18n::value_short(v, unit, d, &currency, lang);
    let used = chart::hbars(
        c,
        Rect::new(r.x + 3.0, y, CHART_W - 3.0, ROW_H * bars.len() as f32),
        &Bars {
            bars: &bars,
            reference: cmp.scope_value,
            thresholds: [cmp.green, cmp.red],
            fmt: None,
            scale: &scale,
            label_w: LABEL_W,
            row_h: ROW_H,
        },
    );
    // The line standing for the branches left out, over the chart's lines.
    for (i, ty, note) in more {
        let bg = if i % 2 == 1 {
            colour::ZEBRA
        } else {
            colour::WHITE
        };
        c.fill_rect(Rect::new(r.x, y + ROW_H * i as f32, r.w, ROW_H), bg);
        let st = style::SMALL.size(7.0).colour(colour::MUTED);
        c.text_in(r.x + 3.0, ty, r.w - 6.0, st, &note, Align::Center);
    }
    y += used + 2.0;
    // Caption: what the lines mean, then who did not report.
    let mut caption = trf(
        lang,
        "branches.reference",
        &[("scope", scope), ("value", &f.v(cmp.scope_value, unit))],
    );
    if cmp.green.is_some() || cmp.red.is_some() {
        caption.push_str(" · ");
        caption.push_str(&trf(
            lang,
            "branches.thresholds",
            &[
                ("green", &f.v(cmp.green, unit)),
                ("red", &f.v(cmp.red, unit)),
            ],
        ));
    }
    c.text_in(r.x, y, r.w, style::TINY, &caption, Align::Left);
    y += style::TINY.line_h() + 1.0;
    for l in notes {
        c.text_in(r.x, y, r.w, style::TINY.colour(colour::INK), l, Align::Left);
        y += style::TINY.line_h();
    }
}

/// Every branch × key indicator, each value tinted by its status.
fn matrix(ctx: &mut Ctx, bp: &BoardPack) {
    let lang = ctx.lang;
    let comps = &bp.comparisons;
    let fixed = 150.0;
    let w = ((WIDTH - fixed) / comps.len().max(1) as f32).min(70.0);
    let mut cols = vec![Col::new(tr(lang, "col.branch"), fixed - 44.0, Align::Left)];
    cols.push(Col::new(tr(lang, "col.region"), 44.0, Align::Left));
    for cmp in comps {
        let title = if cmp.unit == "currency" {
            format!("{} ({})", cmp.name, bp.org.currency)
        } else {
            cmp.name.clone()
        };
        cols.push(Col::rotated(title, w, Align::Right));
    }
    // Branches in code order, from the first comparison (every comparison has every branch).
    let mut branches: Vec<&BranchBar> = comps
        .first()
        .map(|c| c.bars.iter().collect())
        .unwrap_or_default();
    branches.sort_by(|a, b| a.branch.cmp(&b.branch));
    let st = style::BODY.size(7.0);
    let rows = branches
        .iter()
        .map(|b| {
            let mut cells = vec![
                Cell::Styled(format!("{} {}", b.branch, b.name), st),
                Cell::Styled(b.region.clone().unwrap_or_default(), st),
            ];
            for cmp in comps {
                let v = cmp
                    .bars
                    .iter()
                    .find(|x| x.branch == b.branch)
                    .and_then(|x| x.value);
                let status = rag(v, cmp.direction, cmp.green, cmp.red);
                let d = i18n::decimals_for(&cmp.unit);
                let s = match v {
                    Some(x) => i18n::value_short(x, &cmp.unit, d, "", lang),
                    None => i18n::MISSING.to_string(),
                };
                cells.push(Cell::Draw(Box::new(move |c: &mut Canvas, r: Rect| {
                    let bg = chart::rag_colour(status).tint(0.82);
                    c.fill_rect(Rect::new(r.x - 2.0, r.y - 1.5, r.w + 4.0, r.h + 3.0), bg);
                    c.text_in(r.x, r.y, r.w, st, &s, Align::Right);
                })));
            }
            Row::new(cells)
        })
        .collect();
    ctx.doc.table(
        &cols,
        rows,
        TableStyle {
            zebra: false,
            ..TableStyle::default()
        },
    );
}

fn completeness_table(ctx: &mut Ctx, comp: &Completeness, lang: Language) {
    let months = comp.months.len().max(1);
    // A quarter: "22/22" per month beside branch and region. A year: the count only (the
    // intro says out of how many), the region dropped, a narrower font.
    let wide = months <= 4;
    let (branch_w, region_w, total_w) = if wide {
        (150.0, 70.0, 0.0)
    } else {
        (112.0, 0.0, 44.0)
    };
    let mw = if wide {
        ((WIDTH - branch_w - region_w) / (months as f32 + 1.0)).min(70.0)
    } else {
        (WIDTH - branch_w - total_w) / months as f32
    };
    let mut cols = vec![Col::new(tr(lang, "col.branch"), branch_w, Align::Left)];
    if wide {
        cols.push(Col::new(tr(lang, "col.region"), region_w, Align::Left));
    }
    for m in &comp.months {
        cols.push(Col::new(
            i18n::month_label_short(m, lang),
            mw,
            Align::Center,
        ));
    }
    cols.push(Col::new(
        tr(lang, "col.total"),
        if wide { mw } else { total_w },
        Align::Center,
    ));
    let n = comp.elements;
    let size = if wide { 7.5 } else { 6.5 };
    let cell = move |filled: u32, total: u32, both: bool| -> Cell<'static> {
        Cell::Draw(Box::new(move |c: &mut Canvas, r: Rect| {
            let bg = if total == 0 || filled == 0 {
                colour::RED.tint(0.75)
            } else if filled >= total {
                colour::GREEN.tint(0.78)
            } else {
                colour::AMBER.tint(0.7)
            };
            c.fill_rect(Rect::new(r.x + 1.0, r.y - 1.5, r.w - 2.0, r.h + 3.0), bg);
            let s = if both {
                format!("{filled}/{total}")
            } else {
                filled.to_string()
            };
            c.text_in(r.x, r.y, r.w, style::BODY.size(size), &s, Align::Center);
        }))
    };
    let st = style::BODY.size(size + 0.5);
    let rows = comp
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![Cell::Styled(format!("{} {}", row.branch, row.name), st)];
            if wide {
                cells.push(Cell::Styled(row.region.clone().unwrap_or_default(), st));
            }
            for k in 0..comp.months.len() {
                cells.push(cell(row.counts.get(k).copied().unwrap_or(0), n, wide));
            }
            let sum: u32 = row.counts.iter().sum();
            cells.push(cell(sum, n * comp.months.len() as u32, true));
            Row::new(cells)
        })
        .collect();
    let ts = TableStyle {
        zebra: false,
        pad_x: if wide { 4.0 } else { 2.0 },
        ..TableStyle::default()
    };
    ctx.doc.table(&cols, rows, ts);
}

pub fn render(ctx: &mut Ctx, bp: &BoardPack) {
    let lang = ctx.lang;
    let intro = tr(lang, "branches.intro");
    ctx.section(
        Section::Branches.title(lang),
        Section::Branches.mark(),
        Some(intro),
    );
    // The reference line is the comparison scope: the institution for a branch's pack.
    let branch_name = bp
        .completeness
        .rows
        .iter()
        .find(|r| bp.scope.ends_with(&format!(":{}", r.branch)))
        .map(|r| r.name.as_str());
    let scope = if bp.scope.starts_with("branch:") {
        tr(lang, "scope.org").to_string()
    } else {
        scope_label(lang, &bp.scope, &bp.scope_label, branch_name)
    };
    for cmp in &bp.comparisons {
        let notes = missing_notes(cmp, lang, ctx.m());
        let h = comparison_height(shown(cmp).len(), notes.len());
        ctx.doc
            .block(h, |c, r| comparison(c, r, cmp, &scope, &ctx.f, &notes));
    }
    if !bp.comparisons.is_empty() {
        ctx.subheading(tr(lang, "branches.matrix"), 80.0);
        ctx.doc
            .paragraph(style::SMALL, tr(lang, "branches.matrix_intro"));
        ctx.doc.gap(4.0);
        matrix(ctx, bp);
    }
    if !bp.completeness.rows.is_empty() {
        let keep = 60.0 + 18.0 * bp.completeness.rows.len().min(4) as f32;
        ctx.subheading(tr(lang, "branches.completeness"), keep);
        let n = bp.completeness.elements.to_string();
        let intro = trf(lang, "branches.completeness_intro", &[("n", &n)]);
        ctx.doc.paragraph(style::SMALL, &intro);
        ctx.doc.gap(4.0);
        completeness_table(ctx, &bp.completeness, lang);
    }
}
