//! The indicator engine: one source of truth for every number Mizani shows.
//!
//! For a scope (organisation, region or branch) and a period (month, quarter, year):
//! 1. each data element is taken per branch for the period — a stock at the period's last
//!    month, a flow summed over its months, `opening(x)` at the month before, `avg(x)` as
//!    (opening + closing) / 2;
//! 2. a branch lacking any value the indicator needs is left out of BOTH numerator and
//!    denominator (completeness says how many reported);
//! 3. the elements are summed over the reporting branches, then numerator and denominator are
//!    evaluated: value = num / den × factor (× 12 / months when annualised). Ratios therefore
//!    aggregate as sum(num) / sum(den), never as an average of branch ratios;
//! 4. no reporting branch, a zero denominator or a missing institution value give no value and
//!    a reason — never 0.

use crate::error::{CoreError, Result};
use crate::expr::{Access, EvalIssue, Expr};
use crate::model::{Category, Direction, ElementKind, Indicator, Language};
use crate::period::{Month, Period};
use rusqlite::Connection;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use ts_rs::TS;

/// Where an indicator is computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Org,
    Region(String),
    Branch(String),
}

impl Scope {
    /// `org`, `region:NAME` or `branch:CODE`.
    pub fn parse(s: &str) -> Result<Scope> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("org") || t.is_empty() {
            return Ok(Scope::Org);
        }
        if let Some((kind, name)) = t.split_once(':') {
            let name = name.trim();
            if !name.is_empty() {
                if kind.eq_ignore_ascii_case("region") {
                    return Ok(Scope::Region(name.to_string()));
                }
                if kind.eq_ignore_ascii_case("branch") {
                    return Ok(Scope::Branch(name.to_string()));
                }
            }
        }
        Err(CoreError::invalid(format!(
            "scope '{s}' is not valid: use org, region:NAME or branch:CODE"
        )))
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Org => write!(f, "org"),
            Scope::Region(n) => write!(f, "region:{n}"),
            Scope::Branch(c) => write!(f, "branch:{c}"),
        }
    }
}

/// The branches a scope covers (the active ones; a branch scope names its branch).
#[derive(Debug, Clone)]
pub struct ScopeBranches {
    pub scope: Scope,
    pub label: String,
    /// (branch id, branch code)
    pub branches: Vec<(i64, String)>,
}

pub fn resolve_scope(conn: &Connection, scope: &Scope) -> Result<ScopeBranches> {
    let (label, sql, arg): (String, &str, Option<String>) = match scope {
        Scope::Org => (
            crate::repo::organisation(conn)?.name,
            "SELECT id, code FROM branch WHERE active = 1 ORDER BY code",
            None,
        ),
        Scope::Region(name) => {
            let found: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
                "SELECT name FROM region WHERE name = ?1 COLLATE NOCASE",
                [name],
                |r| r.get(0),
            ))?;
            let Some(found) = found else {
                let known: Vec<String> = crate::repo::regions(conn)?
                    .into_iter()
                    .map(|r| r.name)
                    .collect();
                return Err(CoreError::not_found(format!(
                    "there is no region '{name}' (regions: {})",
                    if known.is_empty() {
                        "none yet".into()
                    } else {
                        known.join(", ")
                    }
                )));
            };
            (
                found.clone(),
                "SELECT b.id, b.code FROM branch b JOIN region r ON r.id = b.region_id WHERE b.active = 1 AND r.name = ?1 COLLATE NOCASE ORDER BY b.code",
                Some(found),
            )
        }
        Scope::Branch(code) => (
            code.clone(),
            "SELECT id, code FROM branch WHERE code = ?1",
            Some(code.clone()),
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let params: Vec<&dyn rusqlite::ToSql> = match &arg {
        Some(a) => vec![a],
        None => vec![],
    };
    let branches: Vec<(i64, String)> = stmt
        .query_map(params.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if let Scope::Branch(code) = scope {
        if branches.is_empty() {
            return Err(CoreError::not_found(format!(
                "there is no branch '{code}' (see `mizani branch list`)"
            )));
        }
    }
    Ok(ScopeBranches {
        scope: scope.clone(),
        label,
        branches,
    })
}

/// Red / amber / green from thresholds and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    Red,
    Amber,
    Green,
    /// The indicator has no thresholds.
    NoThreshold,
    /// There is no value.
    Missing,
}

