//! The API that every front end calls: the CLI, the Tauri shell and (later) sync. A command is
//! declared once here; front ends only parse their input and print or return the result.

use crate::catalogue::{self, IndicatorDef};
use crate::engine::{self, Engine, IndicatorValue, Scope};
use crate::error::{CoreError, ErrorCode, Result};
use crate::model::*;
use crate::period::Period;
use crate::store::{
    Store, BRANCH, OBJECTIVE, OBJECTIVE_ACTIVITY, OBJECTIVE_INDICATOR, ORGANISATION, REGION, TARGET,
};
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use crate::dashboard::{dashboard, Dashboard};
pub use crate::import::{import_csv_file, ImportReport};

#[derive(Debug, Clone, Deserialize)]
pub struct InitRequest {
    pub name: String,
    pub currency: String,
    pub country: Option<String>,
    pub language: Option<String>,
    pub gni_per_capita: Option<f64>,
}

fn new_uid() -> String {
    // Unique enough to tell institutions apart: time, process and address entropy.
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    let a = h.finish();
    let mut h2 = std::collections::hash_map::RandomState::new().build_hasher();
    h2.write_u64(a);
    format!("{:016x}{:016x}", a, h2.finish())
}

/// A validated [`InitRequest`].
#[derive(Debug, Clone)]
pub struct ValidInit {
    pub name: String,
    pub currency: String,
    pub country: Option<String>,
    pub language: Language,
    pub gni_per_capita: Option<f64>,
}

impl InitRequest {
    /// Checks every field; front ends call this before creating a database file.
    pub fn validate(&self) -> Result<ValidInit> {
        let name = validate_name("institution name (--org)", &self.name)?;
        let currency = validate_currency(&self.currency)?;
        let country = self.country.as_deref().map(validate_country).transpose()?;
        let language = Language::parse(self.language.as_deref().unwrap_or("en"))?;
        if let Some(g) = self.gni_per_capita {
            if !g.is_finite() || g <= 0.0 {
                return Err(CoreError::invalid(format!(
                    "GNI per capita {g} must be a positive number (in the institution's currency)"
                )));
            }
        }
        Ok(ValidInit {
            name,
            currency,
            country,
            language,
            gni_per_capita: self.gni_per_capita,
        })
    }
}

/// Creates the institution and installs the built-in catalogue. Refused when the database
/// already has one.
pub fn init(store: &mut Store, req: &InitRequest) -> Result<Organisation> {
    let ValidInit {
        name,
        currency,
        country,
        language,
        gni_per_capita,
    } = req.validate()?;
    if crate::repo::is_initialised(store.conn())? {
        let org = crate::repo::organisation(store.conn())?;
        return Err(CoreError::conflict(format!(
            "this database already holds the institution '{}'; use another --db to start a new one",
            org.name
        )));
    }
    store.write("init", |w| {
        let now = w.now();
        w.set(
            &ORGANISATION,
            &[Value::Integer(1)],
            "organisation",
            &[
                ("uid", Value::Text(new_uid())),
                ("name", Value::Text(name)),
                ("country", country.map(Value::Text).unwrap_or(Value::Null)),
                ("currency", Value::Text(currency)),
                ("language", Value::Text(language.as_str().into())),
                (
                    "gni_per_capita",
                    gni_per_capita.map(Value::Real).unwrap_or(Value::Null),
                ),
                ("created_at", Value::Integer(now)),
            ],
        )?;
        catalogue::install_builtin(w)
    })?;
    crate::repo::organisation(store.conn())
}

/// Sets the mission statement and the values.
pub fn set_mission(store: &mut Store, mission: &str, values: &[String]) -> Result<Organisation> {
    crate::repo::organisation(store.conn())?;
    let values: Vec<String> = values
        .iter()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    let json =
        serde_json::to_string(&values).map_err(|e| CoreError::invalid(format!("values: {e}")))?;
    store.write("set mission", |w| {
        w.update(
            &ORGANISATION,
            &[Value::Integer(1)],
            "organisation",
            &[
                ("mission", Value::Text(mission.trim().to_string())),
                ("org_values", Value::Text(json)),
            ],
        )
    })?;
    crate::repo::organisation(store.conn())
}

