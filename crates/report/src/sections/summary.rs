//! The one-page summary: counts by status, the generated narrative, and the key figures with
//! value, target, previous period, trend and RAG — reds first.

use super::{rag_label, scope_label, Ctx, Section};
use crate::chart;
use crate::i18n::{self, tr, trf};
use crate::layout::{
    colour, style, Align, Canvas, Cell, Col, Rect, Row, Style, TableStyle, LEFT, WIDTH,
};
use mizani_core::boardpack::{BoardPack, NarrativeFact};
use mizani_core::engine::Rag;
use mizani_core::model::{Direction, Language};

/// One sentence of the narrative: "PAR30 rose from 3.10 % to 5.40 %, above the red
/// threshold of 5.00 %, driven by the North region (4.20 % → 8.10 %)."
pub fn sentence(f: &NarrativeFact, lang: Language, currency: &str) -> String {
    let v = |x: Option<f64>| i18n::value(x, &f.unit, currency, lang);
    let (from, to) = (v(f.previous), v(f.current));
    let args = [
        ("name", f.name.as_str()),
        ("from", from.as_str()),
        ("to", to.as_str()),
    ];
    let mut s = match (f.previous, f.current) {
        (Some(p), Some(c)) if c > p => trf(lang, "narrative.rose", &args),
        (Some(p), Some(c)) if c < p => trf(lang, "narrative.fell", &args),
        _ => trf(lang, "narrative.steady", &args),
    };
    if let (Some(t), Some(c)) = (f.threshold, f.current) {
        let tv = v(Some(t));
        let key = match (f.status, c > t) {
            (Rag::Red, true) => "narrative.above_red",
            (Rag::Red, false) => "narrative.below_red",
            (_, true) => "narrative.above_green",
            (_, false) => "narrative.below_green",
        };
        s.push_str(&trf(lang, key, &[("threshold", &tv)]));
    }
    if let Some(d) = &f.driver {
        let (a, b) = (v(d.previous), v(d.current));
        s.push_str(&trf(
            lang,
            "narrative.driver",
            &[("region", &d.region), ("from", &a), ("to", &b)],
        ));
    }
    s.push_str(tr(lang, "narrative.end"));
    s
}

/// A cell with a main line and a smaller line under it.
pub fn two_lines<'a>(main: String, sub: String, st: Style, align: Align) -> Cell<'a> {
    Cell::Draw(Box::new(move |c: &mut Canvas, r: Rect| {
        c.text_in(r.x, r.y, r.w, st, &main, align);
        if !sub.is_empty() {
            c.text_in(r.x, r.y + st.line_h(), r.w, style::TINY, &sub, align);
        }
    }))
}

/// A status cell: dot and label.
pub fn status_cell<'a>(rag: Rag, lang: Language) -> Cell<'a> {
    let label = rag_label(lang, rag);
    Cell::Draw(Box::new(move |c: &mut Canvas, r: Rect| {
        let st = style::SMALL.size(7.0).colour(colour::INK);
        chart::dot(c, r.x + 3.5, r.y + st.line_h() / 2.0 + 0.5, 3.2, rag);
        c.text_in(r.x + 10.0, r.y + 0.5, r.w - 10.0, st, label, Align::Left);
    }))
}

