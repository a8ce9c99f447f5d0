//! Progress of each objective: its indicators with baseline, target, actual, progress,
//! forecast and outlook, and a trend chart with the target line.

use super::{
    dimension_label, outlook_colour, outlook_label, practice_label, rag_label, reported, Ctx, Fmt,
    Section,
};
use crate::chart::{self, Trend};
use crate::i18n::{self, tr, trf};
use crate::layout::{colour, style, Align, Canvas, Rect, WIDTH};
use mizani_core::boardpack::BoardPack;
use mizani_core::dashboard::{IndicatorProgress, ObjectiveProgress};
use mizani_core::model::Language;
use mizani_core::period::Period;

const BLOCK_H: f32 = 122.0;
const LEFT_W: f32 = 200.0;

/// Axis labels of a trend, extended to the forecast's period when it lies ahead (at most
/// eight periods); returns the labels and the forecast's index and value.
/// Axis labels (period, year) and the forecast's index and value.
pub type Axis = (Vec<(String, String)>, Option<(usize, f64)>);

pub fn axis(trend: &[Period], forecast: Option<(Period, f64)>, lang: Language) -> Axis {
    let mut periods: Vec<Period> = trend.to_vec();
    let mut fc = None;
    if let (Some(last), Some((fp, fv))) = (trend.last().copied(), forecast) {
        if let Some(k) = (1..=8).find(|k| last.shift(*k) == fp) {
            for j in 1..=k {
                periods.push(last.shift(j));
            }
            fc = Some((trend.len() - 1 + k as usize, fv));
        } else if let Some(i) = trend.iter().position(|p| *p == fp) {
            fc = Some((i, fv));
        }
    }
    (
        periods
            .iter()
            .map(|p| i18n::period_axis(*p, lang))
            .collect(),
        fc,
    )
}

fn header_height(ctx: &Ctx, o: &ObjectiveProgress) -> (Vec<String>, Vec<String>, f32) {
    let lang = ctx.lang;
    let m = ctx.m();
    let title = m.wrap(style::H2, &o.title, WIDTH - 150.0);
    let meta = format!(
        "{} · {} · {} · {}",
        trf(
            lang,
            "objectives.practice",
            &[
                ("n", &o.practice.to_string()),
                ("name", practice_label(lang, o.practice))
            ]
        ),
        trf(
            lang,
            "objectives.dimension",
            &[("name", dimension_label(lang, o.dimension))]
        ),
        trf(lang, "objectives.owner", &[("name", &o.owner)]),
        trf(
            lang,
            "objectives.dates",
            &[
                ("start", &i18n::date(&o.start_date, lang)),
                ("end", &i18n::date(&o.end_date, lang))
            ]
        ),
    );
    let meta = m.wrap(style::SMALL, &meta, WIDTH);
    let h =
        title.len() as f32 * style::H2.line_h() + meta.len() as f32 * style::SMALL.line_h() + 14.0;
    (title, meta, h)
}

