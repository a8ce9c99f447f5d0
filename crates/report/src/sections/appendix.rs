//! The appendix: every indicator's formula and version, data completeness per indicator,
//! and the comments entered with the period's figures.

use super::{category_label, direction_label, Ctx, Section};
use crate::i18n::{self, tr, trf};
use crate::layout::{style, Align, Cell, Col, Row, TableStyle};
use crate::sections::summary::two_lines;
use mizani_core::boardpack::BoardPack;
use mizani_core::model::{Indicator, Language};

/// "par30_balance / glp × 100, annualised".
pub fn formula(ind: &Indicator, lang: Language) -> String {
    let mut s = format!("{} / {}", ind.numerator, ind.denominator);
    if (ind.factor - 1.0).abs() > 1e-12 {
        let d = if ind.factor.fract() == 0.0 { 0 } else { 2 };
        s.push_str(" × ");
        s.push_str(&i18n::number(ind.factor, d, lang));
    }
    if ind.annualise {
        s.push_str(tr(lang, "appendix.annualised"));
    }
    s
}

pub fn render(ctx: &mut Ctx, bp: &BoardPack) {
    let lang = ctx.lang;
    ctx.section(
        Section::Appendix.title(lang),
        Section::Appendix.mark(),
        Some(tr(lang, "appendix.intro")),
    );

    ctx.subheading(tr(lang, "appendix.formulas"), 60.0);
    let cols = [
        Col::new(tr(lang, "col.indicator"), 130.0, Align::Left),
        Col::new(tr(lang, "col.category"), 64.0, Align::Left),
        Col::new(tr(lang, "col.formula"), 150.0, Align::Left),
        Col::new(tr(lang, "col.thresholds"), 112.0, Align::Left),
        Col::new(tr(lang, "col.version"), 37.3, Align::Right),
    ];
    let rows = bp
        .indicators
        .iter()
        .map(|ind| {
            let name = ind.name.get(lang).to_string();
            let v = |x: Option<f64>| ctx.f.v(x, &ind.unit);
            let thresholds = if ind.green.is_none() && ind.red.is_none() {
                format!(
                    "{}\n{}",
                    direction_label(lang, ind.direction),
                    tr(lang, "appendix.no_thresholds")
                )
            } else {
                format!(
                    "{}\n{}",
                    direction_label(lang, ind.direction),
                    trf(
                        lang,
                        "appendix.thresholds",
                        &[("green", &v(ind.green)), ("red", &v(ind.red))]
                    )
                )
            };
            Row::new(vec![
                two_lines(
                    name,
                    ind.code.clone(),
                    style::BODY.size(8.0).bold(),
                    Align::Left,
                ),
                Cell::text(category_label(lang, ind.category)),
                Cell::text(formula(ind, lang)),
                Cell::text(thresholds),
                Cell::text(format!("v{}", ind.formula_version)),
            ])
            .min_h(26.0)
        })
        .collect();
    ctx.doc.table(&cols, rows, TableStyle::default());

    ctx.subheading(tr(lang, "appendix.completeness"), 60.0);
    ctx.doc
        .paragraph(style::SMALL, tr(lang, "appendix.completeness_intro"));
    ctx.doc.gap(4.0);
    let cols = [
        Col::new(tr(lang, "col.indicator"), 150.0, Align::Left),
        Col::new(tr(lang, "col.value"), 70.0, Align::Right),
        Col::new(tr(lang, "col.branches"), 60.0, Align::Right),
        Col::new(tr(lang, "col.missing_branches"), 213.3, Align::Left),
    ];
    let rows = bp
        .tiles
        .iter()
        .map(|t| {
            let cur = &t.current;
            let missing = if cur.missing_branches.is_empty() {
                match &cur.reason {
                    Some(r) if cur.value.is_none() => r.clone(),
                    _ => "—".to_string(),
                }
            } else {
                cur.missing_branches.join(", ")
            };
            Row::new(vec![
                Cell::text(cur.name.clone()),
                Cell::text(ctx.v(cur.value, &cur.unit)),
                Cell::text(format!("{}/{}", cur.reported, cur.expected)),
                Cell::text(missing),
            ])
        })
        .collect();
    ctx.doc.table(&cols, rows, TableStyle::default());

    if !bp.comments.is_empty() {
        ctx.subheading(tr(lang, "appendix.comments"), 60.0);
        let cols = [
            Col::new(tr(lang, "col.branch"), 44.0, Align::Left),
            Col::new(tr(lang, "col.month"), 56.0, Align::Left),
            Col::new(tr(lang, "col.element"), 100.0, Align::Left),
            Col::new(tr(lang, "col.value"), 66.0, Align::Right),
            Col::new(tr(lang, "col.comment"), 167.3, Align::Left),
            Col::new(tr(lang, "col.entered_by"), 60.0, Align::Left),
        ];
        let rows = bp
            .comments
            .iter()
            .map(|c| {
                let d = if c.value.fract() == 0.0 { 0 } else { 2 };
                Row::new(vec![
                    Cell::text(c.branch.clone()),
                    Cell::text(i18n::month_label_short(&c.month, lang)),
                    Cell::text(c.element_name.clone()),
                    Cell::text(i18n::number(c.value, d, lang)),
                    Cell::text(c.comment.clone()),
                    Cell::text(c.entered_by.clone()),
                ])
            })
            .collect();
        ctx.doc.table(&cols, rows, TableStyle::default());
    }
}
