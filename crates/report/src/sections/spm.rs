//! Practices 2, 4 and 5: client-protection scores by principle and dimension with the open
//! and overdue actions, then the alignment gaps and the decision log with before/after values.

use super::{Ctx, Section};
use crate::chart::{self, Bar, Bars};
use crate::i18n::{self, tr, trf};
use crate::layout::{colour, style, Align, Cell, Col, Rect, Row, TableStyle};
use mizani_core::boardpack::{BoardPack, SpmSection};
use mizani_core::model::Language;
use mizani_core::spm::{ActionStatus, Movement};

const RAW: crate::layout::Rgb3 = colour::ACCENT;
const EVIDENCE: crate::layout::Rgb3 = colour::BRAND;

fn pct(v: Option<f64>, lang: Language) -> String {
    match v {
        Some(x) => format!("{} %", i18n::number(x, 0, lang)),
        None => "—".to_string(),
    }
}

fn status_label(lang: Language, s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => tr(lang, "spm.status.open"),
        ActionStatus::InProgress => tr(lang, "spm.status.in_progress"),
        ActionStatus::Done => tr(lang, "spm.status.done"),
        ActionStatus::Dropped => tr(lang, "spm.status.dropped"),
    }
}

fn movement_label(lang: Language, m: Movement) -> &'static str {
    match m {
        Movement::Up => tr(lang, "spm.movement.up"),
        Movement::Down => tr(lang, "spm.movement.down"),
        Movement::Stable => tr(lang, "spm.movement.stable"),
    }
}

/// The client-protection section: scores by principle (chart) and dimension, open actions.
pub fn render_client_protection(ctx: &mut Ctx, bp: &BoardPack) {
    let Some(s) = bp.spm.as_ref() else {
        return;
    };
    let lang = ctx.lang;
    ctx.section(
        Section::ClientProtection.title(lang),
        Section::ClientProtection.mark(),
        Some(tr(lang, "spm.intro")),
    );
    if let Some(a) = &s.assessment {
        scores(ctx, s, a);
    }
    actions(ctx, s);
}

fn scores(ctx: &mut Ctx, s: &SpmSection, a: &mizani_core::spm::AssessmentSummary) {
    let lang = ctx.lang;
    ctx.doc.paragraph(
        style::BODY.size(8.5),
        &trf(
            lang,
            "spm.assessment",
            &[
                ("title", &a.title),
                ("date", &i18n::date(&a.assessed_on, lang)),
                ("answered", &a.answered.to_string()),
                ("total", &a.total.to_string()),
                ("score", &pct(a.score, lang)),
                ("evidence", &pct(a.evidence_score, lang)),
            ],
        ),
    );
    if s.yes_without_evidence > 0 {
        ctx.doc.gap(2.0);
        ctx.doc.paragraph(
            style::SMALL.colour(colour::AMBER),
            &trf(
                lang,
                "spm.yes_without_evidence",
                &[("n", &s.yes_without_evidence.to_string())],
            ),
        );
    }

    if !s.principles.is_empty() {
        ctx.subheading(tr(lang, "spm.by_principle"), 120.0);
        let mut bars = Vec::new();
        for p in &s.principles {
            bars.push(Bar {
                label: format!("{} {}", p.code, p.name),
                value: p.score,
                colour: RAW,
                note: tr(lang, "spm.not_scored").to_string(),
            });
            bars.push(Bar {
                label: String::new(),
                value: p.evidence_score,
                colour: EVIDENCE,
                note: tr(lang, "spm.not_scored").to_string(),
            });
        }
        let row_h = 9.0;
        let h = row_h * bars.len() as f32 + 14.0 + 14.0;
        let raw_label = tr(lang, "spm.raw");
        let ev_label = tr(lang, "spm.evidence_aware");
        ctx.doc.block(h, |c, r| {
            let st = style::SMALL;
            let mut x = r.x;
            x += chart::legend(c, x, r.y, st, raw_label, |c, x, cy| {
                c.fill_rect(Rect::new(x, cy - 3.0, 10.0, 6.0), RAW)
            });
            chart::legend(c, x, r.y, st, ev_label, |c, x, cy| {
                c.fill_rect(Rect::new(x, cy - 3.0, 10.0, 6.0), EVIDENCE)
            });
            let fmt = |v: f64| pct(Some(v), lang);
            let scale = |v: f64, _d: usize| i18n::number(v, 0, lang);
            chart::hbars(
                c,
                Rect::new(r.x, r.y + 14.0, r.w, row_h * bars.len() as f32),
                &Bars {
                    bars: &bars,
                    reference: None,
                    thresholds: [None, None],
                    fmt: Some(&fmt),
                    scale: &scale,
                    label_w: 200.0,
                    row_h,
                },
            );
        });
    }

    if !s.dimensions.is_empty() {
        ctx.subheading(tr(lang, "spm.by_dimension"), 60.0);
        let cols = [
            Col::new(tr(lang, "spm.col.dimension"), 193.3, Align::Left),
            Col::new(tr(lang, "spm.col.practices"), 60.0, Align::Right),
            Col::new(tr(lang, "spm.col.gaps"), 60.0, Align::Right),
            Col::new(tr(lang, "spm.col.no_evidence"), 60.0, Align::Right),
            Col::new(tr(lang, "spm.raw"), 60.0, Align::Right),
            Col::new(tr(lang, "spm.evidence_aware"), 60.0, Align::Right),
        ];
        let rows = s
            .dimensions
            .iter()
            .map(|d| {
                Row::new(vec![
                    Cell::text(d.name.clone()),
                    Cell::text(d.practices.to_string()),
                    Cell::text((d.partial + d.no).to_string()),
                    Cell::text(d.yes_without_evidence.to_string()),
                    Cell::text(pct(d.score, lang)),
                    Cell::text(pct(d.evidence_score, lang)),
                ])
            })
            .collect();
        ctx.doc.table(&cols, rows, TableStyle::default());
    }
}