fn indicator_block(f: &Fmt, ip: &IndicatorProgress, c: &mut Canvas, r: Rect) {
    let lang = f.lang;
    let cur = &ip.current;
    let unit = cur.unit.as_str();
    let x = r.x;
    let mut y = r.y + 4.0;
    c.fill_rect(Rect::new(r.x, r.y, r.w, r.h - 8.0), colour::ZEBRA);
    let x = x + 8.0;
    let lw = LEFT_W - 12.0;
    let name_st = style::H3;
    for l in c.measure().wrap(name_st, &cur.name, lw).iter().take(2) {
        c.text_in(x, y, lw, name_st, l, Align::Left);
        y += name_st.line_h();
    }
    y += 3.0;
    let key = style::SMALL;
    let val = style::BODY.size(8.0);
    let row_h = 11.4;
    let when = |p: Option<&str>| {
        p.map(|p| format!(" ({})", i18n::period_str(p, lang)))
            .unwrap_or_default()
    };
    let rows: [(String, String); 4] = [
        (
            format!(
                "{} ({})",
                tr(lang, "objectives.actual"),
                i18n::period(cur.period, lang)
            ),
            f.v(cur.value, unit),
        ),
        (
            format!(
                "{}{}",
                tr(lang, "objectives.baseline"),
                when(ip.baseline_period.as_deref())
            ),
            f.v(ip.baseline_value, unit),
        ),
        (
            format!(
                "{}{}",
                tr(lang, "objectives.target"),
                when(ip.target_period.as_deref())
            ),
            f.v(ip.target, unit),
        ),
        (
            format!(
                "{}{}",
                tr(lang, "objectives.final_target"),
                when(ip.final_target_period.as_deref())
            ),
            f.v(ip.final_target, unit),
        ),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        c.text_in(x, y + 0.8, lw - 62.0, key, k, Align::Left);
        let st = if i == 0 { val.bold() } else { val };
        let vw = c.text_in(x + lw - 60.0, y, 60.0, st, v, Align::Right);
        if i == 0 {
            chart::dot(
                c,
                x + lw - vw - 6.0,
                y + val.line_h() / 2.0,
                2.6,
                cur.status,
            );
        }
        y += row_h;
    }
    // Progress.
    c.text_in(
        x,
        y + 0.8,
        lw - 62.0,
        key,
        tr(lang, "objectives.progress"),
        Align::Left,
    );
    let pct = ip.progress;
    let ptxt = match pct {
        Some(p) => format!("{}{}%", i18n::number(p, 0, lang), i18n::NBSP),
        None => i18n::MISSING.to_string(),
    };
    chart::progress(
        c,
        Rect::new(x + lw - 112.0, y + 3.5, 62.0, 5.0),
        pct,
        outlook_colour(ip.outlook),
    );
    c.text_in(x + lw - 46.0, y, 46.0, val, &ptxt, Align::Right);
    y += row_h;
    // Forecast and outlook.
    let fwhen = ip
        .forecast_period
        .map(|p| format!(" ({})", i18n::period(p, lang)))
        .unwrap_or_default();
    c.text_in(
        x,
        y + 0.8,
        lw - 62.0,
        key,
        &format!("{}{}", tr(lang, "objectives.forecast"), fwhen),
        Align::Left,
    );
    c.text_in(
        x + lw - 60.0,
        y,
        60.0,
        val,
        &f.v(ip.forecast, unit),
        Align::Right,
    );
    y += row_h + 2.0;
    let w = chart::chip(
        c,
        x,
        y,
        &outlook_label(lang, ip.outlook).to_uppercase(),
        outlook_colour(ip.outlook),
    );
    let st = chart::rag_colour(cur.status);
    chart::chip(
        c,
        x + w + 4.0,
        y,
        &rag_label(lang, cur.status).to_uppercase(),
        st,
    );
    y += 14.0;
    c.text_in(
        x,
        y,
        lw,
        style::TINY,
        &reported(lang, cur.reported, cur.expected),
        Align::Left,
    );

    // The trend chart.
    let periods: Vec<Period> = ip.trend.iter().map(|p| p.period).collect();
    let values: Vec<Option<f64>> = ip.trend.iter().map(|p| p.value).collect();
    let (labels, forecast) = axis(&periods, ip.forecast_period.zip(ip.forecast), lang);
    let target_label = match ip.target {
        Some(t) => trf(lang, "chart.target", &[("value", &f.v(Some(t), unit))]),
        None => String::new(),
    };
    let currency = f.currency.clone();
    let fmt = move |v: f64, d: usize| {
        if v.is_nan() {
            tr(lang, "chart.no_data").to_string()
        } else {
            i18n::value_short(v, unit, d, &currency, lang)
        }
    };
    let tr_ = Trend {
        labels: &labels,
        values: &values,
        forecast,
        target: ip.target,
        target_label,
        baseline: ip.baseline_value,
        status: cur.status,
        fmt: &fmt,
    };
    chart::trend(
        c,
        Rect::new(
            r.x + LEFT_W + 4.0,
            r.y + 4.0,
            r.w - LEFT_W - 10.0,
            r.h - 16.0,
        ),
        &tr_,
    );
}