impl Rag {
    /// Sort key: reds first.
    pub fn rank(self) -> u8 {
        match self {
            Rag::Red => 0,
            Rag::Amber => 1,
            Rag::Missing => 2,
            Rag::NoThreshold => 3,
            Rag::Green => 4,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Rag::Red => "red",
            Rag::Amber => "amber",
            Rag::Green => "green",
            Rag::NoThreshold => "no_threshold",
            Rag::Missing => "missing",
        }
    }
}

pub fn rag(value: Option<f64>, direction: Direction, green: Option<f64>, red: Option<f64>) -> Rag {
    let Some(v) = value else { return Rag::Missing };
    if green.is_none() && red.is_none() {
        return Rag::NoThreshold;
    }
    let (is_green, is_red) = match direction {
        Direction::Higher => (green.is_some_and(|g| v >= g), red.is_some_and(|r| v < r)),
        Direction::Lower => (green.is_some_and(|g| v <= g), red.is_some_and(|r| v > r)),
    };
    if is_red {
        Rag::Red
    } else if is_green {
        Rag::Green
    } else {
        Rag::Amber
    }
}

/// Why a value is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    NoBranches,
    NoData,
    ZeroDenominator,
    MissingGniPerCapita,
}

/// One branch's share of an aggregated indicator.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BranchContribution {
    pub branch: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    /// Elements the branch lacks for the period (empty when it reported).
    pub missing: Vec<String>,
}

/// An indicator's value for one scope and period, with everything needed to explain it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IndicatorValue {
    pub code: String,
    pub name: String,
    pub category: Category,
    pub period: Period,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub factor: f64,
    pub annualised: bool,
    pub unit: String,
    pub direction: Direction,
    pub status: Rag,
    pub reported: u32,
    pub expected: u32,
    pub formula_version: i64,
    pub numerator_formula: String,
    pub denominator_formula: String,
    pub reason: Option<String>,
    pub reason_code: Option<ReasonCode>,
    /// Branches of the scope left out because they lack data.
    pub missing_branches: Vec<String>,
    /// Per-branch detail; filled only by [`Engine::explain`].
    pub contributions: Vec<BranchContribution>,
}

#[derive(Debug, Clone)]
struct ElementInfo {
    id: i64,
    kind: ElementKind,
}

/// An indicator ready to compute.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub ind: Indicator,
    num: Expr,
    den: Expr,
    /// Distinct (element code, access) pairs the formula reads.
    refs: Vec<(String, Access)>,
}

/// Monthly values of some elements for some branches, dense, NaN = missing.
struct Cube {
    branch_index: HashMap<i64, usize>,
    elem_index: HashMap<String, usize>,
    kinds: Vec<ElementKind>,
    m0: i32,
    nm: usize,
    ne: usize,
    values: Vec<f64>,
}

impl Cube {
    fn get(&self, b: usize, e: usize, m: Month) -> f64 {
        let off = m.0 - self.m0;
        if off < 0 || off as usize >= self.nm {
            return f64::NAN;
        }
        self.values[(b * self.ne + e) * self.nm + off as usize]
    }

    /// The branch's value of an element access for a period; NaN when any month is missing.
    fn access(&self, b: usize, e: usize, access: Access, p: &Period) -> f64 {
        let opening = || self.get(b, e, p.first_month().prev());
        match (access, self.kinds[e]) {
            (Access::Value, ElementKind::Stock) => self.get(b, e, p.last_month()),
            (Access::Value, ElementKind::Flow) => {
                let mut s = 0.0;
                for i in 0..p.months() as i32 {
                    s += self.get(b, e, p.first_month().plus(i));
                }
                s
            }
            (Access::Opening, _) => opening(),
            (Access::Avg, _) => (opening() + self.get(b, e, p.last_month())) / 2.0,
        }
    }
}