fn actions(ctx: &mut Ctx, s: &SpmSection) {
    let lang = ctx.lang;
    ctx.subheading(tr(lang, "spm.actions"), 60.0);
    if s.actions.is_empty() {
        ctx.doc.paragraph(style::SMALL, tr(lang, "spm.no_actions"));
        return;
    }
    ctx.doc.paragraph(
        style::SMALL,
        &trf(
            lang,
            "spm.actions_count",
            &[
                ("n", &s.actions.len().to_string()),
                ("overdue", &s.overdue.to_string()),
            ],
        ),
    );
    ctx.doc.gap(4.0);
    let cols = [
        Col::new(tr(lang, "spm.col.action"), 183.3, Align::Left),
        Col::new(tr(lang, "spm.col.owner"), 80.0, Align::Left),
        Col::new(tr(lang, "spm.col.due"), 70.0, Align::Left),
        Col::new(tr(lang, "spm.col.status"), 100.0, Align::Left),
        Col::new(tr(lang, "spm.col.practice"), 60.0, Align::Left),
    ];
    let red = style::BODY.size(8.0).colour(colour::RED);
    let rows = s
        .actions
        .iter()
        .map(|a| {
            let mut status = status_label(lang, a.status).to_string();
            let due = i18n::date(&a.due_date, lang);
            let cell = |t: String| {
                if a.overdue {
                    Cell::Styled(t, red)
                } else {
                    Cell::text(t)
                }
            };
            if a.overdue {
                status = trf(
                    lang,
                    "spm.overdue_days",
                    &[
                        ("status", &status),
                        ("n", &a.days_overdue.unwrap_or(0).to_string()),
                    ],
                );
            }
            Row::new(vec![
                cell(a.description.clone()),
                Cell::text(a.owner.clone()),
                cell(due),
                cell(status),
                Cell::text(a.practice.clone().unwrap_or_else(|| "—".to_string())),
            ])
        })
        .collect();
    ctx.doc.table(&cols, rows, TableStyle::default());
}