pub fn render(ctx: &mut Ctx, bp: &BoardPack) {
    let lang = ctx.lang;
    ctx.section(
        Section::Objectives.title(lang),
        Section::Objectives.mark(),
        Some(tr(lang, "objectives.intro")),
    );
    // Legend of the charts.
    ctx.doc.block(16.0, |c, r| {
        let st = style::TINY.colour(colour::MUTED);
        let mut x = r.x;
        x += chart::legend(c, x, r.y, st, tr(lang, "legend.actual"), |c, x, y| {
            c.line(&[(x, y), (x + 10.0, y)], colour::BRAND, 1.4, None);
        });
        x += chart::legend(c, x, r.y, st, tr(lang, "legend.target"), |c, x, y| {
            c.line(
                &[(x, y), (x + 10.0, y)],
                colour::ACCENT,
                0.9,
                Some(&[4.0, 2.5]),
            );
        });
        x += chart::legend(c, x, r.y, st, tr(lang, "legend.baseline"), |c, x, y| {
            c.line(
                &[(x, y), (x + 10.0, y)],
                colour::FAINT,
                0.6,
                Some(&[0.8, 1.6]),
            );
        });
        x += chart::legend(c, x, r.y, st, tr(lang, "legend.forecast"), |c, x, y| {
            c.line(
                &[(x, y), (x + 10.0, y)],
                colour::MUTED,
                0.9,
                Some(&[1.2, 1.8]),
            );
        });
        chart::legend(c, x, r.y, st, tr(lang, "legend.gap"), |c, x, y| {
            c.disc(x + 5.0, y, 1.6, colour::FAINT);
            c.disc(x + 5.0, y, 0.9, colour::WHITE);
        });
    });
    for (k, o) in bp.objectives.iter().enumerate() {
        let (title, meta, hh) = header_height(ctx, o);
        // Keep the objective's header with its first indicator.
        ctx.doc.ensure(
            hh + if o.indicators.is_empty() {
                0.0
            } else {
                BLOCK_H
            } + if k > 0 { 10.0 } else { 0.0 },
        );
        if k > 0 {
            ctx.doc.gap(10.0);
        }
        let status = o.status;
        let outlook = o.outlook;
        ctx.doc.block(hh, |c, r| {
            let mut y = r.y;
            let st = style::H2.colour(colour::BRAND);
            for l in &title {
                c.text_in(r.x, y, r.w - 150.0, st, l, Align::Left);
                y += st.line_h();
            }
            let ow = c.measure().width(
                style::TINY.bold(),
                &outlook_label(lang, outlook).to_uppercase(),
            ) + 8.0;
            let sw = c
                .measure()
                .width(style::TINY.bold(), &rag_label(lang, status).to_uppercase())
                + 8.0;
            chart::chip(
                c,
                r.right() - ow - sw - 4.0,
                r.y + 2.0,
                &rag_label(lang, status).to_uppercase(),
                chart::rag_colour(status),
            );
            chart::chip(
                c,
                r.right() - ow,
                r.y + 2.0,
                &outlook_label(lang, outlook).to_uppercase(),
                outlook_colour(outlook),
            );
            y += 2.0;
            for l in &meta {
                c.text_in(r.x, y, r.w, style::SMALL, l, Align::Left);
                y += style::SMALL.line_h();
            }
        });
        for ip in &o.indicators {
            ctx.doc
                .block(BLOCK_H, |c, r| indicator_block(&ctx.f, ip, c, r));
        }
    }
}
