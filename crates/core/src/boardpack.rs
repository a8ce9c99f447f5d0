//! Read-models of the board pack and of the branch one-pager: everything the PDF shows,
//! computed by the same engine as the dashboard and the CLI (one source of truth). The
//! renderer (crates/report) only lays these out.

use crate::dashboard::{self, IndicatorTile, ObjectiveProgress};
use crate::engine::{self, Engine, Rag, Scope};
use crate::entry::Completeness;
use crate::error::{CoreError, ErrorCode, Result};
use crate::model::{Branch, Direction, Indicator, Language, Organisation};
use crate::period::Period;
use crate::store::Store;
use serde::Serialize;
use ts_rs::TS;

/// One branch's bar in a comparison chart.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BranchBar {
    pub branch: String,
    pub name: String,
    pub region: Option<String>,
    pub value: Option<f64>,
    /// Elements the branch did not report (its bar is then missing, never 0).
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BranchComparison {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub green: Option<f64>,
    pub red: Option<f64>,
    /// The value of the whole scope (sum/sum), drawn as the reference line.
    pub scope_value: Option<f64>,
    pub bars: Vec<BranchBar>,
}

/// The region that moved an indicator most in the unfavourable direction.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Driver {
    pub region: String,
    pub previous: Option<f64>,
    pub current: Option<f64>,
}

/// A fact the summary turns into a sentence ("PAR30 rose from 3.1 % to 5.4 %, above the 5 %
/// threshold, driven by the North region").
#[derive(Debug, Clone, Serialize, TS)]
pub struct NarrativeFact {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub status: Rag,
    pub previous_period: Period,
    pub previous: Option<f64>,
    pub current: Option<f64>,
    /// True when the change goes the wrong way for the indicator's direction.
    pub worse: bool,
    /// The red threshold when the value is past it, else the green threshold when it is
    /// short of it.
    pub threshold: Option<f64>,
    pub driver: Option<Driver>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CommentRow {
    pub branch: String,
    pub month: String,
    pub element: String,
    pub element_name: String,
    pub value: f64,
    pub comment: String,
    pub entered_by: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BoardPack {
    pub org: Organisation,
    pub period: Period,
    pub previous_period: Period,
    pub scope: String,
    pub scope_label: String,
    pub lang: Language,
    /// Date of generation, `YYYY-MM-DD`.
    pub generated_on: String,
    /// About ten key figures (objectives' indicators first), reds first.
    pub key_figures: Vec<IndicatorTile>,
    /// Every indicator, reds first.
    pub tiles: Vec<IndicatorTile>,
    pub objectives: Vec<ObjectiveProgress>,
    pub comparisons: Vec<BranchComparison>,
    /// Values entered per branch and month of the period.
    pub completeness: Completeness,
    /// Every indicator's formula and version (appendix).
    pub indicators: Vec<Indicator>,
    /// Comments entered with the period's figures (appendix).
    pub comments: Vec<CommentRow>,
    pub narrative: Vec<NarrativeFact>,
    /// Practices 2, 4 and 5 (client protection, alignment, decisions); `None` when there is
    /// no assessment, no action, no rated alignment cell and no decision.
    pub spm: Option<SpmSection>,
}

/// What the board pack shows about practices 2, 4 and 5.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SpmSection {
    /// The date "overdue" and "due for review" were computed for, `YYYY-MM-DD`.
    pub today: String,
    /// The latest self-assessment, if any.
    pub assessment: Option<crate::spm::AssessmentSummary>,
    /// The latest assessment's scores by client-protection principle (raw and evidence-aware,
    /// in %; `None` when nothing applicable was answered).
    pub principles: Vec<crate::spm::GroupScore>,
    /// The latest assessment's scores by dimension.
    pub dimensions: Vec<crate::spm::GroupScore>,
    /// Practices answered "yes" without evidence in the latest assessment.
    pub yes_without_evidence: u32,
    /// Open and in-progress actions, overdue ones first (`overdue`, `days_overdue`).
    pub actions: Vec<crate::spm::Action>,
    /// How many of `actions` are overdue.
    pub overdue: u32,
    /// Processes that work against an objective.
    pub works_against: Vec<crate::spm::AlignmentGap>,
    /// Objectives no process supports (only once the matrix has been filled in).
    pub unsupported: Vec<crate::spm::ObjectiveRef>,
    /// Decisions with their expected effects and, when reviewed or due, the linked
    /// indicators before and after.
    pub decisions: Vec<crate::spm::DecisionEffects>,
}

impl SpmSection {
    /// Whether there is anything for the client-protection section.
    pub fn has_client_protection(&self) -> bool {
        self.assessment.is_some() || !self.actions.is_empty()
    }