pub fn render(ctx: &mut Ctx, bp: &BoardPack) {
    let lang = ctx.lang;
    let branch_name = bp
        .completeness
        .rows
        .iter()
        .find(|r| bp.scope.ends_with(&format!(":{}", r.branch)))
        .map(|r| r.name.as_str());
    let intro = trf(
        lang,
        "summary.intro",
        &[
            ("period", &i18n::period(bp.period, lang)),
            (
                "scope",
                &scope_label(lang, &bp.scope, &bp.scope_label, branch_name),
            ),
            ("previous", &i18n::period(bp.previous_period, lang)),
        ],
    );
    ctx.section(
        Section::Summary.title(lang),
        Section::Summary.mark(),
        Some(&intro),
    );

    // Counts by status over every indicator.
    let counts: Vec<(Rag, usize)> = [
        Rag::Red,
        Rag::Amber,
        Rag::Green,
        Rag::NoThreshold,
        Rag::Missing,
    ]
    .into_iter()
    .map(|r| (r, bp.tiles.iter().filter(|t| t.current.status == r).count()))
    .filter(|(_, n)| *n > 0)
    .collect();
    let label = trf(
        lang,
        "summary.counts",
        &[("n", &bp.tiles.len().to_string())],
    );
    ctx.doc.block(22.0, |c, r| {
        let st = style::BODY.size(8.5);
        let mut x = r.x;
        x += c.text_in(
            x,
            r.y + 3.0,
            200.0,
            st.colour(colour::MUTED),
            &label,
            Align::Left,
        ) + 10.0;
        for (rag, n) in &counts {
            chart::dot(c, x + 4.0, r.y + 3.0 + st.line_h() / 2.0, 4.0, *rag);
            let t = format!("{} {}", n, rag_label(lang, *rag));
            c.text(x + 11.0, r.y + 3.0, st.bold(), &t);
            x += 11.0 + c.measure().width(st.bold(), &t) + 14.0;
        }
    });

    // The narrative.
    ctx.subheading(tr(lang, "summary.highlights"), 40.0);
    if bp.narrative.is_empty() {
        ctx.doc.paragraph(style::BODY, tr(lang, "narrative.none"));
    }
    for f in &bp.narrative {
        let s = sentence(f, lang, &ctx.f.currency);
        let m = ctx.m();
        let st = style::BODY.size(9.5);
        let lines = m.wrap(st, &s, WIDTH - 14.0);
        let h = lines.len() as f32 * st.line_h() + 4.0;
        let col = chart::rag_colour(f.status);
        ctx.doc.block(h, |c, r| {
            c.disc(r.x + 4.0, r.y + st.line_h() / 2.0, 2.6, col);
            let mut y = r.y;
            for l in &lines {
                c.text(r.x + 14.0, y, st, l);
                y += st.line_h();
            }
        });
    }

    // Key figures.
    ctx.subheading(tr(lang, "summary.key_figures"), 60.0);
    let prev = i18n::period(bp.previous_period, lang);
    let cols = [
        Col::new(tr(lang, "col.status"), 56.0, Align::Left),
        Col::new(tr(lang, "col.indicator"), 136.0, Align::Left),
        Col::new(tr(lang, "col.value"), 60.0, Align::Right),
        Col::new(tr(lang, "col.target"), 60.0, Align::Right),
        Col::new(prev, 68.0, Align::Right),
        Col::new(tr(lang, "summary.trend"), 66.0, Align::Left),
        Col::new(tr(lang, "col.branches"), 47.3, Align::Right),
    ];
    let mut rows = Vec::new();
    for t in &bp.key_figures {
        let cur = &t.current;
        let previous = t.trend.iter().rev().nth(1).and_then(|p| p.value);
        let value = ctx.v(cur.value, &cur.unit);
        let target = ctx.v(t.target, &cur.unit);
        let target_when = t
            .target_period
            .as_deref()
            .map(|p| i18n::period_str(p, lang))
            .unwrap_or_default();
        let prev_s = ctx.v(previous, &cur.unit);
        let trend: Vec<Option<f64>> = t.trend.iter().map(|p| p.value).collect();
        let (dir, status, tgt) = (cur.direction, cur.status, t.target);
        let now = cur.value;
        rows.push(
            Row::new(vec![
                status_cell(status, lang),
                Cell::Styled(cur.name.clone(), style::BODY.size(8.0).bold()),
                Cell::Styled(value, style::BODY.size(8.5).bold()),
                two_lines(target, target_when, style::BODY.size(8.0), Align::Right),
                Cell::Draw(Box::new(move |c: &mut Canvas, r: Rect| {
                    let st = style::BODY.size(8.0).colour(colour::MUTED);
                    c.text_in(r.x, r.y, r.w - 10.0, st, &prev_s, Align::Right);
                    if let (Some(p), Some(n)) = (previous, now) {
                        if (n - p).abs() > 1e-12 {
                            let worse = match dir {
                                Direction::Higher => n < p,
                                Direction::Lower => n > p,
                            };
                            let col = if worse { colour::RED } else { colour::GREEN };
                            chart::arrow(
                                c,
                                r.right() - 3.5,
                                r.y + st.line_h() / 2.0,
                                5.0,
                                n > p,
                                col,
                            );
                        }
                    }
                })),
                Cell::Draw(Box::new(move |c: &mut Canvas, r: Rect| {
                    chart::sparkline(
                        c,
                        Rect::new(r.x, r.y + 1.0, r.w - 4.0, 14.0),
                        &trend,
                        tgt,
                        chart::rag_colour(status),
                    );
                })),
                Cell::Text(format!("{}/{}", cur.reported, cur.expected)),
            ])
            .min_h(24.0),
        );
    }
    ctx.doc.table(&cols, rows, TableStyle::default());
    let legend = tr(lang, "summary.legend");
    ctx.doc.gap(4.0);
    ctx.doc.paragraph_at(LEFT, WIDTH, style::TINY, legend);
}