/// Months an access needs for a period.
fn months_needed(kind: ElementKind, access: Access, p: &Period, out: &mut BTreeSet<i32>) {
    match (access, kind) {
        (Access::Value, ElementKind::Stock) => {
            out.insert(p.last_month().0);
        }
        (Access::Value, ElementKind::Flow) => {
            for i in 0..p.months() as i32 {
                out.insert(p.first_month().plus(i).0);
            }
        }
        (Access::Opening, _) => {
            out.insert(p.first_month().prev().0);
        }
        (Access::Avg, _) => {
            out.insert(p.first_month().prev().0);
            out.insert(p.last_month().0);
        }
    }
}

/// Reads the catalogue once; computes any number of indicators over any periods.
pub struct Engine<'c> {
    conn: &'c Connection,
    elements: HashMap<String, ElementInfo>,
    gni: Option<f64>,
    lang: Language,
}

impl<'c> Engine<'c> {
    pub fn new(conn: &'c Connection) -> Result<Engine<'c>> {
        let org = crate::repo::organisation(conn)?;
        let mut elements = HashMap::new();
        for e in crate::repo::elements(conn)? {
            elements.insert(
                e.code.clone(),
                ElementInfo {
                    id: e.id,
                    kind: e.kind,
                },
            );
        }
        Ok(Engine {
            conn,
            elements,
            gni: org.gni_per_capita,
            lang: org.language,
        })
    }

    /// Names are given in this language.
    pub fn with_language(mut self, lang: Language) -> Self {
        self.lang = lang;
        self
    }

    pub fn compile(&self, ind: &Indicator) -> Result<Compiled> {
        let kinds: HashMap<String, ElementKind> = self
            .elements
            .iter()
            .map(|(k, v)| (k.clone(), v.kind))
            .collect();
        let num = crate::catalogue::validate_formula(&ind.numerator, &kinds)?;
        let den = crate::catalogue::validate_formula(&ind.denominator, &kinds)?;
        let mut refs: Vec<(String, Access)> = Vec::new();
        for (code, access, _) in num.refs().into_iter().chain(den.refs()) {
            if !refs.iter().any(|(c, a)| c == code && *a == access) {
                refs.push((code.to_string(), access));
            }
        }
        Ok(Compiled {
            ind: ind.clone(),
            num,
            den,
            refs,
        })
    }

    fn load_cube(
        &self,
        scope: &ScopeBranches,
        compiled: &[Compiled],
        periods: &[Period],
    ) -> Result<Cube> {
        let mut elem_index: HashMap<String, usize> = HashMap::new();
        let mut codes: Vec<String> = Vec::new();
        let mut needed: Vec<BTreeSet<i32>> = Vec::new();
        for c in compiled {
            for (code, access) in &c.refs {
                let e = *elem_index.entry(code.clone()).or_insert_with(|| {
                    codes.push(code.clone());
                    needed.push(BTreeSet::new());
                    codes.len() - 1
                });
                let kind = self.elements[code].kind;
                for p in periods {
                    months_needed(kind, *access, p, &mut needed[e]);
                }
            }
        }
        let m0 = needed
            .iter()
            .filter_map(|s| s.first())
            .min()
            .copied()
            .unwrap_or(0);
        let m1 = needed
            .iter()
            .filter_map(|s| s.last())
            .max()
            .copied()
            .unwrap_or(0);
        let nm = (m1 - m0 + 1).max(0) as usize;
        let ne = codes.len();
        let nb = scope.branches.len();
        let branch_index: HashMap<i64, usize> = scope
            .branches
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i))
            .collect();
        let mut values = vec![f64::NAN; nb * ne * nm];
        let single_branch = if nb == 1 {
            Some(scope.branches[0].0)
        } else {
            None
        };
        let mut q_all = self.conn.prepare_cached(
            "SELECT branch_id, month, value FROM measurement WHERE element_id = ?1 AND month BETWEEN ?2 AND ?3",
        )?;
        let mut q_one = self.conn.prepare_cached(
            "SELECT branch_id, month, value FROM measurement WHERE element_id = ?1 AND month BETWEEN ?2 AND ?3 AND branch_id = ?4",
        )?;
        for (e, months) in needed.iter().enumerate() {
            let elem_id = self.elements[&codes[e]].id;
            // Contiguous runs of needed months: a flow reads one range, a stock a few months.
            let mut runs: Vec<(i32, i32)> = Vec::new();
            for &m in months {
                match runs.last_mut() {
                    Some((_, end)) if *end + 1 == m => *end = m,
                    _ => runs.push((m, m)),
                }
            }
            for (a, b) in runs {
                let mut fill = |row: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
                    let bid: i64 = row.get(0)?;
                    if let Some(&bi) = branch_index.get(&bid) {
                        let m: i32 = row.get(1)?;
                        values[(bi * ne + e) * nm + (m - m0) as usize] = row.get(2)?;
                    }
                    Ok(())
                };
                let mut rows = match single_branch {
                    Some(bid) => q_one.query(rusqlite::params![elem_id, a, b, bid])?,
                    None => q_all.query(rusqlite::params![elem_id, a, b])?,
                };
                while let Some(row) = rows.next()? {
                    fill(row)?;
                }
            }
        }
        let kinds = codes.iter().map(|c| self.elements[c].kind).collect();
        Ok(Cube {
            branch_index,
            elem_index,
            kinds,
            m0,
            nm,
            ne,
            values,
        })
    }

    /// Computes every indicator for every period: result\[i\]\[p\].
    pub fn compute(
        &self,
        scope: &ScopeBranches,
        compiled: &[Compiled],
        periods: &[Period],
    ) -> Result<Vec<Vec<IndicatorValue>>> {
        self.compute_inner(scope, compiled, periods, false)
    }

    /// One indicator for one period, with each branch's contribution.
    pub fn explain(
        &self,
        scope: &ScopeBranches,
        compiled: &Compiled,
        period: Period,
    ) -> Result<IndicatorValue> {
        let mut v = self.compute_inner(scope, std::slice::from_ref(compiled), &[period], true)?;
        Ok(v.remove(0).remove(0))
    }

    fn compute_inner(
        &self,
        scope: &ScopeBranches,
        compiled: &[Compiled],
        periods: &[Period],
        detail: bool,
    ) -> Result<Vec<Vec<IndicatorValue>>> {
        let cube = self.load_cube(scope, compiled, periods)?;
        let mut out = Vec::with_capacity(compiled.len());
        for c in compiled {
            let ref_idx: Vec<(usize, Access)> = c
                .refs
                .iter()
                .map(|(code, a)| (cube.elem_index[code], *a))
                .collect();
            let mut row = Vec::with_capacity(periods.len());
            for p in periods {
                row.push(self.compute_one(scope, &cube, c, &ref_idx, p, detail));
            }
            out.push(row);
        }
        Ok(out)
    }

    fn compute_one(
        &self,
        scope: &ScopeBranches,
        cube: &Cube,
        c: &Compiled,
        ref_idx: &[(usize, Access)],
        p: &Period,
        detail: bool,
    ) -> IndicatorValue {
        let mut sums = vec![0.0f64; ref_idx.len()];
        let mut branch_vals = vec![0.0f64; ref_idx.len()];
        let mut reported = 0u32;
        let mut missing_branches = Vec::new();
        let mut contributions = Vec::new();
        let mut missing_elems: BTreeSet<&str> = BTreeSet::new();
        for (bid, code) in &scope.branches {
            let b = cube.branch_index[bid];
            let mut complete = true;
            let mut lacks = Vec::new();
            for (k, &(e, access)) in ref_idx.iter().enumerate() {
                let v = cube.access(b, e, access, p);
                if v.is_nan() {
                    complete = false;
                    missing_elems.insert(&c.refs[k].0);
                    if detail {
                        lacks.push(c.refs[k].0.clone());
                    }
                }
                branch_vals[k] = v;
            }
            if complete {
                reported += 1;
                for (s, v) in sums.iter_mut().zip(&branch_vals) {
                    *s += v;
                }
            } else {
                missing_branches.push(code.clone());
            }
            if detail {
                let (n, d, v) = if complete {
                    self.evaluate(c, &branch_vals, p)
                        .map_or((None, None, None), |(n, d, v)| (Some(n), Some(d), v))
                } else {
                    (None, None, None)
                };
                lacks.sort();
                lacks.dedup();
                contributions.push(BranchContribution {
                    branch: code.clone(),
                    numerator: n,
                    denominator: d,
                    value: v,
                    missing: lacks,
                });
            }
        }
        let expected = scope.branches.len() as u32;
        let mut value = None;
        let (mut numerator, mut denominator) = (None, None);
        let mut reason_code = None;
        let mut reason = None;
        if expected == 0 {
            reason_code = Some(ReasonCode::NoBranches);
            reason = Some("there is no active branch in this scope".to_string());
        } else if reported == 0 {
            reason_code = Some(ReasonCode::NoData);
            let lacking: Vec<&str> = missing_elems.into_iter().collect();
            reason = Some(format!(
                "no branch reported all the data this indicator needs for {p} (missing: {})",
                lacking.join(", ")
            ));
        } else {
            match self.evaluate(c, &sums, p) {
                Err(EvalIssue::MissingOrgParam(_)) => {
                    reason_code = Some(ReasonCode::MissingGniPerCapita);
                    reason = Some(
                        "the institution's GNI per capita is not set (Settings, or mizani init --gni-per-capita)"
                            .to_string(),
                    );
                }
                Err(EvalIssue::DivisionByZero) => {
                    reason_code = Some(ReasonCode::ZeroDenominator);
                    reason = Some(format!(
                        "the denominator is 0 for {p}, so there is no ratio"
                    ));
                }
                Ok((n, d, v)) => {
                    numerator = Some(n);
                    denominator = Some(d);
                    value = v;
                    if v.is_none() {
                        reason_code = Some(ReasonCode::ZeroDenominator);
                        reason = Some(format!(
                            "the denominator is 0 for {p}, so there is no ratio"
                        ));
                    }
                }
            }
        }
        let ind = &c.ind;
        IndicatorValue {
            code: ind.code.clone(),
            name: ind.name.get(self.lang).to_string(),
            category: ind.category,
            period: *p,
            value,
            numerator,
            denominator,
            factor: ind.factor,
            annualised: ind.annualise,
            unit: ind.unit.clone(),
            direction: ind.direction,
            status: rag(value, ind.direction, ind.green, ind.red),
            reported,
            expected,
            formula_version: ind.formula_version,
            numerator_formula: ind.numerator.clone(),
            denominator_formula: ind.denominator.clone(),
            reason,
            reason_code,
            missing_branches,
            contributions,
        }
    }

    /// (numerator, denominator, value) from element values in `c.refs` order.
    fn evaluate(
        &self,
        c: &Compiled,
        vals: &[f64],
        p: &Period,
    ) -> std::result::Result<(f64, f64, Option<f64>), EvalIssue> {
        let mut lookup = |code: &str, access: Access| -> f64 {
            c.refs
                .iter()
                .position(|(rc, ra)| rc == code && *ra == access)
                .map(|i| vals[i])
                .unwrap_or(f64::NAN)
        };
        let n = c.num.eval(&mut lookup, self.gni)?;
        let d = c.den.eval(&mut lookup, self.gni)?;
        if d == 0.0 {
            return Ok((n, d, None));
        }
        let mut v = n / d * c.ind.factor;
        if c.ind.annualise {
            v *= 12.0 / p.months() as f64;
        }
        Ok((n, d, Some(v)))
    }
}