    /// Whether there is anything for the alignment and decisions section.
    pub fn has_decisions(&self) -> bool {
        !self.works_against.is_empty() || !self.unsupported.is_empty() || !self.decisions.is_empty()
    }
}

/// The practices 2, 4 and 5 part of the board pack, as of `today` (`None`: the local date).
pub fn spm_section(
    store: &Store,
    lang: Language,
    today: Option<&str>,
) -> Result<Option<SpmSection>> {
    use crate::spm;
    let today = spm::resolve_today(today)?;
    let latest = spm::assessment_list(store)?.into_iter().next();
    let (principles, dimensions, yes_without_evidence) = match &latest {
        Some(a) => {
            let sc = spm::assessment_score(store, a.id, Some(lang))?;
            (
                sc.principles,
                sc.dimensions,
                sc.overall.yes_without_evidence,
            )
        }
        None => (Vec::new(), Vec::new(), 0),
    };
    let actions: Vec<spm::Action> =
        spm::action_list(store, &spm::ActionFilter::default(), Some(&today))?
            .into_iter()
            .filter(|a| a.status.is_active())
            .collect();
    let overdue = actions.iter().filter(|a| a.overdue).count() as u32;
    let m = spm::alignment_get(store, Some(lang))?;
    let rated = m
        .objectives
        .iter()
        .any(|r| r.supports + r.neutral + r.works_against > 0);
    let unsupported = if rated { m.unsupported } else { Vec::new() };
    let mut decisions = Vec::new();
    for d in spm::decision_list(store, false, Some(&today), Some(lang))? {
        decisions.push(spm::decision_get(store, d.id, Some(&today), Some(lang))?);
    }
    let s = SpmSection {
        today,
        assessment: latest,
        principles,
        dimensions,
        yes_without_evidence,
        actions,
        overdue,
        works_against: m.works_against,
        unsupported,
        decisions,
    };
    Ok((s.has_client_protection() || s.has_decisions()).then_some(s))
}

/// A branch against its targets and the institution.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BranchLine {
    pub tile: IndicatorTile,
    /// The same indicator for the whole institution.
    pub institution: Option<f64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BranchPage {
    pub org: Organisation,
    pub period: Period,
    pub branch: Branch,
    pub lang: Language,
    pub generated_on: String,
    pub lines: Vec<BranchLine>,
    pub objectives: Vec<ObjectiveProgress>,
    /// Values entered per month of the period for this branch, of `elements`.
    pub filled: Vec<u32>,
    pub months: Vec<String>,
    pub elements: u32,
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Refuses a period without a single value in the scope (a report of blanks helps nobody).
fn ensure_data(store: &Store, period: Period, sb: &engine::ScopeBranches) -> Result<()> {
    let ids: Vec<String> = sb.branches.iter().map(|(id, _)| id.to_string()).collect();
    if ids.is_empty() {
        return Err(CoreError::invalid(format!(
            "{} has no active branch",
            sb.label
        )));
    }
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM measurement WHERE month BETWEEN ?1 AND ?2 AND branch_id IN ({}))",
        ids.join(",")
    );
    let any: bool =
        store
            .conn()
            .query_row(&sql, [period.first_month().0, period.last_month().0], |r| {
                r.get(0)
            })?;
    if !any {
        return Err(CoreError::new(
            ErrorCode::NotFound,
            format!(
                "there is no data for {period} in {}: choose another period",
                sb.label
            ),
        )
        .on_field("period"));
    }
    Ok(())
}

fn months_of(period: Period) -> (String, u32) {
    (period.last_month().to_string(), period.months())
}

