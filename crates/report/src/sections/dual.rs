//! The dual bottom line: social (with client protection and environment) and financial
//! performance side by side, every indicator as a card with value, target, trend and RAG.

use super::{category_label, rag_label, reported, Ctx, Section};
use crate::chart;
use crate::i18n::{self, tr};
use crate::layout::{colour, style, Align, Canvas, Item, Rect, LEFT, WIDTH};
use mizani_core::boardpack::BoardPack;
use mizani_core::dashboard::IndicatorTile;
use mizani_core::model::{Category, Language};

const GAP: f32 = 16.0;

fn card<'a>(ctx: &Ctx, t: &'a IndicatorTile, w: f32) -> Item<'a> {
    let lang = ctx.lang;
    let m = ctx.m();
    let name_st = style::BODY.size(8.5).bold();
    let name = m.wrap(name_st, &t.current.name, w - 22.0);
    let value = ctx.v(t.current.value, &t.current.unit);
    let target = match t.target {
        Some(_) => {
            let v = ctx.v(t.target, &t.current.unit);
            match t.target_period.as_deref() {
                Some(p) => format!(
                    "{} {v} ({})",
                    tr(lang, "col.target"),
                    i18n::period_str(p, lang)
                ),
                None => format!("{} {v}", tr(lang, "col.target")),
            }
        }
        None => tr(lang, "dual.no_target").to_string(),
    };
    let rep = reported(lang, t.current.reported, t.current.expected);
    let status = t.current.status;
    let trend: Vec<Option<f64>> = t.trend.iter().map(|p| p.value).collect();
    let tgt = t.target;
    let name_h = name.len() as f32 * name_st.line_h();
    let h = 6.0 + name_h + 1.0 + 17.0 + 10.0 + 8.5 + 5.0;
    Item {
        h: h + 5.0,
        draw: Box::new(move |c: &mut Canvas, r: Rect| {
            let r = Rect::new(r.x, r.y, r.w, h);
            c.fill_rect(r, colour::ZEBRA);
            c.fill_rect(Rect::new(r.x, r.y, 3.0, r.h), chart::rag_colour(status));
            let x = r.x + 11.0;
            let mut y = r.y + 6.0;
            for l in &name {
                c.text_in(x, y, r.w - 22.0, name_st, l, Align::Left);
                y += name_st.line_h();
            }
            y += 1.0;
            let vst = style::H1.size(13.5).colour(colour::INK).size(13.5);
            let vst = crate::layout::Style {
                leading: 1.2,
                ..vst
            };
            c.text_in(x, y - 0.5, r.w * 0.55, vst, &value, Align::Left);
            chart::sparkline(
                c,
                Rect::new(r.right() - 92.0, y + 1.0, 80.0, 14.0),
                &trend,
                tgt,
                chart::rag_colour(status),
            );
            y += 17.0;
            let small = style::SMALL;
            c.text_in(x, y, r.w * 0.62, small, &target, Align::Left);
            let sl = rag_label(lang, status);
            let sw = c.measure().width(small.bold(), sl);
            chart::dot(
                c,
                r.right() - 12.0 - sw - 7.0,
                y + small.line_h() / 2.0,
                3.0,
                status,
            );
            c.text_in(
                r.right() - 12.0 - sw,
                y,
                sw,
                small.bold().colour(colour::INK),
                sl,
                Align::Right,
            );
            y += 10.0;
            c.text_in(x, y, r.w - 22.0, style::TINY, &rep, Align::Left);
        }),
    }
}

fn group_heading<'a>(label: &'a str, st: crate::layout::Style, rule: bool) -> Item<'a> {
    let h = st.line_h() + if rule { 10.0 } else { 5.0 };
    Item {
        h,
        draw: Box::new(move |c: &mut Canvas, r: Rect| {
            let top = if rule { r.y } else { r.y + 1.0 };
            c.text_in(r.x, top, r.w, st, label, Align::Left);
            if rule {
                c.hline(r.x, r.right(), r.y + st.line_h() + 3.0, colour::ACCENT, 1.0);
            }
        }),
    }
}

fn column<'a>(
    ctx: &Ctx,
    bp: &'a BoardPack,
    lang: Language,
    title: &'a str,
    cats: &[Category],
    w: f32,
) -> Vec<Item<'a>> {
    let mut items = vec![group_heading(title, style::H2.colour(colour::BRAND), true)];
    for &cat in cats {
        let tiles: Vec<&IndicatorTile> = bp
            .tiles
            .iter()
            .filter(|t| t.current.category == cat)
            .collect();
        if tiles.is_empty() {
            continue;
        }
        if cats.len() > 1 {
            items.push(group_heading(
                category_label(lang, cat),
                style::SMALL.bold().colour(colour::MUTED),
                false,
            ));
        }
        for t in tiles {
            items.push(card(ctx, t, w));
        }
    }
    items
}

pub fn render(ctx: &mut Ctx, bp: &BoardPack) {
    let lang = ctx.lang;
    ctx.section(
        Section::Dual.title(lang),
        Section::Dual.mark(),
        Some(tr(lang, "dual.intro")),
    );
    let w = (WIDTH - GAP) / 2.0;
    let social = column(
        ctx,
        bp,
        lang,
        tr(lang, "dual.social"),
        &[
            Category::Social,
            Category::ClientProtection,
            Category::Environmental,
        ],
        w,
    );
    let financial = column(
        ctx,
        bp,
        lang,
        tr(lang, "dual.financial"),
        &[Category::Financial],
        w,
    );
    ctx.doc
        .columns(&[(LEFT, w), (LEFT + w + GAP, w)], vec![social, financial]);
}
