//! The cover: institution, period, scope, date generated, language, mission, and the
//! contents with page numbers.

use super::{scope_label, Ctx, Section};
use crate::i18n::{self, tr, trf};
use crate::layout::{colour, style, Align, Rect, LEFT, PAGE_W, RIGHT, WIDTH};
use mizani_core::boardpack::BoardPack;

pub fn render(ctx: &mut Ctx, bp: &BoardPack, sections: &[Section]) {
    let lang = ctx.lang;
    let m = ctx.m();
    let page = ctx.doc.page();
    let c = ctx.doc.canvas();

    // The band: kicker, institution, period.
    let title = style::TITLE.colour(colour::WHITE);
    let name_lines = m.wrap(title, &bp.org.name, WIDTH);
    let band_h = 150.0 + name_lines.len() as f32 * title.line_h();
    c.fill_rect(Rect::new(0.0, 0.0, PAGE_W, band_h), colour::BRAND);
    c.fill_rect(Rect::new(0.0, band_h, PAGE_W, 4.0), colour::ACCENT);
    let kicker = style::SMALL.bold().colour(colour::WHITE).size(9.0);
    c.text(LEFT, 60.0, kicker, &tr(lang, "cover.kicker").to_uppercase());
    let mut y = 80.0;
    for l in &name_lines {
        c.text(LEFT, y, title, l);
        y += title.line_h();
    }
    let sub = style::H1.colour(colour::WHITE).bold();
    c.text(
        LEFT,
        y + 8.0,
        sub,
        &trf(
            lang,
            "cover.title",
            &[("period", &i18n::period(bp.period, lang))],
        ),
    );

    // Facts of the report.
    let branch_name = bp
        .completeness
        .rows
        .iter()
        .find(|r| bp.scope.ends_with(&format!(":{}", r.branch)))
        .map(|r| r.name.as_str());
    let facts = [
        (tr(lang, "cover.period"), i18n::period(bp.period, lang)),
        (
            tr(lang, "cover.scope"),
            scope_label(lang, &bp.scope, &bp.scope_label, branch_name),
        ),
        (
            tr(lang, "cover.generated"),
            i18n::date(&bp.generated_on, lang),
        ),
        (
            tr(lang, "cover.language"),
            i18n::language_name(lang).to_string(),
        ),
        (tr(lang, "cover.currency"), bp.org.currency.clone()),
    ];
    let mut y = band_h + 34.0;
    let key = style::SMALL.bold().colour(colour::MUTED);
    let val = style::BODY.size(10.5);
    for (k, v) in &facts {
        c.text_in(LEFT, y + 1.5, 120.0, key, &k.to_uppercase(), Align::Left);
        c.text_in(LEFT + 125.0, y, WIDTH - 125.0, val, v, Align::Left);
        y += 19.0;
    }

    // Mission and values.
    if !bp.org.mission.trim().is_empty() {
        y += 14.0;
        let body = style::BODY.size(10.0).colour(colour::INK);
        let lines = m.wrap(body, &bp.org.mission, WIDTH - 24.0);
        let values = bp.org.values.join(" · ");
        let vlines = if values.is_empty() {
            Vec::new()
        } else {
            m.wrap(style::SMALL, &values, WIDTH - 24.0)
        };
        let h = 30.0
            + lines.len() as f32 * body.line_h()
            + vlines.len() as f32 * style::SMALL.line_h()
            + 8.0;
        c.fill_rect(Rect::new(LEFT, y, WIDTH, h), colour::ZEBRA);
        c.fill_rect(Rect::new(LEFT, y, 3.0, h), colour::ACCENT);
        c.text(
            LEFT + 12.0,
            y + 9.0,
            style::H3.colour(colour::BRAND),
            tr(lang, "cover.mission"),
        );
        let mut yy = y + 26.0;
        for l in &lines {
            c.text(LEFT + 12.0, yy, body, l);
            yy += body.line_h();
        }
        yy += 4.0;
        for l in &vlines {
            c.text(LEFT + 12.0, yy, style::SMALL, l);
            yy += style::SMALL.line_h();
        }
        y += h;
    }

    // Contents, with page numbers filled in once every page exists.
    y += 26.0;
    if !sections.is_empty() {
        let st = style::H2.colour(colour::BRAND);
        c.text(LEFT, y, st, tr(lang, "cover.contents"));
        y += style::H2.line_h() + 6.0;
    }
    let row = style::BODY.size(10.0);
    let mut refs = Vec::new();
    for s in sections {
        c.text_in(LEFT, y, WIDTH - 40.0, row, s.title(lang), Align::Left);
        let tw = m.width(row, s.title(lang));
        c.line(
            &[
                (LEFT + tw + 6.0, y + row.line_h() - 3.0),
                (RIGHT - 30.0, y + row.line_h() - 3.0),
            ],
            colour::RULE,
            0.6,
            Some(&[0.6, 2.4]),
        );
        refs.push((y, s.mark()));
        y += row.line_h() + 6.0;
    }
    let note = style::TINY;
    let note_y = crate::layout::BODY_BOTTOM + 10.0;
    c.hline(LEFT, RIGHT, note_y - 6.0, colour::RULE, 0.6);
    c.paragraph(
        LEFT,
        note_y,
        WIDTH,
        note,
        tr(lang, "cover.note"),
        Align::Left,
    );
    for (y, mark) in refs {
        ctx.doc
            .page_ref(page, RIGHT - 28.0, y, 28.0, row.bold(), mark);
    }
    ctx.doc.y = crate::layout::BODY_BOTTOM;
}
