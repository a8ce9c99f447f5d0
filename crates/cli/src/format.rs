//! Human-readable output of the CLI (tables), and the stable JSON shape of `indicators`.

use mizani_core::dashboard::{Dashboard, Outlook};
use mizani_core::engine::{IndicatorValue, Rag, Scope};
use mizani_core::model::{Branch, DataElement, Indicator, Language, Objective};
use mizani_core::period::Period;
use serde::Serialize;

/// The documented JSON of `mizani indicators --json`: exactly these keys.
#[derive(Serialize)]
pub struct IndicatorJson {
    pub code: String,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub unit: String,
    pub status: Rag,
    pub reported: u32,
    pub expected: u32,
    pub formula_version: i64,
    pub reason: Option<String>,
}

impl From<&IndicatorValue> for IndicatorJson {
    fn from(v: &IndicatorValue) -> Self {
        IndicatorJson {
            code: v.code.clone(),
            value: v.value,
            numerator: v.numerator,
            denominator: v.denominator,
            unit: v.unit.clone(),
            status: v.status,
            reported: v.reported,
            expected: v.expected,
            formula_version: v.formula_version,
            reason: v.reason.clone(),
        }
    }
}

/// Groups thousands with a space: 1 234 567.
fn group(int: u64) -> String {
    let s = int.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

pub fn number(v: f64, decimals: usize) -> String {
    let neg = v < 0.0;
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    if neg && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    out.push_str(&group(int.parse().unwrap_or(0)));
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

pub fn value_with_unit(v: Option<f64>, unit: &str, currency: &str) -> String {
    match v {
        None => "—".to_string(),
        Some(x) => match unit {
            "%" => format!("{} %", number(x, 2)),
            "currency" => format!("{} {currency}", number(x, 0)),
            "count" => number(x, 0),
            _ => number(x, 1),
        },
    }
}

fn rag_label(r: Rag) -> &'static str {
    match r {
        Rag::Red => "RED",
        Rag::Amber => "AMBER",
        Rag::Green => "green",
        Rag::NoThreshold => "-",
        Rag::Missing => "missing",
    }
}

fn outlook_label(o: Outlook) -> &'static str {
    match o {
        Outlook::OnTrack => "on track",
        Outlook::AtRisk => "at risk",
        Outlook::OffTrack => "OFF TRACK",
        Outlook::Unknown => "unknown",
    }
}

/// Prints rows as aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let n = header.len();
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = w[i].saturating_sub(c.chars().count());
                if i + 1 == n {
                    c.clone()
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        outln!("{}", parts.join("  ").trim_end());
    };
    line(header.iter().map(|s| s.to_string()).collect());
    line(w.iter().map(|&x| "-".repeat(x)).collect());
    for r in rows {
        line(r.clone());
    }
}

pub fn branches(bs: &[Branch]) {
    let rows: Vec<Vec<String>> = bs
        .iter()
        .map(|b| {
            vec![
                b.code.clone(),
                b.name.clone(),
                b.region.clone().unwrap_or_default(),
                if b.active {
                    "active".into()
                } else {
                    "closed".into()
                },
            ]
        })
        .collect();
    table(&["code", "name", "region", "status"], &rows);
}

pub fn elements(es: &[DataElement]) {
    let rows: Vec<Vec<String>> = es
        .iter()
        .map(|e| {
            vec![
                e.code.clone(),
                e.kind.to_string(),
                e.unit.to_string(),
                e.name.en.clone(),
            ]
        })
        .collect();
    table(&["code", "kind", "unit", "name"], &rows);
}

pub fn catalogue(inds: &[Indicator], lang: Language) {
    let rows: Vec<Vec<String>> = inds
        .iter()
        .map(|i| {
            vec![
                i.code.clone(),
                i.name.get(lang).to_string(),
                format!(
                    "({}) / ({}) × {}{}",
                    i.numerator,
                    i.denominator,
                    i.factor,
                    if i.annualise { ", annualised" } else { "" }
                ),
                format!("v{}", i.formula_version),
            ]
        })
        .collect();
    table(&["code", "name", "formula", "version"], &rows);
}