fn comments(
    store: &Store,
    period: Period,
    sb: &engine::ScopeBranches,
    lang: Language,
) -> Result<Vec<CommentRow>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT b.id, b.code, m.month, e.code, e.name, e.name_fr, e.name_es, m.value, m.comment, m.entered_by
         FROM measurement m JOIN branch b ON b.id = m.branch_id JOIN data_element e ON e.id = m.element_id
         WHERE m.comment IS NOT NULL AND m.month BETWEEN ?1 AND ?2
         ORDER BY b.code, m.month, e.id",
    )?;
    let rows = stmt.query_map([period.first_month().0, period.last_month().0], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i32>(2)?,
            r.get::<_, String>(3)?,
            crate::model::Names {
                en: r.get(4)?,
                fr: r.get(5)?,
                es: r.get(6)?,
            },
            r.get::<_, f64>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, String>(9)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (bid, branch, month, element, names, value, comment, by) = row?;
        if sb.branches.iter().any(|(id, _)| *id == bid) {
            out.push(CommentRow {
                branch,
                month: crate::period::Month(month).to_string(),
                element,
                element_name: names.get(lang).to_string(),
                value,
                comment,
                entered_by: by,
            });
        }
    }
    Ok(out)
}

fn worse(direction: Direction, from: f64, to: f64) -> bool {
    match direction {
        Direction::Higher => to < from,
        Direction::Lower => to > from,
    }
}

/// Builds the board pack for a period and scope, in `lang`.
pub fn board_pack(
    store: &Store,
    period: Period,
    scope: &Scope,
    lang: Language,
) -> Result<BoardPack> {
    board_pack_as_of(store, period, scope, lang, None)
}