fn region_id(w: &mut crate::store::WriteTx<'_>, name: &str) -> Result<i64> {
    let name = validate_name("region name", name)?;
    let found: Option<i64> = w
        .conn()
        .query_row(
            "SELECT id FROM region WHERE name = ?1 COLLATE NOCASE",
            [&name],
            |r| r.get(0),
        )
        .optional()?;
    match found {
        Some(id) => Ok(id),
        None => w.insert(&REGION, &[("name", Value::Text(name.clone()))], Some(&name)),
    }
}

/// Adds a branch (creating its region if needed).
pub fn branch_add(
    store: &mut Store,
    code: &str,
    name: &str,
    region: Option<&str>,
) -> Result<Branch> {
    crate::repo::organisation(store.conn())?;
    let code = validate_code("branch", code)?;
    let name = validate_name("branch name (--name)", name)?;
    if crate::repo::branches(store.conn())?
        .iter()
        .any(|b| b.code.eq_ignore_ascii_case(&code))
    {
        return Err(CoreError::conflict(format!(
            "there is already a branch with code '{code}'"
        )));
    }
    store.write("add branch", |w| {
        let rid = region.map(|r| region_id(w, r)).transpose()?;
        w.insert(
            &BRANCH,
            &[
                ("code", Value::Text(code.clone())),
                ("name", Value::Text(name)),
                ("region_id", rid.map(Value::Integer).unwrap_or(Value::Null)),
                ("active", Value::Integer(1)),
            ],
            Some(&code),
        )
    })?;
    crate::repo::branches(store.conn())?
        .into_iter()
        .find(|b| b.code == code)
        .ok_or_else(|| CoreError::not_found("branch vanished"))
}

/// Creates or edits an indicator; a formula change bumps its version.
pub fn define_indicator(store: &mut Store, def: &IndicatorDef) -> Result<Indicator> {
    crate::repo::organisation(store.conn())?;
    store.write(&format!("define indicator {}", def.code), |w| {
        catalogue::define_indicator(w, def, false)
    })?;
    crate::repo::indicator(store.conn(), def.code.trim())
}

/// Every indicator of the catalogue for a period and scope.
pub fn indicators(
    store: &Store,
    period: Period,
    scope: &Scope,
    lang: Option<Language>,
) -> Result<Vec<IndicatorValue>> {
    let conn = store.conn();
    let mut engine = Engine::new(conn)?;
    if let Some(l) = lang {
        engine = engine.with_language(l);
    }
    let sb = engine::resolve_scope(conn, scope)?;
    let compiled = crate::repo::indicators(conn)?
        .iter()
        .map(|i| engine.compile(i))
        .collect::<Result<Vec<_>>>()?;
    Ok(engine
        .compute(&sb, &compiled, &[period])?
        .into_iter()
        .map(|mut v| v.remove(0))
        .collect())
}