pub fn indicators(vals: &[IndicatorValue], period: Period, scope: &Scope, currency: &str) {
    outln!("Indicators for {period}, scope {scope}\n");
    let rows: Vec<Vec<String>> = vals
        .iter()
        .map(|v| {
            vec![
                v.code.clone(),
                value_with_unit(v.value, &v.unit, currency),
                rag_label(v.status).to_string(),
                format!("{}/{}", v.reported, v.expected),
                format!("v{}", v.formula_version),
                v.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "indicator",
            "value",
            "status",
            "reported",
            "formula",
            "note",
        ],
        &rows,
    );
}

pub fn explain(v: &IndicatorValue) {
    outln!("{} — {} ({})", v.code, v.name, v.period);
    outln!(
        "formula v{}: ({}) / ({}) × {}{}",
        v.formula_version,
        v.numerator_formula,
        v.denominator_formula,
        v.factor,
        if v.annualised {
            " × 12 / months (annualised)"
        } else {
            ""
        }
    );
    outln!(
        "numerator {}, denominator {}, value {}",
        v.numerator
            .map(|x| number(x, 2))
            .unwrap_or_else(|| "—".into()),
        v.denominator
            .map(|x| number(x, 2))
            .unwrap_or_else(|| "—".into()),
        v.value.map(|x| number(x, 4)).unwrap_or_else(|| "—".into())
    );
    if let Some(r) = &v.reason {
        outln!("no value: {r}");
    }
    outln!("{} of {} branches reported\n", v.reported, v.expected);
    let rows: Vec<Vec<String>> = v
        .contributions
        .iter()
        .map(|c| {
            vec![
                c.branch.clone(),
                c.numerator
                    .map(|x| number(x, 2))
                    .unwrap_or_else(|| "—".into()),
                c.denominator
                    .map(|x| number(x, 2))
                    .unwrap_or_else(|| "—".into()),
                c.value.map(|x| number(x, 2)).unwrap_or_else(|| "—".into()),
                if c.missing.is_empty() {
                    String::new()
                } else {
                    format!("missing: {}", c.missing.join(", "))
                },
            ]
        })
        .collect();
    table(
        &["branch", "numerator", "denominator", "value", "note"],
        &rows,
    );
}

pub fn objectives(os: &[Objective]) {
    for o in os {
        outln!(
            "#{} {}{}\n   practice {} · {} · owner: {} · {} → {}",
            o.id,
            o.title,
            if o.archived { " (archived)" } else { "" },
            o.practice,
            o.dimension,
            if o.owner.is_empty() { "—" } else { &o.owner },
            o.start_date,
            o.end_date
        );
        for a in &o.activities {
            outln!("   • {a}");
        }
        for l in &o.indicators {
            let base = match (&l.baseline_value, &l.baseline_period) {
                (Some(v), Some(p)) => format!("baseline {} ({p})", number(*v, 2)),
                (Some(v), None) => format!("baseline {}", number(*v, 2)),
                _ => "no baseline".into(),
            };
            let targets: Vec<String> = l
                .targets
                .iter()
                .map(|t| {
                    format!(
                        "{}{} by {}",
                        number(t.value, 2),
                        t.branch
                            .as_deref()
                            .map(|b| format!(" at {b}"))
                            .unwrap_or_default(),
                        t.period
                    )
                })
                .collect();
            outln!(
                "   {}: {base}; targets: {}",
                l.indicator,
                if targets.is_empty() {
                    "none".into()
                } else {
                    targets.join(", ")
                }
            );
        }
        outln!();
    }
    if os.is_empty() {
        outln!("No objectives yet: add one with `mizani objective add`.");
    }
}

fn sparkline(vals: &[Option<f64>]) -> String {
    let bars = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let known: Vec<f64> = vals.iter().flatten().copied().collect();
    let (lo, hi) = known
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    vals.iter()
        .map(|v| match v {
            None => '·',
            Some(x) if hi > lo => bars[(((x - lo) / (hi - lo)) * 7.0).round() as usize],
            Some(_) => bars[3],
        })
        .collect()
}

pub fn dashboard(d: &Dashboard, currency: &str) {
    outln!("Dashboard {} — {} ({})\n", d.period, d.scope_label, d.scope);
    for o in &d.objectives {
        outln!(
            "[{}] {} — practice {}, {}; outlook {}",
            rag_label(o.status),
            o.title,
            o.practice,
            o.dimension,
            outlook_label(o.outlook)
        );
        let rows: Vec<Vec<String>> = o
            .indicators
            .iter()
            .map(|i| {
                let c = &i.current;
                vec![
                    format!("  {}", c.code),
                    value_with_unit(c.value, &c.unit, currency),
                    rag_label(c.status).to_string(),
                    i.target
                        .map(|t| {
                            format!(
                                "{} ({})",
                                value_with_unit(Some(t), &c.unit, currency),
                                i.target_period.clone().unwrap_or_default()
                            )
                        })
                        .unwrap_or_else(|| "—".into()),
                    i.progress
                        .map(|p| format!("{} %", number(p, 0)))
                        .unwrap_or_else(|| "—".into()),
                    sparkline(&i.trend.iter().map(|t| t.value).collect::<Vec<_>>()),
                    i.forecast
                        .map(|f| value_with_unit(Some(f), &c.unit, currency))
                        .unwrap_or_else(|| "—".into()),
                    outlook_label(i.outlook).to_string(),
                    format!("{}/{}", c.reported, c.expected),
                ]
            })
            .collect();
        table(
            &[
                "  indicator",
                "value",
                "RAG",
                "target",
                "progress",
                "trend (12)",
                "forecast",
                "outlook",
                "reported",
            ],
            &rows,
        );
        outln!();
    }
    if d.objectives.is_empty() {
        outln!("No objectives yet: add one with `mizani objective add`.");
    }
}