/// The alignment and decisions section: works-against cells, unsupported objectives and the
/// decision log with expected vs observed effects and before → after values.
pub fn render_decisions(ctx: &mut Ctx, bp: &BoardPack) {
    let Some(s) = bp.spm.as_ref() else {
        return;
    };
    let lang = ctx.lang;
    ctx.section(
        Section::Decisions.title(lang),
        Section::Decisions.mark(),
        Some(tr(lang, "decisions.intro")),
    );

    if !s.works_against.is_empty() {
        ctx.subheading(tr(lang, "decisions.works_against"), 60.0);
        let cols = [
            Col::new(tr(lang, "decisions.col.objective"), 163.3, Align::Left),
            Col::new(tr(lang, "decisions.col.process"), 110.0, Align::Left),
            Col::new(tr(lang, "decisions.col.evidence"), 220.0, Align::Left),
        ];
        let rows = s
            .works_against
            .iter()
            .map(|g| {
                let mut ev = if g.evidence.is_empty() {
                    "—".to_string()
                } else {
                    g.evidence.clone()
                };
                if let Some(a) = &g.action {
                    ev.push('\n');
                    ev.push_str(&trf(
                        lang,
                        "decisions.action",
                        &[("action", &a.description)],
                    ));
                }
                Row::new(vec![
                    Cell::text(g.title.clone()),
                    Cell::text(g.process_name.clone()),
                    Cell::text(ev),
                ])
            })
            .collect();
        ctx.doc.table(&cols, rows, TableStyle::default());
    }

    if !s.unsupported.is_empty() {
        ctx.subheading(tr(lang, "decisions.unsupported"), 40.0);
        for o in &s.unsupported {
            ctx.doc
                .paragraph(style::BODY.size(8.5), &format!("• {}", o.title));
        }
    }

    if s.decisions.is_empty() {
        return;
    }
    ctx.subheading(tr(lang, "decisions.log"), 80.0);
    for e in &s.decisions {
        let d = &e.decision;
        ctx.doc.heading(style::H3, &d.title, 60.0);
        let review = if d.reviewed {
            trf(
                lang,
                "decisions.reviewed",
                &[
                    (
                        "date",
                        &i18n::date(d.reviewed_on.as_deref().unwrap_or(""), lang),
                    ),
                    ("by", &d.reviewer),
                ],
            )
        } else if d.due_for_review {
            trf(
                lang,
                "decisions.due",
                &[("date", &i18n::date(&d.review_on, lang))],
            )
        } else {
            trf(
                lang,
                "decisions.pending",
                &[("date", &i18n::date(&d.review_on, lang))],
            )
        };
        let head = trf(
            lang,
            "decisions.meta",
            &[
                ("date", &i18n::date(&d.decided_on, lang)),
                ("by", &d.decided_by),
                ("review", &review),
            ],
        );
        let st = if d.due_for_review {
            style::SMALL.colour(colour::AMBER)
        } else {
            style::SMALL
        };
        ctx.doc.paragraph(st, &head);
        ctx.doc.gap(3.0);
        let dash = |t: &str| {
            if t.trim().is_empty() {
                "—".to_string()
            } else {
                t.to_string()
            }
        };
        let cols = [
            Col::new("", 90.0, Align::Left),
            Col::new(tr(lang, "decisions.col.expected"), 201.65, Align::Left),
            Col::new(tr(lang, "decisions.col.observed"), 201.65, Align::Left),
        ];
        let observed = |t: &str| {
            if d.reviewed {
                dash(t)
            } else {
                tr(lang, "decisions.not_reviewed").to_string()
            }
        };
        let rows = vec![
            Row::new(vec![
                Cell::Styled(
                    tr(lang, "decisions.social").to_string(),
                    style::BODY.size(8.0).bold(),
                ),
                Cell::text(dash(&d.expected_social)),
                Cell::text(observed(&d.observed_social)),
            ]),
            Row::new(vec![
                Cell::Styled(
                    tr(lang, "decisions.financial").to_string(),
                    style::BODY.size(8.0).bold(),
                ),
                Cell::text(dash(&d.expected_financial)),
                Cell::text(observed(&d.observed_financial)),
            ]),
        ];
        ctx.doc.table(&cols, rows, TableStyle::default());

        if !e.indicators.is_empty() && (d.reviewed || d.due_for_review) {
            ctx.doc.gap(3.0);
            let before_p = i18n::period(e.before_period, lang);
            let after_p = e
                .after_period
                .map(|p| i18n::period(p, lang))
                .unwrap_or_else(|| "—".to_string());
            let cols = [
                Col::new(tr(lang, "col.indicator"), 153.3, Align::Left),
                Col::new(tr(lang, "decisions.col.expected_move"), 70.0, Align::Left),
                Col::new(
                    trf(lang, "decisions.col.before", &[("period", &before_p)]),
                    90.0,
                    Align::Right,
                ),
                Col::new(
                    trf(lang, "decisions.col.after", &[("period", &after_p)]),
                    90.0,
                    Align::Right,
                ),
                Col::new(tr(lang, "decisions.col.observed_move"), 90.0, Align::Left),
            ];
            let rows = e
                .indicators
                .iter()
                .map(|i| {
                    let before = ctx.v(i.before.value, &i.unit);
                    let after = ctx.v(i.after.as_ref().and_then(|a| a.value), &i.unit);
                    let obs = match i.observed {
                        Some(m) => {
                            let mut t = movement_label(lang, m).to_string();
                            if let Some(ok) = i.as_expected {
                                t.push_str(if ok {
                                    tr(lang, "decisions.as_expected")
                                } else {
                                    tr(lang, "decisions.not_as_expected")
                                });
                            }
                            t
                        }
                        None => "—".to_string(),
                    };
                    Row::new(vec![
                        Cell::text(i.name.clone()),
                        Cell::text(movement_label(lang, i.expected)),
                        Cell::text(before),
                        Cell::text(after),
                        Cell::text(obs),
                    ])
                })
                .collect();
            ctx.doc.table(&cols, rows, TableStyle::default());
            if let Some(r) = &e.after_reason {
                ctx.doc.paragraph(style::TINY, r);
            }
        }
        ctx.doc.gap(8.0);
    }
}
