//! The branch one-pager: one branch against its targets and the institution, its objectives
//! and its reporting completeness.

use super::summary::status_cell;
use super::{outlook_colour, outlook_label, Ctx};
use crate::chart;
use crate::i18n::{self, tr, trf};
use crate::layout::{colour, style, Align, Canvas, Cell, Col, Rect, Row, TableStyle, WIDTH};
use mizani_core::boardpack::BranchPage;

fn compact() -> TableStyle {
    TableStyle {
        body: style::BODY.size(7.5),
        pad_y: 2.1,
        ..TableStyle::default()
    }
}

pub fn render(ctx: &mut Ctx, p: &BranchPage) {
    let lang = ctx.lang;
    let m = ctx.m();
    // Title block.
    let title = format!("{} {}", p.branch.code, p.branch.name);
    let mut facts = Vec::new();
    if let Some(r) = &p.branch.region {
        facts.push(trf(lang, "scope.region", &[("name", r)]));
    }
    facts.push(i18n::period(p.period, lang));
    facts.push(p.org.name.clone());
    facts.push(trf(
        lang,
        "branch.generated",
        &[("date", &i18n::date(&p.generated_on, lang))],
    ));
    let facts = facts.join(" · ");
    let tst = style::TITLE.size(20.0);
    let lines = m.wrap(style::SMALL, &facts, WIDTH);
    let h = 12.0 + tst.line_h() + lines.len() as f32 * style::SMALL.line_h() + 8.0;
    ctx.doc.block(h, |c, r| {
        c.text(
            r.x,
            r.y,
            style::SMALL.bold().colour(colour::ACCENT),
            &tr(lang, "branch.kicker").to_uppercase(),
        );
        c.text_in(r.x, r.y + 11.0, r.w, tst, &title, Align::Left);
        let mut y = r.y + 11.0 + tst.line_h();
        for l in &lines {
            c.text(r.x, y, style::SMALL, l);
            y += style::SMALL.line_h();
        }
        c.hline(r.x, r.right(), r.bottom() - 2.0, colour::BRAND, 1.2);
    });

    // Indicators against targets and the institution.
    ctx.subheading(tr(lang, "branch.indicators"), 60.0);
    let cols = [
        Col::new(tr(lang, "col.status"), 56.0, Align::Left),
        Col::new(tr(lang, "col.indicator"), 150.0, Align::Left),
        Col::new(tr(lang, "branch.this_branch"), 64.0, Align::Right),
        Col::new(tr(lang, "col.target"), 62.0, Align::Right),
        Col::new(tr(lang, "branch.institution"), 64.0, Align::Right),
        Col::new(tr(lang, "branch.comparison"), 97.3, Align::Left),
    ];
    let rows = p
        .lines
        .iter()
        .map(|l| {
            let cur = &l.tile.current;
            let (a, b) = (cur.value, l.institution);
            let col = chart::rag_colour(cur.status);
            Row::new(vec![
                status_cell(cur.status, lang),
                Cell::Styled(cur.name.clone(), style::BODY.size(7.5).bold()),
                Cell::Styled(ctx.v(cur.value, &cur.unit), style::BODY.size(7.5).bold()),
                Cell::text(ctx.v(l.tile.target, &cur.unit)),
                Cell::text(ctx.v(l.institution, &cur.unit)),
                Cell::Draw(Box::new(move |c: &mut Canvas, r: Rect| {
                    chart::pair(
                        c,
                        Rect::new(r.x, r.y + 0.5, r.w - 4.0, 8.5),
                        a,
                        b,
                        col,
                        colour::FAINT,
                    );
                })),
            ])
        })
        .collect();
    ctx.doc.table(&cols, rows, compact());
    ctx.doc.gap(3.0);
    ctx.doc.block(10.0, |c, r| {
        let st = style::TINY;
        let mut x = r.x;
        x += chart::legend(
            c,
            x,
            r.y,
            st,
            tr(lang, "branch.legend_branch"),
            |c, x, y| {
                c.fill_rect(Rect::new(x, y - 2.0, 10.0, 4.0), colour::AMBER);
            },
        );
        chart::legend(
            c,
            x,
            r.y,
            st,
            tr(lang, "branch.legend_institution"),
            |c, x, y| {
                c.fill_rect(Rect::new(x, y - 2.0, 10.0, 4.0), colour::FAINT);
            },
        );
    });

    // Objectives.
    if p.objectives.iter().any(|o| !o.indicators.is_empty()) {
        ctx.subheading(tr(lang, "branch.objectives"), 50.0);
        let cols = [
            Col::new(tr(lang, "col.objective"), 130.0, Align::Left),
            Col::new(tr(lang, "col.indicator"), 122.0, Align::Left),
            Col::new(tr(lang, "col.value"), 50.0, Align::Right),
            Col::new(tr(lang, "col.target"), 48.0, Align::Right),
            Col::new(tr(lang, "objectives.progress"), 66.0, Align::Left),
            Col::new(tr(lang, "col.outlook"), 77.3, Align::Left),
        ];
        let mut rows = Vec::new();
        for o in &p.objectives {
            for (k, ip) in o.indicators.iter().enumerate() {
                let cur = &ip.current;
                let pct = ip.progress;
                let oc = outlook_colour(ip.outlook);
                let ptxt = pct
                    .map(|v| format!("{}{}%", i18n::number(v, 0, lang), i18n::NBSP))
                    .unwrap_or_else(|| i18n::MISSING.to_string());
                rows.push(Row::new(vec![
                    if k == 0 {
                        Cell::Styled(o.title.clone(), style::BODY.size(7.5).bold())
                    } else {
                        Cell::Empty
                    },
                    Cell::text(cur.name.clone()),
                    Cell::text(ctx.v(cur.value, &cur.unit)),
                    Cell::text(ctx.v(ip.target, &cur.unit)),
                    Cell::Draw(Box::new(move |c: &mut Canvas, r: Rect| {
                        chart::progress(c, Rect::new(r.x, r.y + 2.5, 22.0, 4.5), pct, oc);
                        c.text_in(
                            r.x + 25.0,
                            r.y,
                            r.w - 25.0,
                            style::BODY.size(7.0),
                            &ptxt,
                            Align::Left,
                        );
                    })),
                    Cell::Styled(
                        outlook_label(lang, ip.outlook).to_string(),
                        style::BODY.size(7.0).bold().colour(oc),
                    ),
                ]));
            }
        }
        ctx.doc.table(&cols, rows, compact());
    }

    // Completeness of reporting.
    ctx.subheading(tr(lang, "branch.completeness"), 40.0);
    let n = p.months.len().max(1) as f32 + 1.0;
    let w = (WIDTH / n).min(90.0);
    let mut cols: Vec<Col> = p
        .months
        .iter()
        .map(|mth| Col::new(i18n::month_label_short(mth, lang), w, Align::Center))
        .collect();
    cols.push(Col::new(tr(lang, "col.total"), w, Align::Center));
    let total = p.elements;
    let mut cells: Vec<Cell<'_>> = p
        .filled
        .iter()
        .map(|f| Cell::text(format!("{f}/{total}")))
        .collect();
    let sum: u32 = p.filled.iter().sum();
    cells.push(Cell::text(format!(
        "{sum}/{}",
        total * p.months.len() as u32
    )));
    ctx.doc.table(&cols, vec![Row::new(cells)], compact());
}