/// One indicator with each branch's contribution and the branches that are missing.
pub fn explain(store: &Store, code: &str, period: Period, scope: &Scope) -> Result<IndicatorValue> {
    let conn = store.conn();
    let engine = Engine::new(conn)?;
    let ind = crate::repo::indicator(conn, code)?;
    let sb = engine::resolve_scope(conn, scope)?;
    engine.explain(&sb, &engine.compile(&ind)?, period)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewTarget {
    pub period: String,
    pub branch: Option<String>,
    pub value: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewLink {
    pub indicator: String,
    /// When absent but `baseline_period` is given, the engine computes it (whole institution).
    pub baseline_value: Option<f64>,
    pub baseline_period: Option<String>,
    pub targets: Vec<NewTarget>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewObjective {
    pub title: String,
    pub description: String,
    pub practice: u8,
    pub dimension: String,
    pub owner: String,
    pub start_date: String,
    pub end_date: String,
    pub activities: Vec<String>,
    pub indicators: Vec<NewLink>,
}

/// Creates an objective with its activities, indicators, baselines and targets.
pub fn objective_add(store: &mut Store, o: &NewObjective) -> Result<Objective> {
    let conn = store.conn();
    crate::repo::organisation(conn)?;
    let title = validate_name("objective title (--title)", &o.title)?;
    if !(1..=5).contains(&o.practice) {
        return Err(CoreError::invalid(format!(
            "practice {} must be 1 to 5 (1 define social goals, 2 client protection, 3 track and report, 4 align processes, 5 decide with both lenses)",
            o.practice
        )));
    }
    let dimension = Dimension::parse(&o.dimension)?;
    let start = validate_date("start date (--start)", &o.start_date)?;
    let end = validate_date("end date (--end)", &o.end_date)?;
    if end < start {
        return Err(CoreError::invalid(format!(
            "end date {end} is before start date {start}"
        )));
    }
    let inds = crate::repo::indicators(conn)?;
    let branches = crate::repo::branches(conn)?;
    struct Link {
        indicator_id: i64,
        code: String,
        baseline_value: Option<f64>,
        baseline_period: Option<String>,
        targets: Vec<(String, Option<i64>, f64)>,
    }
    let mut links: Vec<Link> = Vec::new();
    for l in &o.indicators {
        let code = l.indicator.trim();
        let ind = inds.iter().find(|i| i.code == code).ok_or_else(|| {
            CoreError::invalid(format!(
                "there is no indicator '{code}' (see `mizani indicators`)"
            ))
        })?;
        if links.iter().any(|x| x.code == code) {
            return Err(CoreError::invalid(format!(
                "indicator '{code}' is linked twice"
            )));
        }
        let baseline_period = l
            .baseline_period
            .as_deref()
            .map(|p| Period::parse(p).map(|p| p.to_string()))
            .transpose()?;
        let mut baseline_value = l.baseline_value;
        if let Some(v) = baseline_value {
            if !v.is_finite() {
                return Err(CoreError::invalid(format!(
                    "baseline of {code} must be a number"
                )));
            }
        }
        if baseline_value.is_none() {
            if let Some(bp) = &baseline_period {
                let v = explain(store, code, Period::parse(bp)?, &Scope::Org)?;
                baseline_value = Some(v.value.ok_or_else(|| {
                    CoreError::invalid(format!(
                        "the baseline of {code} for {bp} cannot be computed ({}); give its value",
                        v.reason.unwrap_or_default()
                    ))
                })?);
            }
        }
        let mut targets: Vec<(String, Option<i64>, f64)> = Vec::new();
        for t in &l.targets {
            let p = Period::parse(&t.period)?.to_string();
            let b = match t.branch.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
                None => None,
                Some(bc) => Some(
                    branches
                        .iter()
                        .find(|b| b.code == bc)
                        .map(|b| b.id)
                        .ok_or_else(|| {
                            CoreError::invalid(format!(
                                "target of {code}: there is no branch '{bc}'"
                            ))
                        })?,
                ),
            };
            if !t.value.is_finite() {
                return Err(CoreError::invalid(format!(
                    "target of {code} for {p} must be a number"
                )));
            }
            if targets.iter().any(|x| x.0 == p && x.1 == b) {
                return Err(CoreError::invalid(format!(
                    "target of {code} for {p}{} is given twice",
                    t.branch
                        .as_deref()
                        .map(|b| format!(" at {b}"))
                        .unwrap_or_default()
                )));
            }
            targets.push((p, b, t.value));
        }
        links.push(Link {
            indicator_id: ind.id,
            code: code.to_string(),
            baseline_value,
            baseline_period,
            targets,
        });
    }
    let id = store.write("add objective", |w| {
        let id = w.insert(
            &OBJECTIVE,
            &[
                ("title", Value::Text(title.clone())),
                ("description", Value::Text(o.description.trim().to_string())),
                ("practice", Value::Integer(o.practice as i64)),
                ("dimension", Value::Text(dimension.as_str().into())),
                ("owner", Value::Text(o.owner.trim().to_string())),
                ("start_date", Value::Text(start.clone())),
                ("end_date", Value::Text(end.clone())),
                ("archived", Value::Integer(0)),
            ],
            None,
        )?;
        for (pos, a) in o
            .activities
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
            .enumerate()
        {
            w.insert(
                &OBJECTIVE_ACTIVITY,
                &[
                    ("objective_id", Value::Integer(id)),
                    ("position", Value::Integer(pos as i64)),
                    ("text", Value::Text(a.to_string())),
                ],
                None,
            )?;
        }
        for l in &links {
            let lid = w.insert(
                &OBJECTIVE_INDICATOR,
                &[
                    ("objective_id", Value::Integer(id)),
                    ("indicator_id", Value::Integer(l.indicator_id)),
                    (
                        "baseline_value",
                        l.baseline_value.map(Value::Real).unwrap_or(Value::Null),
                    ),
                    (
                        "baseline_period",
                        l.baseline_period
                            .clone()
                            .map(Value::Text)
                            .unwrap_or(Value::Null),
                    ),
                ],
                Some(&format!("objective {id}/{}", l.code)),
            )?;
            for (p, b, v) in &l.targets {
                w.insert(
                    &TARGET,
                    &[
                        ("objective_indicator_id", Value::Integer(lid)),
                        ("period", Value::Text(p.clone())),
                        ("branch_id", b.map(Value::Integer).unwrap_or(Value::Null)),
                        ("value", Value::Real(*v)),
                    ],
                    Some(&format!("objective {id}/{}/{p}", l.code)),
                )?;
            }
        }
        Ok(id)
    })?;
    crate::repo::objectives(store.conn(), true)?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or_else(|| CoreError::not_found("objective vanished"))
}

/// Archives (or restores) an objective; archived objectives leave the dashboard.
pub fn objective_archive(store: &mut Store, id: i64, archived: bool) -> Result<()> {
    store.write("archive objective", |w| {
        w.update(
            &OBJECTIVE,
            &[Value::Integer(id)],
            &id.to_string(),
            &[("archived", Value::Integer(archived as i64))],
        )
    })?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub integrity: String,
    pub problems: Vec<String>,
}

/// SQLite's integrity and foreign-key checks plus the domain's own consistency rules.
pub fn check(store: &Store) -> Result<CheckReport> {
    let conn = store.conn();
    let mut problems = Vec::new();
    let integrity: String = {
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        rows.join("; ")
    };
    if integrity != "ok" {
        problems.push(format!("integrity check: {integrity}"));
    }
    {
        let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (t, id, parent) = row?;
            problems.push(format!(
                "{t} row {} refers to a missing {parent}",
                id.unwrap_or(0)
            ));
        }
    }
    if !crate::repo::is_initialised(conn)? {
        problems.push("the database has no institution (run mizani init or mizani demo)".into());
        return Ok(CheckReport {
            ok: false,
            integrity,
            problems,
        });
    }
    let kinds = catalogue::element_kinds(conn)?;
    for ind in crate::repo::indicators(conn)? {
        for f in [&ind.numerator, &ind.denominator] {
            if let Err(e) = catalogue::validate_formula(f, &kinds) {
                problems.push(format!("indicator {}: {}", ind.code, e.message));
            }
        }
        let latest: Option<i64> = conn.query_row(
            "SELECT max(version) FROM indicator_formula WHERE indicator_id = ?1",
            [ind.id],
            |r| r.get(0),
        )?;
        if latest != Some(ind.formula_version) {
            problems.push(format!(
                "indicator {}: formula version {} has no matching history entry",
                ind.code, ind.formula_version
            ));
        }
    }
    let neg: i64 = conn.query_row(
        "SELECT count(*) FROM measurement m JOIN data_element e ON e.id = m.element_id WHERE m.value < 0 AND e.allow_negative = 0",
        [],
        |r| r.get(0),
    )?;
    if neg > 0 {
        problems.push(format!(
            "{neg} measurement(s) are negative for elements that cannot be"
        ));
    }
    for o in crate::repo::objectives(conn, true)? {
        for l in &o.indicators {
            for t in &l.targets {
                if Period::parse(&t.period).is_err() {
                    problems.push(format!(
                        "objective {}: target period '{}' is invalid",
                        o.id, t.period
                    ));
                }
            }
        }
    }
    Ok(CheckReport {
        ok: problems.is_empty(),
        integrity,
        problems,
    })
}

/// Online backup to `out`, or to `<database folder>/backups/mizani-<time>.sqlite`.
pub fn backup_create(store: &Store, out: Option<&Path>) -> Result<PathBuf> {
    let dest = match out {
        Some(p) => p.to_path_buf(),
        None => {
            let db = store.path().ok_or_else(|| {
                CoreError::new(
                    ErrorCode::InvalidInput,
                    "an in-memory database needs an output file",
                )
            })?;
            let dir = db.parent().unwrap_or(Path::new(".")).join("backups");
            std::fs::create_dir_all(&dir).map_err(|e| {
                CoreError::new(
                    ErrorCode::Io,
                    format!("cannot create {}: {e}", dir.display()),
                )
            })?;
            let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
            let mut p = dir.join(format!("mizani-{stamp}.sqlite"));
            let mut n = 1;
            while p.exists() {
                p = dir.join(format!("mizani-{stamp}-{n}.sqlite"));
                n += 1;
            }
            p
        }
    };
    store.backup_to(&dest)?;
    Ok(dest)
}