/// [`board_pack`] with overdue actions and decisions due computed as of `today` (`None`:
/// the local date).
pub fn board_pack_as_of(
    store: &Store,
    period: Period,
    scope: &Scope,
    lang: Language,
    as_of: Option<&str>,
) -> Result<BoardPack> {
    let conn = store.conn();
    let org = crate::repo::organisation(conn)?;
    let sb = engine::resolve_scope(conn, scope)?;
    ensure_data(store, period, &sb)?;
    let tiles = dashboard::tiles(conn, period, scope, Some(lang))?;
    let dash = dashboard::dashboard(conn, period, scope, Some(lang))?;

    // Key figures: the objectives' indicators first, then the others; about ten, reds first.
    let mut key_codes: Vec<String> = Vec::new();
    for o in &dash.objectives {
        for i in &o.indicators {
            if !key_codes.contains(&i.current.code) {
                key_codes.push(i.current.code.clone());
            }
        }
    }
    for t in &tiles {
        if key_codes.len() >= 10 {
            break;
        }
        if !key_codes.contains(&t.current.code) {
            key_codes.push(t.current.code.clone());
        }
    }
    key_codes.truncate(12);
    let mut key_figures: Vec<IndicatorTile> = tiles
        .iter()
        .filter(|t| key_codes.contains(&t.current.code))
        .cloned()
        .collect();
    key_figures.sort_by_key(|t| t.current.status.rank());

    let engine = Engine::new(conn)?.with_language(lang);
    let all = crate::repo::indicators(conn)?;

    // Branch comparisons of up to eight key indicators (reds first).
    let comp_scope = match scope {
        Scope::Branch(_) => Scope::Org,
        s => s.clone(),
    };
    let comp_sb = engine::resolve_scope(conn, &comp_scope)?;
    let branches = crate::repo::branches(conn)?;
    let mut comparisons = Vec::new();
    for t in key_figures.iter().take(8) {
        let Some(ind) = all.iter().find(|i| i.code == t.current.code) else {
            continue;
        };
        let v = engine.explain(&comp_sb, &engine.compile(ind)?, period)?;
        let mut bars: Vec<BranchBar> = v
            .contributions
            .iter()
            .map(|c| {
                let b = branches.iter().find(|b| b.code == c.branch);
                BranchBar {
                    branch: c.branch.clone(),
                    name: b.map(|b| b.name.clone()).unwrap_or_default(),
                    region: b.and_then(|b| b.region.clone()),
                    value: c.value,
                    missing: c.missing.clone(),
                }
            })
            .collect();
        bars.sort_by(|a, b| match (a.value, b.value) {
            (Some(x), Some(y)) => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            _ => a.branch.cmp(&b.branch),
        });
        comparisons.push(BranchComparison {
            code: ind.code.clone(),
            name: ind.name.get(lang).to_string(),
            unit: ind.unit.clone(),
            direction: ind.direction,
            green: ind.green,
            red: ind.red,
            scope_value: v.value,
            bars,
        });
    }

    // Narrative: reds and ambers, and big movers, with the region that drove them.
    let previous_period = period.shift(-1);
    let regions: Vec<engine::ScopeBranches> = if *scope == Scope::Org {
        crate::repo::regions(conn)?
            .into_iter()
            .map(|r| engine::resolve_scope(conn, &Scope::Region(r.name)))
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let mut narrative = Vec::new();
    for t in &tiles {
        let cur = t.current.value;
        let prev = t.trend.iter().rev().nth(1).and_then(|p| p.value);
        let ind = all.iter().find(|i| i.code == t.current.code);
        let (Some(c), Some(p), Some(ind)) = (cur, prev, ind) else {
            continue;
        };
        let moved = p != 0.0 && ((c - p) / p).abs() > 0.10;
        let flagged = matches!(t.current.status, Rag::Red | Rag::Amber);
        if !(flagged || moved) {
            continue;
        }
        let threshold = match t.current.status {
            Rag::Red => ind.red,
            Rag::Amber => ind.green,
            _ => None,
        };
        let is_worse = worse(ind.direction, p, c);
        let mut driver = None;
        if is_worse && !regions.is_empty() {
            let compiled = engine.compile(ind)?;
            let mut best: Option<(f64, Driver)> = None;
            for r in &regions {
                let vals = engine.compute(
                    r,
                    std::slice::from_ref(&compiled),
                    &[previous_period, period],
                )?;
                let (rp, rc) = (vals[0][0].value, vals[0][1].value);
                if let (Some(a), Some(b)) = (rp, rc) {
                    let adverse = match ind.direction {
                        Direction::Higher => a - b,
                        Direction::Lower => b - a,
                    };
                    if adverse > 0.0 && best.as_ref().is_none_or(|(x, _)| adverse > *x) {
                        best = Some((
                            adverse,
                            Driver {
                                region: r.label.clone(),
                                previous: rp,
                                current: rc,
                            },
                        ));
                    }
                }
            }
            driver = best.map(|b| b.1);
        }
        narrative.push(NarrativeFact {
            code: ind.code.clone(),
            name: ind.name.get(lang).to_string(),
            unit: ind.unit.clone(),
            status: t.current.status,
            previous_period,
            previous: Some(p),
            current: Some(c),
            worse: is_worse,
            threshold,
            driver,
        });
    }
    narrative.sort_by_key(|f| (f.status.rank(), !f.worse));
    narrative.truncate(5);

    let (last, n) = months_of(period);
    let mut completeness = crate::entry::completeness(store, &last, n)?;
    completeness
        .rows
        .retain(|r| sb.branches.iter().any(|(_, c)| *c == r.branch));

    Ok(BoardPack {
        org,
        period,
        previous_period,
        scope: scope.to_string(),
        scope_label: sb.label.clone(),
        lang,
        generated_on: today(),
        key_figures,
        tiles,
        objectives: dash.objectives,
        comparisons,
        completeness,
        indicators: all,
        comments: comments(store, period, &sb, lang)?,
        narrative,
        spm: spm_section(store, lang, as_of)?,
    })
}

/// Builds the one-pager of a branch: its indicators against its targets and the institution.
pub fn branch_page(
    store: &Store,
    period: Period,
    branch: &str,
    lang: Language,
) -> Result<BranchPage> {
    let conn = store.conn();
    let org = crate::repo::organisation(conn)?;
    let scope = Scope::Branch(branch.to_string());
    let sb = engine::resolve_scope(conn, &scope)?;
    ensure_data(store, period, &sb)?;
    let b = crate::repo::branches(conn)?
        .into_iter()
        .find(|b| b.code == branch)
        .ok_or_else(|| CoreError::not_found(format!("there is no branch '{branch}'")))?;
    let tiles = dashboard::tiles(conn, period, &scope, Some(lang))?;
    let org_vals = crate::api::indicators(store, period, &Scope::Org, Some(lang))?;
    let lines = tiles
        .into_iter()
        .map(|t| {
            let institution = org_vals
                .iter()
                .find(|v| v.code == t.current.code)
                .and_then(|v| v.value);
            BranchLine {
                tile: t,
                institution,
            }
        })
        .collect();
    let dash = dashboard::dashboard(conn, period, &scope, Some(lang))?;
    let (last, n) = months_of(period);
    let comp = crate::entry::completeness(store, &last, n)?;
    let filled = comp
        .rows
        .iter()
        .find(|r| r.branch == branch)
        .map(|r| r.counts.clone())
        .unwrap_or_else(|| vec![0; n as usize]);
    Ok(BranchPage {
        org,
        period,
        branch: b,
        lang,
        generated_on: today(),
        lines,
        objectives: dash.objectives,
        filled,
        months: comp.months,
        elements: comp.elements,
    })
}
