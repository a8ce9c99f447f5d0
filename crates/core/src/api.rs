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
use ts_rs::TS;

pub use crate::backup::BackupInfo;
pub use crate::dashboard::{dashboard, Dashboard};
pub use crate::import::{import_csv_file, ImportReport};

#[derive(Debug, Clone, Deserialize, TS)]
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
        let name =
            validate_name("the institution name", &self.name).map_err(|e| e.on_field("name"))?;
        let currency = validate_currency(&self.currency).map_err(|e| e.on_field("currency"))?;
        let country = self
            .country
            .as_deref()
            .map(validate_country)
            .transpose()
            .map_err(|e| e.on_field("country"))?;
        let language = Language::parse(self.language.as_deref().unwrap_or("en"))
            .map_err(|e| e.on_field("language"))?;
        if let Some(g) = self.gni_per_capita {
            if !g.is_finite() || g <= 0.0 {
                return Err(CoreError::field(
                    "gni_per_capita",
                    format!("GNI per capita {g} must be a positive number (in the institution's currency)"),
                ));
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
    // A new institution is the head office of its sites (practice: crates/core/src/sync).
    crate::sync::ensure_self(store)?;
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
    let name = validate_name("the branch name", name)?;
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
pub fn explain(
    store: &Store,
    code: &str,
    period: Period,
    scope: &Scope,
    lang: Option<Language>,
) -> Result<IndicatorValue> {
    let conn = store.conn();
    let mut engine = Engine::new(conn)?;
    if let Some(l) = lang {
        engine = engine.with_language(l);
    }
    let ind = crate::repo::indicator(conn, code)?;
    let sb = engine::resolve_scope(conn, scope)?;
    engine.explain(&sb, &engine.compile(&ind)?, period)
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct NewTarget {
    pub period: String,
    pub branch: Option<String>,
    pub value: f64,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct NewLink {
    pub indicator: String,
    /// When absent but `baseline_period` is given, the engine computes it (whole institution).
    pub baseline_value: Option<f64>,
    pub baseline_period: Option<String>,
    pub targets: Vec<NewTarget>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
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

/// A validated objective, ready to write.
struct PreparedObjective {
    title: String,
    description: String,
    practice: u8,
    dimension: Dimension,
    owner: String,
    start: String,
    end: String,
    activities: Vec<String>,
    links: Vec<PreparedLink>,
}

struct PreparedLink {
    indicator_id: i64,
    code: String,
    baseline_value: Option<f64>,
    baseline_period: Option<String>,
    /// (period, branch id, value)
    targets: Vec<(String, Option<i64>, f64)>,
}

/// Validates an objective; errors name the form field (`title`, `practice`, `dimension`,
/// `start_date`, `end_date`, `indicators`, `baseline:CODE`, `target:CODE`).
fn prepare_objective(store: &Store, o: &NewObjective) -> Result<PreparedObjective> {
    let conn = store.conn();
    crate::repo::organisation(conn)?;
    let title = validate_name("the objective title", &o.title).map_err(|e| e.on_field("title"))?;
    if !(1..=5).contains(&o.practice) {
        return Err(CoreError::field(
            "practice",
            format!(
                "practice {} must be 1 to 5 (1 define social goals, 2 client protection, 3 track and report, 4 align processes, 5 decide with both lenses)",
                o.practice
            ),
        ));
    }
    let dimension = Dimension::parse(&o.dimension).map_err(|e| e.on_field("dimension"))?;
    let start =
        validate_date("the start date", &o.start_date).map_err(|e| e.on_field("start_date"))?;
    let end = validate_date("the end date", &o.end_date).map_err(|e| e.on_field("end_date"))?;
    if end < start {
        return Err(CoreError::field(
            "end_date",
            format!("end date {end} is before start date {start}"),
        ));
    }
    let inds = crate::repo::indicators(conn)?;
    let branches = crate::repo::branches(conn)?;
    let mut links: Vec<PreparedLink> = Vec::new();
    for l in &o.indicators {
        let code = l.indicator.trim();
        let ind = inds.iter().find(|i| i.code == code).ok_or_else(|| {
            CoreError::field(
                "indicators",
                format!("there is no indicator '{code}' (see `mizani indicators`)"),
            )
        })?;
        if links.iter().any(|x| x.code == code) {
            return Err(CoreError::field(
                "indicators",
                format!("indicator '{code}' is linked twice"),
            ));
        }
        let bfield = format!("baseline:{code}");
        let baseline_period = l
            .baseline_period
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Period::parse(p).map(|p| p.to_string()))
            .transpose()
            .map_err(|e| e.on_field(&bfield))?;
        let mut baseline_value = l.baseline_value;
        if let Some(v) = baseline_value {
            if !v.is_finite() {
                return Err(CoreError::field(
                    &bfield,
                    format!("baseline of {code} must be a number"),
                ));
            }
        }
        if baseline_value.is_none() {
            if let Some(bp) = &baseline_period {
                let v = explain(store, code, Period::parse(bp)?, &Scope::Org, None)?;
                baseline_value = Some(v.value.ok_or_else(|| {
                    CoreError::field(
                        &bfield,
                        format!(
                            "the baseline of {code} for {bp} cannot be computed ({}); give its value",
                            v.reason.unwrap_or_default()
                        ),
                    )
                })?);
            }
        }
        let tfield = format!("target:{code}");
        let mut targets: Vec<(String, Option<i64>, f64)> = Vec::new();
        for t in &l.targets {
            let p = Period::parse(&t.period)
                .map_err(|e| e.on_field(&tfield))?
                .to_string();
            let b = match t.branch.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
                None => None,
                Some(bc) => Some(
                    branches
                        .iter()
                        .find(|b| b.code == bc)
                        .map(|b| b.id)
                        .ok_or_else(|| {
                            CoreError::field(
                                &tfield,
                                format!("target of {code}: there is no branch '{bc}'"),
                            )
                        })?,
                ),
            };
            if !t.value.is_finite() {
                return Err(CoreError::field(
                    &tfield,
                    format!("target of {code} for {p} must be a number"),
                ));
            }
            if targets.iter().any(|x| x.0 == p && x.1 == b) {
                return Err(CoreError::field(
                    &tfield,
                    format!(
                        "target of {code} for {p}{} is given twice",
                        t.branch
                            .as_deref()
                            .map(|b| format!(" at {b}"))
                            .unwrap_or_default()
                    ),
                ));
            }
            targets.push((p, b, t.value));
        }
        links.push(PreparedLink {
            indicator_id: ind.id,
            code: code.to_string(),
            baseline_value,
            baseline_period,
            targets,
        });
    }
    Ok(PreparedObjective {
        title,
        description: o.description.trim().to_string(),
        practice: o.practice,
        dimension,
        owner: o.owner.trim().to_string(),
        start,
        end,
        activities: o
            .activities
            .iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect(),
        links,
    })
}

fn objective_fields(p: &PreparedObjective) -> Vec<(&'static str, Value)> {
    vec![
        ("title", Value::Text(p.title.clone())),
        ("description", Value::Text(p.description.clone())),
        ("practice", Value::Integer(p.practice as i64)),
        ("dimension", Value::Text(p.dimension.as_str().into())),
        ("owner", Value::Text(p.owner.clone())),
        ("start_date", Value::Text(p.start.clone())),
        ("end_date", Value::Text(p.end.clone())),
    ]
}

/// Writes activities, indicator links and targets of objective `id`.
fn write_children(w: &mut crate::store::WriteTx<'_>, id: i64, p: &PreparedObjective) -> Result<()> {
    for (pos, a) in p.activities.iter().enumerate() {
        w.insert(
            &OBJECTIVE_ACTIVITY,
            &[
                ("objective_id", Value::Integer(id)),
                ("position", Value::Integer(pos as i64)),
                ("text", Value::Text(a.clone())),
            ],
            Some(&format!("objective {id}/activity {pos}")),
        )?;
    }
    for l in &p.links {
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
        for (per, b, v) in &l.targets {
            w.insert(
                &TARGET,
                &[
                    ("objective_indicator_id", Value::Integer(lid)),
                    ("period", Value::Text(per.clone())),
                    ("branch_id", b.map(Value::Integer).unwrap_or(Value::Null)),
                    ("value", Value::Real(*v)),
                ],
                Some(&format!("objective {id}/{}/{per}", l.code)),
            )?;
        }
    }
    Ok(())
}

/// One objective by id (archived ones included).
pub fn objective_get(store: &Store, id: i64) -> Result<Objective> {
    crate::repo::objectives(store.conn(), true)?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or_else(|| CoreError::not_found(format!("there is no objective {id}")))
}

/// Creates an objective with its activities, indicators, baselines and targets.
pub fn objective_add(store: &mut Store, o: &NewObjective) -> Result<Objective> {
    let p = prepare_objective(store, o)?;
    let id = store.write("add objective", |w| {
        let mut fields = objective_fields(&p);
        fields.push(("archived", Value::Integer(0)));
        let id = w.insert(&OBJECTIVE, &fields, None)?;
        write_children(w, id, &p)?;
        Ok(id)
    })?;
    objective_get(store, id)
}

/// Replaces an objective's fields, activities, indicators, baselines and targets.
pub fn objective_update(store: &mut Store, id: i64, o: &NewObjective) -> Result<Objective> {
    objective_get(store, id)?;
    let p = prepare_objective(store, o)?;
    store.write("edit objective", |w| {
        w.update(&OBJECTIVE, &[Value::Integer(id)], &format!("objective {id}"), &objective_fields(&p))?;
        let ids = |sql: &str, w: &crate::store::WriteTx<'_>| -> Result<Vec<i64>> {
            let mut stmt = w.conn().prepare(sql)?;
            let v = stmt.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(v)
        };
        for t in ids(
            "SELECT t.id FROM target t JOIN objective_indicator oi ON oi.id = t.objective_indicator_id WHERE oi.objective_id = ?1",
            w,
        )? {
            w.delete(&TARGET, &[Value::Integer(t)], &format!("objective {id}/target {t}"))?;
        }
        for l in ids("SELECT id FROM objective_indicator WHERE objective_id = ?1", w)? {
            w.delete(&OBJECTIVE_INDICATOR, &[Value::Integer(l)], &format!("objective {id}/link {l}"))?;
        }
        for a in ids("SELECT id FROM objective_activity WHERE objective_id = ?1", w)? {
            w.delete(&OBJECTIVE_ACTIVITY, &[Value::Integer(a)], &format!("objective {id}/activity {a}"))?;
        }
        write_children(w, id, &p)
    })?;
    objective_get(store, id)
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

#[derive(Debug, Clone, Serialize, TS)]
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
    problems.extend(crate::spm::check(conn)?);
    problems.extend(crate::sync::check(conn)?);
    problems.extend(crate::sheet::check(conn)?);
    Ok(CheckReport {
        ok: problems.is_empty(),
        integrity,
        problems,
    })
}

/// Online backup to `out`, or a manual backup into the database's backup folder
/// (`<database folder>/backups/<name>-<time>-manual.sqlite` unless another folder was chosen).
pub fn backup_create(store: &Store, out: Option<&Path>) -> Result<PathBuf> {
    match out {
        Some(p) => {
            store.backup_to(p)?;
            Ok(p.to_path_buf())
        }
        None => crate::backup::create(store, crate::backup::BackupKind::Manual)
            .map(|b| PathBuf::from(b.path)),
    }
}

/// Where the app writes a report by default:
/// `<database folder>/reports/mizani-<period>-<scope>-<lang>[-branch-page].pdf` (the folder is
/// created; characters other than letters, digits, `-` and `_` in the scope become `_`).
pub fn default_report_path(
    store: &Store,
    period: Period,
    scope: &Scope,
    lang: Language,
    branch_page: bool,
) -> Result<PathBuf> {
    let db = store.path().ok_or_else(|| {
        CoreError::new(
            ErrorCode::InvalidInput,
            "an in-memory database needs an output file",
        )
    })?;
    let dir = db.parent().unwrap_or(Path::new(".")).join("reports");
    std::fs::create_dir_all(&dir).map_err(|e| {
        CoreError::new(
            ErrorCode::Io,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    let scope: String = scope
        .to_string()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let page = if branch_page { "-branch-page" } else { "" };
    Ok(dir.join(format!("mizani-{period}-{scope}-{lang}{page}.pdf")))
}

/// Institution settings editable in the app.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct OrgUpdate {
    pub name: String,
    pub currency: String,
    pub country: Option<String>,
    pub language: String,
    pub gni_per_capita: Option<f64>,
}

/// Edits the institution (name, currency, country, language, GNI per capita).
pub fn org_update(store: &mut Store, u: &OrgUpdate) -> Result<Organisation> {
    crate::repo::organisation(store.conn())?;
    let v = InitRequest {
        name: u.name.clone(),
        currency: u.currency.clone(),
        country: u.country.clone().filter(|c| !c.trim().is_empty()),
        language: Some(u.language.clone()),
        gni_per_capita: u.gni_per_capita,
    }
    .validate()?;
    store.write("edit institution", |w| {
        w.update(
            &ORGANISATION,
            &[Value::Integer(1)],
            "organisation",
            &[
                ("name", Value::Text(v.name.clone())),
                ("currency", Value::Text(v.currency.clone())),
                (
                    "country",
                    v.country.clone().map(Value::Text).unwrap_or(Value::Null),
                ),
                ("language", Value::Text(v.language.as_str().into())),
                (
                    "gni_per_capita",
                    v.gni_per_capita.map(Value::Real).unwrap_or(Value::Null),
                ),
            ],
        )
    })?;
    crate::repo::organisation(store.conn())
}

/// Validates a draft indicator and computes it for a period and scope without saving it.
/// `formula_version` shows what the version would become.
pub fn indicator_preview(
    store: &Store,
    def: &IndicatorDef,
    period: Period,
    scope: &Scope,
) -> Result<IndicatorValue> {
    let conn = store.conn();
    let engine = Engine::new(conn)?;
    let kinds = catalogue::element_kinds(conn)?;
    let c = catalogue::check_indicator(def, &kinds)?;
    let existing = crate::repo::indicators(conn)?
        .into_iter()
        .find(|i| i.code == c.code);
    let formula_version = match &existing {
        None => 1,
        Some(i) => {
            let changed = i.numerator != c.numerator
                || i.denominator != c.denominator
                || i.factor != def.factor
                || i.annualise != def.annualise;
            i.formula_version + changed as i64
        }
    };
    let draft = Indicator {
        id: existing.as_ref().map(|i| i.id).unwrap_or(0),
        code: c.code,
        name: Names {
            en: c.name,
            fr: def.name.fr.clone(),
            es: def.name.es.clone(),
        },
        description: def.description.clone(),
        numerator: c.numerator,
        denominator: c.denominator,
        factor: def.factor,
        unit: c.unit,
        direction: def.direction,
        green: def.green,
        red: def.red,
        category: def.category,
        annualise: def.annualise,
        formula_version,
    };
    let sb = engine::resolve_scope(conn, scope)?;
    engine.explain(&sb, &engine.compile(&draft)?, period)
}

pub fn regions(store: &Store) -> Result<Vec<Region>> {
    crate::repo::organisation(store.conn())?;
    crate::repo::regions(store.conn())
}

/// CSV (comma separated, UTF-8, decimal point) of indicator values, for spreadsheets.
pub fn indicators_csv(values: &[IndicatorValue], scope: &Scope) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CoreError::new(ErrorCode::Io, e.to_string());
    w.write_record([
        "period",
        "scope",
        "code",
        "name",
        "category",
        "value",
        "unit",
        "numerator",
        "denominator",
        "status",
        "reported",
        "expected",
        "formula_version",
        "reason",
    ])
    .map_err(io)?;
    let num = |v: Option<f64>| v.map(crate::store::format_real).unwrap_or_default();
    for v in values {
        w.write_record([
            v.period.to_string(),
            scope.to_string(),
            v.code.clone(),
            v.name.clone(),
            v.category.as_str().to_string(),
            num(v.value),
            v.unit.clone(),
            num(v.numerator),
            num(v.denominator),
            v.status.as_str().to_string(),
            v.reported.to_string(),
            v.expected.to_string(),
            v.formula_version.to_string(),
            v.reason.clone().unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CoreError::new(ErrorCode::Io, e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CoreError::new(ErrorCode::Io, e.to_string()))
}

/// Writes a file atomically: a temporary file beside it, flushed to the disk, then a rename
/// (and the folder flushed), so that the file is either the old one or the complete new one,
/// even after a crash or a power cut. No partial file is left behind on failure (a full
/// disk included: the message says so).
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = std::fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(CoreError::new(
            ErrorCode::Io,
            format!(
                "cannot write {}: {}; no file was written",
                path.display(),
                crate::error::io_reason(&e)
            ),
        ));
    }
    // The rename is durable once the folder is flushed (not possible on every system).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Exports every indicator for a period and scope as CSV to `path`.
pub fn export_indicators_csv(
    store: &Store,
    period: Period,
    scope: &Scope,
    lang: Option<Language>,
    path: &Path,
) -> Result<u64> {
    let vals = indicators(store, period, scope, lang)?;
    let text = indicators_csv(&vals, scope)?;
    write_file_atomic(path, text.as_bytes())?;
    Ok(text.len() as u64)
}

/// The backups of the database (in its backup folders), newest first, with the changes made
/// since each.
pub fn backups_list(store: &Store) -> Result<Vec<BackupInfo>> {
    Ok(match store.path() {
        Some(db) => crate::backup::list(db, Some(store.conn()), store.key()),
        None => Vec::new(),
    })
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DbInfo {
    pub path: Option<String>,
    pub bytes: u64,
    pub schema_version: i64,
    pub measurements: i64,
    /// Unix seconds of the last recorded change.
    pub last_change: Option<i64>,
}

pub fn db_info(store: &Store) -> Result<DbInfo> {
    let conn = store.conn();
    let bytes = store
        .path()
        .map(|p| {
            let wal = PathBuf::from(format!("{}-wal", p.display()));
            std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
                + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
        })
        .unwrap_or(0);
    Ok(DbInfo {
        path: store.path().map(|p| p.display().to_string()),
        bytes,
        schema_version: store.schema_version()?,
        measurements: conn.query_row("SELECT count(*) FROM measurement", [], |r| r.get(0))?,
        last_change: conn.query_row("SELECT max(at) FROM audit_batch", [], |r| r.get(0))?,
    })
}

/// The first and last month that hold any measurement (for default periods in the UI).
#[derive(Debug, Clone, Serialize, TS)]
pub struct DataRange {
    pub first_month: Option<String>,
    pub last_month: Option<String>,
    /// The last complete quarter or, when none, the quarter of the last month (`2026-Q3`).
    pub default_period: Option<String>,
}

pub fn data_range(store: &Store) -> Result<DataRange> {
    crate::repo::organisation(store.conn())?;
    let (a, b): (Option<i32>, Option<i32>) =
        store
            .conn()
            .query_row("SELECT min(month), max(month) FROM measurement", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
    let first = a.map(crate::period::Month);
    let last = b.map(crate::period::Month);
    let default_period = last.map(|m| {
        let q = Period::containing(crate::period::PeriodKind::Quarter, m);
        let p = if q.last_month() == m || q.shift(-1).last_month() < first.unwrap_or(m) {
            q
        } else {
            q.shift(-1)
        };
        p.to_string()
    });
    Ok(DataRange {
        first_month: first.map(|m| m.to_string()),
        last_month: last.map(|m| m.to_string()),
        default_period,
    })
}

/// What encrypting, re-keying or decrypting did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct EncryptionReport {
    pub encrypted: bool,
    /// A backup made just after, with the new key.
    pub backup: String,
    /// Backups in the backup folder that were not encrypted with the database's current key
    /// setting and were removed (a stolen laptop must not keep a readable copy).
    pub removed_backups: Vec<String>,
}

/// Encrypts the database with `passphrase` (or changes its passphrase), then re-keys the
/// backups the old passphrase opened (so that one passphrase opens them all and the old one
/// none), writes a fresh encrypted backup and removes the unencrypted backups of the
/// database. There is no back door: a forgotten passphrase means the data (and its encrypted
/// backups) cannot be read.
pub fn encrypt_database(store: &mut Store, passphrase: &str) -> Result<EncryptionReport> {
    let old = store.key().map(str::to_string);
    let before = backups_list(store)?;
    store.rekey(Some(passphrase))?;
    if old.is_some() {
        for b in before.iter().filter(|b| b.readable) {
            let p = Path::new(&b.path);
            if crate::store::looks_encrypted(p) {
                crate::store::rekey_file(p, old.as_deref(), Some(passphrase))?;
            }
        }
    }
    let backup = backup_create(store, None)?;
    let mut removed = Vec::new();
    for b in backups_list(store)? {
        let p = Path::new(&b.path);
        if !crate::store::looks_encrypted(p) && std::fs::remove_file(p).is_ok() {
            removed.push(b.path);
        }
    }
    Ok(EncryptionReport {
        encrypted: true,
        backup: backup.display().to_string(),
        removed_backups: removed,
    })
}

/// Removes the encryption (the database becomes readable without a passphrase); its backups
/// that the passphrase opened are written out plain too, so that they stay usable.
pub fn decrypt_database(store: &mut Store) -> Result<EncryptionReport> {
    let old = store.key().map(str::to_string);
    let before = backups_list(store)?;
    store.rekey(None)?;
    for b in before.iter().filter(|b| b.readable) {
        let p = Path::new(&b.path);
        if crate::store::looks_encrypted(p) {
            crate::store::rekey_file(p, old.as_deref(), None)?;
        }
    }
    let backup = backup_create(store, None)?;
    Ok(EncryptionReport {
        encrypted: false,
        backup: backup.display().to_string(),
        removed_backups: Vec::new(),
    })
}
