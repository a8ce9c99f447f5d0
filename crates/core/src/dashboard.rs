//! Objectives with their indicators' progress, RAG, trend and forecast — reds first. Built on
//! the engine: the same numbers as `indicators`, the PDF and the app.

use crate::engine::{Engine, IndicatorValue, Rag, Scope};
use crate::error::Result;
use crate::model::{Dimension, Direction, Language, Objective, Target};
use crate::period::{Month, Period};
use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

/// Number of periods in a trend (the current one included).
pub const TREND_LEN: i32 = 12;

/// Whether the objective's target will be met at its end date if the trend continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Outlook {
    OnTrack,
    AtRisk,
    OffTrack,
    Unknown,
}

impl Outlook {
    pub fn as_str(self) -> &'static str {
        match self {
            Outlook::OnTrack => "on_track",
            Outlook::AtRisk => "at_risk",
            Outlook::OffTrack => "off_track",
            Outlook::Unknown => "unknown",
        }
    }
    fn rank(self) -> u8 {
        match self {
            Outlook::OffTrack => 0,
            Outlook::AtRisk => 1,
            Outlook::Unknown => 2,
            Outlook::OnTrack => 3,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TrendPoint {
    pub period: Period,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct IndicatorProgress {
    #[serde(flatten)]
    pub current: IndicatorValue,
    pub baseline_value: Option<f64>,
    pub baseline_period: Option<String>,
    /// The next milestone: the earliest target ending at or after this period.
    pub target: Option<f64>,
    pub target_period: Option<String>,
    /// The last target of the objective.
    pub final_target: Option<f64>,
    pub final_target_period: Option<String>,
    /// (actual − baseline) / (final target − baseline) × 100.
    pub progress: Option<f64>,
    pub trend: Vec<TrendPoint>,
    /// Linear forecast at the objective's end.
    pub forecast: Option<f64>,
    pub forecast_period: Option<Period>,
    pub outlook: Outlook,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ObjectiveProgress {
    pub id: i64,
    pub title: String,
    pub practice: u8,
    pub dimension: Dimension,
    pub owner: String,
    pub start_date: String,
    pub end_date: String,
    /// Worst RAG of its indicators.
    pub status: Rag,
    /// Worst outlook of its indicators.
    pub outlook: Outlook,
    pub indicators: Vec<IndicatorProgress>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Dashboard {
    pub period: Period,
    pub scope: String,
    pub scope_label: String,
    pub objectives: Vec<ObjectiveProgress>,
}

fn parse_target_period(t: &Target) -> Option<Period> {
    Period::parse(&t.period).ok()
}

/// Targets that apply to a scope: a branch's own targets if it has any, else the
/// institution-wide ones.
fn targets_for<'t>(targets: &'t [Target], scope: &Scope) -> Vec<(&'t Target, Period)> {
    let pick = |branch: Option<&str>| -> Vec<(&'t Target, Period)> {
        targets
            .iter()
            .filter(|t| t.branch.as_deref() == branch)
            .filter_map(|t| parse_target_period(t).map(|p| (t, p)))
            .collect()
    };
    if let Scope::Branch(code) = scope {
        let own = pick(Some(code));
        if !own.is_empty() {
            return own;
        }
    }
    pick(None)
}

/// Least-squares line through (x, y); None with fewer than 3 points.
pub fn linear_fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = sxy / sxx;
    Some((slope, my - slope * mx))
}

/// On track when the forecast reaches the target; at risk when it falls short by at most a
/// quarter of the way from the baseline to the target; off track otherwise.
pub fn outlook(forecast: f64, target: f64, baseline: f64, direction: Direction) -> Outlook {
    let reached = match direction {
        Direction::Higher => forecast >= target,
        Direction::Lower => forecast <= target,
    };
    if reached {
        return Outlook::OnTrack;
    }
    let distance = (target - baseline).abs();
    let shortfall = (target - forecast).abs();
    let tolerance = if distance > 0.0 {
        0.25 * distance
    } else {
        0.1 * target.abs()
    };
    if shortfall <= tolerance {
        Outlook::AtRisk
    } else {
        Outlook::OffTrack
    }
}

fn month_of_date(d: &str) -> Option<Month> {
    let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    Month::new(date.year(), date.month()).ok()
}

pub fn dashboard(
    conn: &Connection,
    period: Period,
    scope: &Scope,
    lang: Option<Language>,
) -> Result<Dashboard> {
    let mut engine = Engine::new(conn)?;
    if let Some(l) = lang {
        engine = engine.with_language(l);
    }
    let sb = crate::engine::resolve_scope(conn, scope)?;
    let objectives: Vec<Objective> = crate::repo::objectives(conn, false)?;
    let all = crate::repo::indicators(conn)?;
    let mut codes: Vec<&str> = Vec::new();
    for o in &objectives {
        for l in &o.indicators {
            if !codes.contains(&l.indicator.as_str()) {
                codes.push(&l.indicator);
            }
        }
    }
    let mut compiled = Vec::new();
    for code in &codes {
        if let Some(ind) = all.iter().find(|i| i.code == *code) {
            compiled.push(engine.compile(ind)?);
        }
    }
    let periods: Vec<Period> = (0..TREND_LEN).rev().map(|k| period.shift(-k)).collect();
    let results = engine.compute(&sb, &compiled, &periods)?;
    let series = |code: &str| -> Option<&Vec<IndicatorValue>> {
        compiled
            .iter()
            .position(|c| c.ind.code == code)
            .map(|i| &results[i])
    };

    let mut out = Vec::new();
    for o in objectives {
        let end_period = month_of_date(&o.end_date).map(|m| Period::containing(period.kind(), m));
        let mut inds = Vec::new();
        for link in &o.indicators {
            let Some(s) = series(&link.indicator) else {
                continue;
            };
            let current = s[s.len() - 1].clone();
            let trend: Vec<TrendPoint> = s
                .iter()
                .map(|v| TrendPoint {
                    period: v.period,
                    value: v.value,
                })
                .collect();
            let ts = targets_for(&link.targets, scope);
            let end = period.last_month();
            let milestone = ts
                .iter()
                .filter(|(_, p)| p.last_month() >= end)
                .min_by_key(|(_, p)| p.last_month())
                .or_else(|| ts.iter().max_by_key(|(_, p)| p.last_month()));
            let final_t = ts.iter().max_by_key(|(_, p)| p.last_month());
            let progress = match (current.value, link.baseline_value, final_t) {
                (Some(a), Some(b), Some((t, _))) if t.value != b => {
                    Some((a - b) / (t.value - b) * 100.0)
                }
                _ => None,
            };
            let points: Vec<(f64, f64)> = trend
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.value.map(|v| (i as f64, v)))
                .collect();
            let fit = linear_fit(&points);
            let (forecast, forecast_period) = match (fit, end_period) {
                (Some((slope, icpt)), Some(ep)) => {
                    let steps = period.steps_to(&ep).max(0.0);
                    let x = (TREND_LEN - 1) as f64 + steps;
                    (
                        Some(slope * x + icpt),
                        Some(if steps > 0.0 { ep } else { period }),
                    )
                }
                _ => (None, None),
            };
            let out_look = match (forecast, final_t) {
                (Some(f), Some((t, _))) => {
                    let base = link.baseline_value.or_else(|| points.first().map(|p| p.1));
                    outlook(f, t.value, base.unwrap_or(f), current.direction)
                }
                _ => Outlook::Unknown,
            };
            inds.push(IndicatorProgress {
                baseline_value: link.baseline_value,
                baseline_period: link.baseline_period.clone(),
                target: milestone.map(|(t, _)| t.value),
                target_period: milestone.map(|(t, _)| t.period.clone()),
                final_target: final_t.map(|(t, _)| t.value),
                final_target_period: final_t.map(|(t, _)| t.period.clone()),
                progress,
                trend,
                forecast,
                forecast_period,
                outlook: out_look,
                current,
            });
        }
        inds.sort_by_key(|i| i.current.status.rank());
        let status = inds
            .iter()
            .map(|i| i.current.status)
            .min_by_key(|s| s.rank())
            .unwrap_or(Rag::Missing);
        let outlook = inds
            .iter()
            .map(|i| i.outlook)
            .min_by_key(|s| s.rank())
            .unwrap_or(Outlook::Unknown);
        out.push(ObjectiveProgress {
            id: o.id,
            title: o.title,
            practice: o.practice,
            dimension: o.dimension,
            owner: o.owner,
            start_date: o.start_date,
            end_date: o.end_date,
            status,
            outlook,
            indicators: inds,
        });
    }
    out.sort_by_key(|o| (o.status.rank(), o.outlook.rank(), o.id));
    Ok(Dashboard {
        period,
        scope: scope.to_string(),
        scope_label: sb.label,
        objectives: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_fit_recovers_a_line() {
        let pts: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        let (s, c) = linear_fit(&pts).expect("enough points");
        assert!(
            (s - 2.0).abs() < 1e-12 && (c - 1.0).abs() < 1e-12,
            "exact line y = 2x + 1"
        );
        assert!(
            linear_fit(&pts[..2]).is_none(),
            "two points are too few for a forecast"
        );
    }

    #[test]
    fn outlook_respects_direction() {
        assert_eq!(
            outlook(6.0, 5.0, 3.0, Direction::Higher),
            Outlook::OnTrack,
            "above a higher-is-better target"
        );
        assert_eq!(
            outlook(4.6, 5.0, 3.0, Direction::Higher),
            Outlook::AtRisk,
            "short by 0.4 of a 2-point climb"
        );
        assert_eq!(
            outlook(3.5, 5.0, 3.0, Direction::Higher),
            Outlook::OffTrack,
            "short by 1.5 of 2"
        );
        assert_eq!(
            outlook(2.0, 3.0, 6.0, Direction::Lower),
            Outlook::OnTrack,
            "below a lower-is-better target"
        );
        assert_eq!(
            outlook(5.5, 3.0, 6.0, Direction::Lower),
            Outlook::OffTrack,
            "barely moved toward 3"
        );
    }
}

/// An indicator tile: its value, 12-period trend, and the target of the objective that tracks
/// it (if any) — for the dashboard's tiles, social and financial side by side.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IndicatorTile {
    pub current: IndicatorValue,
    pub trend: Vec<TrendPoint>,
    /// The next milestone target of the first objective tracking this indicator.
    pub target: Option<f64>,
    pub target_period: Option<String>,
}

/// Every indicator of the catalogue as a tile, reds first.
pub fn tiles(
    conn: &Connection,
    period: Period,
    scope: &Scope,
    lang: Option<Language>,
) -> Result<Vec<IndicatorTile>> {
    let mut engine = Engine::new(conn)?;
    if let Some(l) = lang {
        engine = engine.with_language(l);
    }
    let sb = crate::engine::resolve_scope(conn, scope)?;
    let all = crate::repo::indicators(conn)?;
    let compiled = all
        .iter()
        .map(|i| engine.compile(i))
        .collect::<Result<Vec<_>>>()?;
    let periods: Vec<Period> = (0..TREND_LEN).rev().map(|k| period.shift(-k)).collect();
    let results = engine.compute(&sb, &compiled, &periods)?;
    let objectives = crate::repo::objectives(conn, false)?;
    let end = period.last_month();
    let mut out: Vec<IndicatorTile> = results
        .into_iter()
        .map(|series| {
            let current = series[series.len() - 1].clone();
            let trend = series
                .iter()
                .map(|v| TrendPoint {
                    period: v.period,
                    value: v.value,
                })
                .collect();
            let link = objectives
                .iter()
                .flat_map(|o| o.indicators.iter())
                .find(|l| l.indicator == current.code);
            let (target, target_period) = link
                .map(|l| {
                    let ts = targets_for(&l.targets, scope);
                    let m = ts
                        .iter()
                        .filter(|(_, p)| p.last_month() >= end)
                        .min_by_key(|(_, p)| p.last_month())
                        .or_else(|| ts.iter().max_by_key(|(_, p)| p.last_month()));
                    (m.map(|(t, _)| t.value), m.map(|(t, _)| t.period.clone()))
                })
                .unwrap_or((None, None));
            IndicatorTile {
                current,
                trend,
                target,
                target_period,
            }
        })
        .collect();
    out.sort_by_key(|t| t.current.status.rank());
    Ok(out)
}
