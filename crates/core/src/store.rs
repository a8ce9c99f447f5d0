//! The SQLite store: opening (pragmas in one place), migrations (embedded, append-only, one
//! transaction, `user_version` guard) and the single write path ([`Store::write`]) that runs in
//! an IMMEDIATE transaction and records every change in the audit trail.

use crate::error::{CoreError, ErrorCode, Result};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};

/// Embedded migrations, in order. Append only: released files are never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_assessments.sql"),
    include_str!("../migrations/0003_comment_index.sql"),
    include_str!("../migrations/0004_sync.sql"),
    include_str!("../migrations/0005_import_mapping.sql"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA application_id` of Mizani databases ("MZNI").
pub const APPLICATION_ID: i64 = 0x4D5A_4E49;

/// Environment variable that overrides the database location.
pub const DB_ENV: &str = "MIZANI_DB";

/// The default database file: `<OS data dir>/mizani.sqlite`.
pub fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "Mizani", "Mizani").ok_or_else(|| {
        CoreError::new(
            ErrorCode::Io,
            "cannot find a data directory for this user; use --db PATH",
        )
    })?;
    Ok(dirs.data_dir().join("mizani.sqlite"))
}

/// `--db` if given, else `MIZANI_DB`, else the OS data dir.
pub fn resolve_db_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(DB_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    default_db_path()
}

/// The user name written in the audit trail: `MIZANI_USER`, else the OS user.
pub fn current_user() -> String {
    for var in ["MIZANI_USER", "USER", "USERNAME", "LOGNAME"] {
        if let Ok(v) = std::env::var(var) {
            if !v.trim().is_empty() {
                return v.trim().to_string();
            }
        }
    }
    "unknown".to_string()
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An open Mizani database.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    user: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("user", &self.user)
            .finish()
    }
}

fn configure(conn: &Connection, in_memory: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    if !in_memory {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(CoreError::new(
                ErrorCode::Io,
                format!("the database could not be switched to WAL mode (got {mode})"),
            ));
        }
        // NORMAL is durable in WAL mode except for the last commits on power loss; FULL keeps
        // every acknowledged write, which is what we promise.
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                CoreError::new(
                    ErrorCode::Io,
                    format!(
                        "cannot create the folder {} for the database: {e}",
                        dir.display()
                    ),
                )
            })?;
        }
        let conn = Connection::open(path).map_err(|e| {
            CoreError::new(
                ErrorCode::Io,
                format!("cannot open {}: {e}", path.display()),
            )
        })?;
        let mut store = Store {
            conn,
            path: Some(path.to_path_buf()),
            user: current_user(),
        };
        store.check_identity()?;
        configure(&store.conn, false)?;
        store.migrate()?;
        Ok(store)
    }

    /// A fresh in-memory database (tests, previews).
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        configure(&conn, true)?;
        let mut store = Store {
            conn,
            path: None,
            user: current_user(),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn set_user(&mut self, user: impl Into<String>) {
        self.user = user.into();
    }

    /// Read access. Writes must go through [`Store::write`].
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Refuses files that are not Mizani databases before anything is written to them.
    fn check_identity(&self) -> Result<()> {
        let app_id: i64 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        let name = self
            .path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if app_id != 0 && app_id != APPLICATION_ID {
            return Err(CoreError::new(
                ErrorCode::DatabaseDamaged,
                format!("{name} is an SQLite database of another program, not a Mizani database"),
            ));
        }
        if app_id == 0 && (version != 0 || tables != 0) {
            return Err(CoreError::new(
                ErrorCode::DatabaseDamaged,
                format!("{name} is an SQLite database of another program, not a Mizani database"),
            ));
        }
        if version > SCHEMA_VERSION {
            return Err(CoreError::new(
                ErrorCode::DatabaseTooNew,
                format!(
                    "{name} was written by a newer Mizani (schema version {version}; this Mizani knows up to {SCHEMA_VERSION}). Install the newer Mizani to open it; nothing was changed."
                ),
            ));
        }
        Ok(())
    }

    /// Applies pending migrations in one IMMEDIATE transaction.
    fn migrate(&mut self) -> Result<()> {
        let version = self.schema_version()?;
        if version > SCHEMA_VERSION {
            return Err(CoreError::new(
                ErrorCode::DatabaseTooNew,
                format!("the database was written by a newer Mizani (schema version {version}; this Mizani knows up to {SCHEMA_VERSION}). Install the newer Mizani to open it; nothing was changed."),
            ));
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(|e| {
                CoreError::new(
                    ErrorCode::Database,
                    format!("migration {} failed: {e}", i + 1),
                )
            })?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(())
    }

    /// The one write path: runs `f` in an IMMEDIATE transaction; every change made through the
    /// [`WriteTx`] is recorded in the audit trail under one batch named `action`. Commits only if
    /// `f` succeeds; otherwise nothing is written.
    pub fn write<T>(
        &mut self,
        action: &str,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T>,
    ) -> Result<T> {
        let user = self.user.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let capture = crate::sync::capture::load(&tx)?;
        let mut w = WriteTx {
            tx,
            user,
            action: action.to_string(),
            batch: None,
            at: now_unix(),
            capture,
        };
        let out = f(&mut w)?;
        if let Some(c) = &w.capture {
            c.save(&w.tx)?;
        }
        w.tx.commit()?;
        Ok(out)
    }

    /// Online backup (SQLite's backup API; consistent even while others write).
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(CoreError::conflict(format!(
                "{} already exists; choose another file name",
                dest.display()
            )));
        }
        let tmp = dest.with_extension("partial");
        let _ = std::fs::remove_file(&tmp);
        let run = || -> Result<()> {
            let mut out = Connection::open(&tmp).map_err(|e| {
                CoreError::new(
                    ErrorCode::Io,
                    format!("cannot write {}: {e}", tmp.display()),
                )
            })?;
            {
                let b = rusqlite::backup::Backup::new(&self.conn, &mut out)?;
                b.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
            }
            let ok: String = out.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if ok != "ok" {
                return Err(CoreError::new(
                    ErrorCode::DatabaseDamaged,
                    format!("the backup failed its integrity check: {ok}"),
                ));
            }
            // A backup is a self-contained single file.
            out.pragma_update(None, "journal_mode", "DELETE")?;
            drop(out);
            std::fs::rename(&tmp, dest)?;
            Ok(())
        };
        let r = run();
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        r
    }
}

/// A table that the write path knows how to change.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// Columns of the primary or natural key.
    pub key: &'static [&'static str],
    /// Row metadata written with a change but neither compared nor audited
    /// (e.g. who entered a measurement and when: the audit batch records that already).
    pub unaudited: &'static [&'static str],
}

pub const ORGANISATION: Table = Table {
    name: "organisation",
    key: &["id"],
    unaudited: &[],
};
pub const REGION: Table = Table {
    name: "region",
    key: &["id"],
    unaudited: &[],
};
pub const BRANCH: Table = Table {
    name: "branch",
    key: &["id"],
    unaudited: &[],
};
pub const DATA_ELEMENT: Table = Table {
    name: "data_element",
    key: &["id"],
    unaudited: &[],
};
pub const INDICATOR: Table = Table {
    name: "indicator",
    key: &["id"],
    unaudited: &[],
};
pub const INDICATOR_FORMULA: Table = Table {
    name: "indicator_formula",
    key: &["indicator_id", "version"],
    unaudited: &[],
};
pub const OBJECTIVE: Table = Table {
    name: "objective",
    key: &["id"],
    unaudited: &[],
};
pub const OBJECTIVE_ACTIVITY: Table = Table {
    name: "objective_activity",
    key: &["id"],
    unaudited: &[],
};
pub const OBJECTIVE_INDICATOR: Table = Table {
    name: "objective_indicator",
    key: &["id"],
    unaudited: &[],
};
pub const TARGET: Table = Table {
    name: "target",
    key: &["id"],
    unaudited: &[],
};
pub const MEASUREMENT: Table = Table {
    name: "measurement",
    key: &["element_id", "month", "branch_id"],
    unaudited: &["entered_by", "entered_at"],
};
pub const ASSESSMENT: Table = Table {
    name: "assessment",
    key: &["id"],
    unaudited: &[],
};
pub const ASSESSMENT_ANSWER: Table = Table {
    name: "assessment_answer",
    key: &["assessment_id", "practice"],
    unaudited: &[],
};
pub const ACTION: Table = Table {
    name: "action",
    key: &["id"],
    unaudited: &[],
};
pub const ALIGNMENT: Table = Table {
    name: "alignment",
    key: &["objective_id", "process"],
    unaudited: &[],
};
pub const DECISION: Table = Table {
    name: "decision",
    key: &["id"],
    unaudited: &[],
};
pub const DECISION_INDICATOR: Table = Table {
    name: "decision_indicator",
    key: &["decision_id", "indicator_id"],
    unaudited: &[],
};

/// Every table whose rows are the institution's data, parents before children: what
/// synchronisation carries, an enrolment file holds and canonical dumps compare.
pub const DATA_TABLES: &[&Table] = &[
    &ORGANISATION,
    &REGION,
    &BRANCH,
    &DATA_ELEMENT,
    &INDICATOR,
    &INDICATOR_FORMULA,
    &OBJECTIVE,
    &OBJECTIVE_ACTIVITY,
    &OBJECTIVE_INDICATOR,
    &TARGET,
    &MEASUREMENT,
    &ASSESSMENT,
    &ASSESSMENT_ANSWER,
    &ACTION,
    &ALIGNMENT,
    &DECISION,
    &DECISION_INDICATOR,
];

/// The table called `name`, if it holds institution data.
pub fn data_table(name: &str) -> Option<&'static Table> {
    DATA_TABLES.iter().copied().find(|t| t.name == name)
}

/// What a [`WriteTx::set`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Inserted,
    Updated,
    Unchanged,
}

/// A write transaction. All changes go through `insert`, `set` and `delete`, which keep the
/// audit trail.
pub struct WriteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    user: String,
    action: String,
    batch: Option<i64>,
    at: i64,
    /// Set when this database synchronises with other sites: every change is also recorded in
    /// the change log (crates/core/src/sync), and a branch site may change only what it owns.
    capture: Option<crate::sync::capture::Capture>,
}

fn audit_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(format_real(*r)),
        Value::Text(t) => Some(t.clone()),
        Value::Blob(b) => Some(format!("<{} bytes>", b.len())),
    }
}

/// Shortest text that reads back to the same f64.
pub fn format_real(r: f64) -> String {
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// [`format_real`] into a buffer (no allocation per value).
fn write_real(out: &mut String, r: f64) {
    use std::fmt::Write as _;
    let _ = if r.fract() == 0.0 && r.abs() < 1e15 {
        write!(out, "{}", r as i64)
    } else {
        write!(out, "{r}")
    };
}

/// How many audit rows [`WriteTx::set_measurements`] inserts with one statement (measured:
/// 1.3 s for a million instead of 2.4 s one by one; new measurements, by contrast, went no
/// faster many to a statement).
pub const BULK_ROWS: usize = 200;

/// One value for [`WriteTx::set_measurements`]: the branch and the data element as (id, code),
/// the month, the figure and the comment to store with it (when given).
#[derive(Debug, Clone, Copy)]
pub struct MeasurementValue<'a> {
    pub branch: (i64, &'a str),
    pub element: (i64, &'a str),
    pub month: crate::period::Month,
    pub value: f64,
    pub comment: Option<&'a str>,
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Integer(x), Value::Real(y)) | (Value::Real(y), Value::Integer(x)) => {
            (*x as f64) == *y
        }
        _ => a == b,
    }
}

impl WriteTx<'_> {
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn now(&self) -> i64 {
        self.at
    }

    /// Read access inside the transaction.
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    /// Stops recording changes in the sync change log for the rest of this transaction: used
    /// only by the sync module while it applies changes received from other sites (it records
    /// those itself, with their origin) and while it loads an enrolment snapshot.
    pub(crate) fn without_capture(&mut self) -> Option<crate::sync::capture::Capture> {
        self.capture.take()
    }

    /// Puts back a capture taken by [`WriteTx::without_capture`] (saved at commit).
    pub(crate) fn restore_capture(&mut self, c: Option<crate::sync::capture::Capture>) {
        self.capture = c;
    }

    fn batch_id(&mut self) -> Result<i64> {
        if let Some(b) = self.batch {
            return Ok(b);
        }
        self.tx
            .prepare_cached("INSERT INTO audit_batch (at, user_name, action) VALUES (?1, ?2, ?3)")?
            .execute(params![self.at, self.user, self.action])?;
        let id = self.tx.last_insert_rowid();
        self.batch = Some(id);
        Ok(id)
    }

    fn audit(
        &mut self,
        entity: &str,
        key: &str,
        field: &str,
        old: Option<String>,
        new: Option<String>,
    ) -> Result<()> {
        let batch = self.batch_id()?;
        self.tx
            .prepare_cached(
                "INSERT INTO audit (batch_id, entity, entity_key, field, old_value, new_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![batch, entity, key, field, old, new])?;
        Ok(())
    }

    /// Inserts a row with a new rowid; returns it. `label` names the row in the audit trail
    /// (defaults to the rowid).
    pub fn insert(
        &mut self,
        table: &Table,
        fields: &[(&str, Value)],
        label: Option<&str>,
    ) -> Result<i64> {
        if let Some(c) = &self.capture {
            c.check_owner(&self.tx, table, None)?;
        }
        let cols: Vec<&str> = fields.iter().map(|f| f.0).collect();
        let marks: Vec<String> = (1..=fields.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            cols.join(", "),
            marks.join(", ")
        );
        self.tx
            .prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(fields.iter().map(|f| &f.1)))?;
        let id = self.tx.last_insert_rowid();
        if let Some(c) = &mut self.capture {
            c.row_created(&self.tx, table, &[Value::Integer(id)], fields)?;
        }
        let key = label.map(str::to_string).unwrap_or_else(|| id.to_string());
        for (col, v) in fields {
            if let Some(text) = audit_text(v) {
                self.audit(table.name, &key, col, None, Some(text))?;
            }
        }
        Ok(id)
    }

    /// Inserts or updates the row with key `key` (values for `table.key`), setting `fields`.
    /// Only fields whose value changes are written to the audit trail.
    pub fn set(
        &mut self,
        table: &Table,
        key: &[Value],
        label: &str,
        fields: &[(&str, Value)],
    ) -> Result<Outcome> {
        if let Some(c) = &self.capture {
            c.check_owner(&self.tx, table, Some(key))?;
        }
        let where_clause: Vec<String> = table
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", i + 1))
            .collect();
        let cols: Vec<&str> = fields.iter().map(|f| f.0).collect();
        let select = format!(
            "SELECT {} FROM {} WHERE {}",
            if cols.is_empty() {
                "1".to_string()
            } else {
                cols.join(", ")
            },
            table.name,
            where_clause.join(" AND ")
        );
        let n = fields.len();
        let old: Option<Vec<Value>> = self
            .tx
            .prepare_cached(&select)?
            .query_row(rusqlite::params_from_iter(key.iter()), |r| {
                (0..n).map(|i| r.get::<_, Value>(i)).collect()
            })
            .optional()?;
        match old {
            None => {
                let all_cols: Vec<&str> = table
                    .key
                    .iter()
                    .copied()
                    .chain(cols.iter().copied())
                    .collect();
                let marks: Vec<String> = (1..=all_cols.len()).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    table.name,
                    all_cols.join(", "),
                    marks.join(", ")
                );
                let vals: Vec<&Value> = key.iter().chain(fields.iter().map(|f| &f.1)).collect();
                self.tx
                    .prepare_cached(&sql)?
                    .execute(rusqlite::params_from_iter(vals))?;
                if let Some(c) = &mut self.capture {
                    c.row_created(&self.tx, table, key, fields)?;
                }
                for (col, v) in fields {
                    if table.unaudited.contains(col) {
                        continue;
                    }
                    if let Some(text) = audit_text(v) {
                        self.audit(table.name, label, col, None, Some(text))?;
                    }
                }
                Ok(Outcome::Inserted)
            }
            Some(old) => {
                let meta = |i: usize| table.unaudited.contains(&fields[i].0);
                let changed: Vec<usize> = (0..n)
                    .filter(|&i| !meta(i) && !same(&old[i], &fields[i].1))
                    .collect();
                if changed.is_empty() {
                    return Ok(Outcome::Unchanged);
                }
                let written: Vec<usize> = (0..n)
                    .filter(|&i| changed.contains(&i) || meta(i))
                    .collect();
                let sets: Vec<String> = written
                    .iter()
                    .enumerate()
                    .map(|(j, &i)| format!("{} = ?{}", fields[i].0, key.len() + j + 1))
                    .collect();
                let sql = format!(
                    "UPDATE {} SET {} WHERE {}",
                    table.name,
                    sets.join(", "),
                    where_clause.join(" AND ")
                );
                let vals: Vec<&Value> = key
                    .iter()
                    .chain(written.iter().map(|&i| &fields[i].1))
                    .collect();
                self.tx
                    .prepare_cached(&sql)?
                    .execute(rusqlite::params_from_iter(vals))?;
                if let Some(c) = &mut self.capture {
                    let set: Vec<(&str, &Value)> = written
                        .iter()
                        .map(|&i| (fields[i].0, &fields[i].1))
                        .collect();
                    c.fields_set(&self.tx, table, key, &set)?;
                }
                for &i in &changed {
                    self.audit(
                        table.name,
                        label,
                        fields[i].0,
                        audit_text(&old[i]),
                        audit_text(&fields[i].1),
                    )?;
                }
                Ok(Outcome::Updated)
            }
        }
    }

    /// Writes many measurements: for each value, in order, exactly what
    /// [`WriteTx::set`] on [`MEASUREMENT`] with the fields `value`, `comment` (when given),
    /// `entered_by` and `entered_at` would do (`crate::import::set_measurement`): the same rows,
    /// the same audit rows (one per changed field, old and new value, label
    /// `branch/month/element`, under this transaction's batch), the same sync change records and
    /// the same ownership check, in the same transaction. Faster: one prepared
    /// `INSERT … ON CONFLICT DO NOTHING` bound from plain values finds new rows without a
    /// `SELECT` first (only a row that exists is read, compared and updated), and the audit rows
    /// are written after the measurements, [`BULK_ROWS`] to a statement, in the order of their
    /// `(entity, entity_key)` index. Returns the outcome of each value.
    pub fn set_measurements<'a>(
        &mut self,
        values: &[MeasurementValue<'a>],
    ) -> Result<Vec<Outcome>> {
        use std::collections::HashMap;
        use std::fmt::Write as _;
        let user = self.user.clone();
        let now = self.at;
        let mut outcomes = Vec::with_capacity(values.len());
        // (row, field, old text) of every audit row to write: field 0 value, 1 comment.
        let mut audits: Vec<(u32, u8, Option<String>)> = Vec::with_capacity(values.len());
        {
            let tx = &self.tx;
            let mut insert = tx.prepare_cached(
                "INSERT INTO measurement (element_id, month, branch_id, value, comment, entered_by, entered_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            )?;
            insert.raw_bind_parameter(6, &user)?;
            insert.raw_bind_parameter(7, now)?;
            let mut old_row = tx.prepare_cached(
                "SELECT value, comment FROM measurement WHERE element_id = ?1 AND month = ?2 AND branch_id = ?3",
            )?;
            for (i, v) in values.iter().enumerate() {
                let row = u32::try_from(i)
                    .map_err(|_| CoreError::invalid("too many values for one write"))?;
                let key = [
                    Value::Integer(v.element.0),
                    Value::Integer(i64::from(v.month.0)),
                    Value::Integer(v.branch.0),
                ];
                if let Some(c) = &self.capture {
                    c.check_owner(tx, &MEASUREMENT, Some(&key))?;
                }
                insert.raw_bind_parameter(1, v.element.0)?;
                insert.raw_bind_parameter(2, v.month.0)?;
                insert.raw_bind_parameter(3, v.branch.0)?;
                insert.raw_bind_parameter(4, v.value)?;
                insert.raw_bind_parameter(5, v.comment)?;
                if insert.raw_execute()? == 1 {
                    if let Some(c) = &mut self.capture {
                        let mut fields = vec![("value", Value::Real(v.value))];
                        if let Some(c) = v.comment {
                            fields.push(("comment", Value::Text(c.to_string())));
                        }
                        fields.push(("entered_by", Value::Text(user.clone())));
                        fields.push(("entered_at", Value::Integer(now)));
                        c.row_created(tx, &MEASUREMENT, &key, &fields)?;
                    }
                    audits.push((row, 0, None));
                    if v.comment.is_some() {
                        audits.push((row, 1, None));
                    }
                    outcomes.push(Outcome::Inserted);
                    continue;
                }
                // The row exists: compare, as `set` does.
                let (old_value, old_comment): (f64, Option<String>) = old_row
                    .query_row(params![v.element.0, v.month.0, v.branch.0], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                let value_changed = old_value != v.value;
                let comment_changed = v.comment.is_some_and(|c| old_comment.as_deref() != Some(c));
                if !value_changed && !comment_changed {
                    outcomes.push(Outcome::Unchanged);
                    continue;
                }
                // The changed fields and the unaudited ones, as `set` writes them.
                let mut written: Vec<(&str, Value)> = Vec::with_capacity(4);
                if value_changed {
                    written.push(("value", Value::Real(v.value)));
                }
                if let (true, Some(c)) = (comment_changed, v.comment) {
                    written.push(("comment", Value::Text(c.to_string())));
                }
                written.push(("entered_by", Value::Text(user.clone())));
                written.push(("entered_at", Value::Integer(now)));
                let sets: Vec<String> = written
                    .iter()
                    .enumerate()
                    .map(|(j, (col, _))| format!("{col} = ?{}", j + 4))
                    .collect();
                let sql = format!(
                    "UPDATE measurement SET {} WHERE element_id = ?1 AND month = ?2 AND branch_id = ?3",
                    sets.join(", ")
                );
                tx.prepare_cached(&sql)?
                    .execute(rusqlite::params_from_iter(
                        key.iter().chain(written.iter().map(|w| &w.1)),
                    ))?;
                if let Some(c) = &mut self.capture {
                    let set: Vec<(&str, &Value)> = written.iter().map(|(c, v)| (*c, v)).collect();
                    c.fields_set(tx, &MEASUREMENT, &key, &set)?;
                }
                if value_changed {
                    audits.push((row, 0, Some(format_real(old_value))));
                }
                if comment_changed {
                    audits.push((row, 1, old_comment));
                }
                outcomes.push(Outcome::Updated);
            }
        }
        if audits.is_empty() {
            return Ok(outcomes);
        }
        // The audit index is (entity, entity_key): rows written in the order of their label
        // (branch code, month, element code) go into it side by side instead of all over it.
        let sorted = |mut codes: Vec<&'a str>| {
            codes.sort_unstable();
            codes.dedup();
            codes
        };
        let branch_codes = sorted(values.iter().map(|v| v.branch.1).collect());
        let element_codes = sorted(values.iter().map(|v| v.element.1).collect());
        let mut branch_rank: HashMap<i64, u64> = HashMap::new();
        let mut element_rank: HashMap<i64, u64> = HashMap::new();
        for v in values {
            branch_rank
                .entry(v.branch.0)
                .or_insert_with(|| branch_codes.binary_search(&v.branch.1).unwrap_or(0) as u64);
            element_rank
                .entry(v.element.0)
                .or_insert_with(|| element_codes.binary_search(&v.element.1).unwrap_or(0) as u64);
        }
        let sort_key = |row: u32| {
            let v = &values[row as usize];
            let b = branch_rank.get(&v.branch.0).copied().unwrap_or(0);
            let e = element_rank.get(&v.element.0).copied().unwrap_or(0);
            // Months are below 2^20 (year 87 381); ranks below 2^21 each.
            (b << 42) | ((u64::from(v.month.0 as u32) & 0xF_FFFF) << 21) | e
        };
        let mut order: Vec<(u64, usize)> = audits
            .iter()
            .enumerate()
            .map(|(i, a)| (sort_key(a.0), i))
            .collect();
        order.sort_unstable();
        let batch = self.batch_id()?;
        let insert_sql = |n: usize| {
            let rows: Vec<String> = (0..n)
                .map(|i| {
                    let p = 3 + i * 4;
                    format!("(?1, ?2, ?{}, ?{}, ?{}, ?{})", p, p + 1, p + 2, p + 3)
                })
                .collect();
            format!(
                "INSERT INTO audit (batch_id, entity, entity_key, field, old_value, new_value) VALUES {}",
                rows.join(", ")
            )
        };
        let full = insert_sql(BULK_ROWS);
        let (mut labels, mut texts) = (String::new(), String::new());
        // `branch/month/` of the last label: in this order most labels share it.
        let (mut prefix, mut prefix_of) = (String::new(), None);
        for chunk in order.chunks(BULK_ROWS) {
            let tail;
            let sql = if chunk.len() == BULK_ROWS {
                full.as_str()
            } else {
                tail = insert_sql(chunk.len());
                tail.as_str()
            };
            // Every label and new value of the chunk in two buffers, bound as slices of them.
            labels.clear();
            texts.clear();
            let mut spans: Vec<(usize, usize, usize, usize)> = Vec::with_capacity(chunk.len());
            for &(_, a) in chunk {
                let (row, field, _) = &audits[a];
                let v = &values[*row as usize];
                let (l0, t0) = (labels.len(), texts.len());
                if prefix_of != Some((v.branch.0, v.month)) {
                    prefix.clear();
                    let _ = write!(prefix, "{}/{}/", v.branch.1, v.month);
                    prefix_of = Some((v.branch.0, v.month));
                }
                labels.push_str(&prefix);
                labels.push_str(v.element.1);
                if *field == 0 {
                    write_real(&mut texts, v.value);
                } else {
                    texts.push_str(v.comment.unwrap_or_default());
                }
                spans.push((l0, labels.len(), t0, texts.len()));
            }
            let mut stmt = self.tx.prepare_cached(sql)?;
            stmt.raw_bind_parameter(1, batch)?;
            stmt.raw_bind_parameter(2, MEASUREMENT.name)?;
            for (i, (&(_, a), &(l0, l1, t0, t1))) in chunk.iter().zip(&spans).enumerate() {
                let (_, field, old) = &audits[a];
                let p = 3 + i * 4;
                stmt.raw_bind_parameter(p, labels.get(l0..l1).unwrap_or_default())?;
                stmt.raw_bind_parameter(p + 1, if *field == 0 { "value" } else { "comment" })?;
                stmt.raw_bind_parameter(p + 2, old.as_deref())?;
                stmt.raw_bind_parameter(p + 3, texts.get(t0..t1).unwrap_or_default())?;
            }
            stmt.raw_execute()?;
        }
        Ok(outcomes)
    }

    /// Updates fields of an existing row; `NotFound` if the row does not exist.
    pub fn update(
        &mut self,
        table: &Table,
        key: &[Value],
        label: &str,
        fields: &[(&str, Value)],
    ) -> Result<Outcome> {
        let where_clause: Vec<String> = table
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", i + 1))
            .collect();
        let exists: bool = self.tx.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM {} WHERE {})",
                table.name,
                where_clause.join(" AND ")
            ),
            rusqlite::params_from_iter(key.iter()),
            |r| r.get(0),
        )?;
        if !exists {
            return Err(CoreError::not_found(format!(
                "{} {label} does not exist",
                table.name
            )));
        }
        self.set(table, key, label, fields)
    }

    /// Deletes rows matching `key`; the whole old row goes to the audit trail as JSON.
    pub fn delete(&mut self, table: &Table, key: &[Value], label: &str) -> Result<bool> {
        if let Some(c) = &self.capture {
            c.check_owner(&self.tx, table, Some(key))?;
        }
        let where_clause: Vec<String> = table
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", i + 1))
            .collect();
        let select = format!(
            "SELECT * FROM {} WHERE {}",
            table.name,
            where_clause.join(" AND ")
        );
        let old: Option<String> = {
            let mut stmt = self.tx.prepare_cached(&select)?;
            let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
            stmt.query_row(rusqlite::params_from_iter(key.iter()), |r| {
                let mut m = serde_json::Map::new();
                for (i, name) in names.iter().enumerate() {
                    let v: Value = r.get(i)?;
                    m.insert(
                        name.clone(),
                        audit_text(&v)
                            .map(serde_json::Value::String)
                            .unwrap_or(serde_json::Value::Null),
                    );
                }
                Ok(serde_json::Value::Object(m).to_string())
            })
            .optional()?
        };
        let Some(old) = old else { return Ok(false) };
        let sql = format!(
            "DELETE FROM {} WHERE {}",
            table.name,
            where_clause.join(" AND ")
        );
        self.tx
            .prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(key.iter()))?;
        if let Some(c) = &mut self.capture {
            c.row_deleted(&self.tx, table, key)?;
        }
        self.audit(table.name, label, "*", Some(old), None)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_set_version_and_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let store = Store::open(&path).expect("creates a new database");
        assert_eq!(
            store.schema_version().expect("version"),
            SCHEMA_VERSION,
            "fully migrated"
        );
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal", "file databases run in WAL mode");
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .expect("fk");
        assert_eq!(fk, 1, "foreign keys are enforced");
        drop(store);
        Store::open(&path).expect("reopening a current database is a no-op");
    }

    #[test]
    fn refuses_a_newer_database_without_touching_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new.sqlite");
        drop(Store::open(&path).expect("create"));
        {
            let c = Connection::open(&path).expect("raw open");
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .expect("bump");
        }
        let e = Store::open(&path).expect_err("a newer schema must be refused");
        assert_eq!(
            e.code,
            ErrorCode::DatabaseTooNew,
            "dedicated code so the UI can explain"
        );
        assert!(
            e.message.contains("newer Mizani"),
            "message says what to do: {e}"
        );
        let c = Connection::open(&path).expect("raw open");
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("v");
        assert_eq!(
            v,
            SCHEMA_VERSION + 1,
            "the refused database was not modified"
        );
    }

    #[test]
    fn refuses_foreign_sqlite_files_and_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .expect("open")
            .execute_batch("CREATE TABLE t(x)")
            .expect("create");
        let e = Store::open(&other).expect_err("another program's database");
        assert_eq!(e.code, ErrorCode::DatabaseDamaged, "{e}");
        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, vec![7u8; 8192]).expect("write");
        let e = Store::open(&garbage).expect_err("not a database at all");
        assert_eq!(e.code, ErrorCode::DatabaseDamaged, "{e}");
    }

    #[test]
    fn writes_are_audited_and_atomic() {
        let mut s = Store::open_in_memory().expect("open");
        s.set_user("amina");
        s.write("test", |w| {
            w.set(
                &REGION,
                &[Value::Integer(1)],
                "North",
                &[("name", Value::Text("North".into()))],
            )?;
            Ok(())
        })
        .expect("write");
        let r: Result<()> = s.write("test", |w| {
            w.set(
                &REGION,
                &[Value::Integer(1)],
                "North",
                &[("name", Value::Text("Nord".into()))],
            )?;
            Err(CoreError::invalid("boom"))
        });
        assert!(r.is_err(), "the closure failed");
        let name: String = s
            .conn()
            .query_row("SELECT name FROM region", [], |r| r.get(0))
            .expect("row");
        assert_eq!(name, "North", "a failed write leaves nothing behind");
        let (user, field, new): (String, String, String) = s
            .conn()
            .query_row(
                "SELECT b.user_name, a.field, a.new_value FROM audit a JOIN audit_batch b ON b.id = a.batch_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("exactly one audit row survives");
        assert_eq!(
            (user.as_str(), field.as_str(), new.as_str()),
            ("amina", "name", "North")
        );
        let out = s
            .write("test", |w| {
                w.set(
                    &REGION,
                    &[Value::Integer(1)],
                    "North",
                    &[("name", Value::Text("North".into()))],
                )
            })
            .expect("write");
        assert_eq!(
            out,
            Outcome::Unchanged,
            "same value: no update, no audit row"
        );
    }
}
